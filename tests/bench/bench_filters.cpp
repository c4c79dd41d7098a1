// Filter VM micro-benchmarks (Google Benchmark), run by `scripts/bench filters`:
//  - net_match: `if net ~ [ 2001:db8:30::/48+ ] then accept; reject;` on a mix of IPv6 prefixes,
//    half of them inside the set (the issue's reference filter).
//  - ixp_rs: the IPv4 import filter of AS64501 in our own route-server config
//    (tests/data/bird-configs/ixp-rs.conf), on a mix of routes (valid, bogon, too long, wrong first
//    AS, long AS path, with communities).
//  - arouteserver_default / arouteserver_rich: the same for the first client's import filter of the
//    arouteserver route-server configs, read from ../shared/data/bird-configs when it is there
//    (skipped with an error line otherwise). rsd does not implement RPKI: for the
//    rich config, its ROA tables are cut out and roa_check() reads as ROA_UNKNOWN (documented in
//    docs/performance.md); everything else of the filter runs as written.
// Items per second = filter runs per second on one core.
#include <benchmark/benchmark.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "conf/parser.hpp"
#include "filters/vm.hpp"
#include "rib/attrs.hpp"

using rs::rib::AttrBuilder;
using rs::rib::AttrType;
using rs::rib::IpAddress;
using rs::rib::Prefix;

namespace {

struct Loaded {
  rs::conf::Config config;
  rs::conf::CompiledFilter filter;
};

Loaded load(const std::string& text, const std::string& filter_name) {
  auto r = rs::conf::load_string(text, "bench.conf");
  Loaded l;
  if (!r.ok()) return l;
  l.config = std::move(r.config);
  if (const auto* f = l.config.find_filter(filter_name)) l.filter = f->compiled;
  return l;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The rich config without RPKI: no ROA tables, roa_check() -> ROA_UNKNOWN.
std::string without_rpki(std::string text) {
  text = std::regex_replace(text, std::regex(R"(roa[46] table RPKI[46];\n)"), "");
  text = std::regex_replace(
      text, std::regex(R"(protocol static \{\n    roa[46] \{ table RPKI[46]; \};\n[^}]*\}\n)"), "");
  text = std::regex_replace(text, std::regex(R"(roa_check\(RPKI[46]\))"), "ROA_UNKNOWN");
  return text;
}

struct RouteCase {
  rs::filters::RouteInfo info;
  rs::rib::AttrRef attrs;
};

// About two thirds of the routes are what the client may announce (its IRR prefixes, its AS as
// origin); the rest are rejected for one reason or another, as on a real route server.
std::vector<RouteCase> route_mix(rs::rib::AttrTable& table, uint32_t peer_as, const char* next_hop,
                                 const std::vector<const char*>& good) {
  std::vector<RouteCase> out;
  const IpAddress nh = *IpAddress::parse(next_hop);
  for (uint32_t i = 0; i < 1024; ++i) {
    RouteCase c;
    AttrBuilder b;
    b.set_origin(rs::rib::Origin::Igp);
    b.set_present(AttrType::AsPath);
    std::vector<uint32_t> path{peer_as};
    if (i % 3 == 0) path.push_back(peer_as);   // prepended
    if (i % 7 == 0) path.assign(40, peer_as);  // too long
    if (i % 11 == 0) path[0] = 65535;          // first AS not the peer's
    b.as_path.segments.push_back({rs::rib::AsSegmentType::Sequence, path});
    b.set_next_hop(nh);
    if (i % 5 == 0) {
      b.communities.values = {0xFFFF0000u | i, (peer_as << 16) | 666};
      b.set_present(AttrType::Communities);
    }
    c.info.net = *Prefix::parse(good[i % good.size()]);
    if (i % 13 == 0) c.info.net = Prefix(IpAddress::v4(0x0A000000u + (i << 8)), 24);  // bogon
    if (i % 17 == 0) c.info.net = Prefix(IpAddress::v4(0xC6336400u), 24);  // not registered
    c.info.from = nh;
    c.info.gw = nh;
    c.info.proto = "AS_peer";
    c.attrs = table.intern(b);
    out.push_back(std::move(c));
  }
  return out;
}

void run_mix(benchmark::State& state, const Loaded& l, const std::vector<RouteCase>& mix) {
  if (!l.filter) {
    state.SkipWithError("filter did not load");
    return;
  }
  rs::filters::Vm vm;
  rs::filters::RunOutput out;
  std::size_t i = 0;
  int64_t accepted = 0;
  for (auto _ : state) {
    const RouteCase& c = mix[i];
    if (++i == mix.size()) i = 0;
    out.clear_text();
    accepted += vm.run(*l.filter, c.info, *c.attrs, out) == rs::filters::Verdict::Accept;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["accepted"] =
      static_cast<double>(accepted) / static_cast<double>(state.iterations());
}

void net_match(benchmark::State& state) {
  Loaded l = load("filter f { if net ~ [ 2001:db8:30::/48+ ] then accept; reject; }\n", "f");
  rs::rib::AttrTable table;
  AttrBuilder b;
  b.set_origin(rs::rib::Origin::Igp);
  b.set_present(AttrType::AsPath);
  std::vector<RouteCase> mix;
  for (uint64_t i = 0; i < 1024; ++i) {
    RouteCase c;
    const uint64_t hi = (i % 2 ? 0x20010db800300000ULL : 0x20010db800310000ULL) | (i << 4);
    c.info.net = Prefix(IpAddress::v6(hi, i), 128);
    c.attrs = table.intern(b);
    mix.push_back(std::move(c));
  }
  run_mix(state, l, mix);
}
BENCHMARK(net_match);

void ixp_rs(benchmark::State& state) {
  Loaded l = load(read_file(std::string(RSD_TEST_DATA_DIR) + "/bird-configs/ixp-rs.conf"),
                  "receive_from_AS64501_1");
  rs::rib::AttrTable table;
  run_mix(state, l,
          route_mix(table, 64501, "192.0.2.11",
                    {"203.0.113.0/24", "203.0.113.0/24", "198.51.100.0/24"}));
}
BENCHMARK(ixp_rs);

void arouteserver_default(benchmark::State& state) {
  Loaded l = load(read_file(std::string(RSD_SHARED_DATA_DIR) +
                            "/bird-configs/arouteserver-default-bird2.0.conf"),
                  "receive_from_AS3333_1");
  rs::rib::AttrTable table;
  run_mix(state, l,
          route_mix(table, 3333, "192.0.2.11",
                    {"193.0.0.0/21", "193.0.10.0/23", "193.0.12.0/23", "193.0.18.0/23",
                     "193.0.20.0/23", "193.0.22.0/23"}));
}
BENCHMARK(arouteserver_default);

void arouteserver_rich(benchmark::State& state) {
  Loaded l = load(without_rpki(read_file(std::string(RSD_SHARED_DATA_DIR) +
                                         "/bird-configs/arouteserver-rich-bird2.0.conf")),
                  "receive_from_AS10745_1");
  rs::rib::AttrTable table;
  run_mix(state, l,
          route_mix(table, 10745, "192.0.2.22",
                    {"192.136.136.0/24", "192.149.252.0/24", "199.43.0.0/24"}));
}
BENCHMARK(arouteserver_rich);

}  // namespace

BENCHMARK_MAIN();
