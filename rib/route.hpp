// Route and its source. A RouteSource describes where paths come from (a BGP session, a health
// process, a static protocol); it lives as long as the protocol and is shared by all its routes.
// A Route is small (24 bytes): source pointer, ADD-PATH id, interned attributes, and one 32-bit
// word holding the two flags and the age (whole seconds, 30 bits: 34 years).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "rib/attrs.hpp"
#include "rib/prefix.hpp"

namespace rs::rib {

enum class SourceKind : uint8_t {
  Ebgp,   // external BGP session
  Ibgp,   // internal BGP session
  Local,  // locally originated: static routes, health processes and checks
};

struct RouteSource {
  std::string name;  // protocol name, as shown by the CLI
  SourceKind kind = SourceKind::Ebgp;
  uint32_t id = 0;             // unique per daemon, stable while the protocol exists
  uint32_t neighbor_as = 0;    // the peer's AS (local AS for Local sources)
  uint32_t bgp_id = 0;         // the peer's BGP identifier (router id for Local)
  IpAddress neighbor_address;  // the peer's address (zero for Local)
  uint32_t preference = 100;   // BIRD route preference: higher wins before any BGP step
  bool rr_client = false;      // RFC 4456 client of ours
  bool rs_client = false;      // RFC 7947 client of ours
  // BIRD `import keep filtered`: routes the import filter rejected are shown (`show route
  // filtered`, the protocol's filtered count). rsd keeps them either way, so that a filter change
  // re-runs without asking the peer; without the option they are not shown, as in BIRD.
  bool keep_filtered = false;
};

enum RouteFlag : uint8_t {
  kRouteStale = 1 << 0,     // RFC 4724: kept while the peer restarts
  kRouteFiltered = 1 << 1,  // rejected by the import filter (kept for `import keep filtered`)
};

struct Route {
  const RouteSource* source = nullptr;
  uint32_t path_id = 0;  // RFC 7911 path identifier (0 without ADD-PATH)
  uint32_t state = 0;    // bits 0-1: RouteFlag; bits 2-31: since()
  AttrRef attrs;

  static constexpr uint32_t kFlagBits = 2;
  static constexpr uint32_t kFlagMask = (1u << kFlagBits) - 1;
  static constexpr uint32_t kMaxSince = ~uint32_t{0} >> kFlagBits;

  // BIRD route preference: the import filter's `preference = N;`, else the source's.
  uint32_t preference() const {
    return attrs && attrs->has_preference ? attrs->preference : source->preference;
  }
  bool stale() const { return state & kRouteStale; }
  bool filtered() const { return state & kRouteFiltered; }
  void set_flag(RouteFlag f, bool on) { state = on ? (state | f) : (state & ~uint32_t{f}); }
  // When this path was last changed: whole seconds on the owner's clock (the route server's:
  // seconds after RouteServer::started_at()); saturates at kMaxSince.
  uint32_t since() const { return state >> kFlagBits; }
  void set_since(uint64_t seconds) {
    state = (state & kFlagMask) |
            static_cast<uint32_t>(std::min<uint64_t>(seconds, kMaxSince) << kFlagBits);
  }
};
static_assert(sizeof(Route) == 24, "Route: pointer, path id, state word, attribute handle");
static_assert(kRouteStale <= Route::kFlagMask && kRouteFiltered <= Route::kFlagMask);

}  // namespace rs::rib
