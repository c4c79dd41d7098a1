// Route refresh with a peer, per channel: its requests (RFC 2918) re-send one family of its
// Adj-RIB-Out, framed by BoRR / EoRR when both sides advertised enhanced route refresh (RFC 7313
// 4); its own re-advertisements (BoRR ... EoRR) replace its routes of the family, those not sent
// again being removed at EoRR (RFC 7313 4: routes still stale at the end are purged). See
// route_refresh.hpp.
#include <spdlog/spdlog.h>

#include "rs/route_server.hpp"

namespace rs {

namespace wire = bgp::wire;
using rib::Family;
using rib::Prefix;

Channel* RouteServer::refresh_target(const std::string& name, const rib::RouteSource* src, Family f,
                                     uint64_t generation) {
  auto it = protocols_.find(name);
  if (it == protocols_.end()) return nullptr;
  Channel& ch = it->second->channels[f];
  if (ch.source.get() != src || ch.refresh.generation != generation) return nullptr;
  return &ch;
}

void RouteServer::on_route_refresh(bgp::Peer& peer, wire::AfiSafi family, uint8_t subtype) {
  Protocol* p = protocol_of(peer);
  const auto* n = peer.negotiated();
  if (!p || !p->established || !n || !family.is_unicast()) return;
  Channel& ch = p->channels[family.afi == wire::kAfiIpv6 ? Family::Ipv6 : Family::Ipv4];
  if (!ch.enabled) return;
  const bool enhanced = n->negotiated.enhanced_route_refresh;
  RefreshState& r = ch.refresh;
  switch (subtype) {
    case wire::route_refresh::kNormal:
      spdlog::info("{}: route refresh requested for {}", p->name, wire::to_string(family));
      // A refresh whose EoRR is still due goes on: it now covers these routes too, and the peer
      // never sees a second BoRR before the first one's EoRR. Due before the re-send starts, so
      // that the pull it wakes writes BoRR first.
      if (enhanced && !r.eorr_due) r.borr_due = true;
      exporter_.refresh_channel(*p, ch.family);
      return;
    case wire::route_refresh::kBeginOfRefresh:
      if (enhanced) begin_refresh_in(*p, ch);
      return;
    case wire::route_refresh::kEndOfRefresh:
      // RFC 7313 4: an EoRR without a BoRR before it is ignored.
      if (enhanced && r.refreshing) end_refresh_in(*p, ch, false);
      return;
    default:
      return;
  }
}

void RouteServer::begin_refresh_in(Protocol& p, Channel& ch) {
  RefreshState& r = ch.refresh;
  const uint64_t gen = ++r.generation;
  r.refreshing = true;
  r.marking = true;
  r.fresh.clear();
  const Family f = ch.family;
  spdlog::info("{}: the peer begins a route refresh of {}", p.name, rib::to_string(f));
  const std::string name = p.name;
  const rib::RouteSource* src = ch.source.get();
  walker_.walk(
      f,
      [this, name, src, f, gen](const Prefix& prefix) {
        Channel* c = refresh_target(name, src, f, gen);
        const rib::Destination* d = c ? rib_.find(prefix) : nullptr;
        if (!d) return;
        for (const auto& path : d->paths)
          if (path.route.source == src && !c->refresh.fresh.count({prefix, path.route.path_id}))
            rib_.set_stale(prefix, src, path.route.path_id, true);
      },
      [this, name, src, f, gen] {
        if (Channel* c = refresh_target(name, src, f, gen)) {
          c->refresh.marking = false;
          c->refresh.fresh.clear();
        }
      });
  if (!r.timer) r.timer = std::make_unique<boost::asio::steady_timer>(io_);
  r.timer->expires_after(RefreshState::kStaleTimeout);
  r.timer->async_wait([this, name, src, f, gen](const boost::system::error_code& ec) {
    if (ec) return;
    Channel* c = refresh_target(name, src, f, gen);
    if (c && c->refresh.refreshing) end_refresh_in(*protocols_.find(name)->second, *c, true);
  });
}

void RouteServer::end_refresh_in(Protocol& p, Channel& ch, bool timed_out) {
  RefreshState& r = ch.refresh;
  r.refreshing = false;
  if (r.timer) r.timer->cancel();
  const Family f = ch.family;
  if (timed_out)
    spdlog::warn("{}: no end of route refresh ({}) within {} s: removing the routes not re-sent",
                 p.name, rib::to_string(f),
                 std::chrono::seconds(RefreshState::kStaleTimeout).count());
  else
    spdlog::info("{}: the peer ended its route refresh of {}", p.name, rib::to_string(f));
  // Walks run in order: this one starts after the marking walk of the same BoRR has finished.
  const uint64_t gen = r.generation;
  const std::string name = p.name;
  const rib::RouteSource* src = ch.source.get();
  walker_.walk(
      f,
      [this, name, src, f, gen](const Prefix& prefix) {
        // A new BoRR stops this sweep.
        if (!refresh_target(name, src, f, gen)) return;
        Protocol& q = *protocols_.find(name)->second;
        const rib::Destination* d = rib_.find(prefix);
        if (!d) return;
        std::vector<uint32_t> stale;  // ADD-PATH: a source may hold several paths
        for (const auto& path : d->paths)
          if (path.route.source == src && path.route.stale()) stale.push_back(path.route.path_id);
        for (uint32_t id : stale) importer_.withdraw(q, wire::Nlri{prefix, id});
      },
      [this] { exporter_.schedule(); });
}

}  // namespace rs
