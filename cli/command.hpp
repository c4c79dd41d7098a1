// The command grammar of the control socket, shared by the daemon (parsing) and rsc (completion,
// help). Each command is a keyword path ("show route") followed by options in any order
// (`keyword [argument]`) and at most one positional argument, as in BIRD 2's CLI. Every keyword,
// in the path or among the options, may be abbreviated to a unique prefix (`sh ro al`); an
// ambiguous or unknown word is a parse error (reply 9001). No dependencies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rs::cli {

enum class ArgType : uint8_t {
  None,
  Name,       // a bare word: protocol, table or filter name
  Pattern,    // NAME, "shell pattern" or all
  String,     // "quoted string" (a file name)
  Prefix,     // a prefix or an address
  Number,     // digits
  OptNumber,  // digits, optional
  Expr,       // the rest of the line up to the next option keyword (raw text)
};

// What a name argument names, for completion.
enum class NameKind : uint8_t { None, Protocol, Table, Filter, Symbol };

struct OptionSpec {
  std::string_view keyword;
  ArgType arg = ArgType::None;
  NameKind names = NameKind::None;
};

struct CommandSpec {
  std::string_view path;    // keywords separated by one space
  std::string_view syntax;  // for help
  std::string_view help;
  std::vector<OptionSpec> options;
  ArgType positional = ArgType::None;
  NameKind positional_names = NameKind::None;
  bool positional_required = false;
  bool positional_first = false;  // the first word is the positional even if it is a keyword
  bool restricted_ok = false;     // allowed on a restricted socket (show commands)
  // A "quoted string" after the positional, stored as option "message" (`disable P "text"`).
  bool trailing_message = false;
  // Changes the daemon's state (configure, enable, drain, ...): reported to the history.
  bool changes_state = false;
};

// Every command, in help order.
const std::vector<CommandSpec>& commands();

struct Token {
  std::string text;  // unquoted
  bool quoted = false;
  std::size_t begin = 0;  // offsets in the line (quotes included)
  std::size_t end = 0;
};
// Splits on blanks; "..." is one token (no escapes, like BIRD). An unterminated quote runs to
// the end of the line and sets `unterminated`.
std::vector<Token> tokenize(std::string_view line, bool* unterminated = nullptr);

struct Command {
  const CommandSpec* spec = nullptr;
  std::vector<std::pair<std::string, std::string>> options;  // canonical keyword, argument
  std::optional<std::string> positional;
  bool positional_quoted = false;

  std::string_view path() const { return spec ? spec->path : std::string_view(); }
  bool has(std::string_view keyword) const;
  // The argument of an option (empty string for flags), nullopt when absent.
  std::optional<std::string> get(std::string_view keyword) const;
};

struct ParseResult {
  std::optional<Command> command;  // set on success
  std::string error;               // "syntax error, ..." otherwise
  bool empty = false;              // a blank line
};
[[nodiscard]] ParseResult parse_command(std::string_view line);

// Completion of the last (possibly empty) word of `line`: the keywords that fit, and whether a
// name of some kind fits there too (the caller adds protocol / filter / table names).
struct Completion {
  std::vector<std::string> keywords;  // sorted
  NameKind names = NameKind::None;
  std::string partial;  // the word being completed
};
Completion complete(std::string_view line);

// birdc's `?`: the position of the first `?` outside quotes in `line` (npos when none).
std::size_t help_mark(std::string_view line);
// The commands that fit what was typed before a `?` (`line` without it): every command under the
// keywords typed so far (a word touching the `?` is a prefix: `show ro?`), or the one command whose
// options are being typed. Empty when nothing fits.
std::vector<const CommandSpec*> context_help(std::string_view line);

// Expands every keyword of an abbreviated command to its full spelling (for history and help);
// returns the line unchanged when it does not parse.
std::string expand(std::string_view line);

}  // namespace rs::cli
