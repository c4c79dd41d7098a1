// Where health routes go: the route server's local sources in the daemon (RouteServerSink in
// health_manager.cpp), a recorder in tests. Keeps rs/health independent of RouteServer.
#pragma once

#include <cstdint>
#include <string>

#include "rib/attrs.hpp"
#include "rib/prefix.hpp"

namespace rs::health {

class RouteSink {
 public:
  using Source = void*;
  virtual ~RouteSink() = default;
  virtual Source add_source(const std::string& name) = 0;
  virtual void announce(Source src, const rib::Prefix& prefix, const rib::AttrBuilder& attrs,
                        uint32_t path_id) = 0;
  virtual void withdraw(Source src, const rib::Prefix& prefix, uint32_t path_id) = 0;
  // Withdraws everything of the source and forgets it.
  virtual void remove_source(Source src) = 0;
};

}  // namespace rs::health
