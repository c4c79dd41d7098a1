// Export groups: eligibility (RFC 4456 reflection rules, RFC 1997 well-known communities), the
// export filter run once per group, and the eBGP / route-server / route-reflector rewrites
// (RFC 4271 5.1, RFC 7947 2.2, RFC 4456 8, RFC 9234 5), then the diff into each member's
// Adj-RIB-Out. The next hop for "next hop self" is put in when the UPDATE is packed, per member.
#include "rs/export.hpp"

#include "filters/vm.hpp"

namespace rs {

namespace {
constexpr rib::Community kNoExport = 0xFFFFFF01;          // RFC 1997
constexpr rib::Community kNoAdvertise = 0xFFFFFF02;       // RFC 1997
constexpr rib::Community kNoExportSubconfed = 0xFFFFFF03;  // RFC 1997

bool has_community(const rib::PathAttributes& a, rib::Community c) {
  return a.communities && a.communities->contains(c);
}
}  // namespace

bool ExportGroup::eligible(const rib::Route& r) const {
  const rib::PathAttributes& a = *r.attrs;
  if (has_community(a, kNoAdvertise)) return false;
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

ExportGroup::Result ExportGroup::compute(const rib::Prefix& p, const rib::Destination* d,
                                         rib::AttrTable& table, filters::Vm& vm) {
  if (!d) return {};
  const rib::Route* best = d->best_route();
  if (!best || !eligible(*best)) return {};
  if (policy_.kind == ExportPolicy::Kind::None) return {};

  rib::AttrBuilder b;
  bool built = false;
  if (policy_.kind == ExportPolicy::Kind::Filter) {
    filters::RouteInfo info;
    info.net = p;
    info.from = best->source->neighbor_address;
    info.gw = best->attrs->next_hop;
    info.proto = best->source->name;
    info.source = best->source->kind == rib::SourceKind::Local ? filters::kRtsStatic : filters::kRtsBgp;
    info.preference = best->source->preference;
    filters::RunOutput out;
    ++counters_.filter_runs;
    const filters::Verdict v = vm.run(*policy_.filter, info, *best->attrs, out);
    if (v != filters::Verdict::Accept) {
      ++(v == filters::Verdict::Error ? counters_.filter_errors : counters_.filter_rejects);
      return {};
    }
    if (out.modified) {
      b = std::move(out.attrs);
      built = true;
    }
  }
  if (!built) b = rib::AttrBuilder(*best->attrs);
  rewrite(*best, b);
  return {table.intern(b), best->source};
}

void ExportGroup::apply(ExportMember& m, const rib::Prefix& p, const Result& r) {
  if (p.is_v4() ? !m.ipv4 : !m.ipv6) return;
  const bool own = r.source == m.source;
  if (m.out.update({p, 0}, own ? rib::AttrRef() : r.attrs) && m.wake) m.wake();
}

void ExportGroup::apply_all(const rib::Prefix& p, const Result& r) {
  for (ExportMember* m : members_) apply(*m, p, r);
}

}  // namespace rs
