// The health services of one configuration: every `process` and `healthcheck` block, the operator
// state that survives restarts (drain, maintenance, disabled), the startup hold of the health-aware
// restart, and failover accounting (verdict -> UPDATE handed to each edge's socket). Independent of
// RouteServer: routes go to a RouteSink, export notifications come in through on_export(). This is
// the API the control socket (`show health`, `drain`, `maintenance`, `enable|disable`) calls.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "rs/events.hpp"
#include "rs/health/healthcheck.hpp"
#include "rs/health/operator_state.hpp"
#include "rs/health/process.hpp"
#include "rs/health/route_sink.hpp"
#include "rs/metrics/histogram.hpp"

namespace rs::health {

struct FailoverSample {
  std::string check;
  std::string peer;
  uint64_t latency_us = 0;  // verdict -> first UPDATE bytes handed to the peer's socket after it
};

// Cumulative failover figures of one check, for the metrics (never trimmed, unlike the samples).
struct FailoverStats {
  uint64_t route_changes = 0;  // verdicts that changed what the check announces
  // Verdict -> first UPDATE handed to each peer's socket, in seconds: one observation per peer.
  metrics::Histogram latency = metrics::failover_histogram();
};

class HealthManager {
 public:
  HealthManager(boost::asio::io_context& io, const conf::Config& cfg, RouteSink& sink);
  ~HealthManager();

  // Builds and starts every process and check, restoring operator state from the state file.
  // Returns problems (one per line) that did not prevent starting; `ready` runs once when every
  // check has settled or the startup hold passed (immediately when there are no checks).
  std::string start(std::function<void()> ready);
  void stop();
  // A reloaded configuration (SIGHUP): unchanged processes and checks keep running with their
  // state and routes; changed ones restart (a changed check starts again from INIT); removed ones
  // stop and their routes are withdrawn; new ones start. `next` must outlive the manager or the
  // next reconfigure. Returns problems as start() does.
  std::string reconfigure(const conf::Config& next);

  // Operator commands; an empty string on success, else the error for the CLI.
  [[nodiscard]] std::string drain(const std::string& name, uint64_t over_ms = 300000,
                                  uint32_t steps = 10);
  [[nodiscard]] std::string undrain(const std::string& name);
  [[nodiscard]] std::string maintenance(const std::string& name, bool on);
  [[nodiscard]] std::string set_enabled(const std::string& name, bool enabled);
  // Service node overrides (drain and maintenance of a node at the route server, applied by
  // RouteServer) share the state file: stored as name "node NODE".
  void persist_node(const std::string& node, const std::string& kind,
                    const std::optional<std::string>& value) {
    persist(std::string(kNodePrefix) + node, kind, value);
  }
  // The stored node records (names without the prefix), once start() opened the state file; the
  // daemon applies them before the event loop runs, so no session imports a path before.
  std::vector<OperatorRecord> stored_nodes(std::string& error) const;
  static constexpr std::string_view kNodePrefix = "node ";

  std::vector<HealthView> health() const;
  std::optional<HealthView> health(const std::string& name) const;
  std::vector<ProcessView> processes() const;
  // Samples of a healthcheck by its name; of a process by "process NAME".
  std::vector<FailoverSample> failovers(const std::string& check) const;
  const std::map<std::string, FailoverStats>& failover_stats() const { return failover_stats_; }
  bool all_settled() const;
  bool ready() const { return ready_fired_; }

  // RouteServer export observer: `peer` was just handed UPDATE bytes.
  void on_export(const std::string& peer);

  HealthCheck* find(const std::string& name);
  // History: state transitions with the probes' output go to `sink` (null: none).
  void set_event_sink(events::EventSink* sink) { events_ = sink; }

 private:
  void check_ready();
  std::unique_ptr<HealthCheck> make_check(const conf::HealthCheckConfig& hc, std::string& problems);
  std::unique_ptr<Process> make_process(const conf::ProcessConfig& pc, rib::IpAddress router_id);
  void persist(const std::string& name, const std::string& kind,
               const std::optional<std::string>& value);
  void restore();
  void apply_stored(HealthCheck& c);

  boost::asio::io_context& io_;
  const conf::Config* cfg_;
  std::optional<rib::IpAddress> router_id_;
  RouteSink& sink_;
  std::vector<std::unique_ptr<HealthCheck>> checks_;
  std::vector<std::unique_ptr<Process>> processes_;
  // A block changed by a reload: the old instance, stopped, whose routes stay announced as they
  // were until its successor of the same name has a verdict (no withdrawal across a reload).
  std::map<std::string, std::unique_ptr<HealthCheck>> old_checks_;
  std::map<std::string, std::unique_ptr<Process>> old_processes_;
  // Hands over from the old instances whose successor has settled (or is gone).
  void finish_handovers();
  std::unique_ptr<OperatorStateStore> store_;
  boost::asio::steady_timer hold_timer_;
  std::function<void()> ready_;
  bool ready_fired_ = false;
  struct Pending {
    std::string check;
    std::chrono::steady_clock::time_point verdict;
    std::vector<std::string> done;
  };
  std::deque<Pending> pending_;
  std::map<std::string, std::deque<FailoverSample>> samples_;
  std::map<std::string, FailoverStats> failover_stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  events::EventSink* events_ = nullptr;
  std::map<std::string, HealthState> last_state_;
  void note_state(const HealthView& v);
};

}  // namespace rs::health
