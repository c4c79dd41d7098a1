// Tests of the configuration tokenizer: comments, literals, addresses vs pairs and case labels,
// operators, locations, include expansion (globs, depth, cycles) and error reporting.
#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "conf/lexer.hpp"

using namespace rs::conf;
using TK = TokenKind;

namespace {

std::vector<Token> lex(std::string_view text, Diagnostics& d) {
  TokenStream ts = tokenize_string(text, "t.conf", d);
  std::vector<Token> out;
  while (!ts.at_end()) out.push_back(ts.next());
  return out;
}

std::vector<TK> kinds(std::string_view text) {
  Diagnostics d;
  std::vector<TK> out;
  for (const auto& t : lex(text, d)) out.push_back(t.kind);
  CHECK_MESSAGE(!d.has_errors(), d.to_string());
  return out;
}

std::string first_error(std::string_view text) {
  Diagnostics d;
  (void)lex(text, d);
  return d.first_error() ? d.first_error()->to_string() : std::string();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/rsd_lexer_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    auto p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace

TEST_CASE("comments and blanks are skipped; locations are 1-based line:col") {
  Diagnostics d;
  auto toks = lex("# comment\n  router /* x\n y */ id\t1.2.3.4;", d);
  REQUIRE(toks.size() == 4);
  CHECK(toks[0].is_keyword("router"));
  CHECK(toks[0].loc.line == 2);
  CHECK(toks[0].loc.col == 3);
  CHECK(toks[1].is_keyword("id"));
  CHECK(toks[1].loc.line == 3);
  CHECK(toks[1].loc.col == 7);
  CHECK(toks[2].kind == TK::Ipv4);
  CHECK(toks[2].ip == rs::rib::IpAddress::v4(0x01020304));
  CHECK(toks[2].loc.to_string() == "t.conf:3:10");
  CHECK(toks[3].kind == TK::Semicolon);
}

TEST_CASE("numbers: decimal, hex, overflow") {
  Diagnostics d;
  auto toks = lex("0 4294967295 0x1F 18446744073709551615", d);
  REQUIRE(toks.size() == 4);
  CHECK(toks[0].number == 0);
  CHECK(toks[1].number == 4294967295ULL);
  CHECK(toks[2].number == 31);
  CHECK(toks[3].number == UINT64_MAX);
  CHECK_FALSE(d.has_errors());
  CHECK(first_error("x 18446744073709551616;") ==
        "t.conf:1:3: number '18446744073709551616' is too large");
  CHECK(first_error("0x;") == "t.conf:1:1: invalid hexadecimal number '0x'");
}

TEST_CASE("strings with escapes; unterminated string") {
  Diagnostics d;
  auto toks = lex(R"("a\"b\\c\n" 'quoted-name.1:2')", d);
  REQUIRE(toks.size() == 2);
  CHECK(toks[0].kind == TK::String);
  CHECK(toks[0].text == "a\"b\\c\n");
  CHECK(toks[1].kind == TK::Symbol);
  CHECK(toks[1].quoted);
  CHECK(toks[1].text == "quoted-name.1:2");
  CHECK_FALSE(toks[1].is_keyword("quoted-name.1:2"));
  CHECK(first_error("log \"abc") == "t.conf:1:5: unterminated string");
  CHECK(first_error("/* never closed") == "t.conf:1:1: unterminated comment '/*'");
}

TEST_CASE("IPv6 addresses are not confused with pairs, case labels or times") {
  CHECK(kinds("2001:db8::1") == std::vector<TK>{TK::Ipv6});
  CHECK(kinds("::/0") == std::vector<TK>{TK::Prefix});
  CHECK(kinds("::1") == std::vector<TK>{TK::Ipv6});
  CHECK(kinds("fe80::/10") == std::vector<TK>{TK::Prefix});
  CHECK(kinds("a000::/3{3,128}") ==
        std::vector<TK>{TK::Prefix, TK::LBrace, TK::Number, TK::Comma, TK::Number, TK::RBrace});
  CHECK(kinds("2001:db8:1:1::22 : return") == std::vector<TK>{TK::Ipv6, TK::Colon, TK::Symbol});
  CHECK(kinds("2001:db8::1: x") == std::vector<TK>{TK::Ipv6, TK::Colon, TK::Symbol});
  CHECK(kinds("65000:1") == std::vector<TK>{TK::Number, TK::Colon, TK::Number});
  CHECK(kinds("197000: return") == std::vector<TK>{TK::Number, TK::Colon, TK::Symbol});
  CHECK(kinds("(65000,1)") ==
        std::vector<TK>{TK::LParen, TK::Number, TK::Comma, TK::Number, TK::RParen});
  CHECK(kinds("(999, 65530, 0)") == std::vector<TK>{TK::LParen, TK::Number, TK::Comma, TK::Number,
                                                    TK::Comma, TK::Number, TK::RParen});
  CHECK(kinds("10 s") == std::vector<TK>{TK::Number, TK::Symbol});
  CHECK(kinds("10ms") == std::vector<TK>{TK::Number, TK::Symbol});
  CHECK(kinds("add paths") == std::vector<TK>{TK::Symbol, TK::Symbol});
  CHECK(kinds("deadbeef") == std::vector<TK>{TK::Symbol});
  CHECK(kinds("::ffff:192.0.2.1") == std::vector<TK>{TK::Ipv6});
  Diagnostics d;
  auto toks = lex("2001:db8:1:1::33 ::ffff:192.0.2.1", d);
  REQUIRE(toks.size() == 2);
  CHECK(toks[0].ip.to_string() == "2001:db8:1:1::33");
  CHECK(toks[1].ip == *rs::rib::IpAddress::parse("::ffff:192.0.2.1"));
  CHECK(first_error("1:2:3:4:5:6:7:8:9") == "t.conf:1:1: invalid IPv6 address '1:2:3:4:5:6:7:8:9'");
}

TEST_CASE("prefixes: attached /N only, lengths checked") {
  Diagnostics d;
  auto toks = lex("10.0.0.0/8 192.0.2.0 / 24 2001:db8::/32+", d);
  REQUIRE(toks.size() == 6);
  CHECK(toks[0].kind == TK::Prefix);
  CHECK(toks[0].prefix_len == 8);
  CHECK(toks[0].prefix().to_string() == "10.0.0.0/8");
  CHECK(toks[1].kind == TK::Ipv4);
  CHECK(toks[2].kind == TK::Slash);
  CHECK(toks[3].kind == TK::Number);
  CHECK(toks[4].kind == TK::Prefix);
  CHECK(toks[4].prefix_len == 32);
  CHECK(toks[5].kind == TK::Plus);
  CHECK(first_error("10.0.0.0/33") ==
        "t.conf:1:1: invalid prefix length 33 in '10.0.0.0/33' (at most 32)");
  CHECK(first_error("300.0.0.1") == "t.conf:1:1: invalid IPv4 address '300.0.0.1'");
  CHECK(kinds("10..20") == std::vector<TK>{TK::Number, TK::DotDot, TK::Number});
  CHECK(kinds("1.2.3") == std::vector<TK>{TK::Number, TK::Dot, TK::Number, TK::Dot, TK::Number});
}

TEST_CASE("operators") {
  CHECK(
      kinds(".. != <= >= == !~ && || -> [= =] { } ( ) [ ] ; , : . + - * / % < > = ! ~ ?") ==
      std::vector<TK>{TK::DotDot,        TK::Ne,       TK::Le,        TK::Ge,     TK::Eq,
                      TK::NotTilde,      TK::And,      TK::Or,        TK::Arrow,  TK::PathMaskOpen,
                      TK::PathMaskClose, TK::LBrace,   TK::RBrace,    TK::LParen, TK::RParen,
                      TK::LBracket,      TK::RBracket, TK::Semicolon, TK::Comma,  TK::Colon,
                      TK::Dot,           TK::Plus,     TK::Minus,     TK::Star,   TK::Slash,
                      TK::Percent,       TK::Lt,       TK::Gt,        TK::Assign, TK::Not,
                      TK::Tilde,         TK::Question});
  CHECK(kinds("bgp_path.len") == std::vector<TK>{TK::Symbol, TK::Dot, TK::Symbol});
  CHECK(first_error("a & b") == "t.conf:1:3: unexpected character '&' (did you mean '&&'?)");
  CHECK(first_error("x $") == "t.conf:1:3: unexpected character '$'");
  CHECK(first_error("x \x01") == "t.conf:1:3: unexpected character '\\x01'");
}

TEST_CASE("stream: peek, next, reset, slice, End location") {
  Diagnostics d;
  TokenStream ts = tokenize_string("a b\nc", "t.conf", d);
  CHECK(ts.peek(0).text == "a");
  CHECK(ts.peek(1).text == "b");
  CHECK(ts.peek(2).text == "c");
  CHECK(ts.peek(3).kind == TK::End);
  CHECK(ts.peek(100).kind == TK::End);
  CHECK(ts.peek(3).loc.to_string() == "t.conf:2:2");
  std::size_t mark = ts.position();
  CHECK(ts.accept_keyword("a"));
  CHECK_FALSE(ts.accept_keyword("a"));
  CHECK(ts.previous().text == "a");
  ts.reset(mark);
  CHECK(ts.next().text == "a");
  TokenRange r = ts.slice(ts.position(), ts.position() + 1);
  TokenStream sub(r);
  CHECK(sub.next().text == "b");
  CHECK(sub.at_end());
  CHECK(sub.peek().kind == TK::End);
  CHECK(sub.peek().loc.line == 2);  // End of a sub-range sits on the token after it
  ts.next();
  ts.next();
  CHECK(ts.at_end());
  CHECK(ts.next().kind == TK::End);
}

TEST_CASE("include: glob in alphabetical order, relative to the including file") {
  TempDir dir;
  dir.write("peers/b.conf", "b;");
  dir.write("peers/a.conf", "a;");
  dir.write("sub/x.conf", "include \"y.conf\"; x;");
  dir.write("sub/y.conf", "y;");
  std::string main =
      dir.write("main.conf", "start; include \"peers/*.conf\"; include \"sub/x.conf\"; end;");
  Diagnostics d;
  TokenStream ts = tokenize_file(main, d);
  CHECK_MESSAGE(!d.has_errors(), d.to_string());
  std::string seq;
  while (!ts.at_end()) {
    const Token& t = ts.next();
    if (t.kind == TK::Symbol) seq += t.text + " ";
  }
  CHECK(seq == "start a b y x end ");
  // A wildcard matching nothing is fine; a plain name that is missing is not.
  Diagnostics d2;
  (void)tokenize_string("include \"nothing-*.conf\";", dir.path.string() + "/m.conf", d2);
  CHECK_FALSE(d2.has_errors());
  Diagnostics d3;
  (void)tokenize_string("\n  include \"missing.conf\";", dir.path.string() + "/m.conf", d3);
  REQUIRE(d3.first_error());
  CHECK(d3.first_error()->short_string() == "2:11: cannot open include file '" + dir.path.string() +
                                                "/missing.conf': No such file or directory");
}

TEST_CASE("include: cycles and depth are errors, not crashes") {
  TempDir dir;
  std::string a = dir.write("a.conf", "include \"b.conf\";");
  dir.write("b.conf", "include \"a.conf\";");
  Diagnostics d;
  (void)tokenize_file(a, d);
  REQUIRE(d.first_error());
  CHECK(d.first_error()->to_string() == dir.path.string() + "/b.conf:1:9: include cycle: '" +
                                            dir.path.string() + "/a.conf' is already being read");
  std::string self = dir.write("self.conf", "x; include \"self.conf\";");
  Diagnostics d2;
  (void)tokenize_file(self, d2);
  CHECK(d2.error_count() == 1);
  // A chain deeper than 8 files.
  for (int k = 0; k < 10; ++k)
    dir.write("d" + std::to_string(k) + ".conf",
              "include \"d" + std::to_string(k + 1) + ".conf\";");
  dir.write("d10.conf", "x;");
  Diagnostics d3;
  (void)tokenize_file((dir.path / "d0.conf").string(), d3);
  REQUIRE(d3.first_error());
  CHECK(d3.first_error()->message == "include depth limit (8) exceeded by 'include \"d8.conf\"'");
  CHECK(d3.first_error()->location.file_name() == (dir.path / "d7.conf").string());
  // Syntax errors of include itself.
  CHECK(first_error("include foo;") == "t.conf:1:9: expected a file name string after 'include'");
  CHECK(first_error("include \"x\"") == "t.conf:1:12: expected ';' after 'include \"x\"'");
  Diagnostics d4;
  (void)tokenize_string("include \"x\";", "t.conf", d4, LexOptions{.allow_include = false});
  REQUIRE(d4.first_error());
  CHECK(d4.first_error()->to_string() == "t.conf:1:9: 'include' is not allowed here");
  Diagnostics d5;
  (void)tokenize_file((dir.path / "nope.conf").string(), d5);
  REQUIRE(d5.first_error());
  CHECK(d5.first_error()->short_string() ==
        "1:1: cannot open '" + (dir.path / "nope.conf").string() + "': No such file or directory");
}

TEST_CASE("diagnostics format") {
  Diagnostics d;
  auto f = std::make_shared<const std::string>("x.conf");
  d.warning(Location{f, 3, 4}, "something odd");
  d.error(Location{f, 5, 6}, "broken");
  CHECK(d.to_string() == "x.conf:3:4: warning: something odd\nx.conf:5:6: broken\n");
  CHECK(d.error_count() == 1);
  CHECK(d.warning_count() == 1);
  for (int k = 0; k < 200; ++k) d.error(Location{f, 1, 1}, "e");
  CHECK(d.error_count() == 201);
  CHECK(d.items().size() == Diagnostics::kMaxStoredErrors + 1);
}

TEST_CASE("diagnostics sort by file order, line, column; stable") {
  Diagnostics d;
  auto main = std::make_shared<const std::string>("main.conf");
  auto inc = std::make_shared<const std::string>("inc.conf");
  d.error(Location{inc, 1, 1}, "in include");
  d.error(Location{main, 9, 2}, "late");
  d.warning(Location{main, 2, 5}, "early b");
  d.error(Location{main, 2, 5}, "early c");
  d.error(Location{main, 2, 1}, "early a");
  d.sort_by_location({"main.conf", "inc.conf"});
  std::string order;
  for (const auto& x : d.items()) order += x.message + "|";
  CHECK(order == "early a|early b|early c|late|in include|");
}
