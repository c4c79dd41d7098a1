// Loc-RIB: receive (Adj-RIB-In) -> import verdict -> decision -> journal, per prefix
//. The decision re-runs over all paths of the prefix, so the result never
// depends on the order updates arrived in.
#include "rib/loc_rib.hpp"

#include <algorithm>
#include <cassert>

#include <cstdlib>
#include <new>

namespace rs::rib {

void PathList::reallocate(uint32_t cap, PathPool& pool) {
  Path* data = cap ? static_cast<Path*>(pool.allocate(cap)) : nullptr;
  for (uint32_t i = 0; i < size_; ++i) {
    new (&data[i]) Path(std::move(data_[i]));
    data_[i].~Path();
  }
  pool.deallocate(data_, cap_);
  data_ = data;
  cap_ = cap;
}

void PathList::release(PathPool& pool) {
  for (uint32_t i = 0; i < size_; ++i) data_[i].~Path();
  pool.deallocate(data_, cap_);
  data_ = nullptr;
  size_ = cap_ = 0;
}

void PathList::insert(std::size_t i, Path&& p, PathPool& pool) {
  assert(i <= size_);
  if (size_ == cap_) reallocate(cap_ + std::max<uint32_t>(2, cap_ / 4), pool);
  if (i == size_) {
    new (&data_[size_]) Path(std::move(p));
  } else {
    new (&data_[size_]) Path(std::move(data_[size_ - 1]));
    for (std::size_t j = size_ - 1; j > i; --j) data_[j] = std::move(data_[j - 1]);
    data_[i] = std::move(p);
  }
  ++size_;
}

void PathList::erase(std::size_t i, PathPool& pool) {
  assert(i < size_);
  for (std::size_t j = i; j + 1 < size_; ++j) data_[j] = std::move(data_[j + 1]);
  data_[--size_].~Path();
  if (size_ == 0)
    release(pool);
  else if (cap_ > 4 && size_ * 2 <= cap_)
    reallocate(size_ + 1, pool);
}

LocRib::~LocRib() {
  v4_.for_each([this](const PrefixKeyV4&, Destination& d) { d.paths.release(pool_); });
  v6_.for_each([this](const PrefixKey&, Destination& d) { d.paths.release(pool_); });
}

LocRib::Memory LocRib::memory() const {
  return {v4_.memory_bytes() + v6_.memory_bytes(), pool_.memory_bytes()};
}

int LocRib::find_path(const Destination& d, const RouteSource* src, uint32_t path_id) {
  for (std::size_t i = 0; i < d.paths.size(); ++i) {
    const Route& r = d.paths[i].route;
    if (r.source == src && r.path_id == path_id) return static_cast<int>(i);
  }
  return -1;
}

LocRib::Slot LocRib::receive(const Prefix& p, const RouteSource* src, uint32_t path_id,
                             AttrRef received) {
  return receive_if(p, src, path_id, std::move(received), [](bool, bool) { return true; });
}

LocRib::Slot LocRib::add_path(Destination& d, const RouteSource* src, uint32_t path_id,
                              AttrRef received) {
  Path path;
  path.route.source = src;
  path.route.path_id = path_id;
  path.received = std::move(received);
  // Canonical position: by source id, then path id.
  std::size_t pos = d.paths.size();
  while (pos > 0) {
    const Route& r = d.paths[pos - 1].route;
    if (r.source->id < src->id || (r.source->id == src->id && r.path_id < path_id)) break;
    --pos;
  }
  d.paths.insert(pos, std::move(path), pool_);
  if (d.best >= static_cast<int32_t>(pos)) ++d.best;
  ++paths_;
  return {InResult::New, &d, static_cast<uint32_t>(pos)};
}

BestResult LocRib::import(const Prefix& p, const Slot& slot, AttrRef imported, uint64_t now,
                          bool rerun) {
  if (!slot.dest) return BestResult::Unchanged;
  Path& path = slot.dest->paths[slot.index];
  Route& r = path.route;
  // decide() compares against the best as it is stored; when the best path itself changes its
  // attributes, that comparison cannot see it, so remember them here.
  const bool was_best = slot.dest->best == static_cast<int32_t>(slot.index);
  const AttrRef before = was_best ? r.attrs : AttrRef();
  if (!rerun) r.set_flag(kRouteStale, false);
  if (imported) {
    r.set_flag(kRouteFiltered, false);
    if (r.attrs != imported || slot.result == InResult::New) r.set_since(now);
    r.attrs = std::move(imported);
  } else {
    r.set_flag(kRouteFiltered, true);
    r.attrs = path.received;
  }
  BestResult result = decide(p, *slot.dest);
  if (result == BestResult::Unchanged && was_best &&
      slot.dest->best == static_cast<int32_t>(slot.index) && r.attrs != before) {
    journal(p, *slot.dest);
    result = BestResult::Changed;
  }
  if (result == BestResult::Unchanged && journal_all_) journal(p, *slot.dest);
  return result;
}

void LocRib::journal(const Prefix& p, Destination& d) {
  if (!journal_) return;
  // The destination keeps the low 32 bits of its last entry's sequence; the candidate is the
  // newest sequence below head() with those bits. unread_by_all() checks that the entry there is
  // this prefix and that no consumer has read it, so skipping the append is right whichever entry
  // the candidate is; a candidate that is not the prefix's own entry (2^32 entries or more ago,
  // or none yet) fails that check and costs at most one redundant entry, never a lost one.
  const Journal::Seq last = journal_->head() - 1;  // wraps when empty: then nothing is held
  const Journal::Seq s = last - static_cast<uint32_t>(static_cast<uint32_t>(last) - d.journaled);
  if (journal_->unread_by_all(s, p)) return;
  d.journaled = static_cast<uint32_t>(journal_->append(p));
}

BestResult LocRib::withdraw(const Prefix& p, const RouteSource* src, uint32_t path_id) {
  return remove(p, src, path_id).best;
}

LocRib::Removed LocRib::remove(const Prefix& p, const RouteSource* src, uint32_t path_id) {
  Removed out;
  Destination* dp = find_mut(p);
  if (!dp) return out;
  Destination& d = *dp;
  int i = find_path(d, src, path_id);
  if (i < 0) return out;
  out.found = true;
  out.filtered = d.paths[static_cast<std::size_t>(i)].route.filtered();
  // A path that is not the best and took no part in the decision (filtered), or one removed from a
  // set whose comparison is a total order (MED compared between any neighbour ASes, or every
  // eligible path from the best's neighbour AS), leaves the best in place: no decision needed.
  // MED between different ASes is not transitive, so there the scan's result may change.
  const bool was_best = d.best == i;
  const bool keep_best = !was_best && d.best >= 0 && (out.filtered || total_order(d));
  d.paths.erase(static_cast<std::size_t>(i), pool_);
  --paths_;
  if (was_best)
    d.best = -2;  // force "changed" in decide()
  else if (d.best > i)
    --d.best;
  if (d.paths.empty()) {
    const bool had_best = d.best != -1;
    if (had_best) journal(p, d);
    with_table(p, [](auto& t, const auto& k) { return t.erase(k); });
    if (had_best) out.best = BestResult::Removed;
    return out;
  }
  if (keep_best) {
    if (journal_all_) journal(p, d);
    return out;
  }
  out.best = decide(p, d);
  if (out.best == BestResult::Unchanged && journal_all_) journal(p, d);
  return out;
}

void LocRib::set_stale(const Prefix& p, const RouteSource* src, uint32_t path_id, bool stale) {
  Destination* d = find_mut(p);
  if (!d) return;
  int i = find_path(*d, src, path_id);
  if (i < 0) return;
  d->paths[static_cast<std::size_t>(i)].route.set_flag(kRouteStale, stale);
}

bool LocRib::total_order(const Destination& d) const {
  if (cfg_.med_metric) return true;
  const uint32_t as = d.paths[static_cast<std::size_t>(d.best)].route.attrs->first_as;
  for (const Path& path : d.paths)
    if (!path.route.filtered() && path.route.attrs->first_as != as) return false;
  return true;
}

BestResult LocRib::decide(const Prefix& p, Destination& d) {
  const Route* old_best = nullptr;
  AttrRef old_attrs;
  if (d.best >= 0) {
    old_best = &d.paths[static_cast<std::size_t>(d.best)].route;
    old_attrs = old_best->attrs;
  }
  const RouteSource* old_src = old_best ? old_best->source : nullptr;
  uint32_t old_id = old_best ? old_best->path_id : 0;
  const bool forced = d.best == -2;

  scratch_.clear();
  for (const Path& path : d.paths) scratch_.push_back(&path.route);
  d.best = select_best_canonical(scratch_, cfg_);

  BestResult result;
  if (d.best < 0) {
    result = (old_best || forced) ? BestResult::Removed : BestResult::Unchanged;
  } else {
    const Route& nb = d.paths[static_cast<std::size_t>(d.best)].route;
    bool same = !forced && old_best && nb.source == old_src && nb.path_id == old_id &&
                nb.attrs == old_attrs;
    result = same ? BestResult::Unchanged : BestResult::Changed;
  }
  if (result != BestResult::Unchanged) journal(p, d);
  return result;
}

const Destination* LocRib::find(const Prefix& p) const {
  return const_cast<LocRib*>(this)->find_mut(p);
}

Reason LocRib::reason(const Destination& d) const {
  std::vector<const Route*> routes;
  routes.reserve(d.paths.size());
  for (const Path& path : d.paths) routes.push_back(&path.route);
  return best_reason(routes, d.best, cfg_);
}

std::vector<Prefix> LocRib::snapshot() const {
  std::vector<Prefix> out;
  out.reserve(prefixes());
  v4_.for_each([&out](const PrefixKeyV4& k, const Destination&) { out.push_back(k.prefix()); });
  v6_.for_each([&out](const PrefixKey& k, const Destination&) { out.push_back(k.prefix()); });
  return out;
}

std::vector<Prefix> LocRib::snapshot(Family f) const {
  std::vector<Prefix> out;
  if (f == Family::Ipv4) {
    out.reserve(v4_.size());
    v4_.for_each([&out](const PrefixKeyV4& k, const Destination&) { out.push_back(k.prefix()); });
  } else {
    out.reserve(v6_.size());
    v6_.for_each([&out](const PrefixKey& k, const Destination&) { out.push_back(k.prefix()); });
  }
  return out;
}

void LocRib::for_each(const std::function<void(const Prefix&, const Destination&)>& f) const {
  v4_.for_each([&f](const PrefixKeyV4& k, const Destination& d) { f(k.prefix(), d); });
  v6_.for_each([&f](const PrefixKey& k, const Destination& d) { f(k.prefix(), d); });
}

BestResult LocRib::recompute(const Prefix& p) {
  Destination* d = find_mut(p);
  if (!d) return BestResult::Unchanged;
  return decide(p, *d);
}

}  // namespace rs::rib
