// RouteServer as the PeerHandler of every session: up, End-of-RIB, route refresh, down.
//
// Sources and generations: each session incarnation of a channel is a RouteSource of its own. When
// a session goes down without graceful restart, its sources are retired and their routes removed
// by background walks, while a new session of the same peer already announces under new sources;
// the two never mix. With graceful restart the sources are kept, their routes marked stale, and the
// stale ones still there at End-of-RIB (or when the restart timer runs out) are removed.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "rs/log/log_class.hpp"
#include "rs/route_server.hpp"

namespace rs {

namespace wire = bgp::wire;
using rib::Family;
using rib::IpAddress;
using rib::Prefix;

void RouteServer::on_established(bgp::Peer& peer) {
  Protocol* p = protocol_of(peer);
  if (!p) return;
  p->established = true;
  if (p->debug & conf::kDebugStates) log::trace("{}: state changed to up", p->name);
  const auto* n = peer.negotiated();
  std::optional<IpAddress> remote, local;
  if (auto ep = peer.remote_endpoint()) remote = *IpAddress::parse(ep->address().to_string());
  if (auto ep = peer.local_endpoint()) local = *IpAddress::parse(ep->address().to_string());
  for (Channel& ch : p->channels) {
    if (!ch.enabled) continue;
    if (remote) ch.source->neighbor_address = *remote;
    if (n) {
      ch.source->neighbor_as = n->peer_as;
      ch.source->bgp_id = n->peer_bgp_id;
      ch.member.active = n->negotiated.family_negotiated(wire::unicast(ch.family));
    }
    ch.eor_received = false;
    // The next hop for `next hop self` (and for routes without one): the session's local address
    // when it is of the channel's family; `next hop address` overrides it.
    ch.member.self = local && local->family() == ch.family ? *local : IpAddress();
    const conf::NextHop& nh = ch.settings.next_hop.mode != conf::NextHop::Mode::Default
                                  ? ch.settings.next_hop
                                  : p->cfg->settings.next_hop;
    if (nh.mode == conf::NextHop::Mode::Address) ch.member.self = nh.address;
  }
  spdlog::info("{}: established ({})", p->name, remote ? remote->to_string() : std::string("?"));
  if (events_) emit_session(*p, nullptr);
  if (deferring_) {
    // Selection deferral (RFC 4724 4.1): export once the table is complete.
    p->export_deferred = true;
    check_deferral();
    return;
  }
  exporter_.start_initial(*p);
}

bool RouteServer::imports(const Protocol& p) {
  for (const auto& ch : p.channels)
    if (ch.enabled && ch.settings.import_filter.kind != conf::FilterSpec::Kind::None) return true;
  return false;
}

void RouteServer::check_deferral() {
  for (const auto& [name, p] : protocols_) {
    if (p->dynamic_child || !imports(*p)) continue;
    if (!p->established || !p->peer->negotiated()) return;
    for (const Channel& ch : p->channels)
      if (ch.active() && !ch.eor_received) return;
  }
  spdlog::info("every importing peer sent End-of-RIB: exporting");
  end_deferral();
}

void RouteServer::end_deferral() {
  deferring_ = false;
  if (defer_timer_) defer_timer_->cancel();
  for (auto& [name, p] : protocols_) p->peer->set_restarting(false);
  for (auto& [name, p] : protocols_)
    if (p->established && p->export_deferred) exporter_.start_initial(*p);
}

void RouteServer::on_end_of_rib(bgp::Peer& peer, wire::AfiSafi family) {
  Protocol* p = protocol_of(peer);
  if (!p) return;
  spdlog::debug("{}: End-of-RIB {}", p->name, wire::to_string(family));
  const Family f = family.afi == wire::kAfiIpv6 ? Family::Ipv6 : Family::Ipv4;
  Channel& ch = p->channels[f];
  if (!ch.enabled) return;
  ch.eor_received = true;
  if (deferring_) check_deferral();
  // Graceful restart: whatever is still stale from before the restart is gone now.
  const rib::RouteSource* src = ch.source.get();
  walker_.walk(
      f,
      [this, src](const Prefix& prefix) {
        const rib::Destination* d = rib_.find(prefix);
        if (!d) return;
        std::vector<uint32_t> stale;  // ADD-PATH: a source may hold several paths
        for (const auto& path : d->paths)
          if (path.route.source == src && path.route.stale()) stale.push_back(path.route.path_id);
        for (uint32_t id : stale) (void)rib_.withdraw(prefix, src, id);
      },
      [this] { exporter_.schedule(); });
}

void RouteServer::remove_source_routes(std::unique_ptr<rib::RouteSource> src,
                                       std::optional<Family> family) {
  const rib::RouteSource* raw = src.get();
  retired_.push_back(std::move(src));
  walker_.walk(
      family,
      [this, raw](const Prefix& prefix) {
        const rib::Destination* d = rib_.find(prefix);
        while (d) {
          uint32_t id = 0;
          bool found = false;
          for (const auto& path : d->paths)
            if (path.route.source == raw) found = true, id = path.route.path_id;
          if (!found) break;
          (void)rib_.withdraw(prefix, raw, id);
          d = rib_.find(prefix);
        }
      },
      [this, raw] {
        std::erase_if(retired_, [raw](const auto& s) { return s.get() == raw; });
        exporter_.schedule();
      });
}

void RouteServer::retire_sources(Protocol& p) {
  for (Channel& ch : p.channels) {
    if (!ch.enabled || !ch.source) continue;
    auto next = std::make_unique<rib::RouteSource>(*ch.source);
    next->id = next_source_id_++;
    std::unique_ptr<rib::RouteSource> old = std::move(ch.source);
    ch.source = std::move(next);
    ch.member.source = ch.source.get();
    ch.stats.current_received = ch.stats.current_accepted = 0;
    ch.limit_warned = false;
    remove_source_routes(std::move(old), ch.family);
  }
}

void RouteServer::remove_protocol_routes(Protocol& p) {
  for (Channel& ch : p.channels)
    if (ch.source) remove_source_routes(std::move(ch.source), ch.family);
}

void RouteServer::on_down(bgp::Peer& peer, const bgp::DownInfo& info) {
  Protocol* p = protocol_of(peer);
  if (!p) return;
  const bool was_up = p->established;
  p->established = false;
  if (p->debug & conf::kDebugStates) log::trace("{}: state changed to down", p->name);
  exporter_.leave(*p);
  for (Channel& ch : p->channels) {
    ch.member.out.clear();
    ch.member.path_ids.clear();
    ch.member.walking = false;
    ch.member.end_of_rib_due = false;
    ch.member.active = false;
    ch.refresh.reset();
  }
  p->export_deferred = false;
  spdlog::info("{}: down: {}", p->name, info.reason);
  if (!was_up) return;
  if (events_) emit_session(*p, &info);

  if (info.keep_stale) {
    // RFC 4724 helper: keep the routes, stale, for the peer's restart time.
    for (Channel& ch : p->channels) {
      if (!ch.enabled) continue;
      const rib::RouteSource* src = ch.source.get();
      walker_.walk(ch.family, [this, src](const Prefix& prefix) {
        const rib::Destination* d = rib_.find(prefix);
        if (!d) return;
        for (const auto& path : d->paths)
          if (path.route.source == src) rib_.set_stale(prefix, src, path.route.path_id, true);
      });
    }
    p->stale_timer = std::make_unique<boost::asio::steady_timer>(io_, info.stale_time);
    const std::string name = p->name;
    const rib::RouteSource* first = p->channels[Family::Ipv4].source
                                        ? p->channels[Family::Ipv4].source.get()
                                        : p->channels[Family::Ipv6].source.get();
    p->stale_timer->async_wait([this, name, first](const boost::system::error_code& ec) {
      if (ec) return;
      auto it = protocols_.find(name);
      if (it == protocols_.end() || !it->second->channel_of(first)) return;
      spdlog::info("{}: graceful restart time over, stale routes removed", name);
      for (auto f : {wire::kIpv4Unicast, wire::kIpv6Unicast}) on_end_of_rib(*it->second->peer, f);
    });
    return;
  }
  retire_sources(*p);
}

}  // namespace rs
