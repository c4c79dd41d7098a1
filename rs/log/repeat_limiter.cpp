// Repeated-message suppression (repeat_limiter.hpp). expire() is a scan of the tracked keys, run
// at most once per window/4 from admit() (and on every tick), so its cost is amortised.
#include "rs/log/repeat_limiter.hpp"

namespace rs::log {

bool RepeatLimiter::admit(const std::string& key, std::string_view text, uint64_t tag,
                          TimePoint now, std::vector<Summary>& due) {
  if (now >= next_expiry_check_) {
    expire(now, due);
    next_expiry_check_ = now + window_ / 4;
  }
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (now - it->second.start < window_) {
      ++it->second.repeats;
      ++suppressed_;
      return false;
    }
    // The window ended between checks: summarise it, then this occurrence starts a new one.
    if (it->second.repeats)
      due.push_back(
          Summary{it->first, std::move(it->second.text), it->second.repeats, it->second.tag});
    it->second = Entry{now, 0, tag, std::string(text)};
    return true;
  }
  if (entries_.size() < max_keys_) entries_.emplace(key, Entry{now, 0, tag, std::string(text)});
  return true;
}

void RepeatLimiter::expire(TimePoint now, std::vector<Summary>& due) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.start >= window_) {
      if (it->second.repeats)
        due.push_back(
            Summary{it->first, std::move(it->second.text), it->second.repeats, it->second.tag});
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string RepeatLimiter::summary_text(const Summary& s) {
  return "last message repeated " + std::to_string(s.repeats) +
         (s.repeats == 1 ? " time: " : " times: ") + s.text;
}

}  // namespace rs::log
