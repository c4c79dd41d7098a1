// Route refresh with a peer: its requests (RFC 2918) re-send one family of its Adj-RIB-Out,
// framed by BoRR / EoRR when both sides advertised enhanced route refresh (RFC 7313 4); its own
// re-advertisements (BoRR ... EoRR) replace its routes of the family, those not sent again being
// removed at EoRR (RFC 7313 4: routes still stale at the end are purged). See route_refresh.hpp.
#include <spdlog/spdlog.h>

#include "rs/route_server.hpp"

namespace rs {

namespace wire = bgp::wire;
using rib::Family;
using rib::Prefix;

namespace {
int index_of(wire::AfiSafi f) {
  return f.afi == wire::kAfiIpv6 ? 1 : 0;
}
Family family_at(int f) {
  return f == 0 ? Family::Ipv4 : Family::Ipv6;
}
}  // namespace

RouteServer::Protocol* RouteServer::refresh_target(const std::string& name,
                                                   const rib::RouteSource* src, int f,
                                                   uint64_t generation) {
  auto it = protocols_.find(name);
  if (it == protocols_.end()) return nullptr;
  Protocol& p = *it->second;
  if (p.source.get() != src || p.refresh.generation[f] != generation) return nullptr;
  return &p;
}

void RouteServer::on_route_refresh(bgp::Peer& peer, wire::AfiSafi family, uint8_t subtype) {
  Protocol* p = protocol_of(peer);
  const auto* n = peer.negotiated();
  if (!p || !p->established || !n) return;
  const int f = index_of(family);
  if (!p->channels[f].enabled) return;
  const bool enhanced = n->negotiated.enhanced_route_refresh;
  RefreshState& r = p->refresh;
  switch (subtype) {
    case wire::route_refresh::kNormal:
      spdlog::info("{}: route refresh requested for {}", p->name, wire::to_string(family));
      p->member.out.refresh(family_at(f));
      // A refresh whose EoRR is still due goes on: it now covers these routes too, and the peer
      // never sees a second BoRR before the first one's EoRR.
      if (enhanced && !r.eorr_due[f]) r.borr_due[f] = true;
      peer.notify_export();
      return;
    case wire::route_refresh::kBeginOfRefresh:
      if (enhanced) begin_refresh_in(*p, f);
      return;
    case wire::route_refresh::kEndOfRefresh:
      // RFC 7313 4: an EoRR without a BoRR before it is ignored.
      if (enhanced && r.refreshing[f]) end_refresh_in(*p, f, false);
      return;
    default:
      return;
  }
}

void RouteServer::begin_refresh_in(Protocol& p, int f) {
  RefreshState& r = p.refresh;
  const uint64_t gen = ++r.generation[f];
  r.refreshing[f] = true;
  r.marking[f] = true;
  r.fresh[f].clear();
  spdlog::info("{}: the peer begins a route refresh of {}", p.name, rib::to_string(family_at(f)));
  const std::string name = p.name;
  const rib::RouteSource* src = p.source.get();
  Walk w;
  w.snapshot = true;
  w.step = [this, name, src, f, gen](const Prefix& prefix) {
    if (prefix.family() != family_at(f)) return;
    Protocol* q = refresh_target(name, src, f, gen);
    const rib::Destination* d = q ? rib_.find(prefix) : nullptr;
    if (!d) return;
    for (const auto& path : d->paths)
      if (path.route.source == src && !q->refresh.fresh[f].count({prefix, path.route.path_id}))
        rib_.set_stale(prefix, src, path.route.path_id, true);
  };
  w.done = [this, name, src, f, gen] {
    if (Protocol* q = refresh_target(name, src, f, gen)) {
      q->refresh.marking[f] = false;
      q->refresh.fresh[f].clear();
    }
  };
  start_walk(std::move(w));
  if (!r.timer[f]) r.timer[f] = std::make_unique<boost::asio::steady_timer>(io_);
  r.timer[f]->expires_after(RefreshState::kStaleTimeout);
  r.timer[f]->async_wait([this, name, src, f, gen](const boost::system::error_code& ec) {
    if (ec) return;
    Protocol* q = refresh_target(name, src, f, gen);
    if (q && q->refresh.refreshing[f]) end_refresh_in(*q, f, true);
  });
}

void RouteServer::end_refresh_in(Protocol& p, int f, bool timed_out) {
  RefreshState& r = p.refresh;
  r.refreshing[f] = false;
  if (r.timer[f]) r.timer[f]->cancel();
  if (timed_out)
    spdlog::warn("{}: no end of route refresh ({}) within {} s: removing the routes not re-sent",
                 p.name, rib::to_string(family_at(f)),
                 std::chrono::seconds(RefreshState::kStaleTimeout).count());
  else
    spdlog::info("{}: the peer ended its route refresh of {}", p.name,
                 rib::to_string(family_at(f)));
  // Walks run in order: this one starts after the marking walk of the same BoRR has finished.
  const uint64_t gen = r.generation[f];
  const std::string name = p.name;
  const rib::RouteSource* src = p.source.get();
  Walk w;
  w.snapshot = true;
  w.step = [this, name, src, f, gen](const Prefix& prefix) {
    if (prefix.family() != family_at(f)) return;
    Protocol* q = refresh_target(name, src, f, gen);  // a new BoRR stops this sweep
    const rib::Destination* d = q ? rib_.find(prefix) : nullptr;
    if (!d) return;
    std::vector<uint32_t> stale;  // ADD-PATH: a source may hold several paths
    for (const auto& path : d->paths)
      if (path.route.source == src && path.route.stale()) stale.push_back(path.route.path_id);
    for (uint32_t id : stale) withdraw_nlri(*q, wire::Nlri{prefix, id});
  };
  w.done = [this] { schedule_export(); };
  start_walk(std::move(w));
}

void RouteServer::refresh_markers_before(Protocol& p, std::vector<uint8_t>& out) {
  for (int f = 0; f < 2; ++f) {
    if (!p.refresh.borr_due[f]) continue;
    wire::encode_route_refresh(
        {f == 0 ? wire::kIpv4Unicast : wire::kIpv6Unicast, wire::route_refresh::kBeginOfRefresh},
        out);
    p.refresh.borr_due[f] = false;
    p.refresh.eorr_due[f] = true;
  }
}

bool RouteServer::refresh_markers_after(Protocol& p, std::vector<uint8_t>& out) {
  bool waiting = false;
  for (int f = 0; f < 2; ++f) {
    if (!p.refresh.eorr_due[f]) continue;
    // After the last UPDATE of the re-advertisement: nothing of the family left to send.
    if (p.member.walking || p.member.out.queued(family_at(f))) {
      waiting = true;
      continue;
    }
    wire::encode_route_refresh(
        {f == 0 ? wire::kIpv4Unicast : wire::kIpv6Unicast, wire::route_refresh::kEndOfRefresh},
        out);
    p.refresh.eorr_due[f] = false;
  }
  return waiting;
}

}  // namespace rs
