// Suppression of repeated log messages, so that a flapping peer or a broken neighbour sending the
// same malformed UPDATE every second does not flood the log. The first occurrence of a message
// (keyed by the caller: class, source location and text) is written and opens a window; further
// occurrences inside the window are counted, not written. When the window has passed (checked on
// every message and by a periodic tick), a message with repeats yields one summary, "last message
// repeated N times: TEXT", and the key is forgotten: the next occurrence is written again and opens
// a new window. At most `max_keys` keys are tracked; beyond that, messages pass unlimited.
// Time is passed in by the caller (a fake clock in tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rs::log {

class RepeatLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Summary {
    std::string key;   // as given to admit()
    std::string text;  // the message's text
    uint64_t repeats = 0;
    uint64_t tag = 0;  // the caller's value from admit() (e.g. level and class)
  };

  explicit RepeatLimiter(std::chrono::milliseconds window, std::size_t max_keys = 4096)
      : window_(window), max_keys_(max_keys) {}

  // True: write the message. False: a repeat inside its window (counted). Summaries of windows
  // that ended by `now` are appended to `due` first (write them before the message).
  [[nodiscard]] bool admit(const std::string& key, std::string_view text, uint64_t tag,
                           TimePoint now, std::vector<Summary>& due);
  // Appends the summaries of every window ended by `now` and forgets those keys.
  void expire(TimePoint now, std::vector<Summary>& due);

  std::chrono::milliseconds window() const { return window_; }
  std::size_t tracked() const { return entries_.size(); }
  uint64_t suppressed() const { return suppressed_; }

  static std::string summary_text(const Summary& s);

 private:
  struct Entry {
    TimePoint start;
    uint64_t repeats = 0;
    uint64_t tag = 0;
    std::string text;
  };
  std::chrono::milliseconds window_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Entry> entries_;
  TimePoint next_expiry_check_{};
  uint64_t suppressed_ = 0;
};

}  // namespace rs::log
