// One `healthcheck` block: its probes run together every interval (fast interval while the state
// machine counts), their score drives the state machine, and the routes of the service are
// announced to a RouteSink only when what they say changes. Operator controls (maintenance,
// disable, drain) act here; persistence is the manager's job.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "rs/health/checks.hpp"
#include "rs/health/health_state.hpp"
#include "rs/health/route_sink.hpp"

namespace rs::health {

// What `show health NAME` prints.
struct HealthView {
  std::string name;
  HealthState state = HealthState::Init;
  Phase phase = Phase::None;
  Score score = Score::Low;
  bool maintenance = false;   // operator or disable file
  bool disable_file = false;  // the disable file exists
  bool disabled = false;      // checks stopped by the operator (routes withdrawn)
  bool held_down = false;     // flap hold-down running
  bool draining = false;
  uint32_t drain_step = 0, drain_steps = 0;
  bool drained = false;  // drain finished: routes withdrawn
  uint64_t runs = 0, successes = 0, failures = 0, timeouts = 0, transitions = 0, announcements = 0;
  uint64_t last_run_ms = 0;       // steady-clock ms of the last verdict
  uint64_t last_change_ms = 0;    // of the last state change
  uint64_t last_duration_ms = 0;  // slowest probe of the last run
  struct ProbeView {
    std::string what;
    bool ok = false;
    std::string output;
    uint64_t duration_ms = 0;
  };
  std::vector<ProbeView> probes;
  struct RouteView {
    rib::Prefix prefix;
    bool announced = false;
    uint32_t med = 0;
  };
  std::vector<RouteView> routes;
};

class HealthCheck {
 public:
  using NowMs = std::function<uint64_t()>;
  // `default_next_hop`: for routes without `next hop` (the router id). Probes that cannot be built
  // are reported through `error`.
  HealthCheck(boost::asio::io_context& io, const conf::HealthCheckConfig& cfg, RouteSink& sink,
              rib::IpAddress default_next_hop, std::string& error);
  ~HealthCheck();

  void start();
  void stop();  // cancels probes and timers; routes stay until the sink source is removed

  // Operator controls.
  void set_maintenance(bool on);
  void set_disabled(bool on);
  // The wiki's controlled drain: the MED rises from the up MED to `down med` in `steps` equal steps
  // spread over `over_ms`, then the routes are withdrawn. drain(0, ...) completes at once.
  void drain(uint64_t over_ms, uint32_t steps);
  void undrain();

  HealthView view() const;
  const std::string& name() const { return cfg_.name; }
  const conf::HealthCheckConfig& config() const { return cfg_; }
  RouteSink::Source source() const { return source_; }
  bool settled() const { return sm_.settled() || disabled_ || maintenance_; }

  // Called after each announcement caused by a verdict, with the verdict's steady-clock time.
  std::function<void(const std::string& name, std::chrono::steady_clock::time_point verdict)>
      on_announce;
  // Called after every run (tests, history).
  std::function<void(const HealthView&)> on_run;

  static uint64_t steady_ms();

 private:
  void schedule(uint64_t delay_ms);
  void run_probes();
  void probe_done(std::size_t i, CheckResult r);
  void evaluate();
  void update_routes(std::chrono::steady_clock::time_point verdict);
  bool disable_file_present() const;
  void drain_step();

  boost::asio::io_context& io_;
  conf::HealthCheckConfig cfg_;
  RouteSink& sink_;
  RouteSink::Source source_ = nullptr;
  rib::IpAddress default_next_hop_;
  StateMachine sm_;
  MedParams med_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::vector<CheckResult> results_;
  std::size_t outstanding_ = 0;
  uint64_t run_gen_ = 0;
  boost::asio::steady_timer timer_, drain_timer_, hold_timer_;
  bool running_ = false;
  bool maintenance_ = false, disabled_ = false, file_present_ = false;
  bool draining_ = false, drained_ = false;
  uint32_t drain_k_ = 0, drain_steps_ = 0;
  uint64_t drain_step_ms_ = 0;
  Score score_ = Score::Low;
  // What each route currently says in the sink (nullopt = withdrawn).
  std::map<rib::Prefix, std::optional<rib::AttrBuilder>> announced_;
  uint64_t runs_ = 0, successes_ = 0, failures_ = 0, timeouts_ = 0, announcements_ = 0;
  uint64_t last_run_ms_ = 0, last_change_ms_ = 0, last_duration_ms_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rs::health
