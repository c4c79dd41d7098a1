// libFuzzer target for the filter language: the parser, the type checks, the compiler and the VM.
// Input: kRouteBytes bytes that build the routes (an IPv4 and an IPv6 one: prefix, origin, AS
// path, MED, local preference, communities, large and extended communities, next hop), then
// configuration text (filters, functions, defines; includes disabled) loaded after a minimal
// preamble. Every filter that compiles runs on both routes, once on the attributes as a builder
// (import: the decoded message) and once interned (export, re-runs): the verdict, the error, the
// log and the modified attributes must be the same (abort otherwise).
// Bounded work: the VM bounds calls (1,000,000), call depth and stack, but not `for` iterations:
// nested loops multiply (five loops over a 16-member clist take 10 s here), so an input with more
// than two `for` words is skipped, and -max_len stays small (docs/testing.md, known limits).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "conf/parser.hpp"
#include "filters/vm.hpp"
#include "rib/attrs.hpp"

namespace rib = rs::rib;
namespace filters = rs::filters;

namespace {

constexpr std::size_t kRouteBytes = 32;
constexpr std::string_view kPreamble =
    "router id 192.0.2.1;\n"
    "protocol device {}\n"  // a configuration without a protocol does not load
    "attribute int fuzz_int;\n"
    "attribute pair fuzz_pair;\n";

// `for` as a word (not inside an identifier).
std::size_t count_for_loops(std::string_view t) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::size_t n = 0;
  for (std::size_t i = t.find("for"); i != std::string_view::npos; i = t.find("for", i + 1))
    if ((i == 0 || !ident(t[i - 1])) && (i + 3 == t.size() || !ident(t[i + 3]))) ++n;
  return n;
}

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// The attributes both routes carry, from r[0..31]; r[0] says which are present.
rib::AttrBuilder attrs_from(const uint8_t* r, bool v6) {
  rib::AttrBuilder b;
  b.set_origin(static_cast<rib::Origin>(r[0] % 3));
  b.set_present(rib::AttrType::AsPath);
  const unsigned path_len = (r[0] >> 2) & 7;
  if (path_len) {
    rib::AsPathSegment seg;
    for (unsigned i = 0; i < path_len; ++i) seg.asns.push_back(64500u + r[16 + i]);
    b.as_path.segments.push_back(std::move(seg));
    if (r[0] & 0x20) b.as_path.segments.push_back({rib::AsSegmentType::Set, {65000u + r[24]}});
  }
  if (r[1] & 1) b.set_med(be32(r + 8));
  if (r[1] & 2) b.set_local_pref(be32(r + 12));
  if (r[1] & 4) {
    for (unsigned i = 0; i < 3; ++i) b.communities.values.push_back(65000u << 16 | r[16 + i]);
    b.set_present(rib::AttrType::Communities);
  }
  if (r[1] & 8) {
    b.large_communities.values.push_back({65000u + r[19], r[20], r[21]});
    b.set_present(rib::AttrType::LargeCommunities);
  }
  if (r[1] & 16) {
    b.ext_communities.values.push_back(0x0002000000000000ULL | uint64_t{be32(r + 20)});
    b.set_present(rib::AttrType::ExtCommunities);
  }
  if (r[1] & 32) b.set_present(rib::AttrType::AtomicAggregate);
  if (r[1] & 64) {
    b.cluster_list.values.push_back(be32(r + 4));
    b.set_present(rib::AttrType::ClusterList);
    b.originator_id = be32(r + 28);
    b.set_present(rib::AttrType::OriginatorId);
  }
  if (v6)
    b.next_hop = rib::IpAddress::v6(0x20010db800000000ULL, r[25]);
  else
    b.set_next_hop(rib::IpAddress::v4(0xc0000200u | r[25]));
  return b;
}

rib::Prefix prefix_from(const uint8_t* r, bool v6) {
  if (v6) {
    uint64_t hi = 0;
    for (int i = 0; i < 8; ++i) hi = hi << 8 | r[4 + i];
    return rib::Prefix(rib::IpAddress::v6(hi, 0), static_cast<uint8_t>(r[2] % 129));
  }
  return rib::Prefix(rib::IpAddress::v4(be32(r + 4)), static_cast<uint8_t>(r[3] % 33));
}

void same_or_abort(filters::Verdict a, const filters::RunOutput& x, filters::Verdict b,
                   const filters::RunOutput& y) {
  if (a != b || x.error != y.error || x.log != y.log) std::abort();
  if (a != filters::Verdict::Accept) return;
  if (x.modified != y.modified || x.route_modified != y.route_modified) std::abort();
  if (x.modified && !(x.attrs == y.attrs)) std::abort();
  if (x.route_modified && (x.preference != y.preference || !(x.gw == y.gw) || x.dest != y.dest))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kRouteBytes || size > 16 * 1024) return 0;
  const std::string_view config(reinterpret_cast<const char*>(data) + kRouteBytes,
                                size - kRouteBytes);
  if (count_for_loops(config) > 2) return 0;
  std::string text(kPreamble);
  text.append(config);
  rs::conf::LoadOptions options;
  options.lex.allow_include = false;
  rs::conf::LoadResult r = rs::conf::load_string(text, "fuzz.conf", options);
  if (!r.ok()) return 0;

  static auto vm = std::make_unique<filters::Vm>();
  rib::AttrTable table;
  filters::RunOutput built, interned;
  for (bool v6 : {false, true}) {
    const rib::AttrBuilder b = attrs_from(data, v6);
    const rib::AttrRef a = table.intern(b);
    filters::RouteInfo route;
    route.net = prefix_from(data, v6);
    route.from = v6 ? rib::IpAddress::v6(0x20010db800000000ULL, 1) : rib::IpAddress::v4(0xc0000201);
    route.gw = b.next_hop;
    route.proto = "peer1";
    for (const auto& f : r.config.filters) {
      if (!f.compiled) continue;
      built.clear_text();
      interned.clear_text();
      const filters::Verdict x = vm->run(*f.compiled, route, b, built);
      const filters::Verdict y = vm->run(*f.compiled, route, *a, interned);
      same_or_abort(x, built, y, interned);
    }
  }
  return 0;
}
