// RouteSink onto the route server's local sources: health routes compete in the decision process
// like a peer's.
#pragma once

#include "rs/health/route_sink.hpp"
#include "rs/route_server.hpp"

namespace rs::health {

class RouteServerSink final : public RouteSink {
 public:
  explicit RouteServerSink(RouteServer& rs) : rs_(rs) {}
  Source add_source(const std::string& name) override { return rs_.add_local_source(name); }
  void announce(Source src, const rib::Prefix& prefix, const rib::AttrBuilder& attrs,
                uint32_t path_id) override {
    rs_.announce_local(static_cast<rib::RouteSource*>(src), prefix, attrs, path_id);
  }
  void withdraw(Source src, const rib::Prefix& prefix, uint32_t path_id) override {
    rs_.withdraw_local(static_cast<rib::RouteSource*>(src), prefix, path_id);
  }
  void remove_source(Source src) override {
    rs_.remove_local_source(static_cast<rib::RouteSource*>(src));
  }

 private:
  RouteServer& rs_;
};

}  // namespace rs::health
