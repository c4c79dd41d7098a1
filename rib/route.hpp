// Route and its source. A RouteSource describes where paths come from (a BGP session, a health
// process, a static protocol); it lives as long as the protocol and is shared by all its routes.
// A Route is small (32 bytes): source pointer, ADD-PATH id, interned attributes, flags, age.
#pragma once

#include <cstdint>
#include <string>

#include "rib/attrs.hpp"
#include "rib/prefix.hpp"

namespace rs::rib {

enum class SourceKind : uint8_t {
  Ebgp,    // external BGP session
  Ibgp,    // internal BGP session
  Local,   // locally originated: static routes, health processes and checks
};

struct RouteSource {
  std::string name;            // protocol name, as shown by the CLI
  SourceKind kind = SourceKind::Ebgp;
  uint32_t id = 0;             // unique per daemon, stable while the protocol exists
  uint32_t neighbor_as = 0;    // the peer's AS (local AS for Local sources)
  uint32_t bgp_id = 0;         // the peer's BGP identifier (router id for Local)
  IpAddress neighbor_address;  // the peer's address (zero for Local)
  uint32_t preference = 100;   // BIRD route preference: higher wins before any BGP step
  bool rr_client = false;      // RFC 4456 client of ours
  bool rs_client = false;      // RFC 7947 client of ours
};

enum RouteFlag : uint8_t {
  kRouteStale = 1 << 0,     // RFC 4724: kept while the peer restarts
  kRouteFiltered = 1 << 1,  // rejected by the import filter (kept for `import keep filtered`)
};

struct Route {
  const RouteSource* source = nullptr;
  uint32_t path_id = 0;  // RFC 7911 path identifier (0 without ADD-PATH)
  uint8_t flags = 0;
  AttrRef attrs;
  uint64_t since = 0;    // when this path was last changed (monotonic sequence or time)

  bool stale() const { return flags & kRouteStale; }
  bool filtered() const { return flags & kRouteFiltered; }
};

}  // namespace rs::rib
