// Service node overrides (rs/node_override.hpp): which paths a node names, the drain's MED steps,
// maintenance, and the route server applying them after the import filter in both families (IPv4
// and IPv6 set up differently: other MEDs, next hops, nodes named by name or by next hop).
#include <doctest/doctest.h>

#include <chrono>

#include "conf/parser.hpp"
#include "rs/node_override.hpp"
#include "rs/route_server.hpp"

using rs::NodeDrain;
using rs::NodeOverrides;
using rs::rib::IpAddress;
using rs::rib::Prefix;

namespace {
IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}
}  // namespace

TEST_CASE("node names: protocol, process or healthcheck block, next hop of either family") {
  CHECK(NodeOverrides::matches("node_a", "node_a", ip("192.0.2.11")));
  CHECK_FALSE(NodeOverrides::matches("node_a", "node_ab", ip("192.0.2.11")));
  CHECK(NodeOverrides::matches("feed", "process feed", ip("192.0.2.11")));
  CHECK(NodeOverrides::matches("web", "health web", ip("192.0.2.11")));
  CHECK_FALSE(NodeOverrides::matches("feed", "process feeder", ip("192.0.2.11")));
  CHECK(NodeOverrides::matches("192.0.2.11", "node_a", ip("192.0.2.11")));
  CHECK_FALSE(NodeOverrides::matches("192.0.2.11", "node_a", ip("192.0.2.12")));
  CHECK(NodeOverrides::matches("2001:db8::12", "process feed", ip("2001:db8::12")));
  CHECK_FALSE(NodeOverrides::matches("2001:db8::12", "process feed", ip("2001:db8::11")));
  CHECK_FALSE(NodeOverrides::matches("2001:db8::12", "node_a", ip("192.0.2.12")));
}

TEST_CASE("drain MED: equal steps from the node's MED to the ceiling, never down") {
  NodeDrain d;
  d.steps = 4;
  d.ceiling = 500;
  CHECK(NodeOverrides::drain_med(d, 0, 100) == 100);
  CHECK(NodeOverrides::drain_med(d, 1, 100) == 200);
  CHECK(NodeOverrides::drain_med(d, 2, 100) == 300);
  CHECK(NodeOverrides::drain_med(d, 4, 100) == 500);
  CHECK(NodeOverrides::drain_med(d, 9, 100) == 500);
  CHECK(NodeOverrides::drain_med(d, 2, 700) == 700);  // above the ceiling already: unchanged
  d.steps = 3;
  d.ceiling = 1000;
  CHECK(NodeOverrides::drain_med(d, 1, 102) == 401);  // 102 + 898 / 3
}

TEST_CASE("drain state: steps, the last one held, then withdrawn or kept; undrain; persistence") {
  NodeOverrides o;
  NodeDrain v4;  // node a (IPv4, by name): 3 steps to 400, then withdrawn
  v4.over_ms = 3000;
  v4.steps = 3;
  v4.ceiling = 400;
  NodeDrain v6;  // node 2001:db8::12 (IPv6, by next hop): 2 steps to 900, then kept
  v6.over_ms = 1000;
  v6.steps = 2;
  v6.ceiling = 900;
  v6.withdraw = false;
  o.start_drain("a", v4);
  o.start_drain("2001:db8::12", v6);
  const IpAddress nh4 = ip("192.0.2.11"), nh6 = ip("2001:db8::12");
  CHECK(o.effect("a", nh4, 100) == NodeOverrides::Effect{false, 200});
  CHECK(o.effect("b", ip("192.0.2.12"), 100) == NodeOverrides::Effect{});  // another node
  CHECK(o.effect("process b", nh6, 101) == NodeOverrides::Effect{false, 500});
  CHECK(o.advance("a"));
  CHECK(o.advance("a"));
  CHECK(o.effect("a", nh4, 100) == NodeOverrides::Effect{false, 400});
  CHECK_FALSE(o.advance("a"));  // the last step was held: withdraw
  CHECK(o.effect("a", nh4, 100).withdraw);
  CHECK(o.find("a")->drained);
  CHECK(o.advance("2001:db8::12"));
  CHECK_FALSE(o.advance("2001:db8::12"));
  CHECK(o.effect("process b", nh6, 101) == NodeOverrides::Effect{false, 900});  // kept at 900

  CHECK(o.undrain("a"));
  CHECK(o.effect("a", nh4, 100) == NodeOverrides::Effect{});
  CHECK(o.find("a") == nullptr);
  CHECK_FALSE(o.undrain("a"));

  // A restart resumes a drain as finished: over 0.
  NodeDrain done = v6;
  done.over_ms = 0;
  o.start_drain("2001:db8::12", done);
  CHECK_FALSE(o.find("2001:db8::12")->draining);
  CHECK(o.effect("process b", nh6, 101) == NodeOverrides::Effect{false, 900});

  CHECK(NodeDrain::parse(v4.to_string()) == v4);
  CHECK(NodeDrain::parse(v6.to_string()) == v6);
  CHECK_FALSE(NodeDrain::parse("300000 0 1000 withdraw"));
  CHECK_FALSE(NodeDrain::parse("300000 10 1000"));
  CHECK_FALSE(NodeDrain::parse("300000 10 1000 later"));
}

TEST_CASE("maintenance withdraws; it wins over a drain naming the same path") {
  NodeOverrides o;
  NodeDrain d;
  d.steps = 2;
  o.start_drain("192.0.2.11", d);
  o.set_maintenance("a", true);
  CHECK(o.effect("a", ip("192.0.2.11"), 100).withdraw);
  CHECK(o.effect("c", ip("192.0.2.11"), 100) == NodeOverrides::Effect{false, 550});
  CHECK(o.effect("2001:db8::1", ip("2001:db8::1"), 100) == NodeOverrides::Effect{});
  o.set_maintenance("a", false);
  CHECK(o.find("a") == nullptr);
  CHECK(o.effect("a", ip("192.0.2.11"), 100) == NodeOverrides::Effect{false, 550});
}

// ---- the route server applying the overrides ---------------------------------------------------

namespace {

struct Server {
  boost::asio::io_context io;
  std::unique_ptr<rs::RouteServer> rs;
  Server() {
    auto loaded = rs::conf::load_string("router id 192.0.2.1;\n", "t.conf");
    REQUIRE_MESSAGE(loaded.ok(), loaded.diagnostics.to_string());
    rs = std::make_unique<rs::RouteServer>(
        io, std::make_shared<const rs::conf::Config>(std::move(loaded.config)));
    REQUIRE(rs->start().empty());
  }
  ~Server() {
    rs->shutdown("test done");
    io.run_for(std::chrono::milliseconds(5));
  }
  // Polls until `ok` holds (the event loop runs meanwhile); false after `ms`.
  template <class F>
  bool wait(F ok, int ms = 3000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      io.restart();  // a run that ran out of work stops the context
      io.run_for(std::chrono::milliseconds(2));
      if (rs->idle() && ok()) return true;
    }
    return false;
  }
  // The MED in effect of `source`'s path for `prefix`: -1 when filtered, -2 when absent.
  int64_t med(const char* prefix, const rs::rib::RouteSource* source) {
    const rs::rib::Destination* d = rs->rib().find(*Prefix::parse(prefix));
    if (!d) return -2;
    for (const auto& p : d->paths)
      if (p.route.source == source) return p.route.filtered() ? -1 : int64_t{p.route.attrs->med};
    return -2;
  }
};

rs::rib::AttrBuilder attrs(const char* nh, uint32_t med) {
  rs::rib::AttrBuilder b;
  b.set_next_hop(ip(nh));
  b.set_med(med);
  return b;
}

}  // namespace

TEST_CASE("route server: drain and maintenance of a node's paths, both families, kept paths") {
  Server s;
  rs::rib::RouteSource* a = s.rs->add_local_source("process a");
  rs::rib::RouteSource* b = s.rs->add_local_source("process b");
  // IPv4: node a at MED 100; IPv6: node b at MED 101 via 2001:db8::12, and node a at 102.
  s.rs->announce_local(a, *Prefix::parse("203.0.113.10/32"), attrs("192.0.2.11", 100));
  s.rs->announce_local(b, *Prefix::parse("2001:db8:10::1/128"), attrs("2001:db8::12", 101));
  s.rs->announce_local(a, *Prefix::parse("2001:db8:10::1/128"), attrs("2001:db8::11", 102));
  CHECK(s.rs->node_known("a"));
  CHECK(s.rs->node_known("2001:db8::12"));
  CHECK_FALSE(s.rs->node_known("nobody"));

  // IPv4 by name: 2 steps over 600 ms to 300, then withdrawn.
  NodeDrain d4;
  d4.over_ms = 600;
  d4.steps = 2;
  d4.ceiling = 300;
  s.rs->drain_node("a", d4);
  CHECK(s.wait([&] { return s.med("203.0.113.10/32", a) == 200; }));
  // The IPv6 path of the same node is drained too; node b's is not.
  CHECK(s.med("2001:db8:10::1/128", a) == 201);
  CHECK(s.med("2001:db8:10::1/128", b) == 101);
  CHECK(s.wait([&] { return s.med("203.0.113.10/32", a) == 300; }));
  CHECK(s.wait([&] { return s.med("203.0.113.10/32", a) == -1; }));
  CHECK(s.med("2001:db8:10::1/128", a) == -1);
  // A new announcement of a drained node is withdrawn at once.
  s.rs->announce_local(a, *Prefix::parse("203.0.113.11/32"), attrs("192.0.2.11", 100));
  CHECK(s.med("203.0.113.11/32", a) == -1);
  // Undrain: back from what the source sent, no new announcement needed.
  CHECK(s.rs->undrain_node("a"));
  CHECK(s.wait([&] { return s.med("203.0.113.10/32", a) == 100; }));
  CHECK(s.med("203.0.113.11/32", a) == 100);
  CHECK(s.med("2001:db8:10::1/128", a) == 102);

  // IPv6 by next hop: maintenance withdraws node b's path only; node a's IPv6 path becomes best.
  s.rs->node_maintenance("2001:db8::12", true);
  CHECK(s.wait([&] { return s.med("2001:db8:10::1/128", b) == -1; }));
  CHECK(s.med("2001:db8:10::1/128", a) == 102);
  CHECK(s.med("203.0.113.10/32", a) == 100);
  {
    const rs::rib::Destination* d = s.rs->rib().find(*Prefix::parse("2001:db8:10::1/128"));
    REQUIRE(d);
    REQUIRE(d->best_route());
    CHECK(d->best_route()->source == a);
  }
  s.rs->node_maintenance("2001:db8::12", false);
  CHECK(s.wait([&] { return s.med("2001:db8:10::1/128", b) == 101; }));
  const rs::rib::Destination* d = s.rs->rib().find(*Prefix::parse("2001:db8:10::1/128"));
  REQUIRE(d);
  REQUIRE(d->best_route());
  CHECK(d->best_route()->source == b);
  CHECK(s.rs->node_overrides().empty());
}
