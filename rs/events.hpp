// Event plumbing: what the routing core, the health services and the control socket tell whoever
// listens (the SQLite history today, metrics later). Plain structs and one observer interface;
// every emitter holds an `EventSink*` that is null when nobody listens, so a hook costs one
// pointer test. All calls happen on the event-loop thread; a sink must not block (the history
// sink only enqueues).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace rs::events {

using Clock = std::chrono::system_clock;

// A BGP session of a protocol came up or went down.
struct SessionEvent {
  enum class Kind : uint8_t { Up, Down };
  Kind kind = Kind::Up;
  std::string protocol;
  std::string neighbor;  // remote address as text (may be empty)
  // Down only: the NOTIFICATION sent or received (RFC 4271 4.5), else just the error text.
  struct Notification {
    bool sent = false;  // true: we sent it; false: the peer did
    uint8_t code = 0;
    uint8_t subcode = 0;
    std::string text;  // describe(): "Cease / Administrative Shutdown: \"maintenance\""
  };
  std::optional<Notification> notification;
  std::string reason;           // the error text (hold timer expired, connection reset, ...)
  uint64_t establishments = 0;  // times the protocol reached Established since rsd started
  Clock::time_point at = Clock::now();
};

// A health check changed state (INIT/RISING/UP/FALLING/DOWN/DISABLED) or phase.
struct HealthEvent {
  std::string check;
  std::string from;    // previous state ("up", "down", ...)
  std::string to;      // new state
  std::string output;  // the probes' output of the deciding run ("http 200 ok; tcp refused")
  Clock::time_point at = Clock::now();
};

// An operator command that changes something (control socket).
struct OperatorEvent {
  std::string command;  // as typed, expanded ("disable peer1 \"maintenance\"")
  std::string result;   // first line of the reply ("peer1: disabled") or the error
  bool ok = true;
  std::string user;  // from SO_PEERCRED: the user name, else the uid as text
  int64_t uid = -1;
  int64_t pid = -1;
  std::string socket;  // path of the control socket the command came in on
  Clock::time_point at = Clock::now();
};

// The best path of a prefix selected by `history { routes where ...; }` changed.
struct BestPathEvent {
  std::string prefix;
  std::string old_best;    // "peer1 via 192.0.2.1" or "" (none)
  std::string new_best;    // "" when the prefix is gone
  std::string old_source;  // protocol / local source name of the old best ("" when none)
  std::string new_source;
  std::string reason;  // decision step that chose the new best ("lowest MED", ...)
  Clock::time_point at = Clock::now();
};

// A selected prefix moved from one best path to another (or lost its last one) and the UPDATE
// that says so was handed to a peer's socket.
struct FailoverEvent {
  std::string prefix;
  std::string old_best;
  std::string new_best;  // "" when withdrawn
  std::string
      cause;  // "health web down", "session peer1 down: Hold timer expired", "update from peer1"
  uint64_t latency_us = 0;  // cause -> first UPDATE bytes handed to a socket afterwards
  Clock::time_point at = Clock::now();
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void session(const SessionEvent&) {}
  virtual void health(const HealthEvent&) {}
  virtual void operator_command(const OperatorEvent&) {}
  virtual void best_path(const BestPathEvent&) {}
  virtual void failover(const FailoverEvent&) {}
};

}  // namespace rs::events
