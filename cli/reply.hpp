// BIRD's reply-code protocol, shared by the daemon's control socket and rsc. No dependencies.
//
// A reply is a sequence of lines. Each line starts either with a 4-digit code and a separator,
// or with a single space (a continuation: same code as the line before):
//   "CCCC-text"  more lines follow          "CCCC text"  last line of the reply
//   " text"      continuation of the current code
// A reply ends with a line whose separator is a space; "0000 " when the last code already ended.
// Codes: 0xxx action done, 1xxx table row / detail, 2xxx table heading, 8xxx runtime error,
// 9xxx parse error. The values below are BIRD's (doc/reply_codes of BIRD 2), plus rsd's own
// in ranges BIRD leaves unused (documented in docs/cli.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rs::cli {

namespace code {
inline constexpr int kOk = 0;
inline constexpr int kWelcome = 1;
inline constexpr int kReadingConfig = 2;
inline constexpr int kReconfigured = 3;
inline constexpr int kReconfigInProgress = 4;
inline constexpr int kShutdownOrdered = 7;
inline constexpr int kAlreadyDisabled = 8;
inline constexpr int kDisabled = 9;
inline constexpr int kAlreadyEnabled = 10;
inline constexpr int kEnabled = 11;
inline constexpr int kRestarted = 12;
inline constexpr int kStatus = 13;
inline constexpr int kRouteCount = 14;
inline constexpr int kReloading = 15;
inline constexpr int kAccessRestricted = 16;
inline constexpr int kReconfigConfirmed = 18;
inline constexpr int kNothingToDo = 19;
inline constexpr int kConfigOk = 20;
inline constexpr int kUndoRequested = 21;
inline constexpr int kUndoScheduled = 22;
inline constexpr int kEvaluation = 23;
inline constexpr int kGracefulStatus = 24;
inline constexpr int kGracefulOrdered = 25;
inline constexpr int kVersion = 1000;
inline constexpr int kProtocolList = 1002;
inline constexpr int kProtocolDetails = 1006;
inline constexpr int kRouteList = 1007;
inline constexpr int kRouteDetails = 1008;
inline constexpr int kSymbolList = 1010;
inline constexpr int kUptime = 1011;
inline constexpr int kRouteAttributes = 1012;
inline constexpr int kMemory = 1018;
inline constexpr int kProtocolHeader = 2002;
inline constexpr int kReplyTooLong = 8000;
inline constexpr int kRouteNotFound = 8001;
inline constexpr int kConfigError = 8002;
inline constexpr int kNoProtocolsMatch = 8003;
inline constexpr int kStoppedByReconfig = 8004;
inline constexpr int kProtocolDown = 8005;
inline constexpr int kReloadFailed = 8006;
inline constexpr int kAccessDenied = 8007;
inline constexpr int kEvalError = 8008;
inline constexpr int kCommandTooLong = 9000;
inline constexpr int kParseError = 9001;
inline constexpr int kInvalidSymbol = 9002;
// rsd additions (BIRD has no equivalent): `configure check` change report.
inline constexpr int kConfigChanges = 1030;
// `show health` and `show services`; operator actions on health checks.
inline constexpr int kHealth = 1031;
inline constexpr int kServices = 1032;
inline constexpr int kHealthAction = 30;
// `show history` and `show failovers`: a header, then one tab-separated line per event.
inline constexpr int kHistory = 1033;
inline constexpr int kFailovers = 1034;
inline constexpr int kHistoryHeader = 2033;
inline constexpr int kFailoversHeader = 2034;
inline constexpr int kHistoryUnavailable = 8030;
// `json on`: the reply is one JSON document carried by 1040 lines (docs/cli.md, "JSON output").
inline constexpr int kJson = 1040;
}  // namespace code

inline bool is_error(int c) {
  return c >= 8000;
}
inline bool is_parse_error(int c) {
  return c >= 9000;
}

// Builds the text of one reply. Lines of the same code after the first become continuations.
class ReplyWriter {
 public:
  // One line with `code` (more lines follow).
  void line(int code, std::string_view text);
  // The last line of the reply; `code` 0 gives "0000 " (or "0000 text").
  void end(int code = code::kOk, std::string_view text = {});
  // Text written so far; take() empties it (for streaming in slices). The continuation state
  // survives take(), so a reply can be produced slice by slice.
  const std::string& text() const { return out_; }
  std::string take();
  std::size_t size() const { return out_.size(); }
  bool ended() const { return ended_; }

 private:
  std::string out_;
  int last_ = -1;
  bool ended_ = false;
};

// One line of a reply as received.
struct ReplyLine {
  int code = 0;       // the line's code (a continuation inherits the previous one)
  bool last = false;  // "CCCC " : the reply ends here
  bool continuation = false;
  std::string text;
};

// Splits received bytes into reply lines. Never throws; malformed lines become code -1.
class ReplyParser {
 public:
  static constexpr std::size_t kMaxLine = 1 << 20;
  void feed(std::string_view bytes);
  // The next complete line, if any.
  std::optional<ReplyLine> next();

 private:
  std::string buf_;
  std::size_t pos_ = 0;
  int last_code_ = 0;
};

// Formats a code as BIRD does: always 4 digits.
std::string format_code(int code);

}  // namespace rs::cli
