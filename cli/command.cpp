// Command grammar and parser (see command.hpp). Parsing is two-phase: the keyword path is walked
// word by word, each word matched by unique prefix against the next path keywords and, once a
// path names a command, against that command's option keywords; the remaining words are options
// (in any order) and the positional argument. Completion runs the same walk on the words before
// the cursor.
#include "cli/command.hpp"

#include <algorithm>

namespace rs::cli {

namespace {

using A = ArgType;
using N = NameKind;

std::vector<OptionSpec> route_options() {
  return {{"for", A::Prefix},
          {"table", A::Name, N::Table},
          {"filter", A::Name, N::Filter},
          {"where", A::Expr},
          {"export", A::Name, N::Protocol},
          {"preexport", A::Name, N::Protocol},
          {"noexport", A::Name, N::Protocol},
          {"protocol", A::Name, N::Protocol},
          {"primary"},
          {"filtered"},
          {"all"},
          {"count"},
          {"stats"}};
}

std::vector<CommandSpec> build() {
  std::vector<CommandSpec> c;
  auto add = [&](CommandSpec s) { c.push_back(std::move(s)); };
  add({"show status",
       "show status",
       "Show router status",
       {},
       A::None,
       N::None,
       false,
       false,
       true});
  add({"show protocols",
       "show protocols [all] [<name> | \"<pattern>\"]",
       "Show routing protocols",
       {{"all"}},
       A::Pattern,
       N::Protocol,
       false,
       false,
       true});
  add({"show route",
       "show route [[for] <prefix>|for <ip>] [table <t>] [filter <f>|where <cond>] "
       "[(export|preexport|noexport) <p>] [protocol <p>] [primary] [filtered] [all] [count|stats]",
       "Show routing table", route_options(), A::Prefix, N::None, false, false, true});
  add({"show symbols",
       "show symbols [table|filter|function|protocol|template|constant|attribute|healthcheck|roa] "
       "[<name>]",
       "Show all known symbolic names",
       {{"table"},
        {"filter"},
        {"function"},
        {"protocol"},
        {"template"},
        {"constant"},
        {"attribute"},
        {"healthcheck"},
        {"roa"}},
       A::Name,
       N::Symbol,
       false,
       false,
       true});
  add({"show memory",
       "show memory",
       "Show memory usage",
       {},
       A::None,
       N::None,
       false,
       false,
       true});
  add({"show health",
       "show health [<check>]",
       "Show health checks and processes",
       {},
       A::Name,
       N::None,
       false,
       false,
       true});
  add({"show services",
       "show services",
       "Show every service IP, its nodes and the best one",
       {},
       A::None,
       N::None,
       false,
       false,
       true});
  add({"drain",
       "drain <check>|<node> [over <sec> s] [steps <n>] [to <med>] [keep]",
       "Drain a service or node: MED rising stepwise, then withdraw",
       {{"over", A::Number}, {"s"}, {"steps", A::Number}, {"to", A::Number}, {"keep"}},
       A::Name,
       N::None,
       true});
  add({"undrain", "undrain <check>|<node>", "Stop or undo a drain", {}, A::Name, N::None, true});
  add({"maintenance",
       "maintenance <check>|<node> (on | off)",
       "Put a service or node in maintenance or take it out",
       {{"on"}, {"off"}},
       A::Name,
       N::None,
       true,
       true});
  add({"enable health",
       "enable health <check>",
       "Start a health check again",
       {},
       A::Name,
       N::None,
       true});
  add({"disable health",
       "disable health <check>",
       "Stop a health check (its routes are withdrawn)",
       {},
       A::Name,
       N::None,
       true});
  add({"configure",
       "configure [soft] [\"<file>\"] [timeout [<sec>]]",
       "Reload configuration",
       {{"soft"}, {"timeout", A::OptNumber}},
       A::String});
  add({"configure confirm", "configure confirm", "Confirm last configuration change"});
  add({"configure undo", "configure undo", "Undo last configuration change"});
  add({"configure check",
       "configure check [\"<file>\"] [limit <N> | all]",
       "Parse a configuration and report what it would change",
       {{"limit", A::Number}, {"all"}},
       A::String});
  add({"enable",
       "enable (<protocol> | \"<pattern>\" | all)",
       "Enable protocol",
       {},
       A::Pattern,
       N::Protocol,
       true});
  add({"disable",
       "disable (<protocol> | \"<pattern>\" | all) [\"<message>\"]",
       "Disable protocol",
       {},
       A::Pattern,
       N::Protocol,
       true,
       false,
       false,
       true});
  add({"restart",
       "restart (<protocol> | \"<pattern>\" | all) [\"<message>\"]",
       "Restart protocol",
       {},
       A::Pattern,
       N::Protocol,
       true,
       false,
       false,
       true});
  add({"reload",
       "reload [in|out] (<protocol> | \"<pattern>\" | all)",
       "Reload protocol",
       {{"in"}, {"out"}},
       A::Pattern,
       N::Protocol,
       true});
  add({"debug",
       "debug (<protocol> | \"<pattern>\" | all) (all | off | { "
       "states|routes|filters|events|packets })",
       "Control protocol debugging",
       {{"all"},
        {"off"},
        {"states"},
        {"routes"},
        {"filters"},
        {"interfaces"},
        {"events"},
        {"packets"}},
       A::Pattern,
       N::Protocol,
       true,
       true});
  add({"echo",
       "echo (all | off | { debug|trace|info|remote|warning|error|auth }) [<buffer-size>]",
       "Control echoing of log messages",
       {{"all"},
        {"off"},
        {"debug"},
        {"trace"},
        {"info"},
        {"remote"},
        {"warning"},
        {"error"},
        {"auth"}},
       A::Number});
  add({"eval", "eval <expr>", "Evaluate an expression", {}, A::Expr, N::None, true});
  add({"down", "down", "Shut the daemon down"});
  add({"graceful restart", "graceful restart", "Shut the daemon down for a graceful restart"});
  add({"json",
       "json (on | off)",
       "Answer the following commands of this connection in JSON",
       {{"on"}, {"off"}},
       A::None,
       N::None,
       false,
       false,
       true});
  add({"restrict",
       "restrict",
       "Restrict current CLI session to safe commands",
       {},
       A::None,
       N::None,
       false,
       false,
       true});
  add({"show history",
       "show history [<prefix> | protocol <p> | health <check>] [since <time>] [until <time>] "
       "[limit <n>]",
       "Show the event history (time: \"2026-11-25 03:12\", 10 min ago, -10m)",
       {{"protocol", A::Name, N::Protocol},
        {"health", A::Name},
        {"since", A::Expr},
        {"until", A::Expr},
        {"limit", A::Number}},
       A::Prefix,
       N::None,
       false,
       false,
       true});
  add({"show failovers",
       "show failovers [<prefix>] [since <time>] [until <time>] [limit <n>]",
       "Show recorded failovers (old best, new best, cause, time to UPDATE)",
       {{"since", A::Expr}, {"until", A::Expr}, {"limit", A::Number}},
       A::Prefix,
       N::None,
       false,
       false,
       true});
  for (auto& s : c) {
    static const std::string_view changing[] = {
        "drain",          "undrain",         "maintenance",       "enable health",
        "disable health", "configure",       "configure confirm", "configure undo",
        "enable",         "disable",         "restart",           "reload",
        "down",           "graceful restart"};
    for (auto p : changing) s.changes_state |= s.path == p;
  }
  return c;
}

struct Walk {
  const CommandSpec* spec = nullptr;
  std::string path;      // keywords matched so far
  std::size_t next = 0;  // first token after the path
  std::string error;
};

// Keywords that may follow `path` in the tree.
std::vector<std::string_view> children(std::string_view path) {
  std::vector<std::string_view> out;
  for (const auto& s : commands()) {
    std::string_view p = s.path;
    if (!path.empty()) {
      if (p.size() <= path.size() || p.substr(0, path.size()) != path || p[path.size()] != ' ')
        continue;
      p.remove_prefix(path.size() + 1);
    }
    p = p.substr(0, p.find(' '));
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

const CommandSpec* find_spec(std::string_view path) {
  for (const auto& s : commands())
    if (s.path == path) return &s;
  return nullptr;
}

enum class Match : uint8_t { None, One, Ambiguous };
// Exact match wins; otherwise a unique prefix.
Match match(std::string_view word, const std::vector<std::string_view>& cands,
            std::string_view& out, std::string* ambiguous) {
  for (auto c : cands)
    if (c == word) return out = c, Match::One;
  std::vector<std::string_view> hits;
  for (auto c : cands)
    if (!word.empty() && c.substr(0, word.size()) == word) hits.push_back(c);
  if (hits.size() == 1) return out = hits[0], Match::One;
  if (hits.empty()) return Match::None;
  if (ambiguous) {
    std::sort(hits.begin(), hits.end());
    for (auto h : hits) *ambiguous += (ambiguous->empty() ? "" : ", ") + std::string(h);
  }
  return Match::Ambiguous;
}

std::vector<std::string_view> option_keywords(const CommandSpec& s) {
  std::vector<std::string_view> out;
  for (const auto& o : s.options) out.push_back(o.keyword);
  return out;
}

// Walks the keyword path over `toks[0..limit)`.
Walk walk_path(const std::vector<Token>& toks, std::size_t limit) {
  Walk w;
  for (std::size_t i = 0; i < limit; ++i) {
    const Token& t = toks[i];
    auto kids = children(w.path);
    std::string_view hit;
    std::string amb;
    Match m = t.quoted ? Match::None : match(t.text, kids, hit, &amb);
    // After a command that takes a protocol name (`enable`, `disable`), only the exact keyword
    // selects a subcommand (`enable health web`): an abbreviation is a protocol name (`enable h`).
    if (m == Match::One && w.spec && hit != t.text &&
        (w.spec->positional == A::Pattern || w.spec->positional == A::Name))
      break;
    if (m == Match::One) {
      w.path += (w.path.empty() ? "" : " ") + std::string(hit);
      w.spec = find_spec(w.path);
      w.next = i + 1;
      continue;
    }
    if (m == Match::Ambiguous && !w.spec) {
      w.error = "syntax error, ambiguous '" + t.text + "' (" + amb + ")";
      return w;
    }
    if (!w.spec) {
      w.error = w.path.empty() ? "syntax error, unknown command '" + t.text + "'"
                               : "syntax error, unexpected '" + t.text + "' after '" + w.path + "'";
      return w;
    }
    break;  // options of w.spec start here
  }
  if (!w.spec && w.error.empty()) {
    w.error = w.path.empty() ? "syntax error, unexpected end"
                             : "syntax error, '" + w.path + "' is incomplete";
  }
  return w;
}

bool is_number(std::string_view s) {
  return !s.empty() && s.size() <= 10 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool looks_like_prefix(std::string_view s) {
  if (s.empty()) return false;
  bool colon = false, dot = false;
  for (char c : s) {
    if (c == ':')
      colon = true;
    else if (c == '.')
      dot = true;
    else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == '/'))
      return false;
  }
  return colon || dot;
}

bool accepts(ArgType t, const Token& tok) {
  switch (t) {
    case A::None:
      return false;
    case A::Name:
      return !tok.quoted;
    case A::Pattern:
      return true;
    case A::String:
      return tok.quoted;
    case A::Prefix:
      return !tok.quoted && looks_like_prefix(tok.text);
    case A::Number:
    case A::OptNumber:
      return !tok.quoted && is_number(tok.text);
    case A::Expr:
      return true;
  }
  return false;
}

const char* describe(ArgType t) {
  switch (t) {
    case A::Name:
      return "a name";
    case A::Pattern:
      return "a name, a \"pattern\" or all";
    case A::String:
      return "a \"quoted string\"";
    case A::Prefix:
      return "a prefix or an address";
    case A::Number:
    case A::OptNumber:
      return "a number";
    case A::Expr:
      return "an expression";
    case A::None:
      break;
  }
  return "nothing";
}

// The raw text of an expression starting at toks[i], up to the next exact option keyword.
std::string take_expr(std::string_view line, const std::vector<Token>& toks, std::size_t& i,
                      const CommandSpec& spec) {
  std::size_t first = i;
  while (i < toks.size()) {
    if (!toks[i].quoted && i > first) {
      bool kw = false;
      for (const auto& o : spec.options) kw |= o.keyword == toks[i].text;
      if (kw) break;
    }
    ++i;
  }
  if (i == first) return {};
  return std::string(line.substr(toks[first].begin, toks[i - 1].end - toks[first].begin));
}

}  // namespace

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> c = build();
  return c;
}

std::vector<Token> tokenize(std::string_view line, bool* unterminated) {
  std::vector<Token> out;
  if (unterminated) *unterminated = false;
  std::size_t i = 0;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    if (i >= line.size()) break;
    Token t;
    t.begin = i;
    if (line[i] == '"') {
      t.quoted = true;
      std::size_t close = line.find('"', i + 1);
      if (close == std::string_view::npos) {
        if (unterminated) *unterminated = true;
        t.text = std::string(line.substr(i + 1));
        i = line.size();
      } else {
        t.text = std::string(line.substr(i + 1, close - i - 1));
        i = close + 1;
      }
    } else {
      while (i < line.size() && !blank(line[i]) && line[i] != '"') ++i;
      t.text = std::string(line.substr(t.begin, i - t.begin));
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  return out;
}

bool Command::has(std::string_view k) const {
  return std::any_of(options.begin(), options.end(), [&](const auto& o) { return o.first == k; });
}

std::optional<std::string> Command::get(std::string_view k) const {
  for (const auto& o : options)
    if (o.first == k) return o.second;
  return std::nullopt;
}

ParseResult parse_command(std::string_view line) {
  ParseResult r;
  bool unterminated = false;
  auto toks = tokenize(line, &unterminated);
  if (toks.empty()) {
    r.empty = true;
    r.error = "syntax error, unexpected end";
    return r;
  }
  if (unterminated) {
    r.error = "syntax error, unterminated string";
    return r;
  }
  Walk w = walk_path(toks, toks.size());
  if (!w.error.empty()) {
    r.error = w.error;
    return r;
  }
  const CommandSpec& spec = *w.spec;
  Command cmd;
  cmd.spec = &spec;
  auto kws = option_keywords(spec);
  std::size_t i = w.next;
  while (i < toks.size()) {
    const Token& t = toks[i];
    if (spec.positional_first && !cmd.positional && accepts(spec.positional, t)) {
      cmd.positional = t.text, cmd.positional_quoted = t.quoted, ++i;
      continue;
    }
    std::string_view kw;
    std::string amb;
    Match m = t.quoted ? Match::None : match(t.text, kws, kw, &amb);
    if (m == Match::Ambiguous) {
      r.error = "syntax error, ambiguous '" + t.text + "' (" + amb + ")";
      return r;
    }
    if (m == Match::One) {
      const OptionSpec& o = *std::find_if(spec.options.begin(), spec.options.end(),
                                          [&](const OptionSpec& x) { return x.keyword == kw; });
      if (cmd.has(kw)) {
        r.error = "syntax error, '" + std::string(kw) + "' given twice";
        return r;
      }
      ++i;
      std::string arg;
      if (o.arg == A::Expr) {
        arg = take_expr(line, toks, i, spec);
        if (arg.empty()) {
          r.error = "syntax error, '" + std::string(kw) + "' needs an expression";
          return r;
        }
      } else if (o.arg != A::None) {
        if (i < toks.size() && accepts(o.arg, toks[i])) {
          arg = toks[i].text, ++i;
        } else if (o.arg != A::OptNumber) {
          r.error = "syntax error, '" + std::string(kw) + "' needs " + describe(o.arg);
          return r;
        }
      }
      cmd.options.emplace_back(std::string(kw), std::move(arg));
      continue;
    }
    if (!cmd.positional && spec.positional == A::Expr) {
      cmd.positional = take_expr(line, toks, i, spec);
      continue;
    }
    if (!cmd.positional && accepts(spec.positional, t)) {
      cmd.positional = t.text, cmd.positional_quoted = t.quoted, ++i;
      continue;
    }
    if (cmd.positional && spec.trailing_message && t.quoted && !cmd.has("message")) {
      cmd.options.emplace_back("message", t.text), ++i;
      continue;
    }
    r.error = "syntax error, unexpected " + (t.quoted ? "\"" + t.text + "\"" : "'" + t.text + "'");
    if (spec.positional != A::None && !cmd.positional)
      r.error += ", expecting " + std::string(describe(spec.positional));
    return r;
  }
  if (spec.positional_required && !cmd.positional) {
    r.error = "syntax error, unexpected end, expecting " + std::string(describe(spec.positional));
    return r;
  }
  r.command = std::move(cmd);
  return r;
}

Completion complete(std::string_view line) {
  Completion c;
  auto toks = tokenize(line);
  // A new word starts unless the cursor touches the last token.
  const bool fresh = toks.empty() || toks.back().end < line.size();
  std::size_t done = fresh ? toks.size() : toks.size() - 1;
  if (!fresh && !toks.empty()) c.partial = toks.back().text;
  Walk w = walk_path(toks, done);
  std::vector<std::string_view> cands;
  if (w.next == done || !w.spec) {
    // Still on the path (or the path is not a command yet).
    if (!w.error.empty() && w.next != done && w.spec == nullptr) {
      // walk failed before the cursor: nothing fits
    }
    if (w.next == done) cands = children(w.path);
  }
  if (w.spec) {
    const CommandSpec& s = *w.spec;
    // The word before the cursor may be an option that takes an argument.
    const OptionSpec* pending = nullptr;
    if (done > w.next) {
      const Token& prev = toks[done - 1];
      std::string_view kw;
      if (!prev.quoted && match(prev.text, option_keywords(s), kw, nullptr) == Match::One)
        for (const auto& o : s.options)
          if (o.keyword == kw && o.arg != A::None && o.arg != A::OptNumber) pending = &o;
    }
    if (pending) {
      c.names = pending->names;
      cands.clear();
    } else {
      for (const auto& o : s.options) cands.push_back(o.keyword);
      c.names = s.positional_names;
    }
  }
  for (auto k : cands)
    if (k.substr(0, c.partial.size()) == c.partial) c.keywords.emplace_back(k);
  std::sort(c.keywords.begin(), c.keywords.end());
  c.keywords.erase(std::unique(c.keywords.begin(), c.keywords.end()), c.keywords.end());
  return c;
}

std::size_t help_mark(std::string_view line) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == '?' && !quoted) return i;
  }
  return std::string_view::npos;
}

std::vector<const CommandSpec*> context_help(std::string_view line) {
  auto toks = tokenize(line);
  // A word that touches the `?` is being typed: it selects by prefix.
  const bool partial = !toks.empty() && toks.back().end == line.size();
  std::string prefix = partial ? toks.back().text : std::string();
  if (partial) toks.pop_back();
  Walk w = walk_path(toks, toks.size());
  std::vector<const CommandSpec*> out;
  // An unknown or ambiguous word; an incomplete path (`show`) is what `?` is for.
  if (!w.error.empty() && w.next < toks.size()) return out;
  // Options of a command are being typed: that command's help.
  if (w.spec && (w.next < toks.size() || (partial && children(w.path).empty()))) {
    out.push_back(w.spec);
    return out;
  }
  for (const auto& s : commands()) {
    std::string_view p = s.path;
    if (!w.path.empty()) {
      if (p != w.path && (p.size() <= w.path.size() || p.substr(0, w.path.size()) != w.path ||
                          p[w.path.size()] != ' '))
        continue;
      p.remove_prefix(std::min(p.size(), w.path.size() + 1));
    }
    if (p.substr(0, prefix.size()) != prefix && !(p.empty() && prefix.empty())) continue;
    out.push_back(&s);
  }
  return out;
}

std::string expand(std::string_view line) {
  ParseResult r = parse_command(line);
  if (!r.command) return std::string(line);
  const Command& c = *r.command;
  // Written in an order the grammar reads back as the same command: the positional right after
  // the path (some commands want it first, `debug P all`; and after an expression option, `since
  // -10m`, it would be read as part of the expression), the trailing message of `disable P
  // "text"` last and quoted.
  std::string out(c.path());
  if (c.positional) out += c.positional_quoted ? " \"" + *c.positional + "\"" : " " + *c.positional;
  for (const auto& [k, v] : c.options) {
    if (c.spec->trailing_message && k == "message") continue;
    out += " " + k;
    if (!v.empty()) out += " " + v;
  }
  if (c.spec->trailing_message)
    if (auto m = c.get("message")) out += " \"" + *m + "\"";
  return out;
}

}  // namespace rs::cli
