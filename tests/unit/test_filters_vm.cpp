// VM and compiler: results on sample routes, copy-on-write of attributes, errors with line:col,
// and the real route-server configs in ../shared/data/bird-configs.
#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <random>
#include <fstream>
#include <sstream>

#include "conf/lexer.hpp"
#include "filters/parser.hpp"
#include "filters/lint.hpp"
#include "filters/same.hpp"
#include "filters/vm.hpp"

using namespace rs;
using namespace rs::filters;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

namespace {

struct Loaded {
  SymbolTable syms;
  conf::Diagnostics diags;
  bool ok = false;
};

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

rib::AttrBuilder sample_attrs() {
  rib::AttrBuilder b;
  b.set_origin(rib::Origin::Igp);
  b.as_path.segments.push_back({rib::AsSegmentType::Sequence, {65001, 65002, 65003}});
  b.set_present(rib::AttrType::AsPath);
  b.set_next_hop(*rib::IpAddress::parse("192.0.2.1"));
  b.set_med(10);
  b.set_local_pref(100);
  b.communities.values = {(65000u << 16) | 1, (65000u << 16) | 2};
  b.set_present(rib::AttrType::Communities);
  b.large_communities.values = {{65000, 1, 2}};
  b.set_present(rib::AttrType::LargeCommunities);
  return b;
}

RouteInfo route(const char* net) {
  RouteInfo r;
  r.net = *rib::Prefix::parse(net);
  r.from = *rib::IpAddress::parse("192.0.2.1");
  r.proto = "peer1";
  return r;
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
function mapped(int asn) {
  case asn {
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
  CHECK(first_error("filter f { if net ~ 5 then accept; }") == "1:19: operator ~ cannot be applied to prefix and int");
  CHECK(first_error("filter f {\n  bgp_med = \"x\";\n}") == "2:13: cannot assign string to 'bgp_med' of type int");
  CHECK(first_error("filter f { net = 1.2.3.0/24; }") == "1:12: attribute 'net' is read-only");
  CHECK(first_error("filter f { if 1 then accept; }") == "1:15: the condition of if must be bool, got int");
  CHECK(first_error("filter f { x = 1; }") == "1:12: unknown variable or attribute 'x'");
  CHECK(first_error("function g(int a) -> bool { return a; }") == "1:36: function returns bool, but this returns int");
  CHECK(first_error("filter f { if g() then accept; }") == "1:15: unknown function 'g'");
  CHECK(first_error("function g(int a) { return a; }\nfilter f { if g(1, 2) = 1 then accept; }") ==
        "2:15: function 'g' takes 1 argument, got 2");
  CHECK(first_error("filter f { case roa_check(t) { ROA_VALID: accept; } }") ==
        "1:17: roa_check is not supported: rsd does not implement RPKI/ROA validation");
  CHECK(first_error("filter f { if net ~ [ 10.0.0.0/8{20,10} ] then accept; }") ==
        "1:34: invalid prefix pattern range {20,10}: low > high");
  CHECK(first_error("filter f { if (1, 2, 3, 4) = 1 then accept; }") == "1:15: a tuple has 2 (pair) or 3 (large community) fields, not 4");
  CHECK(first_error("filter f { bgp_community.add((70000, 1)); }") == "1:30: pair field out of range (0..65535)");
  CHECK(first_error("filter f { if bgp_path ~ [= 1 2 =] then accept }") == "1:48: expected an expression, got '}'");
  CHECK(first_error("filter f { return 1; }") == "1:12: return outside a function (use accept or reject in a filter)");
  CHECK(first_error("define a = 1;\ndefine a = 2;") == "2:8: 'a' is already defined at t.conf:1:8");
  CHECK(first_error("filter f { if bgp_path.foo = 1 then accept; }") ==
        "1:23: type bgppath has no member 'foo'");
  CHECK(first_error("filter f { int set s; s = [1, (1,2)]; }") ==
        "1:31: a set mixing int and pair values is not supported by rsd");
  CHECK(first_error("filter f { if net ~ [(10, 1..2, 3)] then accept; }") ==
        "1:22: in a large community set item, fields after a range or '*' must be '*'");
  CHECK(first_error("function g(ip a) { print a; }\nfilter f { g(1); accept; }") == "2:14: argument 1 of 'g' must be ip, got int");
  CHECK(first_error("define c = 1;\nfilter f { c = 2; }") == "2:12: 'c' is a constant and cannot be assigned");
  CHECK(first_error("filter f { if bgp_path ~ [= [(1,2)] =] then accept; }") == "1:29: a set in a path mask must be an int set, got pair set");
  CHECK(first_error("filter f { if net.mask(\"x\") = net then accept; }") == "1:24: the argument of .mask() must be int, got string");
  CHECK(first_error("filter f { case net.len { 1.2.3.4: accept; } }") == "1:27: case label of type ip cannot match a value of type int");
  CHECK(first_error("filter f int a; int a; { accept; }") == "1:17: variable 'a' is already declared in this function");
  CHECK(first_error("filter f { int a = 1; string a; }") == "1:23: variable 'a' is already declared in this function");
  CHECK(first_error("filter f { if bgp_community ~ [(rt, 1, 2)] then accept; }") == "1:29: operator ~ cannot be applied to clist and ec set");
  CHECK(first_error("filter f { bgp_path.add(1); }") == "1:20: add cannot be applied to bgppath (use prepend)");
  CHECK(first_error("filter f { bgp_community.delete(1.2.3.0/24); }") == "1:33: delete on clist cannot take prefix");
  CHECK(first_error("filter f { if (rt, 70000, 70000) ~ bgp_ext_community then accept; }") == "1:15: extended community value out of range");
  CHECK(first_error("filter f { accept } ") == "1:19: expected an expression, got '}'");
  CHECK(first_error("filter f { if 1 = 1 accept; }") == "1:21: expected 'then', got 'accept'");
  CHECK(first_error("filter f { if net ~ [ 10.0.0.0/8{1,40} ] then accept; }") == "1:36: prefix length out of range (0..32)");
  CHECK(first_error("function f() { int x; x = f(); }") == "1:27: cannot assign void to 'x' of type int");
  CHECK(first_error("filter f { print defined(net.len); }") == "1:29: defined() needs a route attribute");
  CHECK(first_error("filter f { unset(net); }") == "1:18: attribute 'net' cannot be unset");
  CHECK(first_error("filter f { if \"a\" < 1 then accept; }") == "1:19: operator < cannot be applied to string and int");
}

namespace {
// Loads the filter-language parts of a full BIRD config: define / function / filter; every other
// top-level statement is skipped. Returns the diagnostics.
std::unique_ptr<Loaded> load_bird_tokens(std::unique_ptr<Loaded> l, conf::TokenStream ts);
std::unique_ptr<Loaded> load_bird_config(const std::string& path) {
  auto l = std::make_unique<Loaded>();
  auto ts = conf::tokenize_file(path, l->diags);
  return load_bird_tokens(std::move(l), std::move(ts));
}
std::unique_ptr<Loaded> load_bird_tokens(std::unique_ptr<Loaded> l, conf::TokenStream ts) {
  while (!ts.at_end() && !ts.next_is(conf::TokenKind::End)) {
    const auto& t = ts.peek();
    const std::size_t before = ts.position();
    bool r = true;
    if (t.is_keyword("function")) r = parse_function_definition(ts, l->syms, l->diags);
    else if (t.is_keyword("filter")) r = parse_filter_definition(ts, l->syms, l->diags) != nullptr;
    else if (t.is_keyword("define")) r = parse_define(ts, l->syms, l->diags);
    else skip_construct(ts);
    if (!r) {
      ts.reset(before);
      skip_construct(ts);
    }
    if (ts.position() == before) ts.next();
  }
  return l;
}
}  // namespace

TEST_CASE("arouteserver configs: every function and filter loads; roa_check is the only error") {
  for (const char* name : {"arouteserver-default-bird2.0.conf", "arouteserver-default-bird2.conf",
                           "arouteserver-rich-bird2.0.conf", "arouteserver-rich-bird2.conf"}) {
    CAPTURE(name);
    auto l = load_bird_config(std::string(RSD_SHARED_DATA_DIR) + "/bird-configs/" + name);
    const bool rich = std::string(name).find("rich") != std::string::npos;
    for (const auto& d : l->diags.items()) {
      CAPTURE(d.to_string());
      CHECK(d.message.find("roa_check is not supported") != std::string::npos);
    }
    if (rich) {
      CHECK(l->diags.error_count() == 2);  // perform_rpki_validation, prefix_in_rpki_roas_as_route_objects
      // Filters that call them are registered as stubs that fail when run: no cascade of errors.
      auto f = l->syms.filter("receive_from_AS10745_1");
      REQUIRE(f);
      rib::AttrTable table;
      auto attrs = table.intern(sample_attrs());
      Vm vm;
      RunOutput out;
      CHECK(vm.run(*f, route("10.0.0.0/8"), *attrs, out) == Verdict::Error);
    } else {
      CHECK(l->diags.error_count() == 0);
      CHECK(l->syms.filters().size() >= 8);
    }
  }
}

TEST_CASE("same(): equal text compiles to the same program, any change differs") {
  auto a = load("define x = 5;\nfunction g(int v) -> bool { return v > x; }\n"
                "filter f { if g(bgp_med) && net ~ [10.0.0.0/8+] then accept; reject; }");
  auto b = load("\n\ndefine x = 5;   # moved and commented\nfunction g(int v) -> bool {\n return v > x;\n}\n"
                "filter f { if g(bgp_med) && net ~ [ 10.0.0.0/8+ ] then accept; reject; }");
  auto c = load("define x = 6;\nfunction g(int v) -> bool { return v > x; }\n"
                "filter f { if g(bgp_med) && net ~ [10.0.0.0/8+] then accept; reject; }");
  auto d = load("define x = 5;\nfunction g(int v) -> bool { return v > x; }\n"
                "filter f { if g(bgp_med) && net ~ [10.0.0.0/9+] then accept; reject; }");
  auto e = load("define x = 5;\nfunction g(int v) -> bool { return v >= x; }\n"
                "filter f { if g(bgp_med) && net ~ [10.0.0.0/8+] then accept; reject; }");
  for (auto* l : {a.get(), b.get(), c.get(), d.get(), e.get()}) REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  CHECK(same(a->syms.filter("f"), b->syms.filter("f")));
  CHECK_FALSE(same(a->syms.filter("f"), c->syms.filter("f")));
  CHECK_FALSE(same(a->syms.filter("f"), d->syms.filter("f")));
  CHECK_FALSE(same(a->syms.filter("f"), e->syms.filter("f")));
  CHECK(same(FilterRef(), FilterRef()));
  CHECK_FALSE(same(a->syms.filter("f"), FilterRef()));
}


TEST_CASE("hostile input: deep nesting, long chains, random mutations never crash") {
  std::string deep = "filter f { if " + std::string(5000, '(') + "1" + std::string(5000, ')') + " = 1 then accept; }";
  CHECK(first_error(deep).find("nesting too deep") != std::string::npos);
  std::string chain = "filter f { if 1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  chain += " = 1 then accept; }";
  CHECK(first_error(chain).find("expression too long") != std::string::npos);
  std::string blocks = "filter f " + std::string(3000, '{') + std::string(3000, '}');
  CHECK(first_error(blocks).find("nesting too deep") != std::string::npos);

  const std::string text = slurp(std::string(RSD_SHARED_DATA_DIR) + "/bird-configs/arouteserver-default-bird2.conf");
  REQUIRE(text.size() > 10000);
  std::mt19937 rng(7);
  int loaded = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::string m = text;
    for (int k = 0; k < 3; ++k) {
      std::size_t pos = rng() % m.size();
      switch (rng() % 4) {
        case 0: m.erase(pos, 1 + rng() % 20); break;
        case 1: m.insert(pos, m.substr(rng() % m.size(), 1 + rng() % 40)); break;
        case 2: m[pos] = "{}()[];,.=~!+-*/:0123456789abc\"#"[rng() % 33]; break;
        case 3: std::swap(m[pos], m[rng() % m.size()]); break;
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
    for (const auto& [name, f] : r->syms.filters()) (void)vm.run(*f, route("192.136.136.0/24"), *attrs, out);
  }
  MESSAGE(loaded << " of 300 mutated configs still loaded");
}

TEST_CASE("arouteserver default config: import and export filters on sample routes") {
  auto l = load_bird_config(std::string(RSD_SHARED_DATA_DIR) + "/bird-configs/arouteserver-default-bird2.conf");
  REQUIRE_MESSAGE(!l->diags.has_errors(), l->diags.to_string());
  auto in = l->syms.filter("receive_from_AS10745_1");
  auto exp = l->syms.filter("announce_to_AS10745_1");
  REQUIRE(in);
  REQUIRE(exp);
  rib::AttrTable table;
  auto make = [&](std::vector<uint32_t> path, const char* nh) {
    rib::AttrBuilder b;
    b.set_origin(rib::Origin::Igp);
    b.as_path.segments.push_back({rib::AsSegmentType::Sequence, std::move(path)});
    b.set_present(rib::AttrType::AsPath);
    b.set_next_hop(*rib::IpAddress::parse(nh));
    return table.intern(b);
  };
  Vm vm;
  RunOutput out;
  auto run = [&](const FilterRef& f, const char* net, const rib::AttrRef& a) {
    out.clear_text();
    return vm.run(*f, route(net), *a, out);
  };
  auto good = make({10745}, "192.0.2.22");
  CHECK(run(in, "192.136.136.0/24", good) == Verdict::Accept);
  CHECK(out.log.empty());
  CHECK(run(in, "192.136.137.0/24", good) == Verdict::Reject);
  CHECK(out.log == "prefix not in client's r_set - REJECTING 192.136.137.0/24\n");
  CHECK(run(in, "10.0.0.0/24", good) == Verdict::Reject);
  CHECK(out.log == "prefix is bogon - REJECTING 10.0.0.0/24\n");
  CHECK(run(in, "192.0.2.0/25", good) == Verdict::Reject);
  CHECK(out.log == "prefix is bogon - REJECTING 192.0.2.0/25\n");  // TEST-NET-1; no global blacklist here
  CHECK(run(in, "2001:500:4::/48", good) == Verdict::Reject);
  CHECK(out.log == "AFI not enabled for this peer - REJECTING 2001:500:4::/48\n");
  CHECK(run(in, "192.136.136.0/24", make({10745}, "192.0.2.23")) == Verdict::Reject);
  CHECK(out.log == "NEXT_HOP [192.0.2.23] not allowed - REJECTING 192.136.136.0/24\n");
  CHECK(run(in, "192.136.136.0/24", make({3333, 10745}, "192.0.2.22")) == Verdict::Reject);
  CHECK(out.log == "invalid left-most ASN [3333] - REJECTING 192.136.136.0/24\n");
  CHECK(run(in, "192.136.136.0/24", make({10745, 64512, 10745}, "192.0.2.22")) == Verdict::Reject);
  CHECK(out.log == "AS_PATH [(path 10745 64512 10745)] contains invalid ASN - REJECTING 192.136.136.0/24\n");
  CHECK(run(in, "192.136.136.0/24", make({10745, 174, 10745}, "192.0.2.22")) == Verdict::Reject);
  CHECK(run(in, "192.136.136.0/24", make({10745, 3333}, "192.0.2.22")) == Verdict::Reject);
  CHECK(out.log == "origin ASN [3333] not in allowed as-sets - REJECTING 192.136.136.0/24\n");
  std::vector<uint32_t> long_path(33, 10745);
  CHECK(run(in, "192.136.136.0/24", make(long_path, "192.0.2.22")) == Verdict::Reject);
  CHECK(out.log == "AS_PATH len [33] longer than 32 - REJECTING 192.136.136.0/24\n");
  // Export to the same client: accepted, unmodified.
  CHECK(run(exp, "192.136.136.0/24", good) == Verdict::Accept);
  CHECK_FALSE(out.modified);
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
        "21:10: warning: this prefix set has only IPv4 prefixes, but filter 'wiki_style' runs in the IPv6 "
        "channel of protocol p: the test never matches");
}

TEST_CASE("family lint is silent on the arouteserver configs (all their tests are guarded)") {
  for (const char* name : {"arouteserver-default-bird2.conf", "arouteserver-default-bird2.0.conf"}) {
    CAPTURE(name);
    auto l = load_bird_config(std::string(RSD_SHARED_DATA_DIR) + "/bird-configs/" + name);
    REQUIRE_FALSE(l->diags.has_errors());
    int tests = 0;
    for (const auto& [fname, f] : l->syms.filters()) {
      tests += static_cast<int>(f->program().net_set_tests.size());
      conf::Diagnostics d;
      lint_channel_family(*f, rib::Family::Ipv4, "p", d);
      lint_channel_family(*f, rib::Family::Ipv6, "p", d);
      CHECK_MESSAGE(d.empty(), d.to_string());
    }
    CHECK(tests > 10);
  }
}

TEST_CASE("print formats values as BIRD does") {
  auto l = load(R"(
define p = 10.0.0.0/8;
filter f
clist c;
{
  c = add(-empty-, (65000, 1));
  c.add((65000, 2));
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
        "(rt, 65000, 100) (ro, 4200000000, 7) (unknown 0x4300, 0, 2) (1, 2, 3)\n"
        "(path 65001 65002 65003) (clist (65000,1) (65000,2)) (lclist (65000, 1, 2))\n"
        "RTS_BGP NET_IP6 [1, 3..5] [10.0.0.0/8+, 10.0.0.0/8-, 10.0.0.0/8{9,10}, 1.0.0.0/8]\n"
        "[= * 65001 ? 1..2 [3..4] 5+ =] [(1,0)..(1,65535)] [(rt, 1, 2)..(rt, 1, 3)] [(1, 2, 0)..(1, 2, 4294967295)]\n"
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
  bt_assert(!(bgp_path ~ [= * 65010 65011 =]));
  bgp_path.delete([65010..65011]);
  bt_assert(bgp_path.len = 2 && bgp_path.last = 65002);
  accept;
})");
  REQUIRE_MESSAGE(l->ok, l->diags.to_string());
  rib::AttrBuilder b = sample_attrs();
  b.as_path.segments = {{rib::AsSegmentType::Sequence, {65001, 65002}}, {rib::AsSegmentType::Set, {65010, 65011}}};
  Vm vm;
  RunOutput out;
  CHECK_MESSAGE(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), b, out) == Verdict::Accept, out.error);
  CHECK(out.attrs.as_path.to_string() == "65001 65002");
}

TEST_CASE("route fields, unset lists, custom attributes in the output") {
  auto l = load(R"(
attribute int tag;
attribute ip seen_from;
filter f {
  preference = 50;
  gw = 198.51.100.1;
  dest = RTD_BLACKHOLE;
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
  REQUIRE(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *attrs, out, &custom_in) == Verdict::Accept);
  CHECK(out.route_modified);
  CHECK(out.preference == 50);
  CHECK(out.gw == *rib::IpAddress::parse("198.51.100.1"));
  CHECK(out.dest == kRtdBlackhole);
  REQUIRE(out.modified);
  CHECK(out.attrs.communities.empty());
  CHECK_FALSE(out.attrs.has(rib::AttrType::Communities));
  CHECK_FALSE(out.attrs.has(rib::AttrType::Med));
  CHECK(out.attrs.has(rib::AttrType::LargeCommunities));
  REQUIRE(out.custom.size() == 2);
  CHECK(out.custom[0].id == 0);
  CHECK(out.custom[0].value.as_int() == 42);
  CHECK(out.custom[1].value.ip == *rib::IpAddress::parse("192.0.2.1"));
  // Without the input custom attribute, reading `tag` is a run-time error.
  CHECK(vm.run(*l->syms.filter("f"), route("10.0.0.0/8"), *attrs, out) == Verdict::Error);
  CHECK(out.error == "t.conf:10:9: attribute tag is not defined");
}

TEST_CASE("entry points for the config parser: inline filters, where, constants") {
  SymbolTable syms;
  conf::Diagnostics d;
  {
    auto ts = conf::tokenize_string("define lim = 24; define nets = [ 10.0.0.0/8{8,24} ];", "a.conf", d);
    REQUIRE(parse_filter_file(ts, syms, d));
  }
  auto ts = conf::tokenize_string("{ if net ~ nets then accept; reject; } net.len <= lim && net ~ nets 2 * lim + 1", "b.conf", d);
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

TEST_CASE("arouteserver rich config (roa_check replaced by ROA_UNKNOWN): communities and prepends") {
  std::string text = slurp(std::string(RSD_SHARED_DATA_DIR) + "/bird-configs/arouteserver-rich-bird2.conf");
  for (const char* roa : {"roa_check(RPKI4)", "roa_check(RPKI6)"})
    for (std::size_t p; (p = text.find(roa)) != std::string::npos;) text.replace(p, std::strlen(roa), "ROA_UNKNOWN");
  auto l0 = std::make_unique<Loaded>();
  auto ts = conf::tokenize_string(text, "rich.conf", l0->diags);
  auto l = load_bird_tokens(std::move(l0), std::move(ts));
  REQUIRE_MESSAGE(!l->diags.has_errors(), l->diags.to_string());
  auto in = l->syms.filter("receive_from_AS10745_1");
  auto exp = l->syms.filter("announce_to_AS10745_1");
  REQUIRE(in);
  REQUIRE(exp);
  rib::AttrTable table;
  Vm vm;
  RunOutput out;
  rib::AttrBuilder b;
  b.set_origin(rib::Origin::Igp);
  b.as_path.segments.push_back({rib::AsSegmentType::Sequence, {10745}});
  b.set_present(rib::AttrType::AsPath);
  b.set_next_hop(*rib::IpAddress::parse("192.0.2.22"));
  b.communities.values = {(65535u << 16) | 0, (65530u << 16) | 0};  // GRACEFUL_SHUTDOWN, and a scrubbed one
  b.set_present(rib::AttrType::Communities);
  b.set_local_pref(100);
  auto a = table.intern(b);
  REQUIRE_MESSAGE(vm.run(*in, route("192.136.136.0/24"), *a, out) == Verdict::Accept, (out.error + out.log));
  REQUIRE(out.modified);
  CHECK(out.attrs.communities.values ==
        std::vector<uint32_t>{(65535u << 16) | 0, (65534u << 16) | 2, (65530u << 16) | 1});
  CHECK(out.attrs.large_communities.values ==
        std::vector<rib::LargeCommunity>{{999, 65534, 2}, {999, 65530, 1}});
  CHECK(out.attrs.ext_communities.values ==
        std::vector<uint64_t>{*make_ec(EcKind::Rt, 0, 65534, 2), *make_ec(EcKind::Unknown, 0x4300, 0, 1)});
  CHECK(out.attrs.local_pref == 0);  // honor_graceful_shutdown

  // Export: (0, 10745) = do not announce to AS10745; (65501, 999) = prepend once to any.
  rib::AttrBuilder e = b;
  e.communities.values = {(0u << 16) | 10745};
  auto ea = table.intern(e);
  CHECK(vm.run(*exp, route("192.136.136.0/24"), *ea, out) == Verdict::Reject);
  e.communities.values = {(65501u << 16) | 999, (65000u << 16) | 1};
  e.as_path.segments = {{rib::AsSegmentType::Sequence, {3333, 3333}}};
  auto eb = table.intern(e);
  REQUIRE_MESSAGE(vm.run(*exp, route("193.0.0.0/21"), *eb, out) == Verdict::Accept, (out.error + out.log));
  CHECK(out.attrs.as_path.to_string() == "3333 3333 3333");
  CHECK(out.attrs.communities.values == std::vector<uint32_t>{(65000u << 16) | 1});  // scrubbed (65501, 999)
  // A blackhole request gets the blackhole next hop and NO_EXPORT.
  e.communities.values = {(65535u << 16) | 666};
  auto ec = table.intern(e);
  REQUIRE(vm.run(*exp, route("193.0.0.0/32"), *ec, out) == Verdict::Accept);
  CHECK(out.attrs.next_hop == *rib::IpAddress::parse("192.0.2.66"));
  CHECK(out.attrs.communities.contains((65535u << 16) | 65281));
}
