// Loc-RIB: receive (Adj-RIB-In) -> import verdict -> decision -> journal, per prefix
// (design steps 4-6). The decision re-runs over all paths of the prefix, so the result never depends
// on the order updates arrived in.
#include "rib/loc_rib.hpp"

namespace rs::rib {

int LocRib::find_path(const Destination& d, const RouteSource* src, uint32_t path_id) {
  for (std::size_t i = 0; i < d.paths.size(); ++i) {
    const Route& r = d.paths[i].route;
    if (r.source == src && r.path_id == path_id) return static_cast<int>(i);
  }
  return -1;
}

LocRib::Slot LocRib::receive(const Prefix& p, const RouteSource* src, uint32_t path_id,
                             AttrRef received) {
  Destination& d = table_[p];
  int i = find_path(d, src, path_id);
  if (i >= 0) {
    Path& path = d.paths[static_cast<std::size_t>(i)];
    if (path.received == received && !path.route.stale())
      return {InResult::NoChange, &d, static_cast<uint32_t>(i)};
    path.received = std::move(received);
    return {InResult::Changed, &d, static_cast<uint32_t>(i)};
  }
  Path path;
  path.route.source = src;
  path.route.path_id = path_id;
  path.received = std::move(received);
  d.paths.push_back(std::move(path));
  ++paths_;
  return {InResult::New, &d, static_cast<uint32_t>(d.paths.size() - 1)};
}

BestResult LocRib::import(const Prefix& p, const Slot& slot, AttrRef imported, uint64_t now) {
  Path& path = slot.dest->paths[slot.index];
  Route& r = path.route;
  // decide() compares against the best as it is stored; when the best path itself changes its
  // attributes, that comparison cannot see it, so remember them here.
  const bool was_best = slot.dest->best == static_cast<int32_t>(slot.index);
  const AttrRef before = was_best ? r.attrs : AttrRef();
  r.flags &= static_cast<uint8_t>(~kRouteStale);
  if (imported) {
    r.flags &= static_cast<uint8_t>(~kRouteFiltered);
    if (r.attrs != imported || slot.result == InResult::New) r.since = now;
    r.attrs = std::move(imported);
  } else {
    r.flags |= kRouteFiltered;
    r.attrs = path.received;
  }
  BestResult result = decide(p, *slot.dest);
  if (result == BestResult::Unchanged && was_best &&
      slot.dest->best == static_cast<int32_t>(slot.index) && r.attrs != before) {
    if (journal_) journal_->append(p);
    result = BestResult::Changed;
  }
  if (result == BestResult::Unchanged && journal_all_ && journal_) journal_->append(p);
  return result;
}

BestResult LocRib::withdraw(const Prefix& p, const RouteSource* src, uint32_t path_id) {
  auto it = table_.find(p);
  if (it == table_.end()) return BestResult::Unchanged;
  Destination& d = it->second;
  int i = find_path(d, src, path_id);
  if (i < 0) return BestResult::Unchanged;
  d.paths.erase(d.paths.begin() + i);
  --paths_;
  if (d.best == i) d.best = -2;  // force "changed" in decide()
  else if (d.best > i) --d.best;
  if (d.paths.empty()) {
    bool had_best = d.best != -1;
    table_.erase(it);
    if (had_best) {
      if (journal_) journal_->append(p);
      return BestResult::Removed;
    }
    return BestResult::Unchanged;
  }
  const BestResult result = decide(p, d);
  if (result == BestResult::Unchanged && journal_all_ && journal_) journal_->append(p);
  return result;
}

void LocRib::set_stale(const Prefix& p, const RouteSource* src, uint32_t path_id, bool stale) {
  auto it = table_.find(p);
  if (it == table_.end()) return;
  int i = find_path(it->second, src, path_id);
  if (i < 0) return;
  auto& flags = it->second.paths[static_cast<std::size_t>(i)].route.flags;
  flags = stale ? (flags | kRouteStale) : (flags & static_cast<uint8_t>(~kRouteStale));
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
  Selection sel = select_best(scratch_, cfg_);
  d.best = sel.best;
  d.reason = sel.reason;

  BestResult result;
  if (sel.best < 0) {
    result = (old_best || forced) ? BestResult::Removed : BestResult::Unchanged;
  } else {
    const Route& nb = d.paths[static_cast<std::size_t>(sel.best)].route;
    bool same = !forced && old_best && nb.source == old_src && nb.path_id == old_id &&
                nb.attrs == old_attrs;
    result = same ? BestResult::Unchanged : BestResult::Changed;
  }
  if (result != BestResult::Unchanged && journal_) journal_->append(p);
  return result;
}

const Destination* LocRib::find(const Prefix& p) const {
  auto it = table_.find(p);
  return it == table_.end() ? nullptr : &it->second;
}

std::vector<Prefix> LocRib::snapshot() const {
  std::vector<Prefix> out;
  out.reserve(table_.size());
  for (const auto& [p, d] : table_) out.push_back(p);
  return out;
}

void LocRib::for_each(const std::function<void(const Prefix&, const Destination&)>& f) const {
  for (const auto& [p, d] : table_) f(p, d);
}

BestResult LocRib::recompute(const Prefix& p) {
  auto it = table_.find(p);
  if (it == table_.end()) return BestResult::Unchanged;
  return decide(p, it->second);
}

}  // namespace rs::rib
