// Adj-RIB-Out of one peer: what it was last sent, and what it should be sent next, grouped into
// export buckets (one attribute set -> its prefixes) plus withdrawals (BIRD bgp_bucket, OpenBGPD
// rde_adjout). The desired state per prefix is kept, not a queue of events: a slow peer coalesces
// to the newest state, and the packer pulls withdrawals first, then one bucket at a time. A key
// whose pending state moves to another attribute set leaves its old bucket: the bucket counts its
// live keys, goes (with its reference to the set) when the last one leaves, and is compacted when
// its stale entries outnumber the live ones, so a peer that stops reading holds memory in
// proportion to its prefixes, never to the number of changes. Storage:
// open-addressing tables; what was sent is kept per family (24-byte slots for IPv4, 32 for IPv6),
// the pending state in 32-byte slots, bucket queues of 24-byte keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "rib/attrs.hpp"
#include "rib/flat_map.hpp"
#include "rib/prefix.hpp"

namespace rs::rib {

struct OutKey {
  Prefix prefix;
  uint32_t path_id = 0;  // RFC 7911, 0 without ADD-PATH
  friend bool operator==(const OutKey&, const OutKey&) = default;
};
struct OutKeyHash {
  std::size_t operator()(const OutKey& k) const { return hash_combine(k.prefix.hash(), k.path_id); }
};

class AdjRibOut {
 public:
  // Sets what the peer should hold for `k` (null = nothing). True when this leaves work to send.
  bool update(const OutKey& k, AttrRef attrs);

  // Bulk export: hints to load k's slots a few prefixes ahead of update() (see FlatMap::prefetch).
  void prefetch(const OutKey& k) const {
    const Key key(k.prefix, k.path_id);
    if (is_v4(key))
      sent_v4_.prefetch(SentKeyV4(key));
    else
      sent_v6_.prefetch(key);
    pending_.prefetch(key);
  }

  bool has_pending() const { return !pending_.empty(); }
  std::size_t pending() const { return pending_.size(); }
  std::size_t advertised() const { return sent_v4_.size() + sent_v6_.size(); }

  // Pull side. Taking marks the entries as sent (the packer hands them to the socket).
  // Withdrawals of one family, at most `max`.
  std::size_t take_withdrawals(Family f, std::size_t max, std::vector<OutKey>& out);
  // The oldest bucket with pending announcements of family `f`: its attributes and at most `max`
  // keys. False when there is none.
  bool take_bucket(Family f, std::size_t max, AttrRef& attrs, std::vector<OutKey>& out);

  // What the peer holds for `k`, null when nothing.
  const PathAttributes* sent(const OutKey& k) const;
  // What the peer is to hold for `k` once the pending work is sent (the pending state, else what
  // it holds), null when nothing: `configure check` compares this with what a new configuration
  // would give it.
  const PathAttributes* newest(const OutKey& k) const;
  // Heap bytes held, from the capacities: what was sent, what is pending, the export buckets
  // (their key queues and index) and the withdrawal queues.
  struct Memory {
    std::size_t sent = 0;
    std::size_t pending = 0;
    std::size_t buckets = 0;
  };
  Memory memory() const;
  std::size_t memory_bytes() const {
    const Memory m = memory();
    return m.sent + m.pending + m.buckets;
  }
  // The session went down: the peer holds nothing and nothing is pending.
  void clear();
  // Re-send everything held (route refresh from the peer): all sent entries become pending.
  void refresh();
  // The same for one family (a ROUTE-REFRESH names its AFI/SAFI, RFC 2918 3).
  void refresh(Family f);
  // True while family f has pending work; false once the packer drained it (an enhanced route
  // refresh ends with EoRR then, RFC 7313 4). Exact: a bucket lives only while a pending key
  // refers to it, and the queues' stale entries are not counted.
  bool queued(Family f) const {
    return withdrawals_live_[index(f)] != 0 || !buckets_[index(f)].empty();
  }

 private:
  // Keys are PrefixKeys with the path id in `extra` (24 bytes, inline in open-addressing tables).
  using Key = PrefixKey;
  static Key key(const OutKey& k) { return Key(k.prefix, k.path_id); }
  static OutKey out_key(const Key& k) { return {k.prefix(), k.extra}; }
  struct Bucket {
    AttrRef attrs;
    // From `head`: every key pending with `attrs` (some possibly twice), and stale entries of keys
    // whose state moved on (skipped on take); compacted before the stale ones pass `live` + kSlack.
    std::vector<Key> keys;
    std::size_t head = 0;
    std::size_t live = 0;  // pending keys whose state is `attrs`; the bucket goes at 0
    uint64_t seq = 0;      // its entry in order_ (an older entry for the same set is stale)
  };
  using BucketMap = std::unordered_map<const PathAttributes*, Bucket>;
  struct Queued {
    const PathAttributes* attrs = nullptr;
    uint64_t seq = 0;
  };
  // Stale entries a bucket, a withdrawal queue or the bucket order may hold beyond as many as
  // live ones before they are compacted.
  static constexpr std::size_t kSlack = 16;
  static int index(Family f) { return f == Family::Ipv4 ? 0 : 1; }
  static int index(const Key& k) { return is_v4(k) ? 0 : 1; }
  void enqueue(const Key& k, const AttrRef& attrs);
  // `k`'s pending state was `old` and is no longer: its queue entry becomes stale.
  void leave(const Key& k, const AttrRef& old);
  void compact(Bucket& b);
  void compact_withdrawals(int f);
  void compact_order(int f);

  // What the peer holds, per family: IPv4 keys are 12 bytes (a 24-byte slot instead of 32).
  struct SentKeyV4 {
    uint32_t addr = 0;
    uint32_t path_id = 0;
    uint8_t length = 0;
    uint8_t used = 0;  // 0: empty slot
    SentKeyV4() = default;
    explicit SentKeyV4(const Key& k)
        : addr(static_cast<uint32_t>(k.hi >> 32)), path_id(k.extra), length(k.length), used(1) {}
    bool empty() const { return used == 0; }
    Key key() const { return Key(Prefix::from_v4(addr, length), path_id); }
    friend bool operator==(const SentKeyV4&, const SentKeyV4&) = default;
  };
  struct SentKeyV4Hash {
    std::size_t operator()(const SentKeyV4& k) const {
      return mix64((uint64_t{k.addr} << 8 | k.length) ^ (uint64_t{k.path_id} << 40));
    }
  };
  static bool is_v4(const Key& k) { return k.family == static_cast<uint8_t>(Family::Ipv4); }
  // f(table, key) on the key's sent table.
  template <class F>
  decltype(auto) with_sent(const Key& k, F&& f) {
    if (is_v4(k)) return f(sent_v4_, SentKeyV4(k));
    return f(sent_v6_, k);
  }
  AttrRef* find_sent(const Key& k) {
    return with_sent(k, [](auto& t, const auto& key) { return t.find(key); });
  }
  // f(const Key&, const AttrRef&) for every key the peer holds.
  template <class F>
  void for_each_sent(F&& f) const {
    sent_v4_.for_each([&f](const SentKeyV4& k, const AttrRef& a) { f(k.key(), a); });
    sent_v6_.for_each([&f](const Key& k, const AttrRef& a) { f(k, a); });
  }

  FlatMap<SentKeyV4, AttrRef, SentKeyV4Hash> sent_v4_;
  FlatMap<Key, AttrRef, PrefixKeyHash> sent_v6_;
  FlatMap<Key, AttrRef, PrefixKeyHash> pending_;  // null value: withdraw
  std::vector<Key> withdrawals_[2];           // may hold stale and repeated keys, as bucket keys do
  std::size_t withdrawals_live_[2] = {0, 0};  // pending withdrawals per family
  BucketMap buckets_[2];
  std::deque<Queued> order_[2];  // buckets in the order they got work (and stale entries)
  uint64_t next_seq_ = 0;
};

}  // namespace rs::rib
