// Adj-RIB-Out of one peer: what it was last sent, and what it should be sent next, grouped into
// export buckets (one attribute set -> its prefixes) plus withdrawals (BIRD bgp_bucket, OpenBGPD
// rde_adjout). The desired state per prefix is kept, not a queue of events: a slow peer coalesces to
// the newest state, and the packer pulls withdrawals first, then one bucket at a time.
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
    sent_.prefetch(key);
    pending_.prefetch(key);
  }

  bool has_pending() const { return !pending_.empty(); }
  std::size_t pending() const { return pending_.size(); }
  std::size_t advertised() const { return sent_.size(); }

  // Pull side. Taking marks the entries as sent (the packer hands them to the socket).
  // Withdrawals of one family, at most `max`.
  std::size_t take_withdrawals(Family f, std::size_t max, std::vector<OutKey>& out);
  // The oldest bucket with pending announcements of family `f`: its attributes and at most `max`
  // keys. False when there is none.
  bool take_bucket(Family f, std::size_t max, AttrRef& attrs, std::vector<OutKey>& out);

  // What the peer holds for `k`, null when nothing.
  const PathAttributes* sent(const OutKey& k) const;
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

 private:
  // Keys are PrefixKeys with the path id in `extra` (24 bytes, inline in open-addressing tables).
  using Key = PrefixKey;
  static Key key(const OutKey& k) { return Key(k.prefix, k.path_id); }
  static OutKey out_key(const Key& k) { return {k.prefix(), k.extra}; }
  struct Bucket {
    AttrRef attrs;
    std::vector<Key> keys;  // may hold keys whose pending state moved on: checked on take
    std::size_t head = 0;
  };
  using BucketMap = std::unordered_map<const PathAttributes*, Bucket>;
  static int index(Family f) { return f == Family::Ipv4 ? 0 : 1; }
  void enqueue(const Key& k, const AttrRef& attrs);

  FlatMap<Key, AttrRef, PrefixKeyHash> sent_;
  FlatMap<Key, AttrRef, PrefixKeyHash> pending_;  // null value: withdraw
  std::vector<Key> withdrawals_[2];
  BucketMap buckets_[2];
  std::deque<const PathAttributes*> order_[2];  // buckets in the order they got work
};

}  // namespace rs::rib
