// AdjRibOut: desired state per key, buckets keyed by interned attribute set (pointer identity),
// validation on take so that a key whose state changed twice is sent once, in its newest form.
#include "rib/adj_rib_out.hpp"

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
    pending_.erase(k);
    return false;
  }
  // Once queued, a key is sent even if it returns to the held state: it may be a re-send that a
  // route refresh asked for, and an extra identical UPDATE is harmless.
  *p = attrs;
  enqueue(k, attrs);
  return true;
}

void AdjRibOut::enqueue(const Key& k, const AttrRef& attrs) {
  const int f = k.family == static_cast<uint8_t>(Family::Ipv4) ? 0 : 1;
  if (!attrs) {
    withdrawals_[f].push_back(k);
    return;
  }
  auto [b, fresh] = buckets_[f].try_emplace(attrs.get());
  if (fresh) {
    b->second.attrs = attrs;
    order_[f].push_back(attrs.get());
  }
  b->second.keys.push_back(k);
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
    ++taken;
  }
  q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(i));
  if (q.empty() && q.capacity() > 1024) std::vector<Key>().swap(q);
  return taken;
}

bool AdjRibOut::take_bucket(Family fam, std::size_t max, AttrRef& attrs, std::vector<OutKey>& out) {
  const int f = index(fam);
  while (!order_[f].empty()) {
    auto it = buckets_[f].find(order_[f].front());
    Bucket& b = it->second;
    std::size_t taken = 0;
    while (b.head < b.keys.size() && taken < max) {
      const Key& k = b.keys[b.head++];
      const AttrRef* p = pending_.find(k);
      if (!p || *p != b.attrs) continue;
      out.push_back(out_key(k));
      *with_sent(k, [](auto& t, const auto& key) { return t.try_emplace(key).first; }) = b.attrs;
      pending_.erase(k);
      ++taken;
    }
    if (b.head == b.keys.size()) {
      if (taken) attrs = b.attrs;  // copy out before the bucket goes
      order_[f].pop_front();
      buckets_[f].erase(it);
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
    m.buckets += heap_block(512) * (order_[f].size() * sizeof(const PathAttributes*) / 512 + 1);
  }
  return m;
}

void AdjRibOut::clear() {
  sent_v4_.clear();
  sent_v6_.clear();
  pending_.clear();
  for (int f = 0; f < 2; ++f) {
    std::vector<Key>().swap(withdrawals_[f]);
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
