// A member of an export group that stops reading while best paths keep moving: what its
// Adj-RIB-Out holds (pending state, export buckets) and the attribute sets it keeps alive depend on
// the number of prefixes, not on the number of changes, and go back to the baseline once it drains.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "filters/vm.hpp"
#include "rs/export.hpp"

using namespace rs;
using namespace rs::rib;

namespace {
struct Lab {
  AttrTable table;
  LocRib rib{DecisionConfig{}};
  std::deque<RouteSource> sources;
  filters::Vm vm;
  ExportGroup v4{rules(Family::Ipv4), ExportPolicy{}}, v6{rules(Family::Ipv6), ExportPolicy{}};
  ExportMember fast[2], slow[2];  // [0]: IPv4, [1]: IPv6
  std::vector<Prefix> prefixes;

  static ExportRules rules(Family f) {
    ExportRules r;
    r.ebgp = true;
    r.rs_client = true;
    r.local_as = 65000;
    r.family = f;
    return r;
  }
  Lab() {
    for (int i = 0; i < 2; ++i) {
      const Family f = i == 0 ? Family::Ipv4 : Family::Ipv6;
      for (ExportMember* m : {&fast[i], &slow[i]}) {
        m->family = f;
        m->active = true;
        (i == 0 ? v4 : v6).members().push_back(m);
      }
    }
    RouteSource s;
    s.id = 1;
    s.name = "feeder";
    s.kind = SourceKind::Ebgp;
    s.bgp_id = 0x0a000001;
    s.neighbor_as = 65001;
    s.neighbor_address = IpAddress::v4(0x7f000001);
    sources.push_back(s);
    // IPv4 and IPv6 in different numbers, so that a family mixed up shows.
    for (uint32_t i = 0; i < 1500; ++i)
      prefixes.push_back(Prefix(IpAddress::v4(0x10000000 + (i << 8)), 24));
    for (uint32_t i = 0; i < 1000; ++i)
      prefixes.push_back(Prefix(IpAddress::v6(0x20010db800000000ULL | (uint64_t{i} << 16), 0), 48));
  }
  // The feeder's path for `p` with `med`; med 0: withdrawn.
  void set(const Prefix& p, uint32_t med) {
    if (med == 0) {
      (void)rib.withdraw(p, &sources[0], 0);
    } else {
      AttrBuilder b;
      b.set_origin(Origin::Igp);
      b.set_present(AttrType::AsPath);
      b.as_path.segments.push_back({AsSegmentType::Sequence, {65001}});
      b.set_next_hop(p.is_v4() ? IpAddress::v4(0xC0000201) : IpAddress::v6(0x20010db8ULL << 32, 1));
      b.set_med(med);
      auto a = table.intern(b);
      auto slot = rib.receive(p, &sources[0], 0, a);
      (void)rib.import(p, slot, a, 1);
    }
    ExportGroup& g = p.is_v4() ? v4 : v6;
    g.apply_all(p, g.compute(p, rib.find(p), table, vm));
  }
  static void drain(ExportMember& m) {
    std::vector<OutKey> keys;
    AttrRef a;
    while (m.out.take_withdrawals(m.family, 1000, keys)) keys.clear();
    while (m.out.take_bucket(m.family, 1000, a, keys)) keys.clear();
    CHECK_FALSE(m.out.has_pending());
  }
  void drain_fast() { drain(fast[0]), drain(fast[1]); }
  void drain_slow() { drain(slow[0]), drain(slow[1]); }
  // What the stopped member holds beyond what it was sent: pending state and export buckets.
  std::size_t slow_queued() const {
    std::size_t n = 0;
    for (const ExportMember& m : slow) {
      const AdjRibOut::Memory mem = m.out.memory();
      n += mem.pending + mem.buckets;
    }
    return n;
  }
  std::size_t slow_total() const { return slow[0].out.memory_bytes() + slow[1].out.memory_bytes(); }
  std::size_t live_sets() const { return table.counters().attrs.entries; }
};

struct Sample {
  std::size_t queued = 0, total = 0, sets = 0;
};
}  // namespace

TEST_CASE("a member that never takes holds memory per prefix, not per change") {
  Lab lab;
  const std::size_t n = lab.prefixes.size();
  // Round 0: every prefix with its own attribute set, sent to both members.
  for (std::size_t i = 0; i < n; ++i) lab.set(lab.prefixes[i], static_cast<uint32_t>(1 + i));
  lab.drain_fast();
  lab.drain_slow();
  const Sample base{lab.slow_queued(), lab.slow_total(), lab.live_sets()};
  CHECK(lab.slow[0].out.advertised() == 1500);
  CHECK(lab.slow[1].out.advertised() == 1000);

  // Rounds 1-20: every prefix moves to a new attribute set of its own; in rounds 3, 8, 13 and 18
  // a tenth of the prefixes is withdrawn instead and comes back the round after (the withdrawal
  // queue is exercised too). The fast member keeps up, the slow one never takes.
  Sample at2, at20;
  for (uint32_t round = 1; round <= 20; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      const bool withdrawn = round % 5 == 3 && i % 10 == 0;
      lab.set(lab.prefixes[i], withdrawn ? 0 : static_cast<uint32_t>(round * 100000 + 1 + i));
    }
    lab.drain_fast();
    const Sample s{lab.slow_queued(), lab.slow_total(), lab.live_sets()};
    if (round == 2) at2 = s;
    if (round == 20) at20 = s;
  }
  INFO("baseline queued " << base.queued << " sets " << base.sets);
  INFO("round 2: queued " << at2.queued << " total " << at2.total << " sets " << at2.sets);
  INFO("round 20: queued " << at20.queued << " total " << at20.total << " sets " << at20.sets);
  CHECK(at20.queued <= at2.queued);
  CHECK(at20.total <= at2.total);
  // The group's rewrite cache (256 entries, direct-mapped: which sets it holds depends on hash
  // collisions) keeps a bounded number of sets alive besides the members.
  constexpr std::size_t kCache = 256;
  CHECK(at20.sets <= at2.sets + kCache);
  // Per prefix: the round-0 set it was sent, the current one pending (the Loc-RIB's).
  CHECK(at20.sets <= 2 * n + 16);
  CHECK(lab.slow[0].out.pending() == 1500);
  CHECK(lab.slow[1].out.pending() == 1000);

  // Catch-up: the newest state only, then back to the baseline.
  std::size_t announced = 0;
  for (ExportMember& m : lab.slow) {
    std::vector<OutKey> keys;
    AttrRef a;
    CHECK(m.out.take_withdrawals(m.family, 100000, keys) == 0);  // round 20 announced everything
    while (m.out.take_bucket(m.family, 100000, a, keys)) {
      CHECK(a->med / 100000 == 20);
      announced += keys.size();
      keys.clear();
    }
  }
  CHECK(announced == n);
  CHECK(lab.slow_queued() == base.queued);
  CHECK(lab.slow_total() == base.total);
  CHECK(lab.live_sets() <= base.sets + kCache);
}

TEST_CASE("keys moving back and forth between shared sets: stale entries stay bounded") {
  // Two attribute sets per family shared by many prefixes and a slow member: every round each
  // prefix moves to the other set, so both buckets always hold live keys (they never empty and
  // go), keys come back to buckets that still list them, and only compaction bounds them.
  Lab lab;
  const std::size_t n = lab.prefixes.size();
  auto med = [&](std::size_t i) { return lab.prefixes[i].is_v4() ? 10u : 20u; };
  for (std::size_t i = 0; i < n; ++i) lab.set(lab.prefixes[i], med(i));
  lab.drain_slow();
  lab.drain_fast();
  std::size_t peak = 0;
  for (uint32_t flip = 0; flip < 40; ++flip) {
    for (std::size_t i = 0; i < n; ++i) {
      lab.set(lab.prefixes[i], static_cast<uint32_t>(med(i) + 1 + (i + flip) % 2));
      peak = std::max(peak, lab.slow_queued());
    }
    lab.drain_fast();
  }
  // Pending: one 32-byte slot per prefix in a table at most 7/8 full; buckets: each at most
  // 2 * live + slack keys of 24 bytes, with the vector's doubling.
  const std::size_t bound = 2 * (n * 32 * 8 / 7) + 2 * 2 * (2 * n + 32) * 24 + 4096;
  INFO("peak " << peak << " bound " << bound);
  CHECK(peak <= bound);
  CHECK(lab.slow_queued() <= bound);
  // Every prefix goes out once, in its newest form.
  std::unordered_map<Prefix, uint32_t, PrefixHash> want, got;
  for (std::size_t i = 0; i < n; ++i)
    want[lab.prefixes[i]] = static_cast<uint32_t>(med(i) + 1 + (i + 39) % 2);
  std::size_t announced = 0;
  for (ExportMember& m : lab.slow) {
    std::vector<OutKey> keys;
    AttrRef a;
    while (m.out.take_bucket(m.family, 100000, a, keys)) {
      for (const OutKey& k : keys) got[k.prefix] = a->med;
      announced += keys.size();
      keys.clear();
    }
  }
  CHECK(announced == n);
  CHECK(got == want);
}
