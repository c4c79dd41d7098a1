// Interop with a real BIRD 2 (Debian bird2): the session reaches Established both when BIRD
// connects and when rsd connects, and BIRD's static routes arrive in on_update. BIRD runs on a
// loopback address and a non-179 port, in the foreground as a child of this test, and is always
// stopped by its PID. Skipped when /usr/sbin/bird is not installed.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "session_test_util.hpp"

extern char** environ;

using namespace rs;
using namespace rs::bgp;
using namespace rs::bgp::test;

namespace {

namespace fs = std::filesystem;
constexpr const char* kBird = "/usr/sbin/bird";

struct Quiet {
  Quiet() { spdlog::set_level(spdlog::level::warn); }
} quiet;

// A BIRD process in a temporary directory; stopped (SIGTERM, then SIGKILL) by PID.
class Bird {
 public:
  // `config` gets the directory where BIRD's files (config, log, socket, pid) go.
  explicit Bird(const std::function<std::string(const fs::path&)>& config) {
    char tmpl[] = "/tmp/rsd-bird-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "bird.conf") << config(dir_);
    std::string conf = (dir_ / "bird.conf").string(), sock = (dir_ / "bird.ctl").string(),
                pid = (dir_ / "bird.pid").string();
    std::vector<std::string> args = {kBird, "-f", "-c", conf, "-s", sock, "-P", pid};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(::posix_spawn(&pid_, kBird, nullptr, nullptr, argv.data(), environ) == 0);
  }
  ~Bird() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      bool gone = false;
      for (int i = 0; i < 200 && !gone; ++i) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_)
          gone = true;
        else
          ::usleep(10000);
      }
      if (!gone) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string log() const {
    std::ifstream f(dir_ / "bird.log");
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  bool running() { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
};

// A port free on `addr` right now (BIRD binds it a moment later).
uint16_t free_port(const rib::IpAddress& addr) {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(to_asio(addr), 0));
  return a.local_endpoint().port();
}

std::string bird_config(const fs::path& dir, uint16_t bird_port, uint16_t rsd_port, bool passive) {
  std::ostringstream c;
  c << "router id 10.0.0.3;\n"
    << "log \"" << (dir / "bird.log").string() << "\" all;\n"
    << "debug protocols all;\n"
    << "protocol device {}\n"
    << "protocol static s4 { ipv4; route 10.20.0.0/24 blackhole; route 10.20.1.0/24 blackhole; }\n"
    << "protocol bgp rsd {\n"
    << "  local 127.0.0.3 port " << bird_port << " as 65003;\n"
    << "  neighbor 127.0.0.2 port " << rsd_port << " as 65000;\n"
    << "  strict bind yes;\n"
    << "  multihop 2;\n"
    << "  hold time 30;\n"
    << "  connect delay time 1;\n"
    << "  connect retry time 2;\n"
    << "  error wait time 1, 2;\n"
    << (passive ? "  passive on;\n" : "") << "  ipv4 { import all; export all; };\n"
    << "}\n";
  return c.str();
}

void run_interop(bool bird_connects) {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
  uint16_t bird_port = free_port(ip("127.0.0.3"));
  Bird bird([&](const fs::path& dir) {
    return bird_config(dir, bird_port, listener.port(), !bird_connects);
  });

  RecordingHandler h;
  // The initial export is empty: End-of-RIB at once (RFC 4724 2).
  h.filler = [](Peer&, std::vector<uint8_t>& out, std::size_t) {
    wire::encode_end_of_rib(wire::kIpv4Unicast, out);
    return false;
  };
  PeerConfig c = test_config("bird", 65000, 0x01010102, ip("127.0.0.3"), bird_port, 65003);
  c.local_address = ip("127.0.0.2");
  c.passive = bird_connects;
  c.connect_retry_time = 300ms;  // BIRD may not listen yet
  Peer peer(io, c, h);
  listener.add_peer(peer);
  peer.start();

  bool up = run_until(
      io, [&] { return peer.established(); }, 10000ms);
  if (!up) MESSAGE("BIRD log:\n", bird.log(), "\nlast error: ", peer.last_error().reason);
  REQUIRE(up);
  CHECK(bird.running());
  CHECK(peer.negotiated()->peer_as == 65003);
  CHECK(peer.negotiated()->negotiated.four_octet_as);
  CHECK(peer.negotiated()->peer_bgp_id == 0x0a000003);
  // Who connected: BIRD's source port is ephemeral when it connects, its listen port otherwise.
  REQUIRE(peer.remote_endpoint());
  if (bird_connects)
    CHECK(peer.local_endpoint()->port() == listener.port());
  else
    CHECK(peer.remote_endpoint()->port() == bird_port);
  REQUIRE(run_until(
      io, [&] { return h.announced.size() >= 2; }, 10000ms));
  std::vector<rib::Prefix> got;
  for (const auto& n : h.announced) got.push_back(n.prefix);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<rib::Prefix>{pfx("10.20.0.0/24"), pfx("10.20.1.0/24")});
  CHECK(h.treat_as_withdraw == 0);
  // Stop with a shutdown message; BIRD logs it.
  peer.stop(wire::subcode::kAdministrativeShutdown, "rsd test done");
  CHECK(run_until(
      io, [&] { return bird.log().find("rsd test done") != std::string::npos; }, 3000ms));
  listener.remove_peer(peer);
}

}  // namespace

TEST_CASE("BIRD 2 interop: BIRD connects to rsd") {
  if (::access(kBird, X_OK) != 0) {
    MESSAGE("bird not installed; skipped");
    return;
  }
  run_interop(true);
}

TEST_CASE("BIRD 2 interop: rsd connects to BIRD") {
  if (::access(kBird, X_OK) != 0) {
    MESSAGE("bird not installed; skipped");
    return;
  }
  run_interop(false);
}
