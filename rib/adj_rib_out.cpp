// AdjRibOut: desired state per key, buckets keyed by interned attribute set (pointer identity),
// validation on take so that a key whose state changed twice is sent once, in its newest form.
// Each bucket counts the pending keys whose state is its set: when a key moves on, the count of its
// old bucket drops, the bucket goes at zero (releasing the set) and is compacted once its stale
// entries outnumber the live ones by kSlack; withdrawal queues and the bucket order likewise. The
// work is a hash lookup per change of a key already queued, and compaction is amortised over the
// changes that made the entries stale.
#include "rib/adj_rib_out.hpp"

#include <algorithm>
#include <cassert>
#include <tuple>
#include <utility>

namespace rs::rib {

bool AdjRibOut::update(const OutKey& ok, AttrRef attrs) {
  const Key k = key(ok);
  const AttrRef* s = find_sent(k);
  const bool held = s != nullptr;
  AttrRef* p = pending_.find(k);
  if (!p) {
    if (held ? *s == attrs : !attrs) return false;  // the peer holds exactly this
    *pending_.try_emplace(k).first = attrs;
    enqueue(k, attrs);
    return true;
  }
  if (*p == attrs) return true;  // already queued in this form
  if (!attrs && !held) {         // announced and withdrawn before it went out
    const AttrRef old = std::move(*p);
    pending_.erase(k);
    leave(k, old);
    return false;
  }
  // Once queued, a key is sent even if it returns to the held state: it may be a re-send that a
  // route refresh asked for, and an extra identical UPDATE is harmless.
  const AttrRef old = std::exchange(*p, attrs);
  leave(k, old);
  enqueue(k, attrs);
  return true;
}

void AdjRibOut::enqueue(const Key& k, const AttrRef& attrs) {
  const int f = index(k);
  if (!attrs) {
    withdrawals_[f].push_back(k);
    ++withdrawals_live_[f];
    return;
  }
  auto [b, fresh] = buckets_[f].try_emplace(attrs.get());
  if (fresh) {
    b->second.attrs = attrs;
    b->second.seq = next_seq_++;
    order_[f].push_back({attrs.get(), b->second.seq});
  }
  b->second.keys.push_back(k);
  ++b->second.live;
}

void AdjRibOut::leave(const Key& k, const AttrRef& old) {
  const int f = index(k);
  if (!old) {
    assert(withdrawals_live_[f] > 0);
    --withdrawals_live_[f];
    if (withdrawals_[f].size() > 2 * withdrawals_live_[f] + kSlack) compact_withdrawals(f);
    return;
  }
  auto it = buckets_[f].find(old.get());
  assert(it != buckets_[f].end() && it->second.live > 0);
  Bucket& b = it->second;
  if (--b.live == 0) {
    // No pending key refers to the set any more: the bucket and its reference go now, not when
    // the packer reaches them. Its entry in order_ is stale from here.
    buckets_[f].erase(it);
    if (order_[f].size() > 2 * buckets_[f].size() + kSlack) compact_order(f);
    return;
  }
  if (b.keys.size() - b.head > 2 * b.live + kSlack) compact(b);
}

namespace {
bool key_less(const PrefixKey& a, const PrefixKey& b) {
  return std::tie(a.hi, a.lo, a.family, a.length, a.extra) <
         std::tie(b.hi, b.lo, b.family, b.length, b.extra);
}
// Sorts `keys` and drops repeats: a key that left a queue and came back is listed twice.
void sort_unique(std::vector<PrefixKey>& keys) {
  std::sort(keys.begin(), keys.end(), key_less);
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
}
}  // namespace

void AdjRibOut::compact(Bucket& b) {
  std::vector<Key> keys;
  keys.reserve(b.live);
  for (std::size_t i = b.head; i < b.keys.size(); ++i) {
    const AttrRef* p = pending_.find(b.keys[i]);
    if (p && *p == b.attrs) keys.push_back(b.keys[i]);
  }
  sort_unique(keys);
  assert(keys.size() == b.live);
  b.keys.swap(keys);
  b.head = 0;
}

void AdjRibOut::compact_withdrawals(int f) {
  std::vector<Key> keys;
  keys.reserve(withdrawals_live_[f]);
  for (const Key& k : withdrawals_[f]) {
    const AttrRef* p = pending_.find(k);
    if (p && !*p) keys.push_back(k);
  }
  sort_unique(keys);
  assert(keys.size() == withdrawals_live_[f]);
  withdrawals_[f].swap(keys);
}

void AdjRibOut::compact_order(int f) {
  std::erase_if(order_[f], [&](const Queued& q) {
    auto it = buckets_[f].find(q.attrs);
    return it == buckets_[f].end() || it->second.seq != q.seq;
  });
  assert(order_[f].size() == buckets_[f].size());
}

std::size_t AdjRibOut::take_withdrawals(Family fam, std::size_t max, std::vector<OutKey>& out) {
  auto& q = withdrawals_[index(fam)];
  std::size_t taken = 0, i = 0;
  for (; i < q.size() && taken < max; ++i) {
    const AttrRef* p = pending_.find(q[i]);
    if (!p || *p) continue;  // state moved on
    out.push_back(out_key(q[i]));
    with_sent(q[i], [](auto& t, const auto& key) { return t.erase(key); });
    pending_.erase(q[i]);
    --withdrawals_live_[index(fam)];
    ++taken;
  }
  q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(i));
  if (q.empty() && q.capacity()) std::vector<Key>().swap(q);  // drained: nothing stays held
  return taken;
}

bool AdjRibOut::take_bucket(Family fam, std::size_t max, AttrRef& attrs, std::vector<OutKey>& out) {
  const int f = index(fam);
  while (!order_[f].empty()) {
    const Queued q = order_[f].front();
    auto it = buckets_[f].find(q.attrs);
    if (it == buckets_[f].end() || it->second.seq != q.seq) {  // the bucket emptied before
      order_[f].pop_front();
      continue;
    }
    Bucket& b = it->second;
    std::size_t taken = 0;
    while (b.head < b.keys.size() && taken < max) {
      const Key& k = b.keys[b.head++];
      const AttrRef* p = pending_.find(k);
      if (!p || *p != b.attrs) continue;
      out.push_back(out_key(k));
      *with_sent(k, [](auto& t, const auto& key) { return t.try_emplace(key).first; }) = b.attrs;
      pending_.erase(k);
      --b.live;
      ++taken;
    }
    if (b.head == b.keys.size()) {
      assert(b.live == 0);
      if (taken) attrs = b.attrs;  // copy out before the bucket goes
      order_[f].pop_front();
      buckets_[f].erase(it);
      // Drained after a burst: the index's bucket array would stay at its peak size.
      if (buckets_[f].empty() && buckets_[f].bucket_count() > 1024) BucketMap().swap(buckets_[f]);
      if (taken) return true;
      continue;
    }
    attrs = b.attrs;
    return true;  // max reached, the bucket keeps its place at the front
  }
  return false;
}

const PathAttributes* AdjRibOut::sent(const OutKey& k) const {
  const AttrRef* a = const_cast<AdjRibOut*>(this)->find_sent(key(k));
  return a ? a->get() : nullptr;
}

const PathAttributes* AdjRibOut::newest(const OutKey& k) const {
  if (const AttrRef* p = pending_.find(key(k))) return p->get();
  return sent(k);
}

AdjRibOut::Memory AdjRibOut::memory() const {
  static_assert(sizeof(decltype(sent_v4_)::Slot) == 24, "an IPv4 sent entry is 24 bytes");
  Memory m;
  m.sent = sent_v4_.memory_bytes() + sent_v6_.memory_bytes();
  m.pending = pending_.memory_bytes();
  for (int f = 0; f < 2; ++f) {
    m.pending += heap_block(withdrawals_[f].capacity() * sizeof(Key));
    // unordered_map: a node (next pointer, key, bucket) per bucket plus the bucket array.
    m.buckets += heap_block(buckets_[f].bucket_count() * sizeof(void*)) +
                 buckets_[f].size() * heap_block(sizeof(BucketMap::value_type) + sizeof(void*));
    for (const auto& kv : buckets_[f])
      m.buckets += heap_block(kv.second.keys.capacity() * sizeof(Key));
    // std::deque: 512-byte blocks.
    m.buckets += heap_block(512) * (order_[f].size() * sizeof(Queued) / 512 + 1);
  }
  return m;
}

void AdjRibOut::clear() {
  sent_v4_.clear();
  sent_v6_.clear();
  pending_.clear();
  for (int f = 0; f < 2; ++f) {
    std::vector<Key>().swap(withdrawals_[f]);
    withdrawals_live_[f] = 0;
    buckets_[f].clear();
    order_[f].clear();
  }
}

void AdjRibOut::refresh() {
  for_each_sent([this](const Key& k, const AttrRef& a) {
    auto [p, inserted] = pending_.try_emplace(k);
    if (inserted) {  // otherwise a newer state is queued already
      *p = a;
      enqueue(k, a);
    }
  });
}

void AdjRibOut::refresh(Family f) {
  auto resend = [this](const Key& k, const AttrRef& a) {
    auto [p, inserted] = pending_.try_emplace(k);
    if (inserted) {  // otherwise a newer state is queued already
      *p = a;
      enqueue(k, a);
    }
  };
  if (f == Family::Ipv4)
    sent_v4_.for_each([&](const SentKeyV4& k, const AttrRef& a) { resend(k.key(), a); });
  else
    sent_v6_.for_each(resend);
}

}  // namespace rs::rib
