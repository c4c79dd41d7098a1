// Process supervisor for the ExaBGP API. Design: Child spawns the argv (`shell` becomes
// /bin/sh -c TEXT, the only way a shell is involved) in its own process group; stdout is read in
// lines (at most 64 KiB; a longer one is dropped as malformed), each parsed by parse_api_command
// and applied to this process's route source. `next-hop self` = the block's `next hop`, else the
// router id. Acks are queued and written asynchronously so a program that never reads its stdin
// cannot block the daemon (the queue is capped). The exit is reaped by Child (pidfd + waitpid);
// its routes become stale: withdrawn now, or after `keep routes` unless the next run announces them
// again. Restart delays double from 1 s up to 60 s and reset once a run lived 60 s.
// For the startup hold a process settles once: after its first valid command when nothing more
// waits in the pipe (the end of that burst), or when its first run ends. A line that changes a
// route reports its read time (on_change) for failover accounting.
#include "rs/health/process.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "rs/health/healthcheck.hpp"

namespace rs::health {

namespace {
// Log-safe text: control bytes and non-ASCII as \xNN, at most 200 characters.
std::string printable(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
  }
  return out;
}
constexpr std::size_t kMaxAcks = 1024;
constexpr uint64_t kMaxBackoffMs = 60000;
constexpr uint64_t kStableMs = 60000;
}  // namespace

uint64_t Process::backoff_ms(uint32_t n) {
  if (n == 0) return 0;
  uint64_t d = 1000;
  for (uint32_t i = 1; i < n && d < kMaxBackoffMs; ++i) d *= 2;
  return std::min(d, kMaxBackoffMs);
}

Process::Process(boost::asio::io_context& io, const conf::ProcessConfig& cfg, RouteSink& sink,
                 rib::IpAddress router_id)
    : io_(io),
      cfg_(cfg),
      sink_(sink),
      self_(cfg.next_hop.value_or(router_id)),
      restart_timer_(io),
      keep_timer_(io) {
  stats_.name = cfg.name;
}

Process::~Process() {
  *alive_ = false;
  child_.reset();  // SIGKILL to the group and reap
}

void Process::start() {
  if (!source_) source_ = sink_.add_source("process " + cfg_.name);
  stopping_ = false;
  launch();
}

void Process::launch() {
  if (stopping_) return;
  std::vector<std::string> argv;
  if (cfg_.shell)
    argv = {"/bin/sh", "-c", *cfg_.shell};
  else
    argv = split_argv(cfg_.run);
  ++gen_;
  child_ = std::make_unique<Child>(io_);
  out_buf_.consume(out_buf_.size());
  err_buf_.consume(err_buf_.size());
  acks_.clear();
  writing_ = false;
  const uint64_t gen = gen_;
  auto alive = alive_;
  exited_ = out_eof_ = false;
  // Resolved at each start: who runs it depends on the daemon's euid then (run_as.hpp).
  std::optional<SpawnIdentity> who;
  std::string err = resolve_run_as(cfg_.run_as, who);
  if (err.empty())
    err = child_->spawn(
        argv, true,
        [this, alive, gen](ExitStatus st) {
          if (!*alive || gen != gen_) return;
          // Lines still in the pipe belong to this run: handle the exit after stdout's EOF.
          exited_ = true;
          exit_status_ = st;
          if (out_eof_) on_exit(st);
        },
        who ? &*who : nullptr);
  started_ms_ = HealthCheck::steady_ms();
  if (!err.empty()) {
    // Logged by on_exit and shown as the last exit in `show health`.
    child_.reset();
    on_exit(ExitStatus{127, 0, err});
    return;
  }
  ++stats_.starts;
  spdlog::info("process {}: started pid {}{}", cfg_.name, child_->pid(),
               who ? " as " + who->describe : std::string());
  read_stdout();
  read_stderr();
}

void Process::read_stdout() {
  auto alive = alive_;
  const uint64_t gen = gen_;
  boost::asio::async_read_until(
      child_->out(), out_buf_, '\n',
      [this, alive, gen](const boost::system::error_code& ec, std::size_t n) {
        if (!*alive || gen != gen_) return;
        if (ec == boost::asio::error::not_found) {  // a line longer than the buffer
          ++stats_.malformed;
          stats_.last_error = "line longer than 64 KiB dropped";
          spdlog::warn("process {}: {}", cfg_.name, stats_.last_error);
          out_buf_.consume(out_buf_.size());
          return read_stdout();
        }
        if (ec) {                 // EOF (or error): the run is over once the child was reaped too
          if (out_buf_.size()) {  // a last line without its newline still counts
            std::string last(boost::asio::buffers_begin(out_buf_.data()),
                             boost::asio::buffers_end(out_buf_.data()));
            out_buf_.consume(out_buf_.size());
            while (!last.empty() && last.back() == '\r') last.pop_back();
            if (!last.empty()) {
              ++stats_.lines;
              (void)apply_line(last);
            }
          }
          out_eof_ = true;
          if (exited_) on_exit(exit_status_);
          return;
        }
        std::string line(boost::asio::buffers_begin(out_buf_.data()),
                         boost::asio::buffers_begin(out_buf_.data()) + n);
        out_buf_.consume(n);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        if (!line.empty()) {
          ++stats_.lines;
          const bool ok = apply_line(line);
          if (cfg_.ack) ack(ok);
          if (ok && out_buf_.size() == 0) settle();  // the end of a burst
        }
        read_stdout();
      });
}

void Process::read_stderr() {
  auto alive = alive_;
  const uint64_t gen = gen_;
  boost::asio::async_read_until(
      child_->err(), err_buf_, '\n',
      [this, alive, gen](const boost::system::error_code& ec, std::size_t n) {
        if (!*alive || gen != gen_) return;
        if (ec == boost::asio::error::not_found) {
          err_buf_.consume(err_buf_.size());
          return read_stderr();
        }
        if (ec) return;
        std::string line(boost::asio::buffers_begin(err_buf_.data()),
                         boost::asio::buffers_begin(err_buf_.data()) + n);
        err_buf_.consume(n);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        spdlog::warn("process {} stderr: {}", cfg_.name, printable(line));
        read_stderr();
      });
}

void Process::settle() {
  if (settled_) return;
  settled_ = true;
  if (on_settled) on_settled();
}

bool Process::apply_line(std::string_view line) {
  const auto read_at = std::chrono::steady_clock::now();
  bool changed = false;
  auto r = parse_api_command(line);
  if (!r.ok()) {
    ++stats_.malformed;
    stats_.last_error = "'" + printable(line) + "': " + printable(r.error().message) + " (column " +
                        std::to_string(r.error().column + 1) + ")";
    spdlog::warn("process {}: malformed line {}", cfg_.name, stats_.last_error);
    return false;
  }
  ++stats_.commands;
  ApiCommand& c = *r;
  switch (c.kind) {
    case ApiCommand::Kind::Announce: {
      rib::AttrBuilder b = c.attrs;
      if (c.next_hop_self) b.set_next_hop(self_);
      if (!b.has(rib::AttrType::Origin)) b.set_origin(rib::Origin::Igp);
      if (!b.has(rib::AttrType::AsPath)) b.set_present(rib::AttrType::AsPath);
      for (const auto& rt : c.routes) {
        const Key k{rt.prefix, rt.path_id};
        stale_.erase(k);
        auto it = routes_.find(k);
        if (it != routes_.end() && it->second == b) continue;  // unchanged: nothing to send
        routes_[k] = b;
        sink_.announce(source_, rt.prefix, b, rt.path_id);
        changed = true;
      }
      break;
    }
    case ApiCommand::Kind::Withdraw:
      for (const auto& rt : c.routes) {
        const Key k{rt.prefix, rt.path_id};
        stale_.erase(k);
        if (routes_.erase(k)) {
          sink_.withdraw(source_, rt.prefix, rt.path_id);
          changed = true;
        }
      }
      break;
    case ApiCommand::Kind::EndOfRib:
    case ApiCommand::Kind::Ignored:
      break;
  }
  if (changed && on_change) on_change(read_at);
  return true;
}

void Process::ack(bool ok) {
  if (!child_ || !child_->in().is_open()) return;
  if (acks_.size() >= kMaxAcks) return;  // the program does not read its stdin: drop, never block
  acks_.push_back(ok ? "done\n" : "error\n");
  write_next();
}

void Process::write_next() {
  if (writing_ || acks_.empty() || !child_ || !child_->in().is_open()) return;
  writing_ = true;
  auto alive = alive_;
  const uint64_t gen = gen_;
  boost::asio::async_write(child_->in(), boost::asio::buffer(acks_.front()),
                           [this, alive, gen](const boost::system::error_code& ec, std::size_t) {
                             if (!*alive || gen != gen_) return;
                             writing_ = false;
                             if (ec) {
                               acks_.clear();
                               return;
                             }
                             acks_.pop_front();
                             write_next();
                           });
}

void Process::on_exit(ExitStatus st) {
  ++stats_.exits;
  stats_.last_exit = st.to_string();
  const uint64_t lived = HealthCheck::steady_ms() - started_ms_;
  if (stopping_) return;
  if (!st.reason.empty())
    spdlog::error("process {}: {}", cfg_.name, st.reason);
  else
    spdlog::warn("process {}: {} after {} ms", cfg_.name, st.to_string(), lived);
  // Its routes are stale now.
  for (const auto& [k, b] : routes_) stale_[k] = b;
  routes_.clear();
  if (cfg_.keep_routes && cfg_.keep_routes->us > 0) {
    keep_timer_.expires_after(std::chrono::microseconds(cfg_.keep_routes->us));
    auto alive = alive_;
    keep_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
      if (!*alive || ec) return;
      flush_stale();
    });
  } else {
    flush_stale();
  }
  settle();  // a program that ended has said all it will say in this run (its routes handled first)
  quick_exits_ = lived >= kStableMs ? 1 : quick_exits_ + 1;
  delay_ms_ = backoff_ms(quick_exits_);
  stats_.next_restart_ms = delay_ms_;
  restart_timer_.expires_after(std::chrono::milliseconds(delay_ms_));
  auto alive = alive_;
  restart_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    // Keep the old child's pipes until now; a new launch replaces them.
    launch();
  });
}

void Process::flush_stale() {
  for (const auto& [k, _] : stale_) {
    // A route re-announced by the next run was taken out of stale_ (and lives in routes_).
    if (!routes_.count(k)) sink_.withdraw(source_, k.first, k.second);
  }
  stale_.clear();
}

void Process::stop(bool keep_routes) {
  stopping_ = true;
  restart_timer_.cancel();
  keep_timer_.cancel();
  if (child_) child_->terminate(1000);
  ++gen_;
  child_.reset();
  if (keep_routes) return;
  for (const auto& [k, _] : routes_) sink_.withdraw(source_, k.first, k.second);
  for (const auto& [k, _] : stale_) sink_.withdraw(source_, k.first, k.second);
  routes_.clear();
  stale_.clear();
}

ProcessView Process::view() const {
  ProcessView v = stats_;
  v.running = child_ && child_->running();
  v.pid = v.running ? child_->pid() : -1;
  v.routes = routes_.size();
  v.settled = settled_;
  auto add = [&](const Key& k, const rib::AttrBuilder* b, bool stale) {
    ProcessView::RouteView rv;
    rv.prefix = k.first;
    rv.path_id = k.second;
    rv.stale = stale;
    if (b) {
      if (b->has(rib::AttrType::Med)) rv.med = b->med;
      rv.next_hop = b->next_hop;
    }
    v.route_list.push_back(rv);
  };
  for (const auto& [k, b] : routes_) add(k, &b, false);
  for (const auto& [k, b] : stale_)
    if (!routes_.count(k)) add(k, &b, true);
  std::sort(v.route_list.begin(), v.route_list.end(), [](const auto& a, const auto& b) {
    return a.prefix < b.prefix || (a.prefix == b.prefix && a.path_id < b.path_id);
  });
  return v;
}

}  // namespace rs::health
