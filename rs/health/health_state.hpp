// The health state machine of one service (after ExaBGP's healthcheck: rise/fall counters, a
// DISABLED state for maintenance), the score of several checks, flap hold-down, and the mapping
// from the announced state to each route's MED. Pure logic over explicit times (milliseconds on
// any monotonic clock), so tests drive it with a fake clock.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

namespace rs::health {

enum class HealthState : uint8_t { Init, Rising, Up, Falling, Down, Disabled };
std::string_view to_string(HealthState s);

enum class HealthEvent : uint8_t { Success, Failure, Disable, Enable };

// What the routes of the service currently say; only a change of it is announced.
enum class Phase : uint8_t { None, Up, Down, Disabled };
std::string_view to_string(Phase p);

// Several checks per service: full = every check passed, partial = at least half, low = less.
enum class Score : uint8_t { Full, Partial, Low };
[[nodiscard]] Score score_of(uint32_t passed, uint32_t total);

struct StateParams {
  uint32_t rise = 3;
  uint32_t fall = 3;
  uint32_t flap_count = 0;  // 0 = no flap hold-down
  uint64_t flap_window_ms = 60000;
  uint64_t flap_hold_ms = 60000;
};

class StateMachine {
 public:
  explicit StateMachine(StateParams p) : p_(p) {}

  // Applies an event at time `now_ms`; returns true when the state changed.
  bool handle(HealthEvent ev, uint64_t now_ms);

  HealthState state() const { return state_; }
  uint32_t counter() const { return count_; }
  // The phase the routes should announce now: the last settled state (UP, DOWN, DISABLED), held
  // at DOWN while a flap hold-down runs; None until the first settled state.
  Phase phase(uint64_t now_ms) const;
  bool settled() const { return settled_; }  // reached UP, DOWN or DISABLED at least once
  bool held_down(uint64_t now_ms) const { return hold_until_ms_ > now_ms; }
  uint64_t hold_until_ms() const { return hold_until_ms_; }
  uint64_t transitions() const { return transitions_; }
  // RISING, FALLING and INIT check at the fast interval (ExaBGP's --fast-interval).
  bool fast() const {
    return state_ == HealthState::Init || state_ == HealthState::Rising ||
           state_ == HealthState::Falling;
  }

 private:
  void settle(HealthState s, uint64_t now_ms);

  StateParams p_;
  HealthState state_ = HealthState::Init;
  Phase last_ = Phase::None;
  uint32_t count_ = 0;
  bool settled_ = false;
  uint64_t transitions_ = 0;
  std::deque<uint64_t> flaps_;  // times of UP<->DOWN changes inside the window
  uint64_t hold_until_ms_ = 0;
};

// MED of the index-th route of a service (ExaBGP: the metric grows by `increase` per extra IP).
struct MedParams {
  uint32_t down_med = 1000;
  uint32_t disabled_med = 500;
  uint32_t increase = 1;
  uint32_t partial_penalty = 50;
};
[[nodiscard]] uint32_t med_for(Phase phase, Score score, uint32_t base_med, std::size_t index,
                               const MedParams& p);

}  // namespace rs::health
