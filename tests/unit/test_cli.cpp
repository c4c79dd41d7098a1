// The control protocol's framing (BIRD reply codes) and the command grammar (abbreviations,
// options in any order, errors, completion).
#include <doctest/doctest.h>

#include "cli/command.hpp"
#include "cli/reply.hpp"

using namespace rs::cli;

TEST_CASE("reply writer: codes, continuations, end") {
  ReplyWriter w;
  w.line(code::kProtocolHeader, "Name       Proto");
  w.line(code::kProtocolList, "p1");
  w.line(code::kProtocolList, "p2");
  w.line(code::kProtocolDetails, "  detail");
  w.end();
  CHECK(w.text() == "2002-Name       Proto\n1002-p1\n p2\n1006-  detail\n0000 \n");
  CHECK(w.ended());
}

TEST_CASE("reply writer: a one-line reply and a final code") {
  ReplyWriter w;
  w.end(code::kAccessDenied, "Access denied");
  CHECK(w.text() == "8007 Access denied\n");
  ReplyWriter v;
  v.line(code::kRouteCount, "x");
  v.end(code::kRouteCount, "Total");
  CHECK(v.text() == "0014-x\n0014 Total\n");
}

TEST_CASE("reply writer: take() keeps the continuation state; newlines never leak") {
  ReplyWriter w;
  w.line(code::kRouteList, "Table master4:");
  std::string a = w.take();
  w.line(code::kRouteList, "a\nb");
  w.end();
  CHECK(a == "1007-Table master4:\n");
  CHECK(w.text() == " a b\n0000 \n");
  CHECK(format_code(3) == "0003");
  CHECK(format_code(12345) == "9999");
}

TEST_CASE("reply parser: codes, continuations, last line, garbage, split input") {
  ReplyParser p;
  p.feed("0001 rsd 0.1 ready.\n1007-Table");
  auto l = p.next();
  REQUIRE(l);
  CHECK(l->code == 1);
  CHECK(l->last);
  CHECK(l->text == "rsd 0.1 ready.");
  CHECK(!p.next());
  p.feed(" master4:\n x\n\tvia\nbad\n0000 \n");
  l = p.next();
  REQUIRE(l);
  CHECK(l->code == 1007);
  CHECK(!l->last);
  CHECK(l->text == "Table master4:");
  l = p.next();
  CHECK(l->continuation);
  CHECK(l->code == 1007);
  CHECK(l->text == "x");
  l = p.next();
  CHECK(l->continuation);
  CHECK(l->text == "via");
  l = p.next();
  CHECK(l->code == -1);
  l = p.next();
  CHECK(l->code == 0);
  CHECK(l->last);
  CHECK(!p.next());
}

TEST_CASE("reply parser: round trip of the writer") {
  ReplyWriter w;
  for (int i = 0; i < 100; ++i) w.line(code::kRouteList, "line " + std::to_string(i));
  w.end(code::kRouteCount, "done");
  ReplyParser p;
  std::string t = w.text();
  for (std::size_t i = 0; i < t.size(); i += 7) p.feed(std::string_view(t).substr(i, 7));
  int n = 0;
  while (auto l = p.next()) {
    if (l->last) {
      CHECK(l->code == 14);
      break;
    }
    CHECK(l->code == 1007);
    CHECK(l->text == "line " + std::to_string(n));
    ++n;
  }
  CHECK(n == 100);
}

TEST_CASE("tokenize: quotes and blanks") {
  bool unterminated = false;
  auto t = tokenize("  show  protocols \"bgp *\"\t", &unterminated);
  REQUIRE(t.size() == 3);
  CHECK(t[2].quoted);
  CHECK(t[2].text == "bgp *");
  CHECK(!unterminated);
  t = tokenize("eval \"abc", &unterminated);
  CHECK(unterminated);
}

TEST_CASE("parse: full commands and unique-prefix abbreviations") {
  auto r = parse_command("show route");
  REQUIRE(r.command);
  CHECK(r.command->path() == "show route");
  r = parse_command("sh ro");
  REQUIRE(r.command);
  CHECK(r.command->path() == "show route");
  r = parse_command("sh pro a peer1");
  REQUIRE(r.command);
  CHECK(r.command->path() == "show protocols");
  CHECK(r.command->has("all"));
  CHECK(*r.command->positional == "peer1");
  r = parse_command("sh s");  // status, symbols
  CHECK(!r.command);
  CHECK(r.error.find("ambiguous") != std::string::npos);
  r = parse_command("sh st");
  REQUIRE(r.command);
  CHECK(r.command->path() == "show status");
  r = parse_command("re peer1");  // restart, reload, restrict
  CHECK(!r.command);
  CHECK(r.error.find("restart") != std::string::npos);
  r = parse_command("rel in peer1");
  REQUIRE(r.command);
  CHECK(r.command->path() == "reload");
  CHECK(r.command->has("in"));
  CHECK(!r.command->has("out"));
}

TEST_CASE("parse: show route options in any order, for, where, bare prefix") {
  auto r = parse_command("show route for 203.0.113.10 all");
  REQUIRE(r.command);
  CHECK(*r.command->get("for") == "203.0.113.10");
  CHECK(r.command->has("all"));
  r = parse_command("show route all protocol peer1 count table master4");
  REQUIRE(r.command);
  CHECK(*r.command->get("protocol") == "peer1");
  CHECK(*r.command->get("table") == "master4");
  CHECK(r.command->has("count"));
  r = parse_command("show route 10.0.0.0/8");
  REQUIRE(r.command);
  CHECK(*r.command->positional == "10.0.0.0/8");
  r = parse_command("show route where bgp_med = 10 && net.len > 8 all");
  REQUIRE(r.command);
  CHECK(*r.command->get("where") == "bgp_med = 10 && net.len > 8");
  CHECK(r.command->has("all"));
  r = parse_command("show route for");
  CHECK(!r.command);
  r = parse_command("show route all all");
  CHECK(!r.command);
  r = parse_command("show route peer1");
  CHECK(!r.command);
}

TEST_CASE("parse: configure family, enable / disable, eval, errors") {
  auto r = parse_command("configure soft \"/etc/rsd/new.conf\" timeout 30");
  REQUIRE(r.command);
  CHECK(r.command->path() == "configure");
  CHECK(r.command->has("soft"));
  CHECK(*r.command->get("timeout") == "30");
  CHECK(*r.command->positional == "/etc/rsd/new.conf");
  r = parse_command("configure timeout");
  REQUIRE(r.command);
  CHECK(r.command->get("timeout")->empty());
  r = parse_command("conf che");
  REQUIRE(r.command);
  CHECK(r.command->path() == "configure check");
  r = parse_command("configure confirm");
  REQUIRE(r.command);
  CHECK(r.command->path() == "configure confirm");
  r = parse_command("enable \"p*\"");
  REQUIRE(r.command);
  CHECK(r.command->positional_quoted);
  r = parse_command("enable");
  CHECK(!r.command);
  r = parse_command("disable peer1 \"maintenance until 10:00\"");
  REQUIRE(r.command);
  CHECK(*r.command->positional == "peer1");
  CHECK(*r.command->get("message") == "maintenance until 10:00");
  r = parse_command("enable peer1 \"text\"");
  CHECK(!r.command);
  r = parse_command("disable peer1 \"a\" \"b\"");
  CHECK(!r.command);
  r = parse_command("eval 1 + 2");
  REQUIRE(r.command);
  CHECK(*r.command->positional == "1 + 2");
  r = parse_command("debug all off");
  REQUIRE(r.command);
  CHECK(*r.command->positional == "all");
  CHECK(r.command->has("off"));
  r = parse_command("frobnicate");
  CHECK(!r.command);
  CHECK(r.error == "syntax error, unknown command 'frobnicate'");
  r = parse_command("show");
  CHECK(!r.command);
  r = parse_command("   ");
  CHECK(r.empty);
  r = parse_command("show status now");
  CHECK(!r.command);
  r = parse_command(std::string(1 << 20, 'x'));
  CHECK(!r.command);
}

TEST_CASE("complete: keywords, options and names") {
  auto c = complete("sh");
  CHECK(c.keywords == std::vector<std::string>{"show"});
  c = complete("show ");
  CHECK(c.keywords == std::vector<std::string>{"failovers", "health", "history", "memory",
                                               "protocols", "route", "services", "status",
                                               "symbols"});
  c = complete("show route pro");
  CHECK(c.keywords == std::vector<std::string>{"protocol"});
  c = complete("show route protocol ");
  CHECK(c.keywords.empty());
  CHECK(c.names == NameKind::Protocol);
  c = complete("show route filter ");
  CHECK(c.names == NameKind::Filter);
  c = complete("disable ");
  CHECK(c.names == NameKind::Protocol);
  c = complete("zz");
  CHECK(c.keywords.empty());
  CHECK(expand("sh ro al") == "show route all");
  CHECK(expand("nonsense") == "nonsense");
  // The positional right after the path, a trailing message last (the history and the command
  // log record the expanded line; it used to come out as `debug states peer1`, and `show history
  // since -10m 10.0.0.0/8`, where the prefix reads as part of the time).
  CHECK(expand("deb peer1 sta ro") == "debug peer1 states routes");
  CHECK(expand("mai web of") == "maintenance web off");
  CHECK(expand("dis peer1 \"going down\"") == "disable peer1 \"going down\"");
  for (const char* line :
       {"deb peer1 sta ro", "mai web of", "dis peer1 \"going down\"", "sh ro for 10.0.0.1 all",
        "restart \"p*\" \"x\"", "sh hi 10.0.0.0/8 si -10m li 5", "conf \"a.conf\" tim 10"}) {
    const std::string line_text = line;
    ParseResult a = parse_command(line_text);
    ParseResult b = parse_command(expand(line_text));
    INFO(line_text);
    REQUIRE(a.command);
    REQUIRE(b.command);
    CHECK(a.command->spec == b.command->spec);
    CHECK(a.command->options == b.command->options);
    CHECK(a.command->positional == b.command->positional);
  }
}

TEST_CASE("parse and complete never fail on random input") {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  auto rnd = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  const std::string alphabet =
      "show route protocols all for table where \"* 10.0.0.0/8 conf check re\t\n x=";
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const std::size_t n = rnd() % 40;
    for (std::size_t j = 0; j < n; ++j) {
      if (rnd() % 4 == 0)
        line += static_cast<char>(rnd() % 256);
      else
        line += alphabet[rnd() % alphabet.size()];
    }
    ParseResult r = parse_command(line);
    CHECK((r.command.has_value() != !r.error.empty()));
    Completion c = complete(line);
    for (const auto& k : c.keywords) CHECK(k.rfind(c.partial, 0) == 0);
    (void)expand(line);
  }
}

TEST_CASE("grammar: health commands and their clash with protocol enable/disable") {
  auto r = parse_command("enable health web");
  REQUIRE(r.command);
  CHECK(r.command->path() == "enable health");
  CHECK(r.command->positional == "web");
  r = parse_command("disable h");  // an abbreviation is a protocol name, not `disable health`
  REQUIRE(r.command);
  CHECK(r.command->path() == "disable");
  CHECK(r.command->positional == "h");
  r = parse_command("enable \"health\"");
  REQUIRE(r.command);
  CHECK(r.command->path() == "enable");
  r = parse_command("drain web over 60 s steps 3");
  REQUIRE(r.command);
  CHECK(r.command->path() == "drain");
  CHECK(r.command->get("over") == "60");
  CHECK(r.command->get("steps") == "3");
  // A service node, by protocol name or next hop, with the node-only ceiling and `keep`.
  r = parse_command("drain node1 over 60 s steps 3 to 700 keep");
  REQUIRE(r.command);
  CHECK(r.command->positional == "node1");
  CHECK(r.command->get("to") == "700");
  CHECK(r.command->has("keep"));
  r = parse_command("drain 2001:db8::11 to 900");
  REQUIRE(r.command);
  CHECK(r.command->positional == "2001:db8::11");
  CHECK(r.command->get("to") == "900");
  CHECK_FALSE(r.command->has("keep"));
  r = parse_command("maint 192.0.2.11 off");
  REQUIRE(r.command);
  CHECK(r.command->positional == "192.0.2.11");
  CHECK(r.command->has("off"));
  r = parse_command("maint web on");
  REQUIRE(r.command);
  CHECK(r.command->path() == "maintenance");
  CHECK(r.command->has("on"));
  CHECK(parse_command("sh heal web").command->path() == "show health");
  CHECK(parse_command("sh hi protocol peer1 since 10 min ago limit 5").command->get("since") ==
        "10 min ago");
  CHECK(parse_command("sh hi 192.0.2.0/24").command->path() == "show history");
  CHECK(parse_command("sh fail").command->path() == "show failovers");
  CHECK_FALSE(parse_command("sh h").command);  // health or history
  CHECK(parse_command("show serv").command->path() == "show services");
  CHECK(!parse_command("drain").command);
  const auto* spec = parse_command("drain web").command->spec;
  CHECK(!spec->restricted_ok);
  CHECK(parse_command("show services").command->spec->restricted_ok);
}
