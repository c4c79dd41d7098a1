// The commands of the control socket (BIRD 2's syntax, cli/command.hpp) run against the route
// server. Short commands answer at once; `show route` and `configure check` are Outputs that walk
// a snapshot of the table in slices.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/command.hpp"
#include "conf/config.hpp"
#include "rs/control/output.hpp"
#include "rs/history/query.hpp"

namespace rs {
class RouteServer;
namespace health {
class HealthManager;
struct HealthView;
}  // namespace health
namespace events {
class EventSink;
}
namespace history {
class Store;
}
}  // namespace rs

namespace rs::control {

struct SessionState {
  bool restricted = false;   // restricted socket, or `restrict` was sent
  bool close_after = false;  // close once the reply is out
  bool json = false;         // `json on`: replies as JSON documents (json.hpp)
  // `echo`: the log classes copied to this session (echo.hpp) and the bytes it may queue.
  uint32_t echo_classes = 0;
  std::size_t echo_buffer = 16384;
  bool echo_changed = false;  // set by the command, cleared by the session
  // Origin, for the history's operator events: socket path and the peer's SO_PEERCRED.
  std::string socket;
  int64_t uid = -1, pid = -1;
  std::string user;
};

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  virtual std::unique_ptr<Output> execute(std::string_view line, SessionState& session) = 0;
};

// What the commands act on.
struct ControlContext {
  boost::asio::io_context& io;
  RouteServer& server;
  std::string config_path;
  // The configuration the server runs (kept here so that `configure undo` can go back to it).
  std::shared_ptr<const conf::Config> config;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point reconfigured = started;
  // `down` and `graceful restart`: stop the daemon (called after the reply is queued).
  std::function<void(bool graceful)> shutdown;
  // Health checks and processes (`show health`, `drain`, ...); null when the daemon runs none.
  health::HealthManager* health = nullptr;
  // History: operator commands are reported here (null: no history); `show history` reads
  // `history`.
  events::EventSink* events = nullptr;
  history::Store* history = nullptr;
};

class Commands final : public CommandHandler {
 public:
  explicit Commands(ControlContext ctx);
  ~Commands() override;

  std::unique_ptr<Output> execute(std::string_view line, SessionState& session) override;

  // `configure`: loads `path` (empty: the running file) and applies it softly; also what SIGHUP
  // does. Returns the reply.
  std::unique_ptr<Output> configure(const std::string& path, std::optional<uint32_t> timeout);
  const ControlContext& context() const { return ctx_; }

 private:
  std::unique_ptr<Output> dispatch(std::string_view line, SessionState& session, std::string& path);
  std::unique_ptr<Output> run(const cli::Command& c, SessionState& session);
  std::unique_ptr<Output> show_status(bool json);
  std::unique_ptr<Output> show_symbols(const cli::Command& c, bool json);
  std::unique_ptr<Output> show_memory(bool json);
  std::unique_ptr<Output> protocol_action(const cli::Command& c);
  std::unique_ptr<Output> configure_confirm();
  std::unique_ptr<Output> configure_undo();
  std::unique_ptr<Output> configure_check(const cli::Command& c, bool json);
  std::unique_ptr<Output> eval(const std::string& expr);
  void apply(std::shared_ptr<const conf::Config> next);
  // History: runs a state-changing command's reply through an operator event.
  std::unique_ptr<Output> report(std::string command, std::unique_ptr<Output> out,
                                 const SessionState& session);

  ControlContext ctx_;
  // `configure timeout`: the configuration to go back to, and the timer that does it.
  std::shared_ptr<const conf::Config> undo_config_;
  boost::asio::steady_timer undo_timer_;
  bool undo_armed_ = false;
};

// Outputs built elsewhere (show_route.cpp, show_protocols.cpp, configure_check.cpp). With `json`,
// the reply is the command's JSON document (json.hpp); errors are text replies either way.
std::unique_ptr<Output> show_protocols(const ControlContext& ctx, const cli::Command& c, bool json);
std::unique_ptr<Output> show_route(const ControlContext& ctx, const cli::Command& c, bool json);
std::unique_ptr<Output> show_health(const ControlContext& ctx, const cli::Command& c, bool json);
std::unique_ptr<Output> show_services(const ControlContext& ctx, bool json);
// `show history ...` and `show failovers ...` (show_history.cpp).
std::unique_ptr<Output> show_history(const ControlContext& ctx, const cli::Command& c, bool json);
// Their arguments as a history query (`now_us` for relative times); nullopt and `error` ("since
// '...': ...") when an argument is not understood. Pure, so the fuzzer runs it.
std::optional<history::Query> history_query(const cli::Command& c, int64_t now_us,
                                            std::string& error);
// drain, undrain, maintenance, enable health, disable health.
std::unique_ptr<Output> health_action(const ControlContext& ctx, const cli::Command& c);
// drain / undrain / maintenance of a service node that is not a healthcheck (show_services.cpp).
std::unique_ptr<Output> node_action(const ControlContext& ctx, const cli::Command& c);
// A healthcheck's flags ("maintenance, draining", or "none"; show_health.cpp).
std::string health_flags_text(const health::HealthView& v);
// `configure check`: `limit` prefixes (and import changes) listed at most, 0 for all of them.
std::unique_ptr<Output> check_changes(const ControlContext& ctx,
                                      std::shared_ptr<const conf::Config> next, std::string path,
                                      bool json = false, std::size_t limit = 100);

// Shell-style pattern match (`*`, `?`) as BIRD's `patmatch`.
bool pattern_match(std::string_view pattern, std::string_view text);
// A `timeformat` in force: strftime `format` (with BIRD's `%Nf` second fractions), or
// `format_old` for times at least `limit` seconds old (limit 0: never).
struct TimeFormatSpec {
  std::string format;
  std::string format_old;
  uint64_t limit = 0;
};
// BIRD 2.0.12's defaults: route and protocol `iso short ms`, base and log `iso long ms`.
TimeFormatSpec default_time_format(conf::TimeFormat::Which which);
// The configuration's last `timeformat` of that kind, or the default.
TimeFormatSpec time_format(const conf::Config* config, conf::TimeFormat::Which which);
std::string format_time(std::chrono::system_clock::time_point t, const TimeFormatSpec& spec);
// With the defaults: "HH:MM:SS.mmm" within 20 hours, "YYYY-MM-DD" before (protocol); "YYYY-MM-DD
// HH:MM:SS.mmm" (base).
std::string format_time(std::chrono::system_clock::time_point t);
std::string format_datetime(std::chrono::system_clock::time_point t);
// A steady-clock instant as wall-clock time.
std::chrono::system_clock::time_point to_system(std::chrono::steady_clock::time_point t);

}  // namespace rs::control
