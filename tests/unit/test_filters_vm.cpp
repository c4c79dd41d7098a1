// VM and compiler: results on sample routes, copy-on-write of attributes, errors with line:col,
// and mutated copies of tests/data/bird-configs/ixp-rs.conf (the whole config:
// test_conf_bird_configs).
#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "conf/lexer.hpp"
#include "filter_test_util.hpp"
#include "filters/lint.hpp"
#include "filters/parser.hpp"
#include "filters/same.hpp"
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

std::string first_error(std::string_view text) {
  auto l = load(text);
  const auto* e = l->diags.first_error();
  return e ? e->short_string() : std::string("(no error)");
}

}  // namespace

TEST_CASE("simple prefix filter: accept / reject, no modification") {
  auto l = load("filter f { if net ~ [ 2001:db8:30::/48+ ] then accept; reject; }");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  auto f = l->syms.filter("f");
  REQUIRE(f);
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  CHECK(vm.run(*f, route("2001:db8:30:1::/64"), *attrs, out) == Verdict::Accept);
  CHECK_FALSE(out.modified);
  CHECK(vm.run(*f, route("2001:db8:31::/48"), *attrs, out) == Verdict::Reject);
  CHECK(vm.run(*f, route("10.0.0.0/8"), *attrs, out) == Verdict::Reject);
}

TEST_CASE("modifications are copy-on-write into the AttrBuilder") {
  auto l = load(R"(
filter f {
  bgp_community.add((65535, 666));
  bgp_community.delete([(65000, *)]);
  bgp_large_community.add((999, 1, 2));
  bgp_path.prepend(65000);
  bgp_local_pref = 200;
  bgp_med = bgp_med + 5;
  accept;
})");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  REQUIRE(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *attrs, out) == Verdict::Accept);
  REQUIRE(out.modified);
  CHECK(out.attrs.communities.values == std::vector<uint32_t>{(65535u << 16) | 666});
  CHECK(out.attrs.large_communities.values.size() == 2);
  CHECK(out.attrs.as_path.to_string() == "65000 65001 65002 65003");
  CHECK(out.attrs.local_pref == 200);
  CHECK(out.attrs.med == 15);
  // The input is untouched.
  CHECK(attrs->communities->values.size() == 2);
  CHECK(attrs->as_path->to_string() == "65001 65002 65003");
}

TEST_CASE("functions, BIRD 2.0 and 2.14 locals, case, messages") {
  auto l = load(R"(
define rs_as = 999;
function mapped(int peer) {
  case peer {
    197000: return 64512;
    65000..65010, 70000: return 1;
    else: return 0;
  }
  return 0;
}
function valid_len(int lo; int hi) -> bool {
  if net.len < lo then return false;
  if net.len > hi then return false;
  return true;
}
filter f
int m;
{
  m = mapped(bgp_path.first);
  int k = m + 1;
  if !valid_len(8, 24) then reject "bad len ", net.len;
  if k = 2 then accept "mapped ", bgp_path.first, " to ", m;
  reject;
}
)");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/25"), *attrs, out) == Verdict::Reject);
  CHECK(out.log == "bad len 25\n");
  out.clear_text();
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/16"), *attrs, out) == Verdict::Accept);
  CHECK(out.log == "mapped 65001 to 1\n");
}

TEST_CASE("runtime errors carry file:line:col") {
  auto l = load("filter f {\n  if 10 / (bgp_med - 10) > 1 then accept;\n  reject;\n}\n");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *attrs, out) == Verdict::Error);
  CHECK(out.error == "t.conf:2:9: division by zero");
}

TEST_CASE("type errors at load time with line:col") {
  CHECK(first_error("filter f { if net ~ 5 then accept; }") ==
        "1:19: operator ~ cannot be applied to prefix and int");
  CHECK(first_error("filter f {\n  bgp_med = \"x\";\n}") ==
        "2:13: cannot assign string to 'bgp_med' of type int");
  CHECK(first_error("filter f { net = 1.2.3.0/24; }") == "1:12: attribute 'net' is read-only");
  // Kept with the route in BIRD (gateway, route destination); rsd has neither, so it refuses.
  CHECK(first_error("filter f { gw = 192.0.2.1; accept; }") ==
        "1:12: assigning 'gw' is not supported (rsd resolves no next hops; set bgp_next_hop "
        "instead)");
  CHECK(first_error("filter f { dest = RTD_BLACKHOLE; accept; }")
            .find("1:12: assigning 'dest' is not supported") == 0);
  CHECK(first_error("filter f { if 1 then accept; }") ==
        "1:15: the condition of if must be bool, got int");
  CHECK(first_error("filter f { x = 1; }") == "1:12: unknown variable or attribute 'x'");
  CHECK(first_error("function g(int a) -> bool { return a; }") ==
        "1:36: function returns bool, but this returns int");
  CHECK(first_error("filter f { if g() then accept; }") == "1:15: unknown function 'g'");
  CHECK(first_error("function g(int a) { return a; }\nfilter f { if g(1, 2) = 1 then accept; }") ==
        "2:15: function 'g' takes 1 argument, got 2");
  CHECK(first_error("filter f { case roa_check(t) { ROA_VALID: accept; } }") ==
        "1:17: roa_check is not supported: rsd does not implement RPKI/ROA validation");
  CHECK(first_error("filter f { if net ~ [ 10.0.0.0/8{20,10} ] then accept; }") ==
        "1:34: invalid prefix pattern range {20,10}: low > high");
  CHECK(first_error("filter f { if (1, 2, 3, 4) = 1 then accept; }") ==
        "1:15: a tuple has 2 (pair) or 3 (large community) fields, not 4");
  CHECK(first_error("filter f { bgp_community.add((70000, 1)); }") ==
        "1:30: pair field out of range (0..65535)");
  CHECK(first_error("filter f { if bgp_path ~ [= 1 2 =] then accept }") ==
        "1:48: expected an expression, got '}'");
  CHECK(first_error("filter f { return 1; }") ==
        "1:12: return outside a function (use accept or reject in a filter)");
  CHECK(first_error("define a = 1;\ndefine a = 2;") == "2:8: 'a' is already defined at t.conf:1:8");
  CHECK(first_error("filter f { if bgp_path.foo = 1 then accept; }") ==
        "1:23: type bgppath has no member 'foo'");
  CHECK(first_error("filter f { int set ss; ss = [1, (1,2)]; }") ==
        "1:33: a set mixing int and pair values is not supported by rsd");
  CHECK(first_error("filter f { int keep; keep = 1; }") ==
        "1:12: 'keep' is a keyword and cannot name a variable");
  CHECK(first_error("filter f { if net ~ [(10, 1..2, 3)] then accept; }") ==
        "1:22: in a large community set item, fields after a range or '*' must be '*'");
  CHECK(first_error("function g(ip a) { print a; }\nfilter f { g(1); accept; }") ==
        "2:14: argument 1 of 'g' must be ip, got int");
  CHECK(first_error("define c = 1;\nfilter f { c = 2; }") ==
        "2:12: 'c' is a constant and cannot be assigned");
  CHECK(first_error("filter f { if bgp_path ~ [= [(1,2)] =] then accept; }") ==
        "1:29: a set in a path mask must be an int set, got pair set");
  CHECK(first_error("filter f { if from.mask(\"x\") = from then accept; }") ==
        "1:25: the argument of .mask() must be int, got string");
  CHECK(first_error("filter f { if net.mask(8) = net then accept; }") ==
        "1:18: type prefix has no member 'mask'");
  CHECK(first_error("filter f { case net.len { 1.2.3.4: accept; } }") ==
        "1:27: case label of type ip cannot match a value of type int");
  CHECK(first_error("filter f int a; int a; { accept; }") ==
        "1:17: variable 'a' is already declared in this function");
  CHECK(first_error("filter f { int a = 1; string a; }") ==
        "1:23: variable 'a' is already declared in this function");
  CHECK(first_error("filter f { if bgp_community ~ [(rt, 1, 2)] then accept; }") ==
        "1:29: operator ~ cannot be applied to clist and ec set");
  CHECK(first_error("filter f { bgp_path.add(1); }") ==
        "1:20: add cannot be applied to bgppath (use prepend)");
  CHECK(first_error("filter f { bgp_community.delete(1.2.3.0/24); }") ==
        "1:33: delete on clist cannot take prefix");
  CHECK(first_error("filter f { if (rt, 70000, 70000) ~ bgp_ext_community then accept; }") ==
        "1:15: extended community value out of range");
  CHECK(first_error("filter f { accept } ") == "1:19: expected an expression, got '}'");
  CHECK(first_error("filter f { if 1 = 1 accept; }") == "1:21: expected 'then', got 'accept'");
  CHECK(first_error("filter f { if net ~ [ 10.0.0.0/8{1,40} ] then accept; }") ==
        "1:36: prefix length out of range (0..32)");
  CHECK(first_error("function f() { int x; x = f(); }") ==
        "1:27: cannot assign void to 'x' of type int");
  CHECK(first_error("filter f { print defined(net.len); }") == "(no error)");  // any value, as BIRD
  CHECK(first_error("filter f { unset(net.len); }") == "1:21: unset() needs a route attribute");
  CHECK(first_error("filter f { unset(net); }") == "1:18: attribute 'net' cannot be unset");
  CHECK(first_error("filter f { if \"a\" < 1 then accept; }") ==
        "1:19: operator < cannot be applied to string and int");
}

TEST_CASE("same(): equal text compiles to the same program, any change differs") {
  auto a = load(
      "define x = 5;\nfunction g(int v) -> bool { return v > x; }\n"
      "filter f { if g(bgp_med) && net ~ [10.0.0.0/8+] then accept; reject; }");
  auto b = load(
      "\n\ndefine x = 5;   # moved and commented\nfunction g(int v) -> bool {\n return v > x;\n}\n"
      "filter f { if g(bgp_med) && net ~ [ 10.0.0.0/8+ ] then accept; reject; }");
  auto c = load(
      "define x = 6;\nfunction g(int v) -> bool { return v > x; }\n"
      "filter f { if g(bgp_med) && net ~ [10.0.0.0/8+] then accept; reject; }");
  auto d = load(
      "define x = 5;\nfunction g(int v) -> bool { return v > x; }\n"
      "filter f { if g(bgp_med) && net ~ [10.0.0.0/9+] then accept; reject; }");
  auto e = load(
      "define x = 5;\nfunction g(int v) -> bool { return v >= x; }\n"
      "filter f { if g(bgp_med) && net ~ [10.0.0.0/8+] then accept; reject; }");
  for (auto* l : {a.get(), b.get(), c.get(), d.get(), e.get()})
    REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  CHECK(same(a->syms.filter("f"), b->syms.filter("f")));
  CHECK_FALSE(same(a->syms.filter("f"), c->syms.filter("f")));
  CHECK_FALSE(same(a->syms.filter("f"), d->syms.filter("f")));
  CHECK_FALSE(same(a->syms.filter("f"), e->syms.filter("f")));
  CHECK(same(FilterRef(), FilterRef()));
  CHECK_FALSE(same(a->syms.filter("f"), FilterRef()));
}

TEST_CASE("hostile input: deep nesting, long chains, random mutations never crash") {
  std::string deep = "filter f { if " + std::string(5000, '(') + "1" + std::string(5000, ')') +
                     " = 1 then accept; }";
  CHECK(first_error(deep).find("nesting too deep") != std::string::npos);
  std::string chain = "filter f { if 1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  chain += " = 1 then accept; }";
  CHECK(first_error(chain).find("expression too long") != std::string::npos);
  std::string blocks = "filter f " + std::string(3000, '{') + std::string(3000, '}');
  CHECK(first_error(blocks).find("nesting too deep") != std::string::npos);

  const std::string text = slurp(std::string(RSD_TEST_DATA_DIR) + "/bird-configs/ixp-rs.conf");
  REQUIRE(text.size() > 10000);
  std::mt19937 rng(7);
  int loaded = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::string m = text;
    for (int k = 0; k < 3; ++k) {
      std::size_t pos = rng() % m.size();
      switch (rng() % 4) {
        case 0:
          m.erase(pos, 1 + rng() % 20);
          break;
        case 1:
          m.insert(pos, m.substr(rng() % m.size(), 1 + rng() % 40));
          break;
        case 2:
          m[pos] = "{}()[];,.=~!+-*/:0123456789abc\"#"[rng() % 33];
          break;
        case 3:
          std::swap(m[pos], m[rng() % m.size()]);
          break;
      }
    }
    auto l = std::make_unique<Loaded>();
    auto ts = conf::tokenize_string(m, "m.conf", l->diags);
    auto r = load_bird_tokens(std::move(l), std::move(ts));
    loaded += !r->diags.has_errors();
    // Run whatever filters survived on a sample route: must never crash.
    rib::AttrTable table;
    auto attrs = table.intern(sample_attrs());
    Vm vm;
    RunOutput out;
    for (const auto& [name, f] : r->syms.filters())
      (void)vm.run(*f, route("192.136.136.0/24"), *attrs, out);
  }
  MESSAGE(loaded << " of 300 mutated configs still loaded");
}

TEST_CASE("family lint: one-family prefix sets in a channel of the other family") {
  auto l = load(R"(
function in_v4() -> bool
prefix set p4;
{
  p4 = [ 10.0.0.0/8+ ];
  if net.type = NET_IP4 then
    if net ~ p4 then return true;
  return false;
}
filter guarded {
  if in_v4() then reject;
  if net.type = NET_IP6 && net ~ [ 2001:db8::/32+ ] then reject;
  accept;
}
filter early_exit {
  if !(net.type = NET_IP6) then reject "v6 only";
  if net ~ [ 2001:db8::/32+ ] then accept;
  reject;
}
filter wiki_style {
  if net ~ [ 10.0.0.0/8+, 192.168.0.0/16+ ] then accept;
  reject;
}
)");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  auto lint = [&](const char* name, rib::Family fam) {
    conf::Diagnostics d;
    lint_channel_family(*l->syms.filter(name), fam, "protocol p", d);
    return d;
  };
  CHECK(lint("guarded", rib::Family::Ipv4).empty());
  CHECK(lint("guarded", rib::Family::Ipv6).empty());
  CHECK(lint("early_exit", rib::Family::Ipv6).empty());
  CHECK(lint("early_exit", rib::Family::Ipv4).empty());  // the test is unreachable there
  CHECK(lint("wiki_style", rib::Family::Ipv4).empty());
  auto d = lint("wiki_style", rib::Family::Ipv6);
  REQUIRE(d.warning_count() == 1);
  CHECK(d.items()[0].short_string() ==
        "21:10: warning: this prefix set has only IPv4 prefixes, but filter 'wiki_style' runs in "
        "the IPv6 "
        "channel of protocol p: the test never matches");
}

TEST_CASE("print formats values as BIRD does") {
  auto l = load(R"(
define p = 10.0.0.0/8;
filter f
clist c;
{
  c = add(-empty-, (65000, 1));
  c = add(c, (65000, 2));
  print 1, " ", true, " ", false, " ", (1, 2), " ", 192.0.2.1, " ", p, " ", "s";
  print (rt, 65000, 100), " ", (ro, 4200000000, 7), " ", (unknown 0x4300, 0, 2), " ", (1, 2, 3);
  print bgp_path, " ", c, " ", bgp_large_community;
  print RTS_BGP, " ", NET_IP6, " ", [1, 3..5], " ", [ 10.0.0.0/8+, 10.0.0.0/8-, 10.0.0.0/8{9,10}, 1.0.0.0/8 ];
  print [= * 65001 ? 1..2 [3, 4] 5+ =], " ", [(1, *)], " ", [(rt, 1, 2..3)], " ", [(1, 2, *)];
  printn "a";
  printn "b";
  accept;
})");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  REQUIRE(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *attrs, out) == Verdict::Accept);
  CHECK(out.log ==
        "1 TRUE FALSE (1,2) 192.0.2.1 10.0.0.0/8 s\n"
        "(rt, 65000, 100) (ro, 4200000000, 7) (generic, 0x43000000, 0x2) (1, 2, 3)\n"
        "(path 65001 65002 65003) (clist (65000,1) (65000,2)) (lclist (65000, 1, 2))\n"
        "(enum 30)11 (enum 36)2 [1, 3..5] [10.0.0.0/8+, 10.0.0.0/8-, 10.0.0.0/8{9,10}, 1.0.0.0/8]\n"
        "[= * 65001 ? 1..2 [3..4] 5 + =] [(1,0)..(1,65535)] [(rt, 1, 2)..(rt, 1, 3)] [(1, 2, "
        "0)..(1, 2, 4294967295)]\n"
        "ab");
}

TEST_CASE("AS_SET segments: length, last, masks") {
  auto l = load(R"(
filter f {
  bt_assert(bgp_path.len = 3);
  bt_assert(bgp_path.first = 65001);
  bt_assert(bgp_path.last = 0);
  bt_assert(bgp_path.last_nonaggregated = 65002);
  bt_assert(65010 ~ bgp_path);
  bt_assert(bgp_path ~ [= 65001 65002 65010 =]);
  bt_assert(bgp_path ~ [= 65001 65002 65011 =]);
  bt_assert(bgp_path ~ [= * ? =]);
  # As BIRD 2.0.12: one AS_SET may be matched by several items in a row.
  bt_assert(bgp_path ~ [= * 65010 65011 =]);
  bt_assert(!(bgp_path ~ [= * 65010 65012 =]));
  bgp_path.delete([65010..65011]);
  bt_assert(bgp_path.len = 2 && bgp_path.last = 65002);
  accept;
})");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrBuilder b = sample_attrs();
  b.as_path.segments = {{rib::AsSegmentType::Sequence, {65001, 65002}},
                        {rib::AsSegmentType::Set, {65010, 65011}}};
  Vm vm;
  RunOutput out;
  CHECK_MESSAGE(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), b, out) == Verdict::Accept,
                out.error);
  CHECK(out.attrs.as_path.to_string() == "65001 65002");
}

TEST_CASE("route fields, unset lists, custom attributes in the output") {
  auto l = load(R"(
attribute int tag;
attribute ip seen_from;
filter f {
  preference = 50;
  unset(bgp_community);
  unset(bgp_med);
  tag = tag + 1;
  seen_from = from;
  accept;
})");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  std::vector<CustomValue> custom_in = {{0, Value::integer(41)}};
  REQUIRE(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *attrs, out, &custom_in) ==
          Verdict::Accept);
  CHECK(out.route_modified);
  CHECK(out.preference == 50);
  REQUIRE(out.modified);
  CHECK(out.attrs.communities.empty());
  CHECK_FALSE(out.attrs.has(rib::AttrType::Communities));
  CHECK_FALSE(out.attrs.has(rib::AttrType::Med));
  CHECK(out.attrs.has(rib::AttrType::LargeCommunities));
  REQUIRE(out.custom.size() == 2);
  CHECK(out.custom[0].id == 0);
  CHECK(out.custom[0].value.as_int() == 42);
  CHECK(out.custom[1].value.ip == *rib::IpAddress::parse("192.0.2.1"));
  // Without the input custom attribute, `tag` reads as void, and void + 1 is a run-time error.
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *attrs, out) == Verdict::Error);
  CHECK(out.error == "t.conf:8:13: arithmetic needs int operands, got void and int");
}

TEST_CASE("entry points for the config parser: inline filters, where, constants") {
  SymbolTable syms;
  conf::Diagnostics d;
  {
    auto ts =
        conf::tokenize_string("define lim = 24; define nets = [ 10.0.0.0/8{8,24} ];", "a.conf", d);
    REQUIRE(parse_filter_file(ts, syms, d));
  }
  auto ts = conf::tokenize_string(
      "{ if net ~ nets then accept; reject; } net.len <= lim && net ~ nets 2 * lim + 1", "b.conf",
      d);
  auto inline_f = parse_filter_body(ts, syms, d);
  REQUIRE(inline_f);
  CHECK(inline_f->name().empty());
  auto where_f = parse_where(ts, syms, d);
  REQUIRE(where_f);
  auto c = parse_constant(ts, syms, d);
  REQUIRE(c);
  CHECK(c->as_int() == 49);
  CHECK(ts.at_end());
  CHECK_FALSE(d.has_errors());
  rib::AttrTable table;
  auto attrs = table.intern(sample_attrs());
  Vm vm;
  RunOutput out;
  CHECK(vm.run(*inline_f, route("10.1.0.0/16"), *attrs, out) == Verdict::Accept);
  CHECK(vm.run(*where_f, route("10.1.0.0/16"), *attrs, out) == Verdict::Accept);
  CHECK(vm.run(*where_f, route("10.1.1.0/25"), *attrs, out) == Verdict::Reject);
  CHECK(vm.run(*where_f, route("11.0.0.0/16"), *attrs, out) == Verdict::Reject);
}

TEST_CASE("nested for loops are bounded: a runaway filter fails instead of holding the loop") {
  // Six nested loops over a 16-member clist are 16^6 = 16.7 million iterations: more than the
  // run's budget of calls and iterations. Four nested (65,536) run to the end.
  auto nested = [](int depth) {
    std::string body = "n = n + 1;";
    for (int d = depth; d > 0; --d)
      body = "for pair p" + std::to_string(d) + " in bgp_community do { " + body + " }";
    return "filter f\nint n;\n{ n = 0; " + body + " if n > 0 then accept; reject; }\n";
  };
  rib::AttrBuilder b = sample_attrs();
  b.communities.values.clear();
  for (uint32_t i = 0; i < 16; ++i) b.communities.values.push_back(0xFDE80000 + i);
  b.set_present(rib::AttrType::Communities);
  Vm vm;
  RunOutput out;
  auto ok = load(nested(4));
  REQUIRE_MESSAGE(ok->ok, ok->diags.to_string());
  CHECK_MESSAGE(vm.run(*ok->syms.filter("f"), route("10.0.0.0/8"), b, out) == Verdict::Accept,
                out.error);
  auto runaway = load(nested(6));
  REQUIRE_MESSAGE(runaway->ok, runaway->diags.to_string());
  CHECK(vm.run(*runaway->syms.filter("f"), route("10.0.0.0/8"), b, out) == Verdict::Error);
  CHECK(out.error.find("filter runs too long") != std::string::npos);
}
