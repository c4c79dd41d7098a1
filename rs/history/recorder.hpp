// The history's event sink: turns rs/events.hpp events into rows for the Store, counts session
// flaps, and derives failovers. A failover is a best-path change of a selected prefix away from a
// path that existed; its cause is the most recent session-down or health transition (within 30 s)
// of the old best's source (else of the new best's, else "update from SOURCE"); its latency runs
// from that cause to the first UPDATE handed to any peer's socket afterwards (the route server's
// export observer calls on_export). A failover no UPDATE followed within 30 s is recorded
// without a latency. Everything runs on the event-loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "rs/events.hpp"
#include "rs/history/store.hpp"

namespace rs::history {

class Recorder final : public events::EventSink {
 public:
  explicit Recorder(Store& store) : store_(store) {}

  void session(const events::SessionEvent& e) override;
  void health(const events::HealthEvent& e) override;
  void operator_command(const events::OperatorEvent& e) override;
  void best_path(const events::BestPathEvent& e) override;
  void failover(const events::FailoverEvent& e) override;

  // Route server export observer: `protocol` was just handed UPDATE bytes.
  void on_export(const std::string& protocol);
  uint64_t flaps(const std::string& protocol) const;
  std::size_t pending_failovers() const { return pending_.size(); }
  Store& store() { return store_; }

 private:
  using Steady = std::chrono::steady_clock;
  struct Cause {
    std::string text;
    Steady::time_point at;
  };
  struct Pending {
    events::FailoverEvent ev;
    Steady::time_point cause_at;
  };
  void expire(Steady::time_point now);
  const Cause* recent_cause(const std::string& source, Steady::time_point now) const;

  Store& store_;
  std::map<std::string, Cause> causes_;  // by route source name: protocol, "health NAME"
  std::deque<Pending> pending_;
  std::map<std::string, uint64_t> flaps_;
};

// "2026-11-25 03:12:01.123" in local time (what `show history` prints).
std::string format_ts(int64_t ts_us);

}  // namespace rs::history
