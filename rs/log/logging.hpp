// rsd's logger, built from the configuration's `log` statements (BIRD syntax):
//   log "FILE" [SIZE "BACKUP"] CLASSES;   log syslog [name NAME] CLASSES;   log stderr CLASSES;
// CLASSES is `all` or `{ debug, trace, info, remote, warning, error, auth, fatal, bug }`: each
// target gets exactly the classes it lists (log_class.hpp). No `log` statement: syslog with every
// class (BIRD's default); the foreground (-f) adds stderr with every class. The process-wide spdlog
// default logger has one sink, a Dispatcher (sinks.hpp): repeats are suppressed and summarised,
// then each target writes. configure() may be called again (SIGHUP, `configure`): the targets are
// rebuilt and files reopened; reopen() (SIGUSR1, SIGHUP) reopens the files only, for logrotate.
#pragma once

#include <spdlog/sinks/sink.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "rs/log/sinks.hpp"

namespace rs::conf {
struct Config;
}

namespace rs::log {

inline constexpr std::chrono::seconds kRepeatWindow{10};

// Installs (first call) or rebuilds the default logger's targets. `extra` sinks get every class
// (the CLI's `echo` sink filters by itself). Problems (a file that cannot be opened) are returned
// as text, one per line, and the other targets still work.
std::string configure(const conf::Config& cfg, bool foreground,
                      const std::vector<spdlog::sink_ptr>& extra = {});
void reopen();
// The Dispatcher behind the default logger (null before configure()).
std::shared_ptr<Dispatcher> dispatcher();

// Calls Dispatcher::tick() every second on `io` while it lives (repeat summaries go out on time
// even when nothing else is logged).
class Ticker {
 public:
  explicit Ticker(boost::asio::io_context& io);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  void arm();
  boost::asio::steady_timer timer_;
};

}  // namespace rs::log
