// Health state machine. Design: one nested switch (state, then event), as the BGP FSM.
//   INIT    success -> RISING (UP when rise = 1)      failure -> DOWN (a fresh start never
//                                                                announces a dead service)
//   RISING  success -> count, UP at `rise`            failure -> DOWN
//   UP      success -> UP                             failure -> FALLING (DOWN when fall = 1)
//   FALLING success -> UP                             failure -> count, DOWN at `fall`
//   DOWN    success -> RISING (UP when rise = 1)      failure -> DOWN
//   any     disable -> DISABLED;  DISABLED enable -> INIT;  results while DISABLED are ignored
// The announced phase follows the last settled state, so RISING keeps saying DOWN and FALLING keeps
// saying UP (no update while a counter runs). Every settle into UP or DOWN after a different one is
// a flap; more than flap_count of them within flap_window holds the phase at DOWN for flap_hold.
#include "rs/health/health_state.hpp"

#include <algorithm>

namespace rs::health {

std::string_view to_string(HealthState s) {
  switch (s) {
    case HealthState::Init:
      return "INIT";
    case HealthState::Rising:
      return "RISING";
    case HealthState::Up:
      return "UP";
    case HealthState::Falling:
      return "FALLING";
    case HealthState::Down:
      return "DOWN";
    case HealthState::Disabled:
      return "DISABLED";
  }
  return "?";
}

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::None:
      return "none";
    case Phase::Up:
      return "up";
    case Phase::Down:
      return "down";
    case Phase::Disabled:
      return "disabled";
  }
  return "?";
}

Score score_of(uint32_t passed, uint32_t total) {
  if (total == 0 || passed >= total) return total == 0 ? Score::Low : Score::Full;
  if (passed * 2 >= total && passed > 0) return Score::Partial;
  return Score::Low;
}

void StateMachine::settle(HealthState s, uint64_t now_ms) {
  state_ = s;
  count_ = 0;
  settled_ = true;
  const Phase np = s == HealthState::Up     ? Phase::Up
                   : s == HealthState::Down ? Phase::Down
                                            : Phase::Disabled;
  if (np == last_) return;
  if (p_.flap_count && (np == Phase::Up || np == Phase::Down) &&
      (last_ == Phase::Up || last_ == Phase::Down)) {
    flaps_.push_back(now_ms);
    while (!flaps_.empty() && flaps_.front() + p_.flap_window_ms < now_ms) flaps_.pop_front();
    if (flaps_.size() > p_.flap_count) {
      hold_until_ms_ = now_ms + p_.flap_hold_ms;
      flaps_.clear();
    }
  }
  last_ = np;
}

bool StateMachine::handle(HealthEvent ev, uint64_t now_ms) {
  const HealthState before = state_;
  const uint32_t count_before = count_;
  switch (state_) {
    case HealthState::Init:
    case HealthState::Down:
      switch (ev) {
        case HealthEvent::Success:
          if (p_.rise <= 1)
            settle(HealthState::Up, now_ms);
          else
            state_ = HealthState::Rising, count_ = 1;
          break;
        case HealthEvent::Failure:
          settle(HealthState::Down, now_ms);
          break;
        case HealthEvent::Disable:
          settle(HealthState::Disabled, now_ms);
          break;
        case HealthEvent::Enable:
          break;
      }
      break;
    case HealthState::Rising:
      switch (ev) {
        case HealthEvent::Success:
          if (++count_ >= p_.rise) settle(HealthState::Up, now_ms);
          break;
        case HealthEvent::Failure:
          settle(HealthState::Down, now_ms);
          break;
        case HealthEvent::Disable:
          settle(HealthState::Disabled, now_ms);
          break;
        case HealthEvent::Enable:
          break;
      }
      break;
    case HealthState::Up:
      switch (ev) {
        case HealthEvent::Success:
          break;
        case HealthEvent::Failure:
          if (p_.fall <= 1)
            settle(HealthState::Down, now_ms);
          else
            state_ = HealthState::Falling, count_ = 1;
          break;
        case HealthEvent::Disable:
          settle(HealthState::Disabled, now_ms);
          break;
        case HealthEvent::Enable:
          break;
      }
      break;
    case HealthState::Falling:
      switch (ev) {
        case HealthEvent::Success:
          settle(HealthState::Up, now_ms);
          break;
        case HealthEvent::Failure:
          if (++count_ >= p_.fall) settle(HealthState::Down, now_ms);
          break;
        case HealthEvent::Disable:
          settle(HealthState::Disabled, now_ms);
          break;
        case HealthEvent::Enable:
          break;
      }
      break;
    case HealthState::Disabled:
      switch (ev) {
        case HealthEvent::Success:
        case HealthEvent::Failure:
        case HealthEvent::Disable:
          break;
        case HealthEvent::Enable:
          state_ = HealthState::Init;
          count_ = 0;
          break;
      }
      break;
  }
  const bool changed = state_ != before || count_ != count_before;
  if (state_ != before) ++transitions_;
  return changed;
}

Phase StateMachine::phase(uint64_t now_ms) const {
  if (last_ == Phase::Disabled) return Phase::Disabled;
  if (held_down(now_ms) && last_ != Phase::None) return Phase::Down;
  return last_;
}

uint32_t med_for(Phase phase, Score score, uint32_t base_med, std::size_t index,
                 const MedParams& p) {
  uint64_t med = 0;
  switch (phase) {
    case Phase::Up:
      med = base_med + (score == Score::Partial ? p.partial_penalty : 0);
      break;
    case Phase::Down:
    case Phase::None:
      med = p.down_med;
      break;
    case Phase::Disabled:
      med = p.disabled_med;
      break;
  }
  med += uint64_t{p.increase} * index;
  return static_cast<uint32_t>(std::min<uint64_t>(med, UINT32_MAX));
}

}  // namespace rs::health
