// Export groups: eligibility (RFC 4456 reflection rules, RFC 1997 well-known communities), the
// export filter run once per group, and the eBGP / route-server / route-reflector rewrites
// (RFC 4271 5.1, RFC 7947 2.2, RFC 4456 8, RFC 9234 5), then the diff into each member's
// Adj-RIB-Out (RFC 7911 ADD-PATH members: every exported path under its own identifier, and the
// identifiers that disappeared withdrawn). The next hop for "next hop self" is put in when the
// UPDATE is packed, per member.
#include "rs/export.hpp"

#include <algorithm>

#include "filters/vm.hpp"
#include "rib/decision.hpp"

namespace rs {

namespace {
constexpr rib::Community kNoExport = 0xFFFFFF01;           // RFC 1997
constexpr rib::Community kNoAdvertise = 0xFFFFFF02;        // RFC 1997
constexpr rib::Community kNoExportSubconfed = 0xFFFFFF03;  // RFC 1997
constexpr rib::Community kLlgrStale = 0xFFFF0006;          // RFC 9494 4.2
// RFC 4360 2: the Transitive bit of an extended community's type octet (0: transitive).
constexpr rib::ExtCommunity kExtNonTransitive = rib::ExtCommunity{0x40} << 56;

bool has_community(const rib::PathAttributes& a, rib::Community c) {
  return a.communities && a.communities->contains(c);
}
}  // namespace

bool ExportGroup::eligible(const rib::Route& r) const {
  const rib::PathAttributes& a = *r.attrs;
  if (has_community(a, kNoAdvertise)) return false;
  // RFC 9494 4.6: a stale long-lived route goes only to peers that negotiated long-lived graceful
  // restart, which rsd never offers (BIRD, without `long lived graceful restart`, does the same).
  if (has_community(a, kLlgrStale)) return false;
  if (rules_.ebgp && (has_community(a, kNoExport) || has_community(a, kNoExportSubconfed)))
    return false;
  // iBGP-learned routes go to iBGP peers only by reflection or route-server service.
  if (!rules_.ebgp && r.source->kind == rib::SourceKind::Ibgp) {
    return r.source->rr_client || r.source->rs_client || rules_.rr_client || rules_.rs_client;
  }
  return true;
}

void ExportGroup::rewrite(const rib::Route& r, rib::AttrBuilder& b) const {
  using rib::AttrType;
  if (rules_.ebgp) {
    if (!rules_.rs_client) {
      b.as_path.prepend(rules_.local_as);
      b.set_present(AttrType::AsPath);
      // RFC 4271 5.1.4: a MED learned from another AS is not passed on.
      if (r.source->kind == rib::SourceKind::Ebgp) b.clear(AttrType::Med);
    }
    b.clear(AttrType::LocalPref);
    // RFC 4360 2 / 6: non-transitive extended communities (type octet with 0x40 set) stay inside
    // the AS: they are not passed on to an external peer.
    if (b.has(AttrType::ExtCommunities)) {
      auto& v = b.ext_communities.values;
      v.erase(std::remove_if(v.begin(), v.end(),
                             [](rib::ExtCommunity c) { return (c & kExtNonTransitive) != 0; }),
              v.end());
      if (v.empty()) b.clear(AttrType::ExtCommunities);
    }
    b.clear(AttrType::OriginatorId);
    b.clear(AttrType::ClusterList);
    b.cluster_list.values.clear();
  } else {
    if (!b.has(AttrType::LocalPref)) b.set_local_pref(rules_.default_local_pref);
    const bool reflected = r.source->kind == rib::SourceKind::Ibgp;
    if (reflected && (rules_.rr_client || r.source->rr_client)) {
      if (!b.has(AttrType::OriginatorId)) {
        b.originator_id = r.source->bgp_id;
        b.set_present(AttrType::OriginatorId);
      }
      const uint32_t cluster = rules_.cluster_id ? rules_.cluster_id : rules_.router_id;
      b.cluster_list.values.insert(b.cluster_list.values.begin(), cluster);
      b.set_present(AttrType::ClusterList);
    }
  }
  if (rules_.add_otc && !b.has(AttrType::Otc)) {
    b.otc = rules_.local_as;
    b.set_present(AttrType::Otc);
  }
}

uint32_t export_path_id(const rib::RouteSource& src, uint32_t received_id) {
  if (src.id < 0x10000 && received_id < 0x10000) return (src.id << 16) | received_id;
  // Outside the exact encoding: mix both (the result stays a pure function of the path).
  uint64_t x = (uint64_t{src.id} << 32) | received_id;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<uint32_t>(x);
}

rib::AttrRef ExportGroup::export_one(const rib::Prefix& p, const rib::Route& r,
                                     rib::AttrTable& table, filters::Vm& vm) {
  rib::AttrBuilder b;
  bool built = false;
  bool filter_med = false;  // the export filter set MED
  if (policy_.kind == ExportPolicy::Kind::Filter) {
    filters::RouteInfo info;
    info.net = p;
    info.from = r.source->neighbor_address;
    info.gw = r.attrs->next_hop;
    info.proto = r.source->name;
    info.source = r.source->kind == rib::SourceKind::Local ? filters::kRtsStatic : filters::kRtsBgp;
    info.preference = r.preference();
    filters::RunOutput out;
    ++counters_.filter_runs;
    const filters::Verdict v = vm.run(*policy_.filter, info, *r.attrs, out);
    if (v != filters::Verdict::Accept) {
      ++(v == filters::Verdict::Error ? counters_.filter_errors : counters_.filter_rejects);
      return {};
    }
    if (out.modified) {
      b = std::move(out.attrs);
      built = true;
      // As BIRD 2: a next hop the export filter set is sent as set, unless `next hop self` was
      // configured explicitly (the default next hop self of eBGP gives way to it).
      b.next_hop_from_filter = out.next_hop_set && rules_.next_hop != NextHopMode::Self;
      filter_med = out.med_set;
    }
  }
  if (built) {
    const uint32_t med = b.med;
    rewrite(r, b);
    // As BIRD 2: the MED that the eBGP rewrite removes (RFC 4271 5.1.4, learned from another AS)
    // goes out when this peer's export filter set it.
    if (filter_med) b.set_med(med);
    return table.intern(b);
  }
  if (rewrites_.empty()) rewrites_.resize(kRewriteCache);
  const rib::RouteSource& s = *r.source;
  RewriteEntry& e = rewrites_[rib::hash_combine(r.attrs.hash(), s.id) % kRewriteCache];
  if (e.in == r.attrs && e.source_id == s.id && e.bgp_id == s.bgp_id && e.kind == s.kind &&
      e.rr_client == s.rr_client && e.rs_client == s.rs_client)
    return e.out;
  b = rib::AttrBuilder(*r.attrs);
  rewrite(r, b);
  e = {r.attrs, table.intern(b), s.id, s.bgp_id, s.kind, s.rr_client, s.rs_client};
  return e.out;
}

const rib::Route* ExportGroup::next_best(std::vector<const rib::Route*>& candidates) const {
  static const rib::DecisionConfig kDefault;
  const rib::Selection sel = rib::select_best(candidates, decision_ ? *decision_ : kDefault);
  if (sel.best < 0) return nullptr;
  const rib::Route* r = candidates[sel.best];
  candidates.erase(candidates.begin() + sel.best);
  return r;
}

ExportGroup::Result ExportGroup::compute(const rib::Prefix& p, const rib::Destination* d,
                                         rib::AttrTable& table, filters::Vm& vm) {
  Result res;
  res.add_path = rules_.add_path;
  if (!d || policy_.kind == ExportPolicy::Kind::None || p.family() != rules_.family) return res;
  if (!res.add_path) {
    const rib::Route* best = d->best_route();
    if (!best) return res;
    res.offered = true;
    res.offered_by = best->source;
    res.refused = !eligible(*best);
    if (!res.refused) res.attrs = export_one(p, *best, table, vm);
    if (res.attrs) res.source = best->source;
    if (!rules_.secondary || d->paths.size() < 2) return res;
    // BIRD `secondary`: when the best path is refused (by the rules or the export filter), the
    // next best in decision order that passes both goes out instead. A member never gets its own
    // path back, so for the best path's own source the group also keeps the next accepted path
    // of another source (`alt`).
    std::vector<const rib::Route*> rest;
    for (const rib::Path& path : d->paths)
      if (&path.route != best && !path.route.filtered() && path.route.attrs)
        rest.push_back(&path.route);
    while (const rib::Route* r = next_best(rest)) {
      if (res.attrs && r->source == res.source) continue;
      if (!eligible(*r)) continue;
      rib::AttrRef a = export_one(p, *r, table, vm);
      if (!a) continue;
      if (!res.attrs) {
        res.attrs = std::move(a);
        res.source = r->source;
        continue;  // and look on for the alternative of res.source's own member
      }
      res.alt_attrs = std::move(a);
      res.alt_source = r->source;
      break;
    }
    return res;
  }
  // RFC 7911 send: every path that took part in the decision (not rejected by the import filter),
  // passes the group's rules and is accepted by its export filter.
  for (const rib::Path& path : d->paths) {
    const rib::Route& r = path.route;
    if (r.filtered() || !r.attrs) continue;
    res.offered = true;
    if (!eligible(r)) continue;
    rib::AttrRef a = export_one(p, r, table, vm);
    if (!a) continue;
    uint32_t id = export_path_id(*r.source, r.path_id);
    auto taken = [&res](uint32_t v) {
      for (const Entry& e : res.paths)
        if (e.path_id == v) return true;
      return false;
    };
    while (taken(id)) ++id;
    res.paths.push_back({std::move(a), r.source, id});
  }
  return res;
}

namespace {
// False when the export limit says a new prefix must not go out.
bool limit_allows(ExportMember& m, const rib::OutKey& k) {
  const uint32_t limit = m.export_limit;
  if (limit == 0 || m.out.sent(k)) return true;
  if (m.out.advertised() + m.out.pending() < limit) return true;
  return !m.limit_hit || !m.limit_hit();
}
}  // namespace

void ExportGroup::apply(ExportMember& m, const rib::Prefix& p, const Result& r) {
  if (!m.active || p.family() != m.family) return;
  bool work = false;
  if (!r.add_path) {
    const bool own = r.source == m.source;
    rib::AttrRef attrs = own ? r.alt_attrs : r.attrs;
    if (r.offered) {
      // As BIRD: a route is refused to its own peer before the export filter sees it.
      ++m.stats.updates_received;
      if (attrs)
        ++m.stats.updates_accepted;
      else if (r.offered_by == m.source || r.refused)
        ++m.stats.updates_rejected;
      else
        ++m.stats.updates_filtered;
    }
    if (attrs && !limit_allows(m, {p, 0})) attrs = nullptr;
    const bool withdrawing = !attrs;
    work = m.out.update({p, 0}, std::move(attrs));
    if (withdrawing && work) {
      if (!r.offered) ++m.stats.withdraws_received;
      ++m.stats.withdraws_accepted;
    }
  } else {
    auto it = m.path_ids.find(p);
    std::vector<uint32_t> ids;
    ids.reserve(r.paths.size());
    for (const Entry& e : r.paths) {
      ++m.stats.updates_received;
      if (e.source == m.source) {  // never sent back to where it came from
        ++m.stats.updates_rejected;
        continue;
      }
      ++m.stats.updates_accepted;
      if (!limit_allows(m, {p, e.path_id})) continue;
      ids.push_back(e.path_id);
      work |= m.out.update({p, e.path_id}, e.attrs);
    }
    if (it != m.path_ids.end()) {
      for (uint32_t old : it->second)
        if (std::find(ids.begin(), ids.end(), old) == ids.end() &&
            m.out.update({p, old}, rib::AttrRef())) {
          work = true;
          ++m.stats.withdraws_received;
          ++m.stats.withdraws_accepted;
        }
      if (ids.empty())
        m.path_ids.erase(it);
      else
        it->second = std::move(ids);
    } else if (!ids.empty()) {
      m.path_ids.emplace(p, std::move(ids));
    }
  }
  if (work && m.wake) m.wake();
}

void ExportGroup::apply_all(const rib::Prefix& p, const Result& r) {
  for (ExportMember* m : members_) apply(*m, p, r);
}

}  // namespace rs
