// AdjRibOut: desired state per key, buckets keyed by interned attribute set (pointer identity),
// validation on take so that a key whose state changed twice is sent once, in its newest form.
#include "rib/adj_rib_out.hpp"

namespace rs::rib {

bool AdjRibOut::update(const OutKey& k, AttrRef attrs) {
  auto s = sent_.find(k);
  const bool held = s != sent_.end();
  auto p = pending_.find(k);
  if (p == pending_.end()) {
    if (held ? s->second == attrs : !attrs) return false;  // the peer holds exactly this
    pending_.emplace(k, attrs);
    enqueue(k, attrs);
    return true;
  }
  if (p->second == attrs) return true;  // already queued in this form
  if (!attrs && !held) {                // announced and withdrawn before it went out
    pending_.erase(p);
    return false;
  }
  // Once queued, a key is sent even if it returns to the held state: it may be a re-send that a
  // route refresh asked for, and an extra identical UPDATE is harmless.
  p->second = attrs;
  enqueue(k, attrs);
  return true;
}

void AdjRibOut::enqueue(const OutKey& k, const AttrRef& attrs) {
  const int f = index(k.prefix.family());
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
    auto p = pending_.find(q[i]);
    if (p == pending_.end() || p->second) continue;  // state moved on
    out.push_back(q[i]);
    sent_.erase(q[i]);
    pending_.erase(p);
    ++taken;
  }
  q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(i));
  return taken;
}

bool AdjRibOut::take_bucket(Family fam, std::size_t max, AttrRef& attrs, std::vector<OutKey>& out) {
  const int f = index(fam);
  while (!order_[f].empty()) {
    auto it = buckets_[f].find(order_[f].front());
    Bucket& b = it->second;
    std::size_t taken = 0;
    while (b.head < b.keys.size() && taken < max) {
      const OutKey& k = b.keys[b.head++];
      auto p = pending_.find(k);
      if (p == pending_.end() || p->second != b.attrs) continue;
      out.push_back(k);
      sent_[k] = b.attrs;
      pending_.erase(p);
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
  auto it = sent_.find(k);
  return it == sent_.end() ? nullptr : it->second.get();
}

void AdjRibOut::clear() {
  sent_.clear();
  pending_.clear();
  for (int f = 0; f < 2; ++f) {
    withdrawals_[f].clear();
    buckets_[f].clear();
    order_[f].clear();
  }
}

void AdjRibOut::refresh() {
  for (auto& [k, a] : sent_) {
    auto [it, inserted] = pending_.try_emplace(k, a);
    if (inserted) enqueue(k, a);  // otherwise a newer state is queued already
  }
}

}  // namespace rs::rib
