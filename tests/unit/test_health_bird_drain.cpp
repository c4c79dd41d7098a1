// The wiki's controlled drain observed at a real BIRD 2 edge (ctest label interop): the route
// server and the health manager run in this process (so the test can call drain() as the control
// socket will), BIRD peers with it on its own loopback address and port and is stopped by PID.
// The edge must see the MED climb 100 -> 325 -> 550 -> 775 -> 1000, then the route withdrawn; the
// failover accounting must hold a sample for the edge. Skipped when bird is not installed.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "conf/parser.hpp"
#include "rs/health/health_manager.hpp"
#include "rs/health/server_sink.hpp"
#include "rs/route_server.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const char* kBird = "/usr/sbin/bird";
const char* kBirdc = "/usr/sbin/birdc";

uint16_t free_port(const char* addr) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address(addr), 0});
  return a.local_endpoint().port();
}

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    ::pclose(f);
  }
  return out;
}

struct Bird {
  pid_t pid = -1;
  ~Bird() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST_CASE("drain: MED rising stepwise then withdrawn, seen at a BIRD edge") {
  if (!fs::exists(kBird)) {
    MESSAGE("bird2 not installed: skipped");
    return;
  }
  char tmpl[] = "/tmp/rsd_drain_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const std::string rs_addr = "127.0.8.1", edge_addr = "127.0.8.2";
  const uint16_t rs_port = free_port(rs_addr.c_str()), edge_port = free_port(edge_addr.c_str());
  const std::string sock = (dir / "bird.ctl").string();
  std::ofstream(dir / "bird.conf")
      << "router id 10.255.0.2;\nipv4 table igp4;\n"
         "protocol device { scan time 10; }\n"
         "protocol static igp_v4 { ipv4 { table igp4; }; route 192.0.2.0/24 via \"lo\"; }\n"
         "protocol bgp rsd1 {\n  local "
      << edge_addr << " port " << edge_port << " as 65100;\n  neighbor " << rs_addr << " port "
      << rs_port
      << " as 65000;\n  multihop 8; enforce first as off; strict bind on; hold time 30;\n"
         "  connect delay time 1; connect retry time 1; error wait time 1, 2;\n"
         "  ipv4 { import all; export none; igp table igp4; };\n}\n";
  Bird bird;
  bird.pid = ::fork();
  if (bird.pid == 0) {
    ::execl(kBird, kBird, "-f", "-c", (dir / "bird.conf").c_str(), "-s", sock.c_str(), "-P",
            (dir / "bird.pid").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  REQUIRE(bird.pid > 0);

  const std::string conf =
      "router id 10.255.0.1;\n"
      "healthcheck svc { command \"/bin/true\"; interval 100 ms; fast interval 50 ms; rise 1; fall "
      "1;\n"
      "  route 203.0.113.60/32 next hop 192.0.2.11 med 100; }\n"
      "protocol bgp edge {\n  local " +
      rs_addr + " port " + std::to_string(rs_port) + " as 65000;\n  neighbor " + edge_addr +
      " port " + std::to_string(edge_port) +
      " as 65100;\n  multihop 8; rs client; hold time 30; connect delay time 1; connect retry time "
      "1;\n"
      "  ipv4 { import none; export all; next hop keep; };\n}\n";
  auto loaded = rs::conf::load_string(conf, "drain.conf");
  REQUIRE_MESSAGE(loaded.ok(), loaded.diagnostics.to_string());
  auto cfg = std::make_shared<const rs::conf::Config>(std::move(loaded.config));
  boost::asio::io_context io;
  rs::RouteServer server(io, cfg);
  REQUIRE(server.start().empty());
  rs::health::RouteServerSink sink(server);
  rs::health::HealthManager health(io, *cfg, sink);
  server.hold_initial_export(true);
  server.set_export_observer([&](const std::string& peer) { health.on_export(peer); });
  CHECK(health.start([&] { server.hold_initial_export(false); }).empty());

  auto edge_med = [&]() -> std::optional<uint32_t> {
    const std::string out =
        run(std::string(kBirdc) + " -s " + sock + " show route all 203.0.113.60/32 2>/dev/null");
    auto at = out.find("BGP.med: ");
    if (at == std::string::npos) return std::nullopt;
    return static_cast<uint32_t>(std::stoul(out.substr(at + 9)));
  };
  // Runs the event loop, polling the edge every 50 ms, until pred(med) or the deadline.
  std::vector<uint32_t> seen;
  auto until = [&](auto pred, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(50ms);
      auto m = edge_med();
      if (m && (seen.empty() || seen.back() != *m)) seen.push_back(*m);
      if (pred(m)) return true;
    }
    return false;
  };
  REQUIRE(until([](auto m) { return m == 100u; }, 30s));
  CHECK(health.drain("svc", 2000, 4).empty());
  REQUIRE(until([](auto m) { return !m.has_value(); }, 20s));
  CHECK(seen == std::vector<uint32_t>{100, 325, 550, 775, 1000});
  auto samples = health.failovers("svc");
  REQUIRE_FALSE(samples.empty());
  CHECK(samples.front().peer == "edge");
  CHECK(samples.front().latency_us < 1000000);
  // Undrain: back at the up MED.
  CHECK(health.undrain("svc").empty());
  REQUIRE(until([](auto m) { return m == 100u; }, 20s));
  health.stop();
  server.shutdown("test done");
  io.restart();
  io.run_for(200ms);
  fs::remove_all(dir);
}
