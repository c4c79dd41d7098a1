// Filter-language behaviours that the differential corpus (tests/diff/filters) found differing from
// BIRD 2.0.12, pinned here as BIRD does them: int sets as path mask elements, recursion depth, and
// what an export filter assigned (the export rewrite keeps a next hop and a MED it set).
#include <doctest/doctest.h>

#include <string>

#include "conf/lexer.hpp"
#include "filter_test_util.hpp"
#include "filters/parser.hpp"
#include "filters/vm.hpp"

using namespace rs;
using namespace rs::filters;
using namespace rs::filters::test;

namespace {

std::unique_ptr<Loaded> load(std::string_view text) {
  auto l = std::make_unique<Loaded>();
  auto ts = conf::tokenize_string(text, "t.conf", l->diags);
  l->ok = parse_filter_file(ts, l->syms, l->diags) && !l->diags.has_errors();
  return l;
}

// sample_attrs() has the path 65001 65002 65003.
rib::AttrBuilder with_path(std::vector<uint32_t> asns) {
  rib::AttrBuilder b = sample_attrs();
  b.as_path.segments = {{rib::AsSegmentType::Sequence, std::move(asns)}};
  return b;
}

}  // namespace

TEST_CASE("a define or a variable holding an int set is a set element of a path mask") {
  auto l = load(R"(
define PRIV = [ 64512..65534, 4200000000..4294967294 ];
filter by_define {
  if bgp_path ~ [= * PRIV * =] then accept;
  reject;
}
filter by_define_plus {
  if bgp_path ~ [= PRIV+ =] then accept;
  reject;
}
filter by_variable
int set ss;
int last_as;
{
  ss = [ 65002, 65010..65020 ];
  last_as = bgp_path.last;
  if bgp_path ~ [= ? ss last_as =] then accept;
  reject;
}
)");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  Vm vm;
  RunOutput out;
  auto priv = table.intern(with_path({174, 64600, 13335}));
  auto pub = table.intern(with_path({174, 3356, 13335}));
  auto all_priv = table.intern(with_path({64512, 65534, 4200000001}));
  CHECK(vm.run(*l->syms.filter("by_define"), route("10.0.0.0/8"), *priv, out) == Verdict::Accept);
  CHECK(vm.run(*l->syms.filter("by_define"), route("10.0.0.0/8"), *pub, out) == Verdict::Reject);
  CHECK(vm.run(*l->syms.filter("by_define_plus"), route("10.0.0.0/8"), *all_priv, out) ==
        Verdict::Accept);
  CHECK(vm.run(*l->syms.filter("by_define_plus"), route("10.0.0.0/8"), *priv, out) ==
        Verdict::Reject);
  auto sample = table.intern(sample_attrs());  // 65001 65002 65003
  CHECK(vm.run(*l->syms.filter("by_variable"), route("10.0.0.0/8"), *sample, out) ==
        Verdict::Accept);
  auto other = table.intern(with_path({65001, 65009, 65003}));
  CHECK(vm.run(*l->syms.filter("by_variable"), route("10.0.0.0/8"), *other, out) ==
        Verdict::Reject);
}

TEST_CASE("a path mask element of another set type is refused at load time") {
  auto l = load(R"(
define PAIRS = [ (65000, 1) ];
filter f { if bgp_path ~ [= * PAIRS * =] then accept; reject; }
)");
  CHECK_FALSE(l->ok);
  CHECK(l->diags.to_string().find("must be an int or an int set, got pair set") !=
        std::string::npos);
}

TEST_CASE("recursion 1,000 calls deep runs (BIRD 2.0.12 runs 1,200); beyond the limit it fails") {
  auto l = load(R"(
function depth(int n) {
  if n = 0 then return 0;
  return 1 + depth(n - 1);
}
filter f {
  if depth(bgp_med) = bgp_med then accept;
  reject;
}
)");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  Vm vm;
  RunOutput out;
  rib::AttrBuilder b = sample_attrs();
  b.set_med(128);  // an IPv6 host route's length: the corpus entry func_recursion
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *table.intern(b), out) ==
        Verdict::Accept);
  b.set_med(1000);
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *table.intern(b), out) ==
        Verdict::Accept);
  b.set_med(Vm::kMaxDepth + 10);
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *table.intern(b), out) == Verdict::Error);
  CHECK(out.error.find("nested too deeply") != std::string::npos);
  // The same Vm runs normally afterwards.
  out.clear_text();
  b.set_med(3);
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *table.intern(b), out) ==
        Verdict::Accept);
}

TEST_CASE("the run output says whether bgp_next_hop and bgp_med were assigned") {
  auto l = load(R"(
filter set_both { bgp_next_hop = 192.0.2.98; bgp_med = 7; accept; }
filter set_then_unset { bgp_next_hop = 192.0.2.98; bgp_med = 7; unset(bgp_med); accept; }
filter other { bgp_community.add((65000, 1)); accept; }
)");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  REQUIRE(vm.run(*l->syms.filter("set_both"), route("10.0.0.0/8"), *attrs, out) == Verdict::Accept);
  CHECK(out.next_hop_set);
  CHECK(out.med_set);
  REQUIRE(vm.run(*l->syms.filter("set_then_unset"), route("10.0.0.0/8"), *attrs, out) ==
          Verdict::Accept);
  CHECK(out.next_hop_set);
  CHECK_FALSE(out.med_set);
  REQUIRE(vm.run(*l->syms.filter("other"), route("10.0.0.0/8"), *attrs, out) == Verdict::Accept);
  CHECK_FALSE(out.next_hop_set);
  CHECK_FALSE(out.med_set);
}
