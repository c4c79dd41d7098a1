// libFuzzer target for what `show history` and `show failovers` read from the operator: the
// command line through the control grammar (cli::parse_command), then the arguments into a
// history query (control::history_query: prefix, protocol, health, since / until times, limit),
// and the time reader (history::parse_time) on the raw text as well. Input: the text after
// "show history " (first byte even) or "show failovers " (odd), one line. Properties besides "no
// crash" (UBSan reports signed overflow): an error always has a message; a query's limit is within
// 1..100000; `since` and `until` are not after `now` for relative times.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/command.hpp"
#include "rs/control/commands.hpp"
#include "rs/history/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  constexpr int64_t kNow = 1'800'000'000'000'000;  // 2027-01-15, microseconds
  std::string_view args(reinterpret_cast<const char*>(data) + 1, size - 1);
  args = args.substr(0, args.find('\n'));

  std::string err;
  int64_t span = -1;
  auto t = rs::history::parse_time(args, kNow, err, &span);
  if (!t && err.empty()) std::abort();
  if (t && (span < 0 || span >= 86400ll * 1000000)) std::abort();
  const bool relative = !args.empty() && (args[0] == '-' || args.ends_with("ago"));
  if (t && relative && *t > kNow) std::abort();

  std::string line = (data[0] & 1) ? "show failovers " : "show history ";
  line += args;
  auto p = rs::cli::parse_command(line);
  if (!p.command) return 0;
  const auto path = p.command->path();
  if (path != "show history" && path != "show failovers") return 0;
  err.clear();
  auto q = rs::control::history_query(*p.command, kNow, err);
  if (!q) {
    if (err.empty()) std::abort();
    return 0;
  }
  if (q->limit < 1 || q->limit > 100000) std::abort();
  if (q->failovers_only != (path == "show failovers")) std::abort();
  return 0;
}
