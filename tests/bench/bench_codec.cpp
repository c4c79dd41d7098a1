// Codec micro-benchmarks (Google Benchmark), run by `scripts/bench codec`:
//  - frame:       full-size UPDATEs framed per second (header checks only, the session's first
//  step)
//  - decode_full: full-size UPDATEs (about 1,000 IPv4 /24 each) decoded; items = NLRI into Prefix
//  - decode_small: one-prefix UPDATEs (the anycast case: a /32 with a MED) framed and decoded
//  - intern:      attribute sets interned (decoded builder -> AttrRef), hits and misses mixed
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "rib/attrs.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/update.hpp"

namespace wire = rs::bgp::wire;
using rs::rib::AttrBuilder;
using rs::rib::AttrType;
using rs::rib::IpAddress;
using rs::rib::Prefix;

namespace {

wire::Negotiated session() {
  wire::Negotiated n;
  n.local_as = 65000;
  n.peer_as = 65001;
  n.ebgp = true;
  n.ipv6_unicast = true;
  return n;
}

AttrBuilder attrs(uint32_t med) {
  AttrBuilder b;
  b.set_origin(rs::rib::Origin::Igp);
  b.as_path.segments.push_back({rs::rib::AsSegmentType::Sequence, {65001}});
  b.set_present(AttrType::AsPath);
  b.set_next_hop(IpAddress::v4(0xC0000201));
  b.set_med(med);
  return b;
}

// A stream of `messages` UPDATEs each packed with as many /24s as fit 4,096 bytes.
std::vector<uint8_t> full_updates(int messages, std::size_t* nlri_total) {
  std::vector<uint8_t> stream;
  auto n = session();
  uint32_t next = 0x0A000000;
  *nlri_total = 0;
  for (int m = 0; m < messages; ++m) {
    wire::UpdateMessage u;
    u.attrs = attrs(100 + static_cast<uint32_t>(m % 10));
    // 4,096 - 19 header - 4 length fields - 27 attribute bytes = 4,046 bytes of 4-byte /24s.
    for (int i = 0; i < 1011; ++i, next += 256)
      u.nlri.push_back({Prefix(IpAddress::v4(next), 24), 0});
    while (wire::encode_update(u, n, stream) != wire::EncodeResult::Ok) u.nlri.pop_back();
    *nlri_total += u.nlri.size();
  }
  return stream;
}

std::vector<uint8_t> small_updates(int messages) {
  std::vector<uint8_t> stream;
  auto n = session();
  for (int m = 0; m < messages; ++m) {
    wire::UpdateMessage u;
    u.attrs = attrs(100 + static_cast<uint32_t>(m % 200));
    u.nlri.push_back({Prefix(IpAddress::v4(0xCB007100u + static_cast<uint32_t>(m % 256)), 32), 0});
    (void)wire::encode_update(u, n, stream);
  }
  return stream;
}

void frame(benchmark::State& state) {
  std::size_t nlri = 0;
  auto stream = full_updates(256, &nlri);
  wire::HeaderLimits limits;
  int64_t messages = 0;
  for (auto _ : state) {
    wire::Framer f(stream, limits);
    for (auto m = f.next(); m.status == wire::FrameStatus::Message; m = f.next()) {
      benchmark::DoNotOptimize(m.body.data());
      ++messages;
    }
  }
  state.SetItemsProcessed(messages);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(stream.size()));
}
BENCHMARK(frame);

void decode_full(benchmark::State& state) {
  std::size_t nlri = 0;
  auto stream = full_updates(256, &nlri);
  auto n = session();
  wire::HeaderLimits limits;
  wire::UpdateMessage u;
  int64_t decoded = 0;
  for (auto _ : state) {
    wire::Framer f(stream, limits);
    for (auto m = f.next(); m.status == wire::FrameStatus::Message; m = f.next()) {
      if (!wire::decode_update(m.body, n, u).ok()) state.SkipWithError("decode failed");
      decoded += static_cast<int64_t>(u.nlri.size());
      benchmark::DoNotOptimize(u.nlri.data());
    }
  }
  state.SetItemsProcessed(decoded);  // IPv4 NLRI decoded into Prefix values
  state.counters["updates/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 256,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(decode_full);

void decode_small(benchmark::State& state) {
  auto stream = small_updates(4096);
  auto n = session();
  wire::HeaderLimits limits;
  wire::UpdateMessage u;
  int64_t messages = 0;
  for (auto _ : state) {
    wire::Framer f(stream, limits);
    for (auto m = f.next(); m.status == wire::FrameStatus::Message; m = f.next()) {
      if (!wire::decode_update(m.body, n, u).ok()) state.SkipWithError("decode failed");
      benchmark::DoNotOptimize(u.nlri.data());
      ++messages;
    }
  }
  state.SetItemsProcessed(messages);  // UPDATEs framed and decoded
}
BENCHMARK(decode_small);

void intern(benchmark::State& state) {
  // 1,000 distinct attribute sets (MED varies), interned in rotation while all stay referenced:
  // the steady state of a RIB, where most UPDATEs repeat a known set.
  rs::rib::AttrTable table;
  std::vector<AttrBuilder> builders;
  for (uint32_t i = 0; i < 1000; ++i) builders.push_back(attrs(i));
  std::vector<rs::rib::AttrRef> held;
  for (auto& b : builders) held.push_back(table.intern(b));
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = table.intern(builders[i]);
    benchmark::DoNotOptimize(r.get());
    if (++i == builders.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(intern);

void intern_new(benchmark::State& state) {
  // Every set new and released at once: the cost of a miss (allocate, insert, erase).
  rs::rib::AttrTable table;
  auto b = attrs(0);
  uint32_t med = 0;
  for (auto _ : state) {
    b.med = ++med;
    auto r = table.intern(b);
    benchmark::DoNotOptimize(r.get());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(intern_new);

}  // namespace

BENCHMARK_MAIN();
