// Channel: one protocol x one address family, as BIRD's `struct channel`. Everything a BIRD
// configuration says inside `ipv4 { }` / `ipv6 { }` lives here and nowhere else: the import and
// export policies, the limits, the next-hop policy, the preference of imported routes, the
// statistics, the route source its routes carry, and its export state (export-group membership,
// Adj-RIB-Out, End-of-RIB). Two families of one session never share any of it, so an IPv6 route can
// only ever meet the IPv6 channel's export filter.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "conf/config.hpp"
#include "rib/prefix.hpp"
#include "rib/route.hpp"
#include "rs/export.hpp"
#include "rs/route_refresh.hpp"

namespace rs {

// An array indexed by address family (never by a bare int).
template <class T>
class PerFamily {
 public:
  static constexpr std::array<rib::Family, 2> kFamilies{rib::Family::Ipv4, rib::Family::Ipv6};
  T& operator[](rib::Family f) { return v_[f == rib::Family::Ipv4 ? 0 : 1]; }
  const T& operator[](rib::Family f) const { return v_[f == rib::Family::Ipv4 ? 0 : 1]; }
  auto begin() { return v_.begin(); }
  auto end() { return v_.end(); }
  auto begin() const { return v_.begin(); }
  auto end() const { return v_.end(); }

 private:
  std::array<T, 2> v_{};
};

// Per channel: what the CLI and metrics show.
struct ChannelStats {
  uint64_t received = 0;   // NLRI announced by the peer
  uint64_t withdrawn = 0;  // NLRI withdrawn by the peer
  // BIRD's import withdraw statistics: `accepted` when an accepted route of this channel went
  // away, `ignored` otherwise; both also count a filtered announcement, as BIRD does (Importer).
  uint64_t withdraws_ignored = 0;
  uint64_t withdraws_accepted = 0;
  uint64_t accepted = 0;  // passed the import filter
  uint64_t filtered = 0;  // rejected by the import filter (or loop checks)
  uint64_t treat_as_withdraw = 0;
  uint64_t current_received = 0;  // paths held now (Adj-RIB-In)
  uint64_t current_accepted = 0;  // of those, accepted by the import filter
  uint64_t limit_hits = 0;        // receive / import / export limit reached
};

struct Channel {
  rib::Family family = rib::Family::Ipv4;
  bool enabled = false;            // configured
  conf::ChannelSettings settings;  // resolved options of this family's block
  ChannelStats stats;
  // The source of the routes imported through this channel (one per session incarnation: see
  // RouteServer::on_down). Its preference is the channel's `preference`.
  std::unique_ptr<rib::RouteSource> source;
  // Export side.
  ExportMember member;
  ExportGroup* group = nullptr;
  bool eor_received = false;  // End-of-RIB from the peer since the session came up
  RefreshState refresh;       // route refresh (RFC 2918, RFC 7313) of this family
  bool limit_warned = false;

  // Negotiated with the peer and configured: routes of this family flow both ways.
  bool active() const { return enabled && member.active; }
};

}  // namespace rs
