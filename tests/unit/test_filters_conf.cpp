// The filter language tested in itself (as BIRD's filter/test.conf).
//
// Convention for tests/filters/*.conf (each file is plain filter language: define, function,
// filter, attribute):
//  - every function named `t_NAME()` is one test: the driver runs `filter { t_NAME(); accept; }`
//    against the IPv4 sample route below; it passes when the run ends in accept. Assertions are
//    `bt_assert(EXPR);`, which stops the run with `file:line:col: assertion failed`.
//  - `t6_NAME()` is the same against the IPv6 sample route.
//  - `e_NAME()` must stop with a run-time error (division by zero, undefined attribute, ...).
//  - a file whose first line is `# expect-error: LINE:COL: MESSAGE` must fail to load, with that
//    first error (used for the type checker).
//  - a line `# sample bgp_path: 65001 {65002 65003} 65004` replaces the sample routes' AS path for
//    the tests of that file (braces: an AS_SET; parentheses: an AS_CONFED_SEQUENCE; brackets: an
//    AS_CONFED_SET), as BIRD's own tests cannot build one.
// Sample routes: net 10.1.0.0/16 (t_) or 2001:db8:30::/48 (t6_); from 192.0.2.1; proto "peer1";
// source RTS_BGP; bgp_origin IGP; bgp_path 65001 65002 65003; bgp_next_hop 192.0.2.1 (t6_:
// 2001:db8::1); bgp_med 10; bgp_local_pref 100; bgp_community (65000,1) (65000,2);
// bgp_ext_community (rt, 65000, 100); bgp_large_community (65000, 1, 2).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/lexer.hpp"
#include "filters/compile.hpp"
#include "filters/parser.hpp"
#include "filters/vm.hpp"

using namespace rs;
using namespace rs::filters;

namespace {

// "(65010) [65011] 65001 {65002 65003} 65004": numbers are AS_SEQUENCE members, braces an AS_SET,
// parentheses an AS_CONFED_SEQUENCE, brackets an AS_CONFED_SET.
rib::AsPath parse_path(const std::string& text) {
  rib::AsPath p;
  std::istringstream in(text);
  std::string tok;
  bool in_set = false;
  rib::AsSegmentType group = rib::AsSegmentType::Sequence;
  while (in >> tok) {
    const char o = tok.front(), c = tok.back();
    const bool open = o == '{' || o == '(' || o == '[', close = c == '}' || c == ')' || c == ']';
    if (open) {
      tok.erase(0, 1), in_set = true;
      group = o == '{'   ? rib::AsSegmentType::Set
              : o == '(' ? rib::AsSegmentType::ConfedSequence
                         : rib::AsSegmentType::ConfedSet;
    }
    if (close) tok.pop_back();
    const auto type = in_set ? group : rib::AsSegmentType::Sequence;
    if (open || p.segments.empty() || p.segments.back().type != type)
      p.segments.push_back({type, {}});
    if (!tok.empty()) p.segments.back().asns.push_back(static_cast<uint32_t>(std::stoul(tok)));
    if (close) in_set = false;
  }
  return p;
}

rib::AttrBuilder sample_attrs(bool v6, const std::string& path = "65001 65002 65003") {
  rib::AttrBuilder b;
  b.set_origin(rib::Origin::Igp);
  b.as_path = parse_path(path);
  b.set_present(rib::AttrType::AsPath);
  b.set_next_hop(*rib::IpAddress::parse(v6 ? "2001:db8::1" : "192.0.2.1"));
  b.set_med(10);
  b.set_local_pref(100);
  b.communities.values = {(65000u << 16) | 1, (65000u << 16) | 2};
  b.set_present(rib::AttrType::Communities);
  b.ext_communities.values = {*make_ec(EcKind::Rt, 0, 65000, 100)};
  b.set_present(rib::AttrType::ExtCommunities);
  b.large_communities.values = {{65000, 1, 2}};
  b.set_present(rib::AttrType::LargeCommunities);
  return b;
}

RouteInfo sample_route(bool v6) {
  RouteInfo r;
  r.net = *rib::Prefix::parse(v6 ? "2001:db8:30::/48" : "10.1.0.0/16");
  r.from = *rib::IpAddress::parse("192.0.2.1");
  r.gw = r.from;
  r.proto = "peer1";
  return r;
}

std::vector<std::filesystem::path> conf_files() {
  std::vector<std::filesystem::path> v;
  for (const auto& e : std::filesystem::directory_iterator(RSD_FILTER_TESTS_DIR))
    if (e.path().extension() == ".conf") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

FilterRef caller(const std::string& fn, const SymbolTable& syms, conf::Diagnostics& diags) {
  FilterDecl d;
  d.name = fn;
  auto call = std::make_unique<Expr>();
  call->kind = ExprKind::Call;
  call->name = fn;
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::Expr;
  s->value = std::move(call);
  d.body.push_back(std::move(s));
  auto acc = std::make_unique<Stmt>();
  acc->kind = StmtKind::Accept;
  d.body.push_back(std::move(acc));
  return compile_filter(d, syms, diags);
}

}  // namespace

TEST_CASE("filter language tests in tests/filters/*.conf") {
  auto files = conf_files();
  REQUIRE(files.size() >= 5);
  int tests = 0;
  rib::AttrTable table;
  const rib::AttrRef attrs4 = table.intern(sample_attrs(false));
  const rib::AttrRef attrs6 = table.intern(sample_attrs(true));
  for (const auto& path : files) {
    CAPTURE(path.filename().string());
    std::ifstream in(path);
    std::string first_line;
    std::getline(in, first_line);
    const std::string marker = "# expect-error: ";
    conf::Diagnostics diags;
    SymbolTable syms;
    auto ts = conf::tokenize_file(path.string(), diags);
    const bool ok = parse_filter_file(ts, syms, diags) && !diags.has_errors();
    if (first_line.rfind(marker, 0) == 0) {
      REQUIRE_FALSE(ok);
      CHECK(diags.first_error()->short_string() == first_line.substr(marker.size()));
      ++tests;
      continue;
    }
    REQUIRE_MESSAGE(ok, diags.to_string());
    rib::AttrRef file4 = attrs4, file6 = attrs6;
    for (std::string line = first_line; in; std::getline(in, line)) {
      const std::string sample = "# sample bgp_path: ";
      if (line.rfind(sample, 0) != 0) continue;
      file4 = table.intern(sample_attrs(false, line.substr(sample.size())));
      file6 = table.intern(sample_attrs(true, line.substr(sample.size())));
      CHECK(file4->as_path->to_string() == line.substr(sample.size()));
    }
    Vm vm;
    for (const auto& function : syms.functions()) {
      const auto& name = function.first;
      const bool t4 = name.rfind("t_", 0) == 0, t6 = name.rfind("t6_", 0) == 0,
                 e = name.rfind("e_", 0) == 0;
      if (!t4 && !t6 && !e) continue;
      CAPTURE(name);
      ++tests;
      auto f = caller(name, syms, diags);
      REQUIRE_MESSAGE(f, diags.to_string());
      RunOutput out;
      Verdict v = vm.run(*f, sample_route(t6), t6 ? *file6 : *file4, out);
      if (e) {
        CHECK_MESSAGE(v == Verdict::Error, "expected a run-time error");
      } else {
        CHECK_MESSAGE(v == Verdict::Accept, (out.error + out.log));
      }
    }
  }
  MESSAGE(tests << " filter-language tests run");
  CHECK(tests >= 65);
}
