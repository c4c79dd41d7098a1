// Probes for the built-in checks. Design: each probe owns its asio objects and a generation
// counter; a timeout timer and the I/O race, the first to finish reports and bumps the generation
// so the loser's callback is ignored. Commands run through Child (no shell, own process group,
// killed with SIGKILL to the group at the timeout, reaped by pidfd). Output is capped at 4 KiB.
#include "rs/health/checks.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "rs/health/child.hpp"
#include "rs/health/net_probe.hpp"

namespace rs::health {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxOutput = 4096;

uint64_t ms_since(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
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

}  // namespace

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
    case Kind::Http:
    case Kind::Tcp:
      return make_net_probe(io, c, error);
  }
  error = "unknown check kind";
  return nullptr;
}

}  // namespace rs::health
