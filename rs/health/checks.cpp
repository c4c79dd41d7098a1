// Probes for the built-in checks. Design: each probe owns its asio objects and a generation
// counter; a timeout timer and the I/O race, the first to finish reports and bumps the generation
// so the loser's callback is ignored. Commands run through Child (no shell, own process group,
// killed with SIGKILL to the group at the timeout, reaped by pidfd). Output is capped at 4 KiB.
#include "rs/health/checks.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>

#include "rs/health/child.hpp"

namespace rs::health {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxOutput = 4096;

uint64_t ms_since(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

boost::asio::ip::address to_asio(const rib::IpAddress& a) {
  return boost::asio::ip::make_address(a.to_string());
}

class CommandProbe final : public Probe {
 public:
  CommandProbe(boost::asio::io_context& io, std::vector<std::string> argv, std::string text,
               conf::RunAs run_as)
      : io_(io),
        argv_(std::move(argv)),
        text_(std::move(text)),
        run_as_(std::move(run_as)),
        timer_(io) {}
  ~CommandProbe() override { *alive_ = false; }

  void run(uint64_t timeout_ms, Done done) override {
    done_ = std::move(done);
    output_.clear();
    started_ = Clock::now();
    timed_out_ = false;
    exited_ = false;
    open_streams_ = 2;
    child_ = std::make_unique<Child>(io_);
    auto alive = alive_;
    // Resolved at each run: who runs it depends on the daemon's euid then (run_as.hpp).
    std::optional<SpawnIdentity> who;
    std::string err = resolve_run_as(run_as_, who);
    if (err.empty())
      err = child_->spawn(
          argv_, false,
          [this, alive](ExitStatus st) {
            if (!*alive) return;
            exited_ = true;
            status_ = st;
            maybe_finish();
          },
          who ? &*who : nullptr);
    if (!err.empty()) {
      // A program that cannot start (a user rsd cannot become, a missing file) is a
      // configuration problem: logged as an error once, not at every run; the result carries it.
      if (err != spawn_error_) spdlog::error("{}: {}", describe(), err);
      spawn_error_ = err;
      child_.reset();
      finish(CheckResult{false, err, 0, false});
      return;
    }
    spawn_error_.clear();
    read(child_->out());
    read(child_->err());
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([this, alive](const boost::system::error_code& ec) {
      if (!*alive || ec || !child_) return;
      timed_out_ = true;
      child_->kill_group(SIGKILL);
    });
  }
  std::string describe() const override { return "command \"" + text_ + "\""; }

 private:
  void read(boost::asio::posix::stream_descriptor& s) {
    auto alive = alive_;
    const uint64_t g = run_gen_;
    s.async_read_some(boost::asio::buffer(buf_),
                      [this, alive, g, &s](const boost::system::error_code& ec, std::size_t n) {
                        if (!*alive || g != run_gen_) return;  // a finished run: `s` may be gone
                        if (ec) {
                          boost::system::error_code ignore;
                          s.close(ignore);
                          --open_streams_;
                          maybe_finish();
                          return;
                        }
                        if (output_.size() < kMaxOutput)
                          output_.append(buf_.data(), std::min(n, kMaxOutput - output_.size()));
                        read(s);
                      });
  }
  // Done when the child was reaped and both pipes reached EOF (or the group was killed).
  void maybe_finish() {
    if (!exited_ || (open_streams_ > 0 && !timed_out_)) return;
    timer_.cancel();
    CheckResult r;
    r.ok = !timed_out_ && status_.ok();
    r.timed_out = timed_out_;
    r.duration_ms = ms_since(started_);
    while (!output_.empty() && (output_.back() == '\n' || output_.back() == '\r'))
      output_.pop_back();
    r.output = timed_out_ ? "timed out, process group killed" : status_.to_string();
    if (!output_.empty()) r.output += ": " + output_;
    // Close the pipes now (a process that left the group may still hold the write ends); the
    // cancelled reads see a new run generation and touch nothing.
    ++run_gen_;
    child_.reset();
    finish(std::move(r));
  }
  void finish(CheckResult r) {
    auto d = std::move(done_);
    done_ = nullptr;
    if (d) d(std::move(r));
  }

  boost::asio::io_context& io_;
  std::vector<std::string> argv_;
  std::string text_;
  conf::RunAs run_as_;
  std::string spawn_error_;  // the last start failure, logged once
  boost::asio::steady_timer timer_;
  std::unique_ptr<Child> child_;
  Done done_;
  std::string output_;
  std::array<char, 1024> buf_{};
  Clock::time_point started_;
  bool timed_out_ = false, exited_ = false;
  int open_streams_ = 0;
  uint64_t run_gen_ = 0;
  ExitStatus status_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// TCP connect, and HTTP GET on top of it.
class NetProbe final : public Probe {
 public:
  NetProbe(boost::asio::io_context& io, rib::IpAddress addr, uint16_t port,
           std::optional<HttpUrl> http, uint32_t expect)
      : io_(io), addr_(addr), port_(port), http_(std::move(http)), expect_(expect), timer_(io) {}
  ~NetProbe() override { *alive_ = false; }

  void run(uint64_t timeout_ms, Done done) override {
    done_ = std::move(done);
    started_ = Clock::now();
    ++gen_;
    const uint64_t g = gen_;
    sock_ = std::make_unique<boost::asio::ip::tcp::socket>(io_);
    response_.clear();
    auto alive = alive_;
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([this, alive, g](const boost::system::error_code& ec) {
      if (!*alive || ec || g != gen_) return;
      finish(false, "timed out", true);
    });
    boost::asio::ip::tcp::endpoint ep(to_asio(addr_), port_);
    sock_->async_connect(ep, [this, alive, g](const boost::system::error_code& ec) {
      if (!*alive || g != gen_) return;
      if (ec) return finish(false, "connect: " + ec.message(), false);
      if (!http_) return finish(true, "connected", false);
      request_ = "GET " + http_->path + " HTTP/1.0\r\nHost: " + http_->host +
                 "\r\nUser-Agent: rsd-healthcheck\r\nConnection: close\r\n\r\n";
      boost::asio::async_write(*sock_, boost::asio::buffer(request_),
                               [this, alive, g](const boost::system::error_code& ec2, std::size_t) {
                                 if (!*alive || g != gen_) return;
                                 if (ec2) return finish(false, "write: " + ec2.message(), false);
                                 read_status(g);
                               });
    });
  }
  std::string describe() const override {
    if (http_) return "http " + http_->host + ":" + std::to_string(http_->port) + http_->path;
    return "tcp " + addr_.to_string() + " port " + std::to_string(port_);
  }

 private:
  void read_status(uint64_t g) {
    auto alive = alive_;
    sock_->async_read_some(
        boost::asio::buffer(buf_),
        [this, alive, g](const boost::system::error_code& ec, std::size_t n) {
          if (!*alive || g != gen_) return;
          response_.append(buf_.data(), n);
          if (!ec && !http_status_line_complete(response_)) return read_status(g);
          HttpStatus status = parse_http_status(response_);
          if (status.code == 0)
            return finish(false, ec ? "read: " + ec.message() : "not an HTTP response", false);
          finish(status.code == expect_, std::move(status.line), false);
        });
  }
  void finish(bool ok, std::string output, bool timed_out) {
    ++gen_;
    timer_.cancel();
    boost::system::error_code ignore;
    if (sock_) sock_->close(ignore);
    CheckResult r{ok, std::move(output), ms_since(started_), timed_out};
    auto d = std::move(done_);
    done_ = nullptr;
    if (d) d(std::move(r));
  }

  boost::asio::io_context& io_;
  rib::IpAddress addr_;
  uint16_t port_;
  std::optional<HttpUrl> http_;
  uint32_t expect_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<boost::asio::ip::tcp::socket> sock_;
  std::string request_, response_;
  std::array<char, 1024> buf_{};
  Done done_;
  Clock::time_point started_;
  uint64_t gen_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

bool http_status_line_complete(std::string_view received) {
  return received.find('\n') != std::string_view::npos || received.size() >= kMaxHttpStatusRead;
}

HttpStatus parse_http_status(std::string_view received) {
  std::string_view line = received.substr(0, kMaxHttpStatusRead);
  line = line.substr(0, line.find('\n'));
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  HttpStatus s;
  // status-line = "HTTP/" DIGIT "." DIGIT SP 3DIGIT [SP reason-phrase] (RFC 9112 4; "HTTP/2"
  // without the minor digit too); a fourth digit or any other byte after the code is not a
  // status (an "HTTP/1.1 2000" must not pass for 200).
  auto digit = [&](std::size_t i) { return i < line.size() && line[i] >= '0' && line[i] <= '9'; };
  std::size_t p = 5;
  if (line.substr(0, 5) == "HTTP/" && digit(p)) {
    ++p;
    if (p + 1 < line.size() && line[p] == '.' && digit(p + 1)) p += 2;
    // RFC 9110 15: the first digit is the class, 1 to 5.
    if (p < line.size() && line[p] == ' ' && digit(p + 1) && line[p + 1] >= '1' &&
        line[p + 1] <= '5' && digit(p + 2) && digit(p + 3) &&
        (p + 4 == line.size() || line[p + 4] == ' '))
      s.code = static_cast<unsigned>((line[p + 1] - '0') * 100 + (line[p + 2] - '0') * 10 +
                                     (line[p + 3] - '0'));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      s.line += "\\x";
      s.line += kHex[u >> 4];
      s.line += kHex[u & 15];
    } else {
      s.line += c;
    }
  }
  return s;
}

std::unique_ptr<Probe> make_probe(boost::asio::io_context& io,
                                  const conf::HealthCheckConfig::Check& c, std::string& error,
                                  const conf::RunAs& run_as) {
  using Kind = conf::HealthCheckConfig::Check::Kind;
  switch (c.kind) {
    case Kind::Command: {
      auto argv = split_argv(c.target);
      if (argv.empty()) {
        error = "command \"" + c.target + "\" is empty or has an unterminated quote";
        return nullptr;
      }
      return std::make_unique<CommandProbe>(io, std::move(argv), c.target, run_as);
    }
    case Kind::Http: {
      auto u = parse_http_url(c.target);
      if (!u) {
        error = "URL \"" + c.target + "\" is not http://IP[:port]/path";
        return nullptr;
      }
      const auto addr = u->address;
      const auto port = u->port;
      return std::make_unique<NetProbe>(io, addr, port, std::move(u), c.expect);
    }
    case Kind::Tcp:
      return std::make_unique<NetProbe>(io, c.address, c.port, std::nullopt, 0);
  }
  error = "unknown check kind";
  return nullptr;
}

}  // namespace rs::health
