// The health-aware startup hold with `process` blocks: the first
// export waits until each process has had its say (a valid command and the end of its first burst
// of lines, or the end of its first run) or the hold passes; plus what processes show to the
// operator (routes with MED and next hop for `show services`) and their failover accounting.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <deque>
#include <map>

#include "rs/health/health_manager.hpp"

using namespace rs::health;
using rs::rib::IpAddress;
using rs::rib::Prefix;
using namespace std::chrono_literals;

namespace {

struct Sink : RouteSink {
  std::map<std::pair<Prefix, uint32_t>, rs::rib::AttrBuilder> routes;
  std::deque<std::string> names;
  Source add_source(const std::string& name) override {
    names.push_back(name);
    return &names.back();
  }
  void announce(Source, const Prefix& p, const rs::rib::AttrBuilder& a, uint32_t id) override {
    routes[{p, id}] = a;
  }
  void withdraw(Source, const Prefix& p, uint32_t id) override { routes.erase({p, id}); }
  void remove_source(Source) override { routes.clear(); }
};

template <class P>
bool run_until(boost::asio::io_context& io, P pred, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.restart();
    io.run_for(5ms);
  }
  return true;
}

rs::conf::Config config_with(const std::string& shell, rs::conf::Duration hold) {
  rs::conf::Config cfg;
  cfg.router_id = *IpAddress::parse("10.0.0.1");
  cfg.health.startup_hold = hold;
  rs::conf::ProcessConfig pc;
  pc.name = "p";
  pc.shell = shell;
  pc.next_hop = *IpAddress::parse("192.0.2.30");
  cfg.processes.push_back(pc);
  return cfg;
}

// What the manager's `ready` callback saw: when it came (after start) and the routes then.
struct Started {
  bool ready = false;
  std::size_t routes_at_ready = 0;
  std::chrono::steady_clock::duration after{};

  std::string start(HealthManager& m, const Sink& sink) {
    const auto t0 = std::chrono::steady_clock::now();
    return m.start([this, &sink, t0] {
      ready = true;
      routes_at_ready = sink.routes.size();
      after = std::chrono::steady_clock::now() - t0;
    });
  }
};

}  // namespace

TEST_CASE("startup hold: the first export waits for a process's first announcement") {
  auto cfg = config_with(
      "sleep 0.6; echo 'announce route 203.0.113.40/32 next-hop self med 10'; exec sleep 100",
      rs::conf::Duration::seconds(10));
  boost::asio::io_context io;
  Sink sink;
  HealthManager m(io, cfg, sink);
  Started s;
  CHECK(s.start(m, sink).empty());
  CHECK_FALSE(run_until(
      io, [&] { return s.ready; }, 300ms));  // still quiet: held
  CHECK_FALSE(m.all_settled());
  REQUIRE(run_until(io, [&] { return s.ready; }));
  CHECK(s.after >= 500ms);
  CHECK(s.after < 5s);  // released by the announcement, not by the 10 s hold
  CHECK(s.routes_at_ready == 1);
  CHECK(m.all_settled());
  // What `show health` / `show services` show of the process.
  auto views = m.processes();
  REQUIRE(views.size() == 1);
  CHECK(views[0].settled);
  REQUIRE(views[0].route_list.size() == 1);
  CHECK(views[0].route_list[0].prefix == *Prefix::parse("203.0.113.40/32"));
  CHECK(views[0].route_list[0].med == 10u);
  CHECK(views[0].route_list[0].next_hop == *IpAddress::parse("192.0.2.30"));
  CHECK_FALSE(views[0].route_list[0].stale);
  // Failover accounting for processes: the line's read time -> the next UPDATE handed to a peer.
  m.on_export("edge1");
  auto f = m.failovers("process p");
  REQUIRE(f.size() == 1);
  CHECK(f[0].peer == "edge1");
  CHECK(f[0].latency_us < 5000000);
  CHECK(m.failovers("p").empty());  // a process's samples are not a healthcheck's
  m.stop();
}

TEST_CASE("startup hold: a burst of lines is taken whole before the export starts") {
  auto cfg = config_with(
      "printf 'announce route 203.0.113.41/32 next-hop self\\nannounce route 203.0.113.42/32 "
      "next-hop self\\n"
      "announce route 203.0.113.43/32 next-hop self med 5\\n'; exec sleep 100",
      rs::conf::Duration::seconds(10));
  boost::asio::io_context io;
  Sink sink;
  HealthManager m(io, cfg, sink);
  Started s;
  CHECK(s.start(m, sink).empty());
  REQUIRE(run_until(
      io, [&] { return s.ready; }, 5s));
  CHECK(s.routes_at_ready == 3);
  m.stop();
}

TEST_CASE("startup hold: a silent process is waited for until the hold passes") {
  auto cfg = config_with("exec sleep 100", rs::conf::Duration::millis(400));
  boost::asio::io_context io;
  Sink sink;
  HealthManager m(io, cfg, sink);
  Started s;
  CHECK(s.start(m, sink).empty());
  REQUIRE(run_until(
      io, [&] { return s.ready; }, 5s));
  CHECK(s.after >= 350ms);
  CHECK_FALSE(m.all_settled());
  m.stop();
}

TEST_CASE("startup hold: a malformed line does not count; a process that ends releases it") {
  auto cfg = config_with("echo 'nonsense'; sleep 0.3; exit 1", rs::conf::Duration::seconds(10));
  boost::asio::io_context io;
  Sink sink;
  HealthManager m(io, cfg, sink);
  Started s;
  CHECK(s.start(m, sink).empty());
  REQUIRE(run_until(
      io, [&] { return s.ready; }, 5s));
  CHECK(s.after >= 250ms);  // not at the malformed line
  CHECK(m.processes()[0].exits == 1);
  CHECK(m.processes()[0].malformed == 1);
  m.stop();
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
}

TEST_CASE("process view: routes kept after an exit are listed as kept") {
  auto cfg = config_with("echo 'announce route 203.0.113.44/32 next-hop 192.0.2.99 med 7'; exit 0",
                         rs::conf::Duration::seconds(10));
  cfg.processes[0].keep_routes = rs::conf::Duration::seconds(30);
  boost::asio::io_context io;
  Sink sink;
  HealthManager m(io, cfg, sink);
  CHECK(m.start(nullptr).empty());
  REQUIRE(run_until(
      io, [&] { return m.processes()[0].exits == 1; }, 5s));
  auto v = m.processes()[0];
  REQUIRE(v.route_list.size() == 1);
  CHECK(v.route_list[0].stale);
  CHECK(v.route_list[0].med == 7u);
  CHECK(v.route_list[0].next_hop == *IpAddress::parse("192.0.2.99"));
  CHECK(v.routes == 0);
  m.stop();
}
