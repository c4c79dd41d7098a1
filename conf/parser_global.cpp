// Global statements of the config language: router id, define, log, timeformat, debug, tables,
// attributes, filter/function definitions (captured for the filter library), and rsd's own
// blocks for later services (control socket, cli, metrics, history, process, healthcheck).
#include "conf/parser_impl.hpp"

namespace rs::conf::detail {

void Parser::parse_router_id() {
  next();  // router
  next();  // id
  if (is_kw("from")) {
    not_supported(peek(), "'router id from'");
    sync();
    return;
  }
  const Token& t = peek();
  auto ip = parse_ip("an IPv4 address");
  if (!ip) return sync();
  if (!ip->is_v4()) {
    error_at(t, "router id must be an IPv4 address, got '" + t.text + "'");
    return sync();
  }
  if (!expect_semicolon()) return sync();
  config_.router_id = *ip;
}

void Parser::parse_define() {
  std::size_t begin = ts_.position();
  const Token& kw = next();
  const Token& name_tok = peek();
  auto name = parse_name("a constant name");
  if (!name) return sync();
  if (!expect(TokenKind::Assign)) return sync();
  auto src = capture_expression("a value");
  if (!src) return sync();
  next();  // ';'
  Define d;
  d.name = *name;
  d.loc = kw.loc;
  d.value.source = *src;
  d.statement = FilterSource{ts_.slice(begin, ts_.position()), kw.loc};
  if (src->tokens.size() == 1) {
    const Token& v = src->tokens[0];
    switch (v.kind) {
      case TokenKind::Number:
        d.value.literal = v.number;
        break;
      case TokenKind::String:
        d.value.literal = v.text;
        break;
      case TokenKind::Ipv4:
      case TokenKind::Ipv6:
        d.value.literal = v.ip;
        break;
      case TokenKind::Prefix:
        d.value.literal = v.prefix();
        break;
      case TokenKind::Symbol:
        if (v.is_keyword("true"))
          d.value.literal = true;
        else if (v.is_keyword("false"))
          d.value.literal = false;
        else if (const Define* other = config_.find_define(v.text))
          d.value.literal = other->value.literal;
        break;
      default:
        break;
    }
  }
  if (declare(*name, name_tok.loc, "a constant")) config_.defines.push_back(std::move(d));
}

namespace {
struct NamedFlag {
  std::string_view name;
  uint32_t bit;
};
constexpr NamedFlag kLogClasses[] = {
    {"debug", kLogDebug},   {"trace", kLogTrace},     {"info", kLogInfo},
    {"remote", kLogRemote}, {"warning", kLogWarning}, {"error", kLogError},
    {"auth", kLogAuth},     {"fatal", kLogFatal},     {"bug", kLogBug}};
constexpr NamedFlag kDebugFlags[] = {{"states", kDebugStates},   {"routes", kDebugRoutes},
                                     {"filters", kDebugFilters}, {"interfaces", kDebugInterfaces},
                                     {"events", kDebugEvents},   {"packets", kDebugPackets}};
}  // namespace

void Parser::parse_log() {
  LogTarget log;
  log.loc = next().loc;
  if (peek().kind == TokenKind::String) {
    log.kind = LogTarget::Kind::File;
    log.path = next().text;
    if (accept_kw("size")) {
      auto n = parse_number("a size in bytes", UINT64_MAX);
      if (!n) return sync();
      log.size = *n;
      auto backup = parse_string("a backup file name");
      if (!backup) return sync();
      log.backup = *backup;
    }
  } else if (accept_kw("syslog")) {
    log.kind = LogTarget::Kind::Syslog;
    if (accept_kw("name")) {
      const Token& t = peek();
      if (t.kind != TokenKind::Symbol && t.kind != TokenKind::String) {
        expected("a syslog name");
        return sync();
      }
      log.syslog_name = next().text;
    }
  } else if (accept_kw("stderr")) {
    log.kind = LogTarget::Kind::Stderr;
  } else if (is_kw("udp") || is_kw("fixed")) {
    not_supported(peek(), "'log " + peek().text + "'");
    return sync();
  } else {
    expected("a file name, 'syslog' or 'stderr'");
    return sync();
  }
  if (accept_kw("all")) {
    log.classes = kLogAll;
  } else if (accept(TokenKind::LBrace)) {
    log.classes = 0;
    for (;;) {
      const Token& t = peek();
      bool found = false;
      for (const auto& c : kLogClasses) {
        if (t.is_keyword(c.name)) {
          log.classes |= c.bit;
          found = true;
        }
      }
      if (!found) {
        expected("a log class (debug, trace, info, remote, warning, error, auth, fatal, bug)");
        return sync();
      }
      next();
      if (accept(TokenKind::Comma)) continue;
      if (!expect(TokenKind::RBrace)) return sync();
      break;
    }
  } else {
    expected("'all' or '{'");
    return sync();
  }
  if (!expect_semicolon()) return sync();
  config_.logs.push_back(std::move(log));
}

void Parser::parse_timeformat() {
  TimeFormat tf;
  tf.loc = next().loc;
  if (accept_kw("route"))
    tf.which = TimeFormat::Which::Route;
  else if (accept_kw("protocol"))
    tf.which = TimeFormat::Which::Protocol;
  else if (accept_kw("base"))
    tf.which = TimeFormat::Which::Base;
  else if (accept_kw("log"))
    tf.which = TimeFormat::Which::Log;
  else {
    expected("'route', 'protocol', 'base' or 'log'");
    return sync();
  }
  if (accept_kw("iso")) {
    bool is_long;
    if (accept_kw("short"))
      is_long = false;
    else if (accept_kw("long"))
      is_long = true;
    else {
      expected("'short' or 'long'");
      return sync();
    }
    tf.format = is_long ? "%F %T" : "%T";
    if (accept_kw("ms"))
      tf.format += ".%3f";
    else if (accept_kw("us"))
      tf.format += ".%6f";
    // BIRD's short forms show the date alone for times 20 hours old or more.
    if (!is_long) {
      tf.limit = 72000;
      tf.format_old = "%F";
    }
  } else if (peek().kind == TokenKind::String) {
    // "FORMAT" [SECONDS "FORMAT-FOR-OLDER"]: BIRD 2 writes the limit as a bare number.
    tf.format = next().text;
    if (peek().kind != TokenKind::Semicolon) {
      auto n = parse_number("a number of seconds or ';'");
      if (!n) return sync();
      tf.limit = *n;
      auto f2 = parse_string("a second time format");
      if (!f2) return sync();
      tf.format_old = *f2;
    }
  } else {
    expected("'iso' or a format string");
    return sync();
  }
  if (!expect_semicolon()) return sync();
  config_.timeformats.push_back(std::move(tf));
}

std::optional<uint32_t> Parser::parse_debug_flags() {
  if (accept_kw("all")) return kDebugAll;
  if (accept_kw("off")) return 0;
  if (!accept(TokenKind::LBrace)) {
    expected("'all', 'off' or '{'");
    return std::nullopt;
  }
  uint32_t flags = 0;
  for (;;) {
    const Token& t = peek();
    bool found = false;
    for (const auto& f : kDebugFlags) {
      if (t.is_keyword(f.name)) {
        flags |= f.bit;
        found = true;
      }
    }
    if (!found) {
      expected("a debug flag (states, routes, filters, interfaces, events, packets)");
      return std::nullopt;
    }
    next();
    if (accept(TokenKind::Comma)) continue;
    if (!expect(TokenKind::RBrace)) return std::nullopt;
    return flags;
  }
}

void Parser::parse_debug() {
  next();  // debug
  if (accept_kw("protocols")) {
    auto f = parse_debug_flags();
    if (!f || !expect_semicolon()) return sync();
    config_.debug_protocols = *f;
  } else if (accept_kw("commands")) {
    auto n = parse_number("a number (0, 1 or 2)", 2);
    if (!n || !expect_semicolon()) return sync();
    config_.debug_commands = static_cast<uint32_t>(*n);
  } else if (is_kw("channels") || is_kw("tables") || is_kw("latency")) {
    not_supported(peek(), "'debug " + peek().text + "'");
    sync();
  } else {
    expected("'protocols' or 'commands'");
    sync();
  }
}

void Parser::parse_table(rib::Family family) {
  TableDecl t;
  t.family = family;
  t.loc = next().loc;
  next();  // table
  const Token& name_tok = peek();
  auto name = parse_name("a table name");
  if (!name) return sync();
  t.name = *name;
  if (accept_kw("sorted")) t.sorted = true;
  if (peek().kind == TokenKind::LBrace) {
    bool ok = true;
    parse_block([&] {
      if (accept_kw("sorted")) {
        auto v = parse_switch();
        if (!v) return false;
        t.sorted = *v;
        return end_option();
      }
      if (is_kw("trie")) {
        // A lookup structure with no effect rsd could show (its prefix table is always indexed).
        not_supported(peek(), "table option 'trie'");
        return false;
      }
      ok = false;
      return error_at(peek(),
                      "unknown table option '" + peek().text + "' (expected 'sorted' or 'trie')");
    });
    (void)ok;
  } else if (!expect_semicolon()) {
    return sync();
  }
  if (declare(t.name, name_tok.loc, "a table")) config_.tables.push_back(std::move(t));
}

void Parser::parse_attribute() {
  std::size_t begin = ts_.position();
  AttributeDecl a;
  a.loc = next().loc;
  static const std::pair<std::string_view, AttributeDecl::Type> types[] = {
      {"int", AttributeDecl::Type::Int},       {"ip", AttributeDecl::Type::Ip},
      {"quad", AttributeDecl::Type::Quad},     {"pair", AttributeDecl::Type::Pair},
      {"string", AttributeDecl::Type::String}, {"bgppath", AttributeDecl::Type::Bgppath},
      {"clist", AttributeDecl::Type::Clist},   {"eclist", AttributeDecl::Type::Eclist},
      {"lclist", AttributeDecl::Type::Lclist}, {"bool", AttributeDecl::Type::Bool}};
  bool found = false;
  for (const auto& [kw, type] : types) {
    if (is_kw(kw)) {
      a.type = type;
      found = true;
      next();
      break;
    }
  }
  if (!found) {
    expected(
        "an attribute type (int, ip, quad, pair, string, bool, bgppath, clist, eclist, lclist)");
    return sync();
  }
  const Token& name_tok = peek();
  auto name = parse_name("an attribute name");
  if (!name || !expect_semicolon()) return sync();
  a.name = *name;
  a.statement = FilterSource{ts_.slice(begin, ts_.position()), a.loc};
  if (declare(a.name, name_tok.loc, "an attribute")) config_.attributes.push_back(std::move(a));
}

void Parser::parse_filter_decl(FilterDecl::Kind kind) {
  const char* what = kind == FilterDecl::Kind::Filter ? "filter" : "function";
  FilterDecl f;
  f.kind = kind;
  std::size_t begin = ts_.position();
  f.loc = next().loc;
  const Token& name_tok = peek();
  auto name = parse_name(std::string("a ") + what + " name");
  if (!name) return sync();
  f.name = *name;
  // Arguments, return type and local variables come before the body's '{'.
  int parens = 0;
  for (;;) {
    const Token& t = peek();
    if (t.kind == TokenKind::End) {
      error_at(t, std::string("expected '{' to start the body of ") + what + " '" + f.name +
                      "', got end of file");
      return;
    }
    if (t.kind == TokenKind::LParen) ++parens;
    if (t.kind == TokenKind::RParen) --parens;
    if (t.kind == TokenKind::LBrace && parens <= 0) break;
    if (t.kind == TokenKind::RBrace) {
      error_at(t, std::string("expected '{' to start the body of ") + what + " '" + f.name +
                      "', got '}'");
      next();
      return;
    }
    next();
  }
  auto body = capture_block("'{'");
  if (!body) return;
  f.source = FilterSource{ts_.slice(begin, ts_.position()), f.loc};
  accept(TokenKind::Semicolon);
  if (declare(f.name, name_tok.loc, std::string("a ") + what))
    config_.filters.push_back(std::move(f));
}

// `mode N` (octal digits as written, e.g. 0660) or `group "NAME"` inside a socket block.
bool Parser::parse_socket_option(CliSocket& c) {
  if (accept_kw("mode")) {
    const Token& t = peek();
    if (t.kind != TokenKind::Number || t.text.empty() ||
        t.text.find_first_not_of("01234567") != std::string::npos || t.text.size() > 4) {
      error_at(t, "expected an octal file mode such as 0660");
      return false;
    }
    c.mode = static_cast<uint32_t>(std::stoul(t.text, nullptr, 8));
    next();
    return end_option();
  }
  if (accept_kw("group")) {
    auto g = parse_string("a group name");
    if (!g) return false;
    c.group = *g;
    return end_option();
  }
  return error_at(peek(),
                  "unknown socket option '" + peek().text + "' (expected 'mode' or 'group')");
}

void Parser::parse_control() {
  next();  // control
  if (!expect_kw("socket")) return sync();
  auto path = parse_string("a socket path");
  if (!path) return sync();
  if (peek().kind == TokenKind::LBrace) {
    parse_block([&] { return parse_socket_option(config_.control_options); });
  } else if (!expect_semicolon()) {
    return sync();
  }
  config_.control_socket = *path;
}

void Parser::parse_cli() {
  CliSocket c;
  c.loc = next().loc;
  auto path = parse_string("a socket path");
  if (!path) return sync();
  c.path = *path;
  if (peek().kind == TokenKind::LBrace) {
    parse_block([&] {
      if (accept_kw("restrict")) {
        c.restrict = true;
        return end_option();
      }
      if (peek().kind == TokenKind::Symbol && (peek().text == "mode" || peek().text == "group"))
        return parse_socket_option(c);
      return error_at(peek(), "unknown cli option '" + peek().text +
                                  "' (expected 'restrict', 'mode' or 'group')");
    });
  } else if (!expect_semicolon()) {
    return sync();
  }
  config_.cli_sockets.push_back(std::move(c));
}

void Parser::parse_metrics() {
  MetricsConfig m;
  const Token kw = peek();
  m.loc = kw.loc;
  if (config_.metrics)
    error_at(kw, "a second 'metrics' block (the first is at " +
                     std::to_string(config_.metrics->loc.line) + ":" +
                     std::to_string(config_.metrics->loc.col) + "); one endpoint per daemon");
  next();
  parse_block([&] {
    if (accept_kw("listen")) {
      auto ip = parse_ip("an address");
      if (!ip) return false;
      m.listen = *ip;
      if (accept_kw("port")) {
        const Token at = peek();
        auto p = parse_number("a port number", 65535);
        if (!p) return false;
        if (*p == 0)
          return error_at(at, "metrics port 0: give the port Prometheus will scrape (1-65535)");
        m.port = static_cast<uint16_t>(*p);
      }
      return end_option();
    }
    return error_at(peek(), "unknown metrics option '" + peek().text + "' (expected 'listen')");
  });
  config_.metrics = m;
}

void Parser::parse_history() {
  HistoryConfig h;
  h.loc = next().loc;
  auto path = parse_string("a database path");
  if (!path) return sync();
  h.path = *path;
  if (peek().kind != TokenKind::LBrace) {
    if (!expect_semicolon()) return sync();
    config_.history = std::move(h);
    return;
  }
  parse_block([&] {
    if (accept_kw("keep")) {
      auto t = parse_time("a duration", 86400000000ull);  // days by default
      if (!t) return false;
      h.keep = *t;
      return end_option();
    }
    if (accept_kw("max")) {
      if (!expect_kw("size")) return false;
      auto n = parse_number("a size", UINT32_MAX);
      if (!n) return false;
      uint64_t mult = 1;
      if (accept_kw("KB"))
        mult = 1ull << 10;
      else if (accept_kw("MB"))
        mult = 1ull << 20;
      else if (accept_kw("GB"))
        mult = 1ull << 30;
      h.max_size = *n * mult;
      return end_option();
    }
    if (accept_kw("routes")) {
      if (!expect_kw("where")) return false;
      auto e = capture_expression("an expression");
      if (!e) return false;
      h.routes_where = *e;
      return end_option();
    }
    return error_at(peek(), "unknown history option '" + peek().text +
                                "' (expected keep, max size, routes where)");
  });
  config_.history = std::move(h);
}

void Parser::parse_process() {
  ProcessConfig p;
  p.loc = next().loc;
  const Token& name_tok = peek();
  auto name = parse_name("a process name");
  if (!name) return sync();
  p.name = *name;
  bool has_run = false;
  parse_block([&] {
    if (accept_kw("run")) {
      auto s = parse_string("a command (argv)");
      if (!s) return false;
      p.run = *s;
      has_run = true;
      return end_option();
    }
    if (accept_kw("shell")) {
      auto s = parse_string("a shell command");
      if (!s) return false;
      p.shell = *s;
      has_run = true;
      return end_option();
    }
    if (accept_kw("encoder")) {
      if (accept_kw("text"))
        p.encoder = ProcessConfig::Encoder::Text;
      else if (accept_kw("json"))
        p.encoder = ProcessConfig::Encoder::Json;
      else
        return expected("'text' or 'json'");
      return end_option();
    }
    if (accept_kw("next")) {
      if (!expect_kw("hop")) return false;
      auto ip = parse_ip("an address");
      if (!ip) return false;
      p.next_hop = *ip;
      return end_option();
    }
    if (accept_kw("ack")) {
      auto v = parse_switch();
      if (!v) return false;
      p.ack = *v;
      return end_option();
    }
    if (accept_kw("keep")) {
      if (!expect_kw("routes")) return false;
      auto t = parse_time("a duration");
      if (!t) return false;
      p.keep_routes = *t;
      return end_option();
    }
    if (is_kw("user") || is_kw("group"))
      return parse_run_as_option(p.run_as, "the programs of process '" + p.name + "'");
    return error_at(peek(), "unknown process option '" + peek().text +
                                "' (expected run, shell, encoder, next hop, ack, keep routes, "
                                "user, group)");
  });
  if (!has_run)
    error_at(name_tok, "process '" + p.name + "' needs 'run \"COMMAND\";' or 'shell \"COMMAND\";'");
  if (declare(p.name, name_tok.loc, "a process")) config_.processes.push_back(std::move(p));
}

void Parser::parse_health() {
  HealthSettings& hs = config_.health;
  hs.loc = next().loc;
  parse_block([&] {
    if (accept_kw("startup")) {
      if (!expect_kw("hold")) return false;
      auto t = parse_time("a duration");
      if (!t) return false;
      hs.startup_hold = *t;
      return end_option();
    }
    if (accept_kw("state")) {
      if (!expect_kw("file")) return false;
      auto s = parse_string("a file path");
      if (!s) return false;
      if (s->empty()) return error_at(previous_token(), "the state file path is empty");
      hs.state_file = *s;
      return end_option();
    }
    if (is_kw("user") || is_kw("group"))
      return parse_run_as_option(
          hs.run_as, "the programs of process and healthcheck blocks without a user or group");
    return error_at(peek(), "unknown health option '" + peek().text +
                                "' (expected startup hold, state file, user, group)");
  });
}

void Parser::parse_healthcheck() {
  HealthCheckConfig h;
  h.loc = next().loc;
  const Token& name_tok = peek();
  auto name = parse_name("a healthcheck name");
  if (!name) return sync();
  h.name = *name;
  auto time_opt = [&](Duration& out) {
    auto t = parse_time("a duration");
    if (!t) return false;
    out = *t;
    return end_option();
  };
  auto num_opt = [&](uint32_t& out) {
    auto n = parse_u32("a number");
    if (!n) return false;
    out = *n;
    return end_option();
  };
  const std::size_t errors_before = diags_.error_count();
  parse_block([&] {
    using Check = HealthCheckConfig::Check;
    if (accept_kw("command")) {
      auto s = parse_string("a command (argv)");
      if (!s) return false;
      h.checks.push_back(Check{Check::Kind::Command, *s, 200, {}, 0});
      return end_option();
    }
    if (auto probe = parse_health_probe(h)) return *probe;
    if (accept_kw("route")) {
      HealthCheckConfig::Route r;
      const Location prefix_loc = peek().loc;
      auto p = parse_prefix("a prefix");
      if (!p) return false;
      r.prefix = *p;
      if (accept_kw("next")) {
        if (!expect_kw("hop")) return false;
        auto ip = parse_ip("an address");
        if (!ip) return false;
        r.next_hop = *ip;
      }
      if (is_kw("med")) {
        r.med_loc = next().loc;
        auto n = parse_u32("a MED value");
        if (!n) return false;
        r.med = *n;
      }
      if (!r.prefix.is_v4() && !r.next_hop)
        return error_at(prefix_loc,
                        "an IPv6 route needs 'next hop ADDRESS' (the default is the router id)");
      h.routes.push_back(r);
      return end_option();
    }
    if (accept_kw("interval")) return time_opt(h.interval);
    if (accept_kw("fast")) return expect_kw("interval") && time_opt(h.fast_interval);
    if (accept_kw("timeout")) return time_opt(h.timeout);
    if (accept_kw("rise")) return num_opt(h.rise);
    if (accept_kw("fall")) return num_opt(h.fall);
    if (accept_kw("down")) return expect_kw("med") && num_opt(h.down_med);
    if (accept_kw("disabled")) return expect_kw("med") && num_opt(h.disabled_med);
    if (accept_kw("withdraw")) {
      if (!expect_kw("on") || !expect_kw("down")) return false;
      h.withdraw_on_down = true;
      return end_option();
    }
    if (accept_kw("disable")) {
      if (!expect_kw("file")) return false;
      auto s = parse_string("a file path");
      if (!s) return false;
      h.disable_file = *s;
      return end_option();
    }
    if (accept_kw("increase")) return num_opt(h.increase);
    const bool large = is_kw("large") && is_kw("community", 1);
    if (large || accept_kw("community")) {
      if (large) {
        next();
        next();
      }
      std::size_t st = 0;
      if (accept_kw("up"))
        st = 0;
      else if (accept_kw("down"))
        st = 1;
      else if (accept_kw("disabled"))
        st = 2;
      else
        return expected("'up', 'down' or 'disabled'");
      auto& sc = h.communities[st];
      do {
        if (!expect(TokenKind::LParen)) return false;
        const Token& at = peek();
        auto a = parse_number("a number", UINT32_MAX);
        if (!a || !expect(TokenKind::Comma)) return false;
        auto b = parse_number("a number", UINT32_MAX);
        if (!b) return false;
        if (large) {
          if (!expect(TokenKind::Comma)) return false;
          auto c = parse_number("a number", UINT32_MAX);
          if (!c) return false;
          sc.large.push_back(
              {static_cast<uint32_t>(*a), static_cast<uint32_t>(*b), static_cast<uint32_t>(*c)});
        } else {
          if (*a > 0xFFFF || *b > 0xFFFF)
            return error_at(at, "community parts must be 0-65535 (use 'large community' for more)");
          sc.communities.push_back(static_cast<uint32_t>(*a << 16 | *b));
        }
        if (!expect(TokenKind::RParen)) return false;
      } while (accept(TokenKind::Comma));
      return end_option();
    }
    if (accept_kw("flap")) {
      // flap hold-down N in T [hold T];   (also: flap hold down ...)
      if (!expect_kw("hold")) return false;
      (void)accept(TokenKind::Minus);
      if (!expect_kw("down")) return false;
      auto n = parse_number("a transition count", 1000000);
      if (!n) return false;
      if (*n == 0) return error_at(previous_token(), "the transition count must be at least 1");
      h.flap_count = static_cast<uint32_t>(*n);
      if (!expect_kw("in")) return false;
      auto w = parse_time("a duration");
      if (!w) return false;
      h.flap_window = *w;
      h.flap_hold = *w;
      if (accept_kw("hold")) {
        auto t = parse_time("a duration");
        if (!t) return false;
        h.flap_hold = *t;
      }
      return end_option();
    }
    if (is_kw("user") || is_kw("group"))
      return parse_run_as_option(h.run_as, "the commands of healthcheck '" + h.name + "'");
    return error_at(peek(), "unknown healthcheck option '" + peek().text + "'");
  });
  if (h.checks.empty() && diags_.error_count() == errors_before)
    error_at(name_tok,
             "healthcheck '" + h.name + "' needs at least one check (command, http or tcp)");
  // ExaBGP's --increase adds to every route after the first, explicit `med` included: the wiki's
  // table written as `med 101; med 100; med 102;` would go out as 101/101/104.
  for (std::size_t i = 1; i < h.routes.size() && h.increase != 0; ++i) {
    const auto& r = h.routes[i];
    if (!r.med_loc) continue;
    const uint64_t up = uint64_t{r.med} + uint64_t{h.increase} * i;
    diags_.warning(*r.med_loc,
                   "healthcheck '" + h.name + "': route " + r.prefix.to_string() + " has med " +
                       std::to_string(r.med) + ", and 'increase " + std::to_string(h.increase) +
                       "' adds " + std::to_string(uint64_t{h.increase} * i) +
                       " to it (announced with MED " + std::to_string(up) +
                       " when up); write 'increase 0;' to announce the meds as written");
  }
  if (h.rise == 0) error_at(name_tok, "healthcheck '" + h.name + "': rise must be at least 1");
  if (h.fall == 0) error_at(name_tok, "healthcheck '" + h.name + "': fall must be at least 1");
  if (declare(h.name, name_tok.loc, "a healthcheck")) config_.healthchecks.push_back(std::move(h));
}

}  // namespace rs::conf::detail
