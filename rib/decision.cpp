// Best-path selection (RFC 4271 9.1.2.2, RFC 4456 9, RFC 5004) with BIRD's MED modes.
//
// Pairwise MED comparison is not transitive (MED only counts between paths of the same neighbour
// AS), so a plain scan would depend on arrival order. We scan in a canonical order (source id, path
// id) which makes the result a function of the set of paths. Deterministic MED is done in two
// levels: best of each neighbour-AS group with MED, then the group winners without MED.
#include "rib/decision.hpp"

#include <algorithm>
#include <vector>

namespace rs::rib {

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::OnlyPath:
      return "only path";
    case Reason::Preference:
      return "preference";
    case Reason::LocalPref:
      return "local preference";
    case Reason::AsPathLength:
      return "AS path length";
    case Reason::Origin:
      return "origin";
    case Reason::Med:
      return "MED";
    case Reason::ExternalOverInternal:
      return "eBGP over iBGP";
    case Reason::Older:
      return "older path";
    case Reason::RouterId:
      return "router id";
    case Reason::ClusterListLength:
      return "cluster list length";
    case Reason::NeighborAddress:
      return "neighbor address";
    case Reason::PathId:
      return "path id";
  }
  return "?";
}

uint32_t neighbor_as(const Route& r) {
  return r.attrs->first_as;
}

namespace {
template <class T>
int lower_wins(T a, T b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
uint32_t local_pref(const Route& r, const DecisionConfig& cfg) {
  return r.attrs->has(AttrType::LocalPref) ? r.attrs->local_pref : cfg.default_local_pref;
}
uint32_t med(const Route& r, const DecisionConfig& cfg) {
  return r.attrs->has(AttrType::Med) ? r.attrs->med : cfg.default_med;
}
uint32_t as_path_length(const Route& r) {
  return r.attrs->as_path_length;
}
int kind_rank(SourceKind k) {
  return k == SourceKind::Ibgp ? 1 : 0;
}
uint32_t router_id(const Route& r) {
  return r.attrs->has(AttrType::OriginatorId) ? r.attrs->originator_id : r.source->bgp_id;
}
std::size_t cluster_len(const Route& r) {
  return r.attrs->cluster_list ? r.attrs->cluster_list->size() : 0;
}
}  // namespace

Comparison compare(const Route& a, const Route& b, const DecisionConfig& cfg, bool use_med) {
  int o;
  if ((o = -lower_wins(a.preference(), b.preference()))) return {o, Reason::Preference};
  if ((o = -lower_wins(local_pref(a, cfg), local_pref(b, cfg)))) return {o, Reason::LocalPref};
  if ((o = lower_wins(as_path_length(a), as_path_length(b)))) return {o, Reason::AsPathLength};
  if ((o = lower_wins(a.attrs->origin, b.attrs->origin))) return {o, Reason::Origin};
  if (use_med && (cfg.med_metric || neighbor_as(a) == neighbor_as(b))) {
    if ((o = lower_wins(med(a, cfg), med(b, cfg)))) return {o, Reason::Med};
  }
  if ((o = lower_wins(kind_rank(a.source->kind), kind_rank(b.source->kind))))
    return {o, Reason::ExternalOverInternal};
  // RFC 5004 applies to external paths only.
  if (cfg.prefer_older && a.source->kind != SourceKind::Ibgp &&
      b.source->kind != SourceKind::Ibgp) {
    // Ages in whole seconds: paths changed within the same second tie and fall through.
    if ((o = lower_wins(a.since(), b.since()))) return {o, Reason::Older};
  }
  if ((o = lower_wins(router_id(a), router_id(b)))) return {o, Reason::RouterId};
  if ((o = lower_wins(cluster_len(a), cluster_len(b)))) return {o, Reason::ClusterListLength};
  if ((o = lower_wins(a.source->neighbor_address, b.source->neighbor_address)))
    return {o, Reason::NeighborAddress};
  if ((o = lower_wins(a.source->id, b.source->id))) return {o, Reason::NeighborAddress};
  return {lower_wins(a.path_id, b.path_id), Reason::PathId};
}

namespace {
// Canonical scan order: by source id, then path id.
bool canonical_less(const Route* a, const Route* b) {
  if (a->source->id != b->source->id) return a->source->id < b->source->id;
  return a->path_id < b->path_id;
}

const Route* scan(std::span<const Route* const> sorted, const DecisionConfig& cfg, bool use_med) {
  const Route* best = nullptr;
  for (const Route* r : sorted) {
    if (!best || compare(*r, *best, cfg, use_med).order < 0) best = r;
  }
  return best;
}
}  // namespace

namespace {
// The best of `eligible` (canonical order, none filtered).
const Route* pick(std::vector<const Route*>& eligible, const DecisionConfig& cfg,
                  bool& med_in_final) {
  med_in_final = true;
  if (!(cfg.deterministic_med && !cfg.med_metric)) return scan(eligible, cfg, true);
  // Level 1: best per neighbour AS (stable: groups keep canonical order inside).
  std::stable_sort(eligible.begin(), eligible.end(), [](const Route* a, const Route* b) {
    return neighbor_as(*a) < neighbor_as(*b);
  });
  std::vector<const Route*> winners;
  for (std::size_t i = 0; i < eligible.size();) {
    std::size_t j = i;
    while (j < eligible.size() && neighbor_as(*eligible[j]) == neighbor_as(*eligible[i])) ++j;
    winners.push_back(scan({eligible.data() + i, j - i}, cfg, true));
    i = j;
  }
  // Level 2: group winners without MED.
  std::sort(winners.begin(), winners.end(), canonical_less);
  med_in_final = false;
  return scan(winners, cfg, false);
}

// One buffer reused across calls (the decision runs on the event-loop thread, once per change).
std::vector<const Route*>& eligible_of(std::span<const Route* const> candidates) {
  thread_local std::vector<const Route*> eligible;
  eligible.clear();
  for (const Route* r : candidates)
    if (!r->filtered()) eligible.push_back(r);
  return eligible;
}

int index_of(std::span<const Route* const> candidates, const Route* r) {
  return r ? static_cast<int>(std::find(candidates.begin(), candidates.end(), r) -
                              candidates.begin())
           : -1;
}
}  // namespace

int select_best_canonical(std::span<const Route* const> canonical, const DecisionConfig& cfg) {
  if (!(cfg.deterministic_med && !cfg.med_metric)) {
    // The common case: one scan, no copy.
    int best = -1;
    for (std::size_t i = 0; i < canonical.size(); ++i) {
      const Route* r = canonical[i];
      if (r->filtered()) continue;
      if (best < 0 || compare(*r, *canonical[static_cast<std::size_t>(best)], cfg, true).order < 0)
        best = static_cast<int>(i);
    }
    return best;
  }
  std::vector<const Route*>& eligible = eligible_of(canonical);
  if (eligible.empty()) return -1;
  bool med_in_final;
  return index_of(canonical, pick(eligible, cfg, med_in_final));
}

Reason best_reason(std::span<const Route* const> candidates, int best_index,
                   const DecisionConfig& cfg) {
  if (best_index < 0 || static_cast<std::size_t>(best_index) >= candidates.size())
    return Reason::OnlyPath;
  const Route* best = candidates[static_cast<std::size_t>(best_index)];
  const bool med_in_final = !(cfg.deterministic_med && !cfg.med_metric);
  Reason reason = Reason::OnlyPath;
  bool any_rival = false;
  for (const Route* r : candidates) {
    if (r == best || r->filtered()) continue;
    bool same_group = neighbor_as(*r) == neighbor_as(*best);
    auto c = compare(*best, *r, cfg, med_in_final || same_group);
    if (!any_rival || c.reason > reason) reason = c.reason;
    any_rival = true;
  }
  return reason;
}

Selection select_best(std::span<const Route* const> candidates, const DecisionConfig& cfg) {
  std::vector<const Route*>& eligible = eligible_of(candidates);
  if (eligible.empty()) return {};
  // The Loc-RIB keeps its paths in canonical order already: check (n steps) before sorting.
  if (!std::is_sorted(eligible.begin(), eligible.end(), canonical_less))
    std::sort(eligible.begin(), eligible.end(), canonical_less);
  bool med_in_final;
  const Route* best = pick(eligible, cfg, med_in_final);
  Selection sel;
  sel.best = index_of(candidates, best);
  sel.reason = best_reason(candidates, sel.best, cfg);
  return sel;
}

}  // namespace rs::rib
