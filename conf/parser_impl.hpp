// Internal: the recursive-descent config parser shared by parser*.cpp. Not part of the API.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "conf/diagnostic.hpp"
#include "conf/lexer.hpp"
#include "conf/reserved_words.hpp"

namespace rs::conf::detail {

class Parser {
 public:
  Parser(TokenStream ts, Diagnostics& diags, Config& config)
      : ts_(std::move(ts)), diags_(diags), config_(config) {}

  void parse_config();

  // ---- helpers (parser.cpp)
  const Token& peek(std::size_t n = 0) const { return ts_.peek(n); }
  const Token& next() { return ts_.next(); }
  const Token& previous_token() const { return ts_.previous(); }
  bool accept(TokenKind k) { return ts_.accept(k); }
  bool accept_kw(std::string_view kw) { return ts_.accept_keyword(kw); }
  bool is_kw(std::string_view kw, std::size_t n = 0) const { return ts_.next_is_keyword(kw, n); }

  // Reports at `at` unless it is an Invalid token (the lexer reported it). Always returns false.
  bool error_at(const Token& at, std::string message);
  bool error_at(const Location& at, std::string message);
  // "expected WHAT after 'STATEMENT SO FAR', got TOKEN" at the next token.
  bool expected(std::string_view what);
  bool expect(TokenKind k);
  bool expect_kw(std::string_view kw);
  bool expect_semicolon() { return expect(TokenKind::Semicolon); }
  // Marks the start of the statement quoted in messages.
  void begin_statement() { stmt_start_ = ts_.position(); }
  std::string statement_text() const;
  // Error recovery: skips to just after the `;` ending the statement, or to the `}` closing the
  // enclosing block (not consumed). Always makes progress unless at '}' or End.
  void sync();
  // Skips a balanced { ... } block starting at the next token (which must be '{').
  void skip_block();

  // `{ option; option; ... }` with an optional ';' after the '}' (a required one when
  // `closing` names the block: BIRD's grammar ends channel blocks like any option, with ';').
  // `option` parses one option (begin_statement() already called) and returns false after
  // reporting an error; the parser then skips to the end of that option. Returns false if the
  // block could not be opened.
  template <class F>
  bool parse_block(F&& option, std::string_view closing = {}) {
    const Location open = peek().loc;
    if (!expect(TokenKind::LBrace)) {
      sync();
      return false;
    }
    for (;;) {
      const Token& t = peek();
      if (t.kind == TokenKind::RBrace) break;
      if (t.kind == TokenKind::End) {
        error_at(t, "missing '}' to close the '{' at " + std::to_string(open.line) + ":" +
                        std::to_string(open.col) + ", got end of file");
        return true;
      }
      std::size_t before = ts_.position();
      begin_statement();
      if (t.kind == TokenKind::Semicolon) {
        next();
        continue;
      }
      if (!option()) sync();
      if (ts_.position() == before) next();
    }
    next();
    if (!accept(TokenKind::Semicolon) && !closing.empty())
      error_at(peek(), "expected ';' after the '}' closing " + std::string(closing) + ", got " +
                           peek().describe());
    return true;
  }
  // Ends an option: expects ';' (reporting "expected ';' after '...'").
  bool end_option() { return expect_semicolon(); }

  // Values. Each reports "expected ..." on failure and returns nullopt.
  std::optional<uint64_t> parse_number(std::string_view what, uint64_t max = UINT32_MAX);
  std::optional<uint64_t> parse_int_expression(int depth);  // what stands between '(' and ')'
  std::optional<uint32_t> parse_u32(std::string_view what) {
    auto v = parse_number(what);
    return v ? std::optional<uint32_t>(static_cast<uint32_t>(*v)) : std::nullopt;
  }
  std::optional<uint32_t> parse_asn();
  // NUMBER [unit]; unit one of us, ms, s, min, h, d (default: `default_unit_us`).
  std::optional<Duration> parse_time(std::string_view what, uint64_t default_unit_us = 1000000);
  // on | off | yes | no | true | false; nothing (next is ';') means on.
  std::optional<bool> parse_switch();
  std::optional<rib::IpAddress> parse_ip(std::string_view what);
  // An address literal or a define holding one comes next.
  bool next_is_address() const;
  std::optional<rib::Prefix> parse_prefix(std::string_view what);
  std::optional<std::string> parse_string(std::string_view what);
  std::optional<std::string> parse_name(std::string_view what);  // a symbol
  // Captures filter-language tokens up to (not including) a ';' at nesting depth 0.
  std::optional<FilterSource> capture_expression(std::string_view what);
  // Captures a balanced { ... } block (braces included).
  std::optional<FilterSource> capture_block(std::string_view what);
  std::optional<FilterSpec> parse_filter_spec(std::string_view direction);
  std::optional<Limit> parse_limit();

  // ---- statements (parser_global.cpp)
  void parse_router_id();
  void parse_define();
  void parse_log();
  void parse_timeformat();
  void parse_debug();
  void parse_table(rib::Family family);
  void parse_attribute();
  void parse_filter_decl(FilterDecl::Kind kind);
  void parse_control();
  void parse_cli();
  bool parse_socket_option(CliSocket& c);
  void parse_metrics();
  void parse_history();
  void parse_process();
  void parse_healthcheck();
  void parse_health();
  // A healthcheck's `http` or `tcp` probe (parser_health_probe.cpp); nullopt: neither comes next.
  std::optional<bool> parse_health_probe(HealthCheckConfig& h);
  bool parse_probe_source(HealthCheckConfig::Check& c, Location& at);
  // `user X;` / `group X;` (parser_run_as.cpp); `owner` names the programs for messages.
  bool parse_run_as_option(RunAs& r, const std::string& owner);
  // The `health { user/group }` default into every block that names neither (after parsing).
  void apply_run_as_default();
  void not_supported(const Token& at, std::string what);

  // ---- protocols (parser_bgp.cpp, parser_static.cpp)
  void parse_protocol();
  void parse_template();
  void parse_bgp(BgpProtocol proto);
  bool parse_bgp_option(BgpOptions& o);
  void parse_bgp_channel(BgpProtocol& proto, rib::Family family);
  bool parse_channel_option(ChannelOptions& o, bool bgp);
  void parse_static(std::string name, const Location& loc);
  void parse_device(std::string name, const Location& loc);
  bool parse_common_protocol_option(bool& disabled, uint32_t& debug, std::string& description);
  std::optional<uint32_t> parse_debug_flags();

  // Symbols share one namespace, as in BIRD.
  bool declare(const std::string& name, const Location& loc, std::string_view kind);

  Diagnostics& diags() { return diags_; }
  Config& config() { return config_; }

 private:
  TokenStream ts_;
  Diagnostics& diags_;
  Config& config_;
  std::size_t stmt_start_ = 0;
  std::size_t suppressed_errors_ = 0;  // errors at Invalid tokens (reported by the lexer)

 public:
  // Errors so far, including those not repeated at Invalid tokens.
  std::size_t error_mark() const { return diags_.error_count() + suppressed_errors_; }

 private:
  struct Symbol {
    std::string kind;
    Location loc;
  };
  std::map<std::string, Symbol, std::less<>> symbols_;
  std::map<std::string, unsigned, std::less<>> anonymous_;

 public:
  // BIRD names unnamed protocols by type: device1, static1, static2, bgp1, ...
  std::string anonymous_name(const std::string& base) {
    return base + std::to_string(++anonymous_[base]);
  }
};

using rs::conf::is_reserved_word;

// Semantic pass after parsing (config_resolve.cpp): template inheritance, defaults, references.
void resolve(Config& config, Diagnostics& diags);

// The bridge to the filter library (filter_bridge.cpp): parses and type-checks every piece of
// filter-language source the config holds (filters, functions, defines, inline filters, `where`
// expressions, static route attribute blocks). The one place to swap when filters/ grows.
void validate_filter_sources(Config& config, Diagnostics& diags);

}  // namespace rs::conf::detail
