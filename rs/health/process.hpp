// A `process` block: a program speaking the ExaBGP text API on its stdout. Its routes are a route
// source of their own. The program runs as an argv (a shell only for `shell "..."`), stderr goes
// to the log, `done` / `error` answer each command on its stdin when `ack` is on, a malformed line
// is logged and counted, an exit withdraws its routes (after `keep routes` if set) and the
// program is restarted with exponential backoff (1 s doubling to 60 s; reset after 60 s of life).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "rs/health/child.hpp"
#include "rs/health/exabgp_api.hpp"
#include "rs/health/route_sink.hpp"

namespace rs::health {

struct ProcessView {
  std::string name;
  bool running = false;
  int pid = -1;
  uint64_t starts = 0, lines = 0, commands = 0, malformed = 0, exits = 0;
  std::string last_exit;
  std::string last_error;  // the last malformed line and why
  std::size_t routes = 0;
  uint64_t next_restart_ms = 0;  // backoff delay in force
  bool settled = false;          // has had its say for the startup hold (see Process::settled)
  struct RouteView {
    rib::Prefix prefix;
    uint32_t path_id = 0;
    std::optional<uint32_t> med;
    rib::IpAddress next_hop;
    bool stale = false;  // of an exited run, kept for `keep routes`
  };
  std::vector<RouteView> route_list;  // in prefix order
};

class Process {
 public:
  Process(boost::asio::io_context& io, const conf::ProcessConfig& cfg, RouteSink& sink,
          rib::IpAddress router_id);
  ~Process();

  void start();
  // Stops the program (SIGTERM to its group, SIGKILL after 1 s) and withdraws its routes, unless
  // `keep_routes`: a reload hands them over to the block's next instance, and this one's source is
  // removed once that has reported.
  void stop(bool keep_routes = false);
  ProcessView view() const;
  const std::string& name() const { return cfg_.name; }
  const conf::ProcessConfig& config() const { return cfg_; }
  RouteSink::Source source() const { return source_; }

  // Applies one API line (public for tests); returns false when malformed.
  bool apply_line(std::string_view line);

  // The startup hold waits for a process until it has had its say: it sent a valid command and
  // nothing more was waiting in its pipe (the end of its first burst), or its first run ended.
  bool settled() const { return settled_; }
  // Called once, when settled() becomes true.
  std::function<void()> on_settled;
  // Called when a line changed a route (announce with new attributes, withdraw of a held route);
  // the argument is the time the line was read: the process's verdict, for failover accounting.
  std::function<void(std::chrono::steady_clock::time_point)> on_change;

  // Backoff after the n-th consecutive quick exit (n >= 1): 1, 2, 4, ... 60 s.
  static uint64_t backoff_ms(uint32_t n);

 private:
  using Key = std::pair<rib::Prefix, uint32_t>;
  void launch();
  void read_stdout();
  void read_stderr();
  void on_exit(ExitStatus st);
  void ack(bool ok);
  void write_next();
  void flush_stale();
  void settle();

  boost::asio::io_context& io_;
  conf::ProcessConfig cfg_;
  RouteSink& sink_;
  RouteSink::Source source_ = nullptr;
  rib::IpAddress self_;
  std::unique_ptr<Child> child_;
  boost::asio::streambuf out_buf_{64 * 1024}, err_buf_{64 * 1024};
  boost::asio::steady_timer restart_timer_, keep_timer_;
  std::deque<std::string> acks_;
  bool writing_ = false;
  bool stopping_ = false;
  bool settled_ = false;
  bool exited_ = false, out_eof_ = false;
  ExitStatus exit_status_;
  uint32_t quick_exits_ = 0;
  uint64_t started_ms_ = 0, delay_ms_ = 0;
  uint64_t gen_ = 0;  // bumps per launch; stale handlers compare it
  std::map<Key, rib::AttrBuilder> routes_;
  std::map<Key, rib::AttrBuilder> stale_;  // routes of an exited run kept for `keep routes`
  ProcessView stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rs::health
