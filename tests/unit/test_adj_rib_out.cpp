// Adj-RIB-Out: coalescing to the newest state, withdrawals first and per family, buckets grouping
// prefixes by attribute set, nothing sent twice, refresh re-sends, clear on session down.
#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>

#include "heap_measure.hpp"
#include "rib/adj_rib_out.hpp"

using namespace rs::rib;

namespace {
struct Fixture {
  AttrTable table;
  AdjRibOut out;
  AttrRef attrs(uint32_t med) {
    AttrBuilder b;
    b.set_origin(Origin::Igp);
    b.set_med(med);
    return table.intern(b);
  }
  static OutKey key(uint32_t i) { return {Prefix(IpAddress::v4(0xCB007100 + i), 32), 0}; }
  static OutKey key6(uint32_t i) {
    return {Prefix(IpAddress::v6(0x20010db800300000ULL, i), 128), 0};
  }
};
}  // namespace

TEST_CASE("a slow peer gets only the newest state of each prefix") {
  Fixture f;
  for (uint32_t med = 100; med < 110; ++med) CHECK(f.out.update(f.key(1), f.attrs(med)));
  CHECK(f.out.pending() == 1);
  AttrRef a;
  std::vector<OutKey> keys;
  REQUIRE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  CHECK(keys.size() == 1);
  CHECK(a->med == 109);
  keys.clear();
  CHECK_FALSE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  CHECK(f.out.advertised() == 1);
  CHECK(f.out.sent(f.key(1))->med == 109);
  // The same state again is no work.
  CHECK_FALSE(f.out.update(f.key(1), f.attrs(109)));
  CHECK_FALSE(f.out.has_pending());
}

TEST_CASE("announced then withdrawn before sending: nothing goes out") {
  Fixture f;
  CHECK(f.out.update(f.key(1), f.attrs(100)));
  CHECK_FALSE(f.out.update(f.key(1), nullptr));
  CHECK_FALSE(f.out.has_pending());
  std::vector<OutKey> keys;
  CHECK(f.out.take_withdrawals(Family::Ipv4, 10, keys) == 0);
  AttrRef a;
  CHECK_FALSE(f.out.take_bucket(Family::Ipv4, 10, a, keys));
}

TEST_CASE("buckets group prefixes by attribute set; withdrawals per family") {
  Fixture f;
  for (uint32_t i = 0; i < 10; ++i) (void)f.out.update(f.key(i), f.attrs(100 + i % 2));
  for (uint32_t i = 0; i < 3; ++i) (void)f.out.update(f.key6(i), f.attrs(100));
  AttrRef a;
  std::vector<OutKey> keys;
  REQUIRE(f.out.take_bucket(Family::Ipv4, 3, a, keys));
  CHECK(keys.size() == 3);  // limited by max; the bucket keeps its place
  uint32_t first_med = a->med;
  keys.clear();
  REQUIRE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  CHECK(a->med == first_med);
  CHECK(keys.size() == 2);
  keys.clear();
  REQUIRE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  CHECK(keys.size() == 5);
  CHECK(a->med != first_med);
  keys.clear();
  REQUIRE(f.out.take_bucket(Family::Ipv6, 100, a, keys));
  CHECK(keys.size() == 3);
  CHECK(f.out.advertised() == 13);

  // Withdraw two v4 and one v6; v4 withdrawals come only from the v4 queue.
  (void)f.out.update(f.key(0), nullptr);
  (void)f.out.update(f.key(1), nullptr);
  (void)f.out.update(f.key6(0), nullptr);
  keys.clear();
  CHECK(f.out.take_withdrawals(Family::Ipv4, 10, keys) == 2);
  CHECK(f.out.take_withdrawals(Family::Ipv6, 10, keys) == 1);
  CHECK(f.out.advertised() == 10);
  CHECK(f.out.sent(f.key(0)) == nullptr);
}

TEST_CASE("a change back and forth while queued ends in the newest state, sent once") {
  Fixture f;
  (void)f.out.update(f.key(1), f.attrs(100));
  AttrRef a;
  std::vector<OutKey> keys;
  REQUIRE(f.out.take_bucket(Family::Ipv4, 10, a, keys));
  (void)f.out.update(f.key(1), nullptr);       // withdraw queued
  (void)f.out.update(f.key(1), f.attrs(200));  // then re-announced differently
  keys.clear();
  CHECK(f.out.take_withdrawals(Family::Ipv4, 10, keys) == 0);  // the withdraw is obsolete
  REQUIRE(f.out.take_bucket(Family::Ipv4, 10, a, keys));
  CHECK(keys.size() == 1);
  CHECK(a->med == 200);
}

TEST_CASE("refresh re-sends everything held; clear forgets everything") {
  Fixture f;
  for (uint32_t i = 0; i < 5; ++i) (void)f.out.update(f.key(i), f.attrs(100));
  AttrRef a;
  std::vector<OutKey> keys;
  REQUIRE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  CHECK_FALSE(f.out.has_pending());
  f.out.refresh();
  CHECK(f.out.pending() == 5);
  // A withdrawal during the refresh is still sent: the peer holds the route.
  (void)f.out.update(f.key(0), nullptr);
  keys.clear();
  CHECK(f.out.take_withdrawals(Family::Ipv4, 10, keys) == 1);
  keys.clear();
  REQUIRE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  CHECK(keys.size() == 4);
  f.out.clear();
  CHECK(f.out.advertised() == 0);
  CHECK_FALSE(f.out.has_pending());
}

TEST_CASE("refresh of one family re-sends only that family; queued says when it is drained") {
  Fixture f;
  for (uint32_t i = 0; i < 3; ++i) (void)f.out.update(f.key(i), f.attrs(100));
  for (uint32_t i = 0; i < 2; ++i) (void)f.out.update(f.key6(i), f.attrs(100));
  AttrRef a;
  std::vector<OutKey> keys;
  REQUIRE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  REQUIRE(f.out.take_bucket(Family::Ipv6, 100, a, keys));
  CHECK_FALSE(f.out.queued(Family::Ipv4));
  CHECK_FALSE(f.out.queued(Family::Ipv6));
  f.out.refresh(Family::Ipv6);
  CHECK(f.out.pending() == 2);
  CHECK(f.out.queued(Family::Ipv6));
  CHECK_FALSE(f.out.queued(Family::Ipv4));
  keys.clear();
  CHECK_FALSE(f.out.take_bucket(Family::Ipv4, 100, a, keys));
  REQUIRE(f.out.take_bucket(Family::Ipv6, 100, a, keys));
  CHECK(keys.size() == 2);
  CHECK_FALSE(f.out.take_bucket(Family::Ipv6, 100, a, keys));
  CHECK_FALSE(f.out.queued(Family::Ipv6));
  f.out.refresh(Family::Ipv4);
  CHECK(f.out.pending() == 3);
  CHECK(f.out.queued(Family::Ipv4));
}

TEST_CASE("memory accounting of an Adj-RIB-Out matches the heap growth") {
  Fixture f;
  std::vector<AttrRef> attrs;
  for (uint32_t m = 0; m < 10; ++m) attrs.push_back(f.attrs(100 + m));
  const std::size_t before = heap_in_use();
  std::size_t pending_bytes = 0, sent_bytes = 0;
  {
    AdjRibOut out;
    for (uint32_t i = 0; i < 50000; ++i) (void)out.update(Fixture::key(i), attrs[i % 10]);
    const AdjRibOut::Memory queued = out.memory();
    CHECK(queued.pending >= 50000 * 24);
    CHECK(queued.buckets >= 50000 * 24);
    pending_bytes = out.memory_bytes();
    if (heap_measurable()) {
      const double measured = static_cast<double>(heap_in_use() - before);
      MESSAGE("queued: accounted " << pending_bytes << ", heap grew by " << measured);
      CHECK(static_cast<double>(pending_bytes) >= 0.85 * measured);
      CHECK(static_cast<double>(pending_bytes) <= 1.15 * measured);
    }
    AttrRef a;
    std::vector<OutKey> keys;
    while (out.take_bucket(Family::Ipv4, 4096, a, keys)) keys.clear();
    CHECK(out.advertised() == 50000);
    sent_bytes = out.memory_bytes();
    CHECK(out.memory().sent >= 50000 * 24);  // IPv4: 24-byte slots
    if (heap_measurable()) {
      const double measured = static_cast<double>(heap_in_use() - before);
      MESSAGE("sent: accounted " << sent_bytes << ", heap grew by " << measured);
      CHECK(static_cast<double>(sent_bytes) >= 0.85 * measured);
      CHECK(static_cast<double>(sent_bytes) <= 1.15 * measured);
    }
  }
}

TEST_CASE("sent state per family and ADD-PATH id survives the compact IPv4 keys and refresh") {
  Fixture f;
  const Prefix v4 = *Prefix::parse("198.51.100.0/24");
  const Prefix v4b = *Prefix::parse("198.51.100.0/25");  // same address, other length
  const OutKey keys_in[] = {{v4, 0},          {v4, 7},   {v4b, 0},
                            {v4, 0xFFFFFFFF}, f.key6(1), {f.key6(1).prefix, 7}};
  for (std::size_t i = 0; i < std::size(keys_in); ++i)
    CHECK(f.out.update(keys_in[i], f.attrs(100 + i)));
  AttrRef a;
  std::vector<OutKey> keys;
  while (f.out.take_bucket(Family::Ipv4, 100, a, keys) ||
         f.out.take_bucket(Family::Ipv6, 100, a, keys)) {
  }
  CHECK(keys.size() == std::size(keys_in));
  CHECK(f.out.advertised() == std::size(keys_in));
  for (std::size_t i = 0; i < std::size(keys_in); ++i) {
    REQUIRE(f.out.sent(keys_in[i]));
    CHECK(f.out.sent(keys_in[i])->med == 100 + i);
  }
  CHECK_FALSE(f.out.sent({v4, 8}));
  // Refresh re-queues every held key exactly as it was sent.
  f.out.refresh();
  CHECK(f.out.pending() == std::size(keys_in));
  std::vector<OutKey> again;
  while (f.out.take_bucket(Family::Ipv4, 100, a, again) ||
         f.out.take_bucket(Family::Ipv6, 100, a, again)) {
  }
  auto less = [](const OutKey& x, const OutKey& y) {
    if (x.prefix != y.prefix) return x.prefix.to_string() < y.prefix.to_string();
    return x.path_id < y.path_id;
  };
  std::sort(keys.begin(), keys.end(), less);
  std::sort(again.begin(), again.end(), less);
  CHECK(keys == again);
  // Withdrawing one path id leaves the others of the same prefix.
  CHECK(f.out.update({v4, 7}, AttrRef()));
  keys.clear();
  CHECK(f.out.take_withdrawals(Family::Ipv4, 10, keys) == 1);
  CHECK_FALSE(f.out.sent({v4, 7}));
  CHECK(f.out.sent({v4, 0}));
  CHECK(f.out.advertised() == std::size(keys_in) - 1);
}

TEST_CASE("random changes and partial takes: every key ends in its newest state, queues bounded") {
  // A model of what each key should end as, against random updates (shared attribute sets and
  // withdrawals, IPv4 and IPv6 keys in different numbers) and takes of random sizes that leave
  // buckets half sent; then a stretch without takes (a stopped peer: stale entries pile up and are
  // compacted), then changes of a few keys only (buckets empty, go and come back). The queues'
  // invariants are asserted inside AdjRibOut (debug builds).
  Fixture f;
  std::vector<AttrRef> sets;
  for (uint32_t m = 0; m < 40; ++m) sets.push_back(f.attrs(200 + m));
  std::vector<OutKey> all;
  for (uint32_t i = 0; i < 300; ++i) all.push_back(Fixture::key(i));
  for (uint32_t i = 0; i < 170; ++i) all.push_back(Fixture::key6(i));
  std::unordered_map<Prefix, const PathAttributes*, PrefixHash> want, held;
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&seed](uint64_t n) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed % n;
  };
  auto take = [&](Family fam, std::size_t max) {
    std::vector<OutKey> keys;
    f.out.take_withdrawals(fam, max, keys);
    for (const OutKey& k : keys) held.erase(k.prefix);
    keys.clear();
    AttrRef a;
    if (f.out.take_bucket(fam, max, a, keys))
      for (const OutKey& k : keys) held[k.prefix] = a.get();
  };
  std::size_t peak_buckets = 0;
  for (int step = 0; step < 60000; ++step) {
    const OutKey& k = all[step < 50000 ? next(all.size()) : next(8)];
    if (step < 30000 && next(50) == 0) {
      take(next(2) ? Family::Ipv4 : Family::Ipv6, 1 + next(40));
    } else {
      const std::size_t s = next(sets.size() + 1);
      const AttrRef a = s == sets.size() ? AttrRef() : sets[s];
      (void)f.out.update(k, a);
      if (a)
        want[k.prefix] = a.get();
      else
        want.erase(k.prefix);
    }
    peak_buckets = std::max(peak_buckets, f.out.memory().buckets);
  }
  // Each bucket lists at most 2 * live + slack keys: bounded by the keys, not the 60,000 changes.
  INFO("peak bucket bytes " << peak_buckets);
  CHECK(peak_buckets <= (2 * 470 + 2 * 40 * 16) * 24 * 2 + 32768);
  for (int i = 0; i < 100000 && f.out.has_pending(); ++i) {
    take(Family::Ipv4, 64);
    take(Family::Ipv6, 64);
  }
  CHECK_FALSE(f.out.has_pending());
  CHECK(f.out.memory().buckets < 4096);
  CHECK_FALSE(f.out.queued(Family::Ipv4));
  CHECK_FALSE(f.out.queued(Family::Ipv6));
  CHECK(held == want);
  for (const OutKey& k : all) {
    auto it = want.find(k.prefix);
    CHECK(f.out.sent(k) == (it == want.end() ? nullptr : it->second));
  }
}
