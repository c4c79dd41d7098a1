// Health with real processes and sockets (ctest label interop): 10,000 command checks without a
// zombie or a leaked descriptor, a hung check killed with its whole process group at the timeout,
// shell syntax in config values never reaching a shell, an http check following a local HTTP server
// that the test stops and starts, maintenance on/off surviving a restart through the state file,
// and the ExaBGP wiki's HA health-check script running under a `process` block.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <functional>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "rs/health/checks.hpp"
#include "rs/health/child.hpp"
#include "rs/health/health_manager.hpp"
#include "rs/health/healthcheck.hpp"
#include "rs/health/process.hpp"

using namespace rs::health;
using rs::rib::IpAddress;
using rs::rib::Prefix;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct RecordingSink : RouteSink {
  // One source's view of a prefix is enough here: routes are keyed by prefix and path id, and
  // remember which source announced them (remove_source drops only those).
  std::map<std::pair<Prefix, uint32_t>, rs::rib::AttrBuilder> routes;
  std::map<std::pair<Prefix, uint32_t>, Source> owner;
  std::deque<std::string> names;
  int announces = 0, withdraws = 0, sources = 0;
  Source add_source(const std::string& name) override {
    ++sources;
    names.push_back(name);
    return &names.back();
  }
  void announce(Source src, const Prefix& p, const rs::rib::AttrBuilder& a, uint32_t id) override {
    routes[{p, id}] = a;
    owner[{p, id}] = src;
    ++announces;
  }
  void withdraw(Source, const Prefix& p, uint32_t id) override {
    routes.erase({p, id});
    owner.erase({p, id});
    ++withdraws;
  }
  void remove_source(Source src) override {
    for (auto it = owner.begin(); it != owner.end();) {
      if (it->second == src) {
        routes.erase(it->first);
        it = owner.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::optional<uint32_t> med(const char* prefix) const {
    auto it = routes.find({*Prefix::parse(prefix), 0});
    if (it == routes.end()) return std::nullopt;
    return it->second.med;
  }
};

std::size_t open_fds() {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

// Runs the loop until pred() or the deadline.
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

// Scratch space shared with the programs under test: run by root, rsd starts them as nobody, which
// must enter the directory and write its files there (pid files, markers), so it is 0777.
fs::path temp_dir() {
  char tmpl[] = "/tmp/rsd_health_XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  fs::permissions(dir, fs::perms::all);
  return dir;
}

bool process_gone(pid_t pid) {
  // Gone, or a zombie waiting for its (non-rsd) parent: either way it no longer runs.
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  if (!f) return true;
  std::string line;
  std::getline(f, line);
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

uint16_t free_port(const char* addr) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address(addr), 0});
  return a.local_endpoint().port();
}

// python3 -m http.server on addr:port, stopped by PID.
struct HttpServer {
  pid_t pid = -1;
  void start(const std::string& addr, uint16_t port, const fs::path& dir) {
    pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execlp("python3", "python3", "-m", "http.server", "--bind", addr.c_str(), "--directory",
               dir.c_str(), std::to_string(port).c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait until it accepts.
    for (int i = 0; i < 200; ++i) {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address(addr), port}, ec);
      if (!ec) return;
      std::this_thread::sleep_for(25ms);
    }
  }
  void stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~HttpServer() { stop(); }
};

rs::conf::HealthCheckConfig base_check(const std::string& name) {
  rs::conf::HealthCheckConfig h;
  h.name = name;
  h.interval = rs::conf::Duration::millis(20);
  h.fast_interval = rs::conf::Duration::millis(20);
  h.timeout = rs::conf::Duration::millis(2000);
  h.rise = 1;
  h.fall = 1;
  rs::conf::HealthCheckConfig::Route r;
  r.prefix = *Prefix::parse("203.0.113.10/32");
  r.next_hop = *IpAddress::parse("192.0.2.10");
  r.med = 100;
  h.routes.push_back(r);
  return h;
}

rs::conf::HealthCheckConfig::Check command(const std::string& argv) {
  rs::conf::HealthCheckConfig::Check c;
  c.kind = rs::conf::HealthCheckConfig::Check::Kind::Command;
  c.target = argv;
  return c;
}

}  // namespace

TEST_CASE("10,000 command check runs: no zombie, no descriptor growth") {
  boost::asio::io_context io;
  std::string err;
  auto probe = make_probe(io, command("/bin/true"), err);
  REQUIRE(probe);
  // Warm up (asio's reactor opens its descriptors lazily).
  bool done = false;
  probe->run(5000, [&](CheckResult) { done = true; });
  REQUIRE(run_until(io, [&] { return done; }));
  const std::size_t fds = open_fds();
  int ok = 0;
  for (int i = 0; i < 10000; ++i) {
    done = false;
    probe->run(5000, [&](CheckResult r) {
      ok += r.ok;
      done = true;
    });
    REQUIRE(run_until(io, [&] { return done; }));
  }
  CHECK(ok == 10000);
  CHECK(open_fds() == fds);
  errno = 0;
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // no child left at all, zombie or not
  CHECK(errno == ECHILD);
}

TEST_CASE("a hung check is killed at its timeout with its whole process group") {
  boost::asio::io_context io;
  fs::path dir = temp_dir();
  const std::string pidfile = (dir / "grandchild.pid").string();
  std::string err;
  // The check starts a grandchild that would outlive a kill of the check alone.
  auto probe =
      make_probe(io, command("/bin/sh -c 'sleep 1000 & echo $! > " + pidfile + "; wait'"), err);
  REQUIRE(probe);
  std::optional<CheckResult> res;
  const auto t0 = std::chrono::steady_clock::now();
  probe->run(300, [&](CheckResult r) { res = std::move(r); });
  REQUIRE(run_until(io, [&] { return res.has_value(); }));
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(res->timed_out);
  CHECK_FALSE(res->ok);
  CHECK(took >= 290ms);
  CHECK(took < 3s);
  pid_t grandchild = 0;
  std::ifstream(pidfile) >> grandchild;
  REQUIRE(grandchild > 0);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = process_gone(grandchild);
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  CHECK(gone);
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  fs::remove_all(dir);
}

TEST_CASE("config values with ; $(...) backticks and newlines never reach a shell") {
  boost::asio::io_context io;
  fs::path dir = temp_dir();
  const std::string marker = (dir / "pwned").string();
  const std::string text =
      "/bin/echo a;b $(touch " + marker + ") `touch " + marker + "` ;touch " + marker + " x\ny";
  std::string err;
  auto probe = make_probe(io, command(text), err);
  REQUIRE(probe);
  std::optional<CheckResult> res;
  probe->run(5000, [&](CheckResult r) { res = std::move(r); });
  REQUIRE(run_until(io, [&] { return res.has_value(); }));
  CHECK(res->ok);
  // echo received the words literally.
  CHECK(res->output.find("a;b $(touch") != std::string::npos);
  CHECK(res->output.find("`touch") != std::string::npos);
  CHECK(res->output.find("x\ny") != std::string::npos);
  CHECK_FALSE(fs::exists(marker));

  // The same in a `process` run line.
  rs::conf::ProcessConfig pc;
  pc.name = "p";
  pc.run = "/bin/echo announce route 10.0.0.0/8 next-hop self; touch " + marker + " $(touch " +
           marker + ")";
  RecordingSink sink;
  Process p(io, pc, sink, *IpAddress::parse("10.0.0.1"));
  p.start();
  REQUIRE(run_until(io, [&] { return p.view().exits >= 1; }));
  CHECK(p.view().malformed == 1);  // one line, with the literal junk: a malformed command
  CHECK_FALSE(fs::exists(marker));
  p.stop();
  fs::remove_all(dir);
}

TEST_CASE("http check follows a local HTTP service the test stops and starts") {
  boost::asio::io_context io;
  fs::path dir = temp_dir();
  std::ofstream(dir / "health") << "ok\n";
  const std::string addr = "127.0.0.2";
  const uint16_t port = free_port(addr.c_str());
  HttpServer srv;
  srv.start(addr, port, dir);
  REQUIRE(srv.pid > 0);

  auto h = base_check("web");
  rs::conf::HealthCheckConfig::Check c;
  c.kind = rs::conf::HealthCheckConfig::Check::Kind::Http;
  c.target = "http://" + addr + ":" + std::to_string(port) + "/health";
  h.checks.push_back(c);
  rs::conf::HealthCheckConfig::Check missing = c;  // a second check: 404 -> expect 404 passes
  missing.target = "http://" + addr + ":" + std::to_string(port) + "/nope";
  missing.expect = 404;
  h.checks.push_back(missing);
  h.withdraw_on_down = true;
  RecordingSink sink;
  std::string err;
  HealthCheck hc(io, h, sink, IpAddress::v4(0x0a000001), err);
  REQUIRE(err.empty());
  hc.start();
  REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));
  CHECK(hc.view().state == HealthState::Up);
  CHECK(sink.routes.begin()->second.next_hop == *IpAddress::parse("192.0.2.10"));
  const int announces = sink.announces;
  // Stable: more runs, no more announcements.
  const uint64_t runs = hc.view().runs;
  REQUIRE(run_until(io, [&] { return hc.view().runs >= runs + 5; }));
  CHECK(sink.announces == announces);

  srv.stop();
  REQUIRE(run_until(io, [&] { return !sink.med("203.0.113.10/32"); }));
  CHECK(hc.view().state == HealthState::Down);
  CHECK(hc.view().probes[0].output.find("connect") != std::string::npos);

  srv.start(addr, port, dir);
  REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));

  // Half the checks failing: partial score, base + 50.
  fs::remove(dir / "health");
  REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 150u; }));
  CHECK(hc.view().score == Score::Partial);
  hc.stop();
  srv.stop();
  fs::remove_all(dir);
}

TEST_CASE("maintenance on/off, drain, and both survive a restart through the state file") {
  fs::path dir = temp_dir();
  rs::conf::Config cfg;
  cfg.router_id = *IpAddress::parse("10.0.0.1");
  cfg.health.state_file = (dir / "state.db").string();
  cfg.health.startup_hold = rs::conf::Duration::seconds(5);
  auto h = base_check("svc");
  h.checks.push_back(command("/bin/true"));
  cfg.healthchecks.push_back(h);
  {
    boost::asio::io_context io;
    RecordingSink sink;
    HealthManager m(io, cfg, sink);
    bool ready = false;
    CHECK(m.start([&] { ready = true; }).empty());
    REQUIRE(run_until(io, [&] { return ready && sink.med("203.0.113.10/32") == 100u; }));
    CHECK(m.maintenance("svc", true).empty());
    CHECK(sink.med("203.0.113.10/32") == 500u);  // disabled MED at once
    CHECK(m.health("svc")->state == HealthState::Disabled);
    CHECK(m.maintenance("nope", true) == "no healthcheck named 'nope'");
    m.stop();
  }
  {
    // Restart under maintenance: the service is never announced as up.
    boost::asio::io_context io;
    RecordingSink sink;
    HealthManager m(io, cfg, sink);
    bool ready = false;
    CHECK(m.start([&] { ready = true; }).empty());
    CHECK(sink.med("203.0.113.10/32") == 500u);
    io.run_for(200ms);
    CHECK(ready);
    CHECK(sink.med("203.0.113.10/32") == 500u);
    CHECK(sink.announces == 1);
    CHECK(m.maintenance("svc", false).empty());
    REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));

    // Drain: MED rising stepwise to the down MED, then withdrawn.
    std::vector<uint32_t> meds;
    CHECK(m.drain("svc", 400, 4).empty());
    REQUIRE(run_until(io, [&] {
      auto med = sink.med("203.0.113.10/32");
      if (med && (meds.empty() || meds.back() != *med)) meds.push_back(*med);
      return !med.has_value();
    }));
    CHECK(meds == std::vector<uint32_t>{325, 550, 775, 1000});
    CHECK(m.health("svc")->drained);
    m.stop();
  }
  {
    // Restart while drained: stays withdrawn; undrain brings it back.
    boost::asio::io_context io;
    RecordingSink sink;
    HealthManager m(io, cfg, sink);
    CHECK(m.start(nullptr).empty());
    io.run_for(200ms);
    CHECK_FALSE(sink.med("203.0.113.10/32"));
    CHECK(m.undrain("svc").empty());
    REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));
    // disable: checks stop and the routes go; enable: back from INIT.
    CHECK(m.set_enabled("svc", false).empty());
    CHECK_FALSE(sink.med("203.0.113.10/32"));
    CHECK(m.health("svc")->disabled);
    CHECK(m.set_enabled("svc", true).empty());
    REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));
    m.stop();
  }
  fs::remove_all(dir);
}

TEST_CASE("the ExaBGP wiki's HA health-check script runs under a process block") {
  boost::asio::io_context io;
  fs::path dir = temp_dir();
  const fs::path flag = dir / "service-up";
  rs::conf::ProcessConfig pc;
  pc.name = "ha";
  pc.run = std::string("python3 ") + RSD_SOURCE_DIR + "/tests/interop/ha_healthcheck.py --flag " +
           flag.string() + " --prefix 203.0.113.20/32 --interval 0.05";
  pc.next_hop = *IpAddress::parse("192.0.2.20");
  RecordingSink sink;
  Process p(io, pc, sink, *IpAddress::parse("10.0.0.1"));
  p.start();
  const char* route = "203.0.113.20/32";
  // Service down: the script withdraws (nothing announced).
  REQUIRE(run_until(io, [&] { return p.view().commands >= 1; }));
  CHECK_FALSE(sink.med(route));
  std::ofstream(flag) << "";
  REQUIRE(run_until(io, [&] { return sink.med(route).has_value(); }));
  CHECK(sink.routes.begin()->second.next_hop == *IpAddress::parse("192.0.2.20"));
  CHECK(*sink.med(route) == 100);
  fs::remove(flag);
  REQUIRE(run_until(io, [&] { return !sink.med(route); }));
  CHECK(p.view().malformed == 0);
  // The program dies: its routes go, it is restarted.
  std::ofstream(flag) << "";
  REQUIRE(run_until(io, [&] { return sink.med(route).has_value(); }));
  const int pid = p.view().pid;
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  REQUIRE(run_until(io, [&] { return p.view().exits == 1; }));
  CHECK_FALSE(sink.med(route));
  REQUIRE(run_until(
      io, [&] { return p.view().starts == 2 && sink.med(route).has_value(); }, 15s));
  p.stop();
  CHECK_FALSE(sink.med(route));
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  fs::remove_all(dir);
}

TEST_CASE("failover accounting: verdict -> first UPDATE handed to each peer") {
  rs::conf::Config cfg;
  cfg.router_id = *IpAddress::parse("10.0.0.1");
  auto h = base_check("svc");
  h.checks.push_back(command("/bin/true"));
  cfg.healthchecks.push_back(h);
  boost::asio::io_context io;
  RecordingSink sink;
  HealthManager m(io, cfg, sink);
  CHECK(m.start(nullptr).empty());
  m.on_export("edge1");  // nothing pending yet: no sample
  CHECK(m.failovers("svc").empty());
  REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));
  std::this_thread::sleep_for(2ms);
  m.on_export("edge1");
  m.on_export("edge1");  // only the first hand-off after the verdict counts
  m.on_export("edge2");
  auto s = m.failovers("svc");
  REQUIRE(s.size() == 2);
  CHECK(s[0].peer == "edge1");
  CHECK(s[1].peer == "edge2");
  CHECK(s[0].latency_us >= 2000);
  CHECK(s[0].latency_us < 5000000);
  CHECK(m.ready());
  m.stop();
}

TEST_CASE("process: shell block, acks on stdin, keep routes after an exit") {
  boost::asio::io_context io;
  fs::path dir = temp_dir();
  const std::string marker = (dir / "ran").string(), acks = (dir / "acks").string();
  rs::conf::ProcessConfig pc;
  pc.name = "sh";
  // First run: announce, one bad line, record the two answers, exit. Later runs: stay quiet.
  pc.shell =
      "if [ -e " + marker + " ]; then exec sleep 100; fi; touch " + marker +
      "; echo 'announce route 198.51.100.0/24 next-hop self'; echo 'bogus line'; echo oops >&2;"
      " read a; read b; echo \"$a $b\" > " +
      acks + "; exit 3";
  pc.keep_routes = rs::conf::Duration::millis(1500);
  RecordingSink sink;
  std::ostringstream log;
  auto prev = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  Process p(io, pc, sink, *IpAddress::parse("10.0.0.1"));
  p.start();
  REQUIRE(run_until(io, [&] { return p.view().exits == 1; }));
  // stderr is read on its own pipe: give it until the line shows up.
  (void)run_until(
      io, [&] { return log.str().find("stderr: oops") != std::string::npos; }, 2s);
  spdlog::set_default_logger(prev);
  // stderr and the malformed line (with its text and column) reach the log.
  CHECK(log.str().find("process sh stderr: oops") != std::string::npos);
  CHECK(log.str().find("malformed line 'bogus line': unknown command 'bogus'") !=
        std::string::npos);
  std::string answers;
  std::getline(std::ifstream(acks), answers);
  CHECK(answers == "done error");
  CHECK(p.view().last_exit == "exit 3");
  CHECK(p.view().malformed == 1);
  // Kept after the exit...
  const auto exited = std::chrono::steady_clock::now();
  CHECK(sink.routes.size() == 1);
  CHECK_FALSE(sink.routes.begin()->second.has(rs::rib::AttrType::Med));
  // ...restarted after 1 s (second run is quiet), withdrawn when keep routes ran out.
  REQUIRE(run_until(io, [&] { return sink.routes.empty(); }));
  CHECK(std::chrono::steady_clock::now() - exited >= 1400ms);
  CHECK(p.view().starts == 2);
  CHECK(p.view().running);
  p.stop();
  CHECK_FALSE(p.view().running);
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  fs::remove_all(dir);
}

TEST_CASE("disable file: maintenance while it exists; communities follow the state") {
  boost::asio::io_context io;
  fs::path dir = temp_dir();
  auto h = base_check("svc");
  h.checks.push_back(command("/bin/true"));
  h.disable_file = (dir / "maintenance").string();
  h.communities[0].communities = {65000u << 16 | 1};
  h.communities[2].communities = {65000u << 16 | 500};
  h.communities[2].large = {{65000, 0, 500}};
  RecordingSink sink;
  std::string err;
  HealthCheck hc(io, h, sink, IpAddress::v4(0x0a000001), err);
  hc.start();
  REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));
  auto comms = [&] { return sink.routes.begin()->second.communities.values; };
  CHECK(comms() == std::vector<uint32_t>{65000u << 16 | 1});
  std::ofstream(dir / "maintenance") << "";
  REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 500u; }));
  CHECK(comms() == std::vector<uint32_t>{65000u << 16 | 500});
  CHECK(sink.routes.begin()->second.large_communities.size() == 1);
  CHECK(hc.view().disable_file);
  CHECK(hc.view().state == HealthState::Disabled);
  fs::remove(dir / "maintenance");
  REQUIRE(run_until(io, [&] { return sink.med("203.0.113.10/32") == 100u; }));
  CHECK(comms() == std::vector<uint32_t>{65000u << 16 | 1});
  CHECK(sink.routes.begin()->second.large_communities.empty());
  hc.stop();
  fs::remove_all(dir);
}

TEST_CASE("flap hold-down through a running check: held at the down MED, released by its timer") {
  boost::asio::io_context io;
  fs::path dir = temp_dir();
  const std::string flag = (dir / "up").string();
  auto h = base_check("flappy");
  h.checks.push_back(command("/usr/bin/test -e " + flag));
  h.flap_count = 2;
  h.flap_window = rs::conf::Duration::seconds(10);
  h.flap_hold = rs::conf::Duration::millis(800);
  RecordingSink sink;
  std::string err;
  HealthCheck hc(io, h, sink, IpAddress::v4(0x0a000001), err);
  std::ofstream(flag) << "";
  hc.start();
  const char* route = "203.0.113.10/32";
  REQUIRE(run_until(io, [&] { return sink.med(route) == 100u; }));
  for (int i = 0; i < 2; ++i) {  // down, up, down, up: the third change is one too many
    fs::remove(flag);
    REQUIRE(run_until(io, [&] { return hc.view().state == HealthState::Down; }));
    std::ofstream(flag) << "";
    REQUIRE(run_until(io, [&] { return hc.view().state == HealthState::Up; }));
  }
  CHECK(hc.view().held_down);
  CHECK(sink.med(route) == 1000u);  // up, but held at the down MED
  REQUIRE(run_until(
      io, [&] { return sink.med(route) == 100u; }, 3s));
  CHECK_FALSE(hc.view().held_down);
  hc.stop();
  fs::remove_all(dir);
}

TEST_CASE("children inherit no descriptor but stdin, stdout and stderr") {
  boost::asio::io_context io;
  // A descriptor opened without O_CLOEXEC, as asio opens its sockets.
  const int leaky = ::open("/dev/null", O_RDONLY);
  REQUIRE(leaky >= 0);
  REQUIRE(::dup2(leaky, 77) == 77);
  std::string err;
  auto probe = make_probe(io, command("/bin/ls /proc/self/fd"), err);
  REQUIRE(probe);
  std::optional<CheckResult> res;
  probe->run(5000, [&](CheckResult r) { res = std::move(r); });
  REQUIRE(run_until(io, [&] { return res.has_value(); }));
  CHECK(res->ok);
  // ls lists 0, 1, 2 and the directory it reads (3); nothing of ours.
  const std::string out = res->output;
  CHECK(out.find("77") == std::string::npos);
  CHECK(out.find("\n" + std::to_string(leaky) + "\n") == std::string::npos);
  ::close(77);
  ::close(leaky);
}

TEST_CASE("reload: unchanged checks keep running, changed restart, removed withdraw, new start") {
  rs::conf::Config a;
  a.router_id = *IpAddress::parse("10.0.0.1");
  auto keep = base_check("keep");
  keep.checks.push_back(command("/bin/true"));
  auto change = base_check("change");
  change.routes[0].prefix = *Prefix::parse("203.0.113.11/32");
  change.checks.push_back(command("/bin/true"));
  auto gone = base_check("gone");
  gone.routes[0].prefix = *Prefix::parse("203.0.113.12/32");
  gone.checks.push_back(command("/bin/true"));
  a.healthchecks = {keep, change, gone};
  boost::asio::io_context io;
  RecordingSink sink;
  HealthManager m(io, a, sink);
  CHECK(m.start(nullptr).empty());
  REQUIRE(run_until(io, [&] { return sink.routes.size() == 3; }));
  const uint64_t keep_runs = m.health("keep")->runs;

  rs::conf::Config b = a;
  b.healthchecks[1].routes[0].med = 300;
  b.healthchecks.pop_back();
  auto added = base_check("added");
  added.routes[0].prefix = *Prefix::parse("203.0.113.13/32");
  added.checks.push_back(command("/bin/true"));
  b.healthchecks.push_back(added);
  CHECK(m.reconfigure(b).empty());
  CHECK_FALSE(sink.med("203.0.113.12/32"));  // removed: withdrawn at once
  // Changed: the old instance's route stays as it was until the new check has a verdict.
  CHECK(sink.med("203.0.113.11/32") == 100u);
  bool gap = false;
  REQUIRE(run_until(io, [&] {
    gap |= !sink.med("203.0.113.11/32");
    return sink.med("203.0.113.11/32") == 300u && sink.med("203.0.113.13/32") == 100u;
  }));
  CHECK_FALSE(gap);
  CHECK(sink.withdraws == 0);
  CHECK(sink.med("203.0.113.10/32") == 100u);
  // The same instance, still counting, and never re-announced (3 first + changed + added).
  REQUIRE(run_until(io, [&] { return m.health("keep")->runs > keep_runs + 3; }));
  CHECK(sink.announces == 5);
  CHECK_FALSE(m.health("gone"));
  CHECK(m.health("added"));
  m.stop();
}

TEST_CASE("reload: any probe setting (body, Host, TLS, source address) restarts its check") {
  rs::conf::Config a;
  a.router_id = *IpAddress::parse("10.0.0.1");
  rs::conf::HealthCheckConfig::Check c;
  c.kind = rs::conf::HealthCheckConfig::Check::Kind::Http;
  c.target = "https://127.0.0.1:1/health";  // refused at once: each run is quick
  c.body = "OK";
  auto web = base_check("web");
  web.checks.push_back(c);
  auto same = base_check("same");
  same.routes[0].prefix = *Prefix::parse("203.0.113.11/32");
  same.checks.push_back(c);
  a.healthchecks = {web, same};
  boost::asio::io_context io;
  RecordingSink sink;
  HealthManager m(io, a, sink);
  CHECK(m.start(nullptr).empty());
  using Check = rs::conf::HealthCheckConfig::Check;
  const std::vector<std::pair<const char*, std::function<void(Check&)>>> changes = {
      {"body", [](Check& x) { x.body = "READY"; }},
      {"host", [](Check& x) { x.host_header = "web.example"; }},
      {"server name", [](Check& x) { x.tls.server_name = "web.example"; }},
      {"insecure", [](Check& x) { x.tls.insecure = true; }},
      {"source address", [](Check& x) { x.source_address = *IpAddress::parse("127.0.0.1"); }},
      {"address", [](Check& x) { x.connect_address = *IpAddress::parse("127.0.0.2"); }},
  };
  rs::conf::Config cur = a;
  for (const auto& change : changes) {
    const std::string what = change.first;
    INFO(what);
    REQUIRE(
        run_until(io, [&] { return m.health("web")->runs >= 2 && m.health("same")->runs >= 2; }));
    const uint64_t same_runs = m.health("same")->runs;
    change.second(cur.healthchecks[0].checks[0]);
    CHECK(m.reconfigure(cur).empty());
    CHECK(m.health("web")->runs == 0);           // a new instance with the new setting
    CHECK(m.health("same")->runs >= same_runs);  // untouched
  }
  m.stop();
}

TEST_CASE("reload of a changed process block: its routes stay until the new program reports") {
  rs::conf::Config a;
  a.router_id = *IpAddress::parse("10.0.0.1");
  rs::conf::ProcessConfig pc;
  pc.name = "svc";
  pc.shell = "echo 'announce route 198.51.100.0/24 next-hop self med 100'; exec sleep 100";
  a.processes = {pc};
  boost::asio::io_context io;
  RecordingSink sink;
  HealthManager m(io, a, sink);
  CHECK(m.start(nullptr).empty());
  REQUIRE(run_until(io, [&] { return sink.med("198.51.100.0/24") == 100u; }));
  // The new program reports after a while: until then the old routes stay, never withdrawn.
  rs::conf::Config b = a;
  b.processes[0].shell =
      "sleep 0.3; echo 'announce route 198.51.100.0/24 next-hop self med 200'; exec sleep 100";
  CHECK(m.reconfigure(b).empty());
  bool gap = false;
  REQUIRE(run_until(io, [&] {
    gap |= !sink.med("198.51.100.0/24");
    return sink.med("198.51.100.0/24") == 200u;
  }));
  CHECK_FALSE(gap);
  CHECK(sink.withdraws == 0);
  m.stop();
}
