// The config parser: entry points, shared helpers (values, error messages, recovery) and the
// top-level statement dispatch. Recursive descent over the token vector, one function per
// statement. Errors name what was expected and the statement so far; after an error the parser
// resynchronises at the end of the statement, so one run reports every independent mistake.
// Filter-language text (filter and function bodies, `where` expressions, define values) is
// captured as token ranges here and handed to the filter library by the resolve pass.
#include "conf/parser.hpp"

#include <algorithm>

#include "conf/option_status.hpp"
#include "conf/parser_impl.hpp"

namespace rs::conf {

namespace detail {

bool Parser::error_at(const Token& at, std::string message) {
  if (at.kind != TokenKind::Invalid)
    diags_.error(at.loc, std::move(message));
  else
    ++suppressed_errors_;
  return false;
}

bool Parser::error_at(const Location& at, std::string message) {
  diags_.error(at, std::move(message));
  return false;
}

std::string Parser::statement_text() const {
  std::string s;
  TokenRange r = ts_.slice(stmt_start_, ts_.position());
  for (const Token& t : r.span()) {
    if (!s.empty()) s += ' ';
    if (t.kind == TokenKind::String) {
      s += '"' + t.text + '"';
    } else if (t.kind == TokenKind::Symbol && t.quoted) {
      s += '\'' + t.text + '\'';
    } else {
      s += t.text;
    }
    if (s.size() > 60) {
      s = s.substr(0, 57) + "...";
      break;
    }
  }
  return s;
}

bool Parser::expected(std::string_view what) {
  std::string msg = "expected " + std::string(what);
  std::string so_far = statement_text();
  if (!so_far.empty()) msg += " after '" + so_far + "'";
  msg += ", got " + peek().describe();
  return error_at(peek(), std::move(msg));
}

bool Parser::expect(TokenKind k) {
  if (accept(k)) return true;
  return expected(to_string(k));
}

bool Parser::expect_kw(std::string_view kw) {
  if (accept_kw(kw)) return true;
  return expected("'" + std::string(kw) + "'");
}

void Parser::sync() {
  // Braces the statement opened before the error still need closing.
  int depth = 0;
  for (const Token& t : ts_.slice(stmt_start_, ts_.position()).span()) {
    if (t.kind == TokenKind::LBrace) ++depth;
    if (t.kind == TokenKind::RBrace && depth > 0) --depth;
  }
  for (;;) {
    const Token& t = peek();
    if (t.kind == TokenKind::End) return;
    if (t.kind == TokenKind::RBrace) {
      if (depth == 0) return;
      --depth;
      next();
      // `protocol x { ... }` ends a statement without ';' (an optional ';' follows).
      if (depth == 0) {
        accept(TokenKind::Semicolon);
        return;
      }
      continue;
    }
    if (t.kind == TokenKind::LBrace) ++depth;
    next();
    if (t.kind == TokenKind::Semicolon && depth == 0) return;
  }
}

void Parser::skip_block() {
  int depth = 0;
  do {
    const Token& t = next();
    if (t.kind == TokenKind::End) return;
    if (t.kind == TokenKind::LBrace) ++depth;
    if (t.kind == TokenKind::RBrace) --depth;
  } while (depth > 0);
}

// BIRD takes a parenthesised constant expression wherever it takes a number (`hold time (2 *
// M);`). Integers with + - * / and parentheses, over numbers and numeric constants; the value
// must stay within 0 .. 2^32-1 at every step (BIRD's integers are 32 bits).
std::optional<uint64_t> Parser::parse_int_expression(int depth) {
  auto factor = [&]() -> std::optional<uint64_t> {
    const Token& t = peek();
    if (t.kind == TokenKind::LParen) {
      next();
      if (depth > 32) {
        error_at(t, "constant expression nested too deeply");
        return std::nullopt;
      }
      auto v = parse_int_expression(depth + 1);
      if (!v || !expect(TokenKind::RParen)) return std::nullopt;
      return v;
    }
    if (t.kind == TokenKind::Number) return next().number;
    if (t.kind == TokenKind::Symbol) {
      const Define* d = config_.find_define(t.text);
      if (d && std::holds_alternative<uint64_t>(d->value.literal)) {
        next();
        return std::get<uint64_t>(d->value.literal);
      }
    }
    expected("a number");
    return std::nullopt;
  };
  auto term = [&]() -> std::optional<uint64_t> {
    auto v = factor();
    while (v && (peek().kind == TokenKind::Star || peek().kind == TokenKind::Slash)) {
      const Token& op = next();
      auto r = factor();
      if (!r) return std::nullopt;
      if (op.kind == TokenKind::Slash) {
        if (*r == 0) {
          error_at(op, "division by zero in a constant expression");
          return std::nullopt;
        }
        *v /= *r;
      } else {
        *v *= *r;
      }
      if (*v > UINT32_MAX) {
        error_at(op, "constant expression out of range");
        return std::nullopt;
      }
    }
    return v;
  };
  auto v = term();
  while (v && (peek().kind == TokenKind::Plus || peek().kind == TokenKind::Minus)) {
    const Token& op = next();
    auto r = term();
    if (!r) return std::nullopt;
    if (op.kind == TokenKind::Minus ? *r > *v : *v + *r > UINT32_MAX) {
      error_at(op, "constant expression out of range");
      return std::nullopt;
    }
    *v = op.kind == TokenKind::Minus ? *v - *r : *v + *r;
  }
  return v;
}

std::optional<uint64_t> Parser::parse_number(std::string_view what, uint64_t max) {
  const Token& t = peek();
  uint64_t v = 0;
  if (t.kind == TokenKind::LParen) {
    next();
    auto e = parse_int_expression(0);
    if (!e || !expect(TokenKind::RParen)) return std::nullopt;
    if (*e > max) {
      error_at(t, "value " + std::to_string(*e) + " is out of range (at most " +
                      std::to_string(max) + ")");
      return std::nullopt;
    }
    return e;
  }
  if (t.kind == TokenKind::Number) {
    v = t.number;
  } else if (t.kind == TokenKind::Symbol) {
    // A `define NAME = <number>;` constant can stand for a number.
    const Define* d = config_.find_define(t.text);
    if (!d || !std::holds_alternative<uint64_t>(d->value.literal)) {
      expected(what);
      return std::nullopt;
    }
    v = std::get<uint64_t>(d->value.literal);
  } else {
    expected(what);
    return std::nullopt;
  }
  if (v > max) {
    std::string so_far = statement_text();
    error_at(t, "value " + std::to_string(v) + " is out of range" +
                    (so_far.empty() ? std::string() : " after '" + so_far + "'") + " (at most " +
                    std::to_string(max) + ")");
    next();
    return std::nullopt;
  }
  next();
  return v;
}

std::optional<uint32_t> Parser::parse_asn() {
  return parse_u32("an AS number");
}

std::optional<Duration> Parser::parse_time(std::string_view what, uint64_t default_unit_us) {
  auto n = parse_number(what, UINT32_MAX);
  if (!n) return std::nullopt;
  uint64_t unit = default_unit_us;
  const Token& u = peek();
  if (u.kind == TokenKind::Symbol && !u.quoted) {
    static const std::pair<std::string_view, uint64_t> units[] = {{"us", 1},
                                                                  {"ms", 1000},
                                                                  {"s", 1000000},
                                                                  {"min", 60000000ull},
                                                                  {"h", 3600000000ull},
                                                                  {"d", 86400000000ull}};
    for (const auto& [name, mult] : units) {
      if (u.text == name) {
        unit = mult;
        next();
        break;
      }
    }
  }
  return Duration{*n * unit};
}

std::optional<bool> Parser::parse_switch() {
  const Token& t = peek();
  if (t.kind == TokenKind::Semicolon) return true;
  if (t.is_keyword("on") || t.is_keyword("yes") || t.is_keyword("true")) {
    next();
    return true;
  }
  if (t.is_keyword("off") || t.is_keyword("no") || t.is_keyword("false")) {
    next();
    return false;
  }
  expected("'on' or 'off'");
  return std::nullopt;
}

std::optional<rib::IpAddress> Parser::parse_ip(std::string_view what) {
  const Token& t = peek();
  if (t.is_address()) {
    next();
    return t.ip;
  }
  if (t.kind == TokenKind::Symbol) {
    const Define* d = config_.find_define(t.text);
    if (d && std::holds_alternative<rib::IpAddress>(d->value.literal)) {
      next();
      return std::get<rib::IpAddress>(d->value.literal);
    }
  }
  expected(what);
  return std::nullopt;
}

bool Parser::next_is_address() const {
  const Token& t = peek();
  if (t.is_address()) return true;
  if (t.kind != TokenKind::Symbol) return false;
  const Define* d = config_.find_define(t.text);
  return d && std::holds_alternative<rib::IpAddress>(d->value.literal);
}

std::optional<rib::Prefix> Parser::parse_prefix(std::string_view what) {
  const Token& t = peek();
  if (t.kind == TokenKind::Prefix) {
    next();
    if (t.ip.masked(t.prefix_len) != t.ip) {
      error_at(t, "prefix '" + t.text + "' has host bits set (did you mean '" +
                      t.prefix().to_string() + "'?)");
      return std::nullopt;
    }
    return t.prefix();
  }
  expected(what);
  return std::nullopt;
}

std::optional<std::string> Parser::parse_string(std::string_view what) {
  const Token& t = peek();
  if (t.kind != TokenKind::String) {
    expected(what);
    return std::nullopt;
  }
  next();
  return t.text;
}

std::optional<std::string> Parser::parse_name(std::string_view what) {
  const Token& t = peek();
  if (t.kind != TokenKind::Symbol) {
    expected(what);
    return std::nullopt;
  }
  next();
  return t.text;
}

std::optional<FilterSource> Parser::capture_expression(std::string_view what) {
  std::size_t begin = ts_.position();
  Location loc = peek().loc;
  int depth = 0;
  for (;;) {
    const Token& t = peek();
    if (t.kind == TokenKind::End) break;
    if (depth == 0 && t.kind == TokenKind::Semicolon) break;
    if (t.kind == TokenKind::LBrace || t.kind == TokenKind::LParen ||
        t.kind == TokenKind::LBracket || t.kind == TokenKind::PathMaskOpen)
      ++depth;
    if (t.kind == TokenKind::RBrace || t.kind == TokenKind::RParen ||
        t.kind == TokenKind::RBracket || t.kind == TokenKind::PathMaskClose) {
      if (depth == 0) break;
      --depth;
    }
    next();
  }
  if (ts_.position() == begin) {
    expected(what);
    return std::nullopt;
  }
  if (peek().kind != TokenKind::Semicolon) {
    expected("';'");
    return std::nullopt;
  }
  return FilterSource{ts_.slice(begin, ts_.position()), loc};
}

std::optional<FilterSource> Parser::capture_block(std::string_view what) {
  const Token& open = peek();
  if (open.kind != TokenKind::LBrace) {
    expected(what);
    return std::nullopt;
  }
  std::size_t begin = ts_.position();
  int depth = 0;
  for (;;) {
    const Token& t = next();
    if (t.kind == TokenKind::End) {
      error_at(open.loc, "unterminated block: this '{' has no matching '}'");
      return std::nullopt;
    }
    if (t.kind == TokenKind::LBrace) ++depth;
    if (t.kind == TokenKind::RBrace && --depth == 0) break;
  }
  return FilterSource{ts_.slice(begin, ts_.position()), open.loc};
}

std::optional<FilterSpec> Parser::parse_filter_spec(std::string_view direction) {
  FilterSpec spec;
  spec.loc = peek().loc;
  if (accept_kw("all")) {
    spec.kind = FilterSpec::Kind::All;
  } else if (accept_kw("none")) {
    spec.kind = FilterSpec::Kind::None;
  } else if (accept_kw("filter")) {
    if (peek().kind == TokenKind::LBrace) {
      auto body = capture_block("'{'");
      if (!body) return std::nullopt;
      spec.kind = FilterSpec::Kind::Inline;
      spec.source = std::move(*body);
    } else if (peek().kind == TokenKind::Symbol) {
      spec.kind = FilterSpec::Kind::Named;
      spec.loc = peek().loc;
      spec.name = next().text;
      // As in BIRD, a filter is defined before a channel names it.
      if (!config_.find_filter(spec.name)) {
        if (config_.find_function(spec.name))
          error_at(spec.loc, "'" + spec.name + "' is a function, not a filter");
        else
          error_at(spec.loc,
                   "unknown filter '" + spec.name + "' (filters must be defined before use)");
        return std::nullopt;
      }
    } else {
      expected("a filter name or '{'");
      return std::nullopt;
    }
  } else if (accept_kw("where")) {
    auto expr = capture_expression("an expression");
    if (!expr) return std::nullopt;
    spec.kind = FilterSpec::Kind::Where;
    spec.source = std::move(*expr);
  } else {
    (void)direction;
    expected("'all', 'none', 'filter' or 'where'");
    return std::nullopt;
  }
  return spec;
}

std::optional<Limit> Parser::parse_limit() {
  // LIMIT := NUMBER | off   [action warn | block | restart | disable]
  Limit l;
  if (accept_kw("off")) {
    l.max = UINT32_MAX;
  } else {
    auto n = parse_u32("a number or 'off'");
    if (!n) return std::nullopt;
    l.max = *n;
  }
  if (accept_kw("action")) {
    if (accept_kw("warn"))
      l.action = LimitAction::Warn;
    else if (accept_kw("block"))
      l.action = LimitAction::Block;
    else if (accept_kw("restart"))
      l.action = LimitAction::Restart;
    else if (accept_kw("disable"))
      l.action = LimitAction::Disable;
    else {
      expected("'warn', 'block', 'restart' or 'disable'");
      return std::nullopt;
    }
  }
  return l;
}

bool Parser::declare(const std::string& name, const Location& loc, std::string_view kind) {
  if (is_reserved_word(name)) {
    diags_.error(loc, "'" + name + "' is a keyword and cannot name " + std::string(kind));
    return false;
  }
  auto it = symbols_.find(name);
  if (it != symbols_.end()) {
    diags_.error(loc, "'" + name + "' is already defined (as " + it->second.kind + " at " +
                          it->second.loc.to_string() + ")");
    return false;
  }
  symbols_.emplace(name, Symbol{std::string(kind), loc});
  return true;
}

void Parser::not_supported(const Token& at, std::string what) {
  error_at(at, what + " is not supported by rsd");
}

namespace {

// The global statements: keyword phrase -> parser. option_status.cpp says, for each, who acts on
// it (test_conf_options checks that every phrase here has an entry there).
struct GlobalStatement {
  std::string_view first, second;  // second: "" or the next word that must follow
  void (*parse)(Parser&, const Token&);
};

void refuse_statement(Parser& p, const Token& t, std::string what) {
  p.not_supported(t, std::move(what));
  p.sync();
}

const GlobalStatement kGlobalStatements[] = {
    {"router", "id", [](Parser& p, const Token&) { p.parse_router_id(); }},
    {"define", "", [](Parser& p, const Token&) { p.parse_define(); }},
    {"log", "", [](Parser& p, const Token&) { p.parse_log(); }},
    {"timeformat", "", [](Parser& p, const Token&) { p.parse_timeformat(); }},
    {"debug", "", [](Parser& p, const Token&) { p.parse_debug(); }},
    {"ipv4", "table", [](Parser& p, const Token&) { p.parse_table(rib::Family::Ipv4); }},
    {"ipv6", "table", [](Parser& p, const Token&) { p.parse_table(rib::Family::Ipv6); }},
    {"attribute", "", [](Parser& p, const Token&) { p.parse_attribute(); }},
    {"filter", "", [](Parser& p, const Token&) { p.parse_filter_decl(FilterDecl::Kind::Filter); }},
    {"function", "",
     [](Parser& p, const Token&) { p.parse_filter_decl(FilterDecl::Kind::Function); }},
    {"protocol", "", [](Parser& p, const Token&) { p.parse_protocol(); }},
    {"template", "", [](Parser& p, const Token&) { p.parse_template(); }},
    {"control", "", [](Parser& p, const Token&) { p.parse_control(); }},
    {"cli", "", [](Parser& p, const Token&) { p.parse_cli(); }},
    {"metrics", "", [](Parser& p, const Token&) { p.parse_metrics(); }},
    {"history", "", [](Parser& p, const Token&) { p.parse_history(); }},
    {"process", "", [](Parser& p, const Token&) { p.parse_process(); }},
    {"healthcheck", "", [](Parser& p, const Token&) { p.parse_healthcheck(); }},
    {"health", "", [](Parser& p, const Token&) { p.parse_health(); }},
    {"roa4", "table",
     [](Parser& p, const Token& t) { refuse_statement(p, t, "'roa4 table' (RPKI/ROA)"); }},
    {"roa6", "table",
     [](Parser& p, const Token& t) { refuse_statement(p, t, "'roa6 table' (RPKI/ROA)"); }},
    {"vpn4", "table", [](Parser& p, const Token& t) { refuse_statement(p, t, "'vpn4 table'"); }},
    {"vpn6", "table", [](Parser& p, const Token& t) { refuse_statement(p, t, "'vpn6 table'"); }},
    {"flow4", "table", [](Parser& p, const Token& t) { refuse_statement(p, t, "'flow4 table'"); }},
    {"flow6", "table", [](Parser& p, const Token& t) { refuse_statement(p, t, "'flow6 table'"); }},
    {"mpls", "table", [](Parser& p, const Token& t) { refuse_statement(p, t, "'mpls table'"); }},
    {"aspa", "table", [](Parser& p, const Token& t) { refuse_statement(p, t, "'aspa table'"); }},
    {"eth", "table", [](Parser& p, const Token& t) { refuse_statement(p, t, "'eth table'"); }},
    {"mrtdump", "", [](Parser& p, const Token& t) { refuse_statement(p, t, "'mrtdump'"); }},
    {"eval", "", [](Parser& p, const Token& t) { refuse_statement(p, t, "'eval'"); }},
    {"mpls", "", [](Parser& p, const Token& t) { refuse_statement(p, t, "'mpls'"); }},
    {"hostname", "", [](Parser& p, const Token& t) { refuse_statement(p, t, "'hostname'"); }},
    {"graceful", "",
     [](Parser& p, const Token& t) { refuse_statement(p, t, "'graceful restart wait'"); }},
    {"watchdog", "", [](Parser& p, const Token& t) { refuse_statement(p, t, "'watchdog'"); }},
    {"threads", "", [](Parser& p, const Token& t) { refuse_statement(p, t, "'threads'"); }},
    {"thread", "", [](Parser& p, const Token& t) { refuse_statement(p, t, "'thread'"); }},
};

}  // namespace

void Parser::parse_config() {
  while (peek().kind != TokenKind::End) {
    std::size_t before = ts_.position();
    begin_statement();
    const Token& t = peek();
    if (t.kind == TokenKind::Semicolon) {  // stray ';' is harmless, as in BIRD
      next();
      continue;
    }
    if (t.kind == TokenKind::Symbol && !t.quoted) {
      const GlobalStatement* found = nullptr;
      for (const auto& g : kGlobalStatements) {
        if (t.text == g.first && (g.second.empty() || is_kw(g.second, 1))) {
          found = &g;
          break;
        }
      }
      if (found) {
        found->parse(*this, t);
      } else {
        error_at(t, "unknown statement '" + t.text +
                        "' (expected router id, define, log, protocol, template, filter, function, "
                        "table, attribute, ...)");
        sync();
      }
    } else {
      expected("a statement");
      if (peek().kind == TokenKind::RBrace)
        next();  // unbalanced '}' at top level
      else
        sync();
    }
    if (ts_.position() == before) next();  // always make progress
  }
  apply_run_as_default();  // `health { }` may come after the blocks it gives a default to
}

}  // namespace detail

namespace {

// `main_file`: a whole configuration file, which BIRD refuses without any protocol (a string
// loaded by a test may be a fragment).
LoadResult run(TokenStream tokens, Diagnostics lex_diags, const std::string* main_file = nullptr) {
  LoadResult result;
  result.diagnostics = std::move(lex_diags);
  // Files in the order their first token appears (the main file first).
  std::vector<std::string> files;
  for (const Token& t : tokens.range().span()) {
    std::string_view f = t.loc.file_name();
    if (files.empty() || files.back() != f) {
      if (std::find(files.begin(), files.end(), f) == files.end()) files.emplace_back(f);
    }
  }
  detail::Parser parser(std::move(tokens), result.diagnostics, result.config);
  parser.parse_config();
  const Config& c = result.config;
  if (main_file && !result.diagnostics.has_errors() && c.bgp.empty() && c.statics.empty() &&
      c.devices.empty())
    result.diagnostics.error(Location{std::make_shared<const std::string>(*main_file), 1, 1},
                             "no protocol is specified in the configuration");
  detail::resolve(result.config, result.diagnostics);
  result.diagnostics.sort_by_location(files);
  return result;
}

}  // namespace

std::vector<std::string> global_statement_keywords() {
  std::vector<std::string> out;
  for (const auto& g : detail::kGlobalStatements)
    out.push_back(g.second.empty() ? std::string(g.first)
                                   : std::string(g.first) + " " + std::string(g.second));
  return out;
}

LoadResult load_tokens(TokenStream tokens, Diagnostics lex_diagnostics) {
  return run(std::move(tokens), std::move(lex_diagnostics));
}

LoadResult load_file(const std::string& path, const LoadOptions& options) {
  Diagnostics d;
  TokenStream ts = tokenize_file(path, d, options.lex);
  return run(std::move(ts), std::move(d), &path);
}

LoadResult load_string(std::string_view text, const std::string& name, const LoadOptions& options) {
  Diagnostics d;
  TokenStream ts = tokenize_string(text, name, d, options.lex);
  return run(std::move(ts), std::move(d));
}

}  // namespace rs::conf
