// Operator commands on the route server (BIRD's `enable`, `disable`, `restart`, `reload`), kept
// apart from the routing core: they only drive the Peer state machine and the existing soft
// reload paths (re-import from the Adj-RIB-In, re-send of the Adj-RIB-Out, RFC 7313 not needed).
#include <spdlog/spdlog.h>

#include "rs/route_server.hpp"

namespace rs {

namespace {
constexpr uint8_t kAdministrativeShutdown = 2;  // RFC 4486 Cease subcode
}

RouteServer::OpResult RouteServer::enable_protocol(std::string_view name) {
  auto it = protocols_.find(std::string(name));
  if (it == protocols_.end()) return OpResult::NotFound;
  bgp::Peer& peer = *it->second->peer;
  if (peer.phase() != bgp::Peer::Phase::Down) return OpResult::Already;
  spdlog::info("{}: enabled by the operator", name);
  peer.set_disabled(false);
  peer.start();
  return OpResult::Done;
}

RouteServer::OpResult RouteServer::disable_protocol(std::string_view name,
                                                    std::string_view message) {
  auto it = protocols_.find(std::string(name));
  if (it == protocols_.end()) return OpResult::NotFound;
  bgp::Peer& peer = *it->second->peer;
  if (peer.phase() == bgp::Peer::Phase::Down) return OpResult::Already;
  spdlog::info("{}: disabled by the operator", name);
  peer.set_disabled(true);
  peer.stop(kAdministrativeShutdown, message);
  return OpResult::Done;
}

RouteServer::OpResult RouteServer::restart_protocol(std::string_view name,
                                                    std::string_view message) {
  auto it = protocols_.find(std::string(name));
  if (it == protocols_.end()) return OpResult::NotFound;
  bgp::Peer& peer = *it->second->peer;
  if (peer.phase() == bgp::Peer::Phase::Down) return OpResult::Already;
  spdlog::info("{}: restarted by the operator", name);
  peer.restart(message.empty() ? std::string_view("restarted by the operator") : message);
  return OpResult::Done;
}

RouteServer::OpResult RouteServer::reload_protocol(std::string_view name, bool in, bool out) {
  auto it = protocols_.find(std::string(name));
  if (it == protocols_.end()) return OpResult::NotFound;
  Protocol& p = *it->second;
  if (p.peer->phase() == bgp::Peer::Phase::Down) return OpResult::Already;
  for (const Channel& ch : p.channels) {
    if (in && ch.enabled) importer_.reimport(p, ch.family);
    if (out) exporter_.refresh_channel(p, ch.family);
  }
  return OpResult::Done;
}

const bgp::Peer* RouteServer::peer(std::string_view name) const {
  auto it = protocols_.find(std::string(name));
  return it == protocols_.end() ? nullptr : it->second->peer.get();
}

const rib::PathAttributes* RouteServer::exported(std::string_view name,
                                                 const rib::Prefix& prefix) const {
  auto it = protocols_.find(std::string(name));
  if (it == protocols_.end()) return nullptr;
  const ExportMember& m = it->second->channels[prefix.family()].member;
  // With ADD-PATH send, the first path held for the prefix.
  if (auto pit = m.path_ids.find(prefix); pit != m.path_ids.end() && !pit->second.empty())
    return m.out.sent(rib::OutKey{prefix, pit->second.front()});
  return m.out.sent(rib::OutKey{prefix, 0});
}

// ---- service nodes -----------------------------------------------------------------------------

bool RouteServer::node_known(std::string_view node) const {
  if (rib::IpAddress::parse(node)) return true;
  if (protocols_.count(std::string(node))) return true;
  const rib::IpAddress none;
  for (const auto& s : local_sources_)
    if (NodeOverrides::matches(node, s->name, none)) return true;
  return false;
}

void RouteServer::reimport_node(const std::string& node) {
  // A next hop may be any protocol's; a name is its protocol's or its local source's.
  const bool by_next_hop = rib::IpAddress::parse(node).has_value();
  const rib::IpAddress none;
  for (auto& [name, p] : protocols_) {
    if (!by_next_hop && name != node) continue;
    for (const Channel& ch : p->channels)
      if (ch.enabled) importer_.reimport(*p, ch.family);
  }
  for (const auto& s : local_sources_) {
    if (!by_next_hop && !NodeOverrides::matches(node, s->name, none)) continue;
    importer_.reimport_local(s.get(), rib::Family::Ipv4);
    importer_.reimport_local(s.get(), rib::Family::Ipv6);
  }
}

}  // namespace rs
