// Reading the history: `show history` and `show failovers` run these on a read-only connection of
// their own (WAL: the writer thread is never blocked by a reader, nor a reader by the writer), at
// most `limit` rows, newest last. Times on the command line: ISO-8601 local time
// ("2026-11-25 03:12", "2026-11-25T03:12:00", seconds and fraction optional, a trailing 'Z' for
// UTC), a relative time ("10 min ago", "-10m", "-2h", "-1d", "-30s") or "now".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rs::history {

struct Query {
  std::optional<std::string> prefix;    // exact prefix as stored (normalized text)
  std::optional<std::string> protocol;  // protocol name
  std::optional<std::string> health;    // health check name
  std::optional<int64_t> since_us, until_us;
  uint32_t limit = 100;
  bool failovers_only = false;
};

struct EventView {
  int64_t ts_us = 0;
  std::string kind, protocol, health, prefix, message, old_best, new_best, cause;
  int64_t latency_us = -1;
};

// An error text in `error` (and nothing returned) when the database cannot be read.
[[nodiscard]] std::vector<EventView> run_query(const std::string& path, const Query& q,
                                               std::string& error);

// Unix microseconds, nullopt (and `error`) when the text is neither form. `span_us` (optional) gets
// the precision written minus one microsecond (a day, a minute, a second, a millisecond; 0 for
// relative times), so `until 03:12` includes all of that minute.
[[nodiscard]] std::optional<int64_t> parse_time(std::string_view text, int64_t now_us,
                                                std::string& error, int64_t* span_us = nullptr);

}  // namespace rs::history
