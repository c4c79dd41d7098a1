// The import pipeline (rs/importer.hpp) and the channel limits.
#include "rs/importer.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "rs/log/log_class.hpp"
#include "rs/prefetch.hpp"

namespace rs {

namespace wire = bgp::wire;
using rib::AttrRef;
using rib::Family;
using rib::IpAddress;
using rib::Prefix;

bool Importer::loop_detected(const Protocol& p, const rib::AttrBuilder& b) const {
  const auto& s = p.cfg->settings;
  const uint32_t local_as = s.local_as.value_or(0);
  if (!p.cfg->is_internal() && b.as_path.contains(local_as)) {
    uint32_t seen = 0;
    for (const auto& seg : b.as_path.segments)
      for (uint32_t a : seg.asns) seen += a == local_as;
    if (seen > s.allow_local_as) return true;
  }
  const uint32_t router_id = p.router_id;
  if (b.has(rib::AttrType::OriginatorId) && b.originator_id == router_id)
    return true;  // RFC 4456 8
  const uint32_t cluster = s.rr_cluster_id.value_or(router_id);
  if (b.cluster_list.contains(cluster)) return true;
  return false;
}

AttrRef Importer::run_filter(Protocol& p, Channel& ch, const Prefix& prefix,
                             const AttrRef& received) {
  return filter_import(vm_, p.name, ch.source->neighbor_address, ch.settings, prefix, received,
                       p.debug);
}

AttrRef Importer::filter_import(filters::Vm& vm, const std::string& protocol, const IpAddress& from,
                                const conf::ChannelSettings& settings, const Prefix& prefix,
                                const AttrRef& received, uint32_t debug) {
  const auto& spec = settings.import_filter;
  switch (spec.kind) {
    case conf::FilterSpec::Kind::All:
      return received;
    case conf::FilterSpec::Kind::None:
      return {};
    default:
      break;
  }
  if (!spec.compiled) return {};
  filters::RouteInfo info;
  info.net = prefix;
  info.from = from;
  info.gw = received->next_hop;
  info.proto = protocol;
  info.preference = settings.preference;
  filters::RunOutput out;
  const filters::Verdict v = vm.run(*spec.compiled, info, *received, out);
  if (v == filters::Verdict::Error && !(debug & kPreview))
    spdlog::warn("{}: import filter: {}", protocol, out.error);
  if (debug & conf::kDebugFilters)  // BIRD's `debug filters`: the verdict and which filter gave it
    log::trace("{} < {} {} by import filter {}", protocol, prefix.to_string(),
               v == filters::Verdict::Accept  ? (out.modified ? "accepted (modified)" : "accepted")
               : v == filters::Verdict::Error ? "rejected (error)"
                                              : "rejected",
               spec.kind == conf::FilterSpec::Kind::Named   ? spec.name
               : spec.kind == conf::FilterSpec::Kind::Where ? std::string("where")
                                                            : std::string("(inline)"));
  if (v != filters::Verdict::Accept) return {};
  if (out.route_modified && out.preference != info.preference) {
    // `preference = N;`: kept with the route's attributes (rib::Route::preference()).
    rib::AttrBuilder b = out.modified ? std::move(out.attrs) : rib::AttrBuilder(*received);
    b.has_preference = true;
    b.preference = static_cast<uint16_t>(out.preference);
    return table_.intern(b);
  }
  return out.modified ? table_.intern(out.attrs) : received;
}

AttrRef Importer::preview_import(filters::Vm& vm, const std::string& protocol,
                                 const IpAddress& from, const conf::ChannelSettings& settings,
                                 const Prefix& prefix, const AttrRef& received) {
  return override(protocol, received,
                  filter_import(vm, protocol, from, settings, prefix, received, kPreview));
}

bool limit_allows(Protocol& p, Channel& ch, const std::optional<conf::Limit>& limit, uint64_t count,
                  const char* what) {
  if (!limit || count < limit->max) return true;
  ++ch.stats.limit_hits;
  const auto family = wire::unicast(ch.family);
  const std::string fam(rib::to_string(ch.family));
  switch (limit->action) {
    case conf::LimitAction::Warn:
      if (!ch.limit_warned)
        spdlog::warn("{}.{}: {} limit {} exceeded", p.name, fam, what, limit->max);
      ch.limit_warned = true;
      return true;
    case conf::LimitAction::Block:
      if (!ch.limit_warned)
        spdlog::warn("{}.{}: {} limit {} reached, blocking new routes", p.name, fam, what,
                     limit->max);
      ch.limit_warned = true;
      return false;
    case conf::LimitAction::Restart:
    case conf::LimitAction::Disable: {
      spdlog::warn("{}.{}: {} limit {} exceeded, {}", p.name, fam, what, limit->max,
                   limit->action == conf::LimitAction::Restart ? "restarting" : "shutting down");
      bgp::Peer* peer = p.peer.get();
      const bool restart = limit->action == conf::LimitAction::Restart;
      const uint32_t max = limit->max;
      // Not from inside the session's read handler: post it.
      boost::asio::post(peer->io(), [peer, family, max, restart] {
        peer->stop_max_prefix(family, max);
        if (restart) peer->start();
      });
      return false;
    }
  }
  return true;
}

void Importer::import_nlri(Protocol& p, Channel& ch, const wire::Nlri& n, const AttrRef& received,
                           uint64_t now) {
  ++ch.stats.received;
  ch.refresh.received(n.prefix, n.path_id);
  // State of this path before (absent, filtered, or accepted) and the receive limit, in the same
  // table lookup as the Adj-RIB-In update.
  bool existed = false, was_accepted = false;
  auto slot =
      rib_.receive_if(n.prefix, ch.source.get(), n.path_id, received, [&](bool e, bool accepted) {
        existed = e;
        was_accepted = accepted;
        return e ||
               limit_allows(p, ch, ch.settings.receive_limit, ch.stats.current_received, "receive");
      });
  if (slot.result == rib::InResult::NoChange) return;
  if (slot.result == rib::InResult::New) ++ch.stats.current_received;
  AttrRef imported = override(p.name, received, run_filter(p, ch, n.prefix, received));
  if (imported && !was_accepted &&
      !limit_allows(p, ch, ch.settings.import_limit, ch.stats.current_accepted, "import"))
    imported = nullptr;
  ++(imported ? ch.stats.accepted : ch.stats.filtered);
  if (!imported) count_filtered(ch, slot, was_accepted);
  if (imported && !was_accepted) ++ch.stats.current_accepted;
  if (!imported && was_accepted) --ch.stats.current_accepted;
  if (p.debug & conf::kDebugRoutes)
    log::trace("{} > {} {}", p.name, imported ? (existed ? "updated" : "added") : "filtered",
               n.prefix.to_string());
  (void)rib_.import(n.prefix, slot, std::move(imported), now);
}

void Importer::count_filtered(Channel& ch, const rib::LocRib::Slot& slot, bool was_accepted) {
  // BIRD hands a filtered announcement to its table as the withdrawal of the channel's route
  // (with `import keep filtered`, as a route that is not accepted), and its statistics count that
  // withdrawal: accepted when an accepted route went, ignored otherwise. Without keep filtered it
  // does so only when its table holds the network, i.e. some route of the prefix is in it.
  bool in_table = was_accepted || ch.settings.import_keep_filtered;
  if (!in_table && slot.dest) {
    const auto& paths = slot.dest->paths;
    for (uint32_t i = 0; i < paths.size() && !in_table; ++i) {
      const rib::Route& r = paths[i].route;
      if (i != slot.index && (!r.filtered() || (r.source && r.source->keep_filtered)))
        in_table = true;
    }
  }
  if (in_table) ++(was_accepted ? ch.stats.withdraws_accepted : ch.stats.withdraws_ignored);
}

void Importer::withdraw(Protocol& p, const wire::Nlri& n) {
  Channel& ch = p.channels[n.prefix.family()];
  if (!ch.enabled) return;
  ++ch.stats.withdrawn;
  if (p.debug & conf::kDebugRoutes) log::trace("{} > removed {}", p.name, n.prefix.to_string());
  const rib::LocRib::Removed r = rib_.remove(n.prefix, ch.source.get(), n.path_id);
  if (!r.found) {
    ++ch.stats.withdraws_ignored;  // nothing held under this prefix (BIRD: `ignored`)
    return;
  }
  --ch.stats.current_received;
  // BIRD counts the withdrawal of a filtered route (kept or not) as ignored.
  ++(r.filtered ? ch.stats.withdraws_ignored : ch.stats.withdraws_accepted);
  if (!r.filtered) --ch.stats.current_accepted;
}

void Importer::import_reach(Protocol& p, Family f, const std::vector<wire::Nlri>& nlri,
                            std::optional<rib::AttrBuilder> attrs, uint64_t t) {
  Channel& ch = p.channels[f];
  if (!ch.enabled) return;
  if (!attrs) {  // a loop: as a withdrawal (RFC 4271 9.1.2)
    for (const auto& n : nlri) withdraw(p, n), ++ch.stats.filtered;
    return;
  }
  AttrRef a = table_.intern(*attrs);
  auto no_hint = [](const Prefix&) {};
  each_prefetched(rib_, nlri, no_hint, [&](const wire::Nlri& n) {
    if (n.prefix.family() == f) import_nlri(p, ch, n, a, t);
  });
}

void Importer::update(Protocol& proto, const wire::UpdateMessage& u) {
  Protocol* p = &proto;
  auto no_hint = [](const Prefix&) {};
  auto withdraw_one = [&](const wire::Nlri& w) { withdraw(*p, w); };
  each_prefetched(rib_, u.withdrawn, no_hint, withdraw_one);
  if (u.mp_unreach) each_prefetched(rib_, u.mp_unreach->nlri, no_hint, withdraw_one);

  if (u.treat_as_withdraw) {
    for (const auto& e : u.attr_errors)
      spdlog::warn("{}: UPDATE treated as withdraw: {}", p->name, e.reason);
    auto taw = [&](const wire::Nlri& n) {
      withdraw(*p, n);
      ++p->channels[n.prefix.family()].stats.treat_as_withdraw;
    };
    for (const auto& n : u.nlri) taw(n);
    if (u.mp_reach)
      for (const auto& n : u.mp_reach->nlri) taw(n);
    changed_();
    return;
  }
  for (const auto& e : u.attr_errors)
    spdlog::info("{}: attribute discarded: {}", p->name, e.reason);

  auto prepared = [&](const IpAddress* nh, const IpAddress* ll) -> std::optional<rib::AttrBuilder> {
    rib::AttrBuilder b = u.attrs;
    if (nh) {
      b.set_next_hop(*nh);
      b.next_hop_link_local = ll ? *ll : IpAddress();
    }
    if (!p->cfg->is_internal()) {
      // BIRD: routes from eBGP get the default LOCAL_PREF, except when the peer sent one (the
      // codec ignored it): then they have none, and filters see it undefined.
      if (!b.has(rib::AttrType::LocalPref) && !u.ebgp_local_pref_ignored)
        b.set_local_pref(p->cfg->settings.default_bgp_local_pref);
    }
    if (loop_detected(*p, b)) return std::nullopt;
    return b;
  };

  // One interned attribute set per message and family, one clock reading.
  const uint64_t t = clock_();
  if (!u.nlri.empty()) import_reach(*p, Family::Ipv4, u.nlri, prepared(nullptr, nullptr), t);
  if (u.mp_reach && !u.mp_reach->nlri.empty()) {
    const Family f = u.mp_reach->family.afi == wire::kAfiIpv6 ? Family::Ipv6 : Family::Ipv4;
    import_reach(*p, f, u.mp_reach->nlri, prepared(&u.mp_reach->next_hop, &u.mp_reach->link_local),
                 t);
  }
  changed_();
}

void Importer::reimport(Protocol& p, Family f) {
  const rib::RouteSource* src = p.channels[f].source.get();
  const std::string name = p.name;
  walker_.walk(f, [this, src, f, name](const Prefix& prefix) {
    auto it = protocols_.find(name);
    if (it == protocols_.end()) return;
    Protocol& q = *it->second;
    Channel& ch = q.channels[f];
    if (ch.source.get() != src) return;
    const rib::Destination* d = rib_.find(prefix);
    if (!d) return;
    for (uint32_t i = 0; i < d->paths.size(); ++i) {
      const rib::Path& path = d->paths[i];
      if (path.route.source != src) continue;
      AttrRef received = path.received;
      const bool was_accepted = !path.route.filtered();
      AttrRef imported = override(q.name, received, run_filter(q, ch, prefix, received));
      if (imported && !was_accepted) ++ch.stats.current_accepted;
      if (!imported && was_accepted) --ch.stats.current_accepted;
      rib::LocRib::Slot slot{rib::InResult::Changed, const_cast<rib::Destination*>(d), i};
      (void)rib_.import(prefix, slot, std::move(imported), clock_(), /*rerun=*/true);
      d = rib_.find(prefix);
    }
  });
}

void Importer::reimport_local(const rib::RouteSource* src, Family f) {
  // The source may be removed while the walk runs,
  // and a new one could take its address: a path's source is compared by name too (a path's
  // source pointer is valid while the path is).
  const std::string name = src->name;
  walker_.walk(f, [this, src, name](const Prefix& prefix) {
    const rib::Destination* d = rib_.find(prefix);
    if (!d) return;
    for (uint32_t i = 0; i < d->paths.size(); ++i) {
      const rib::Path& path = d->paths[i];
      if (path.route.source != src || path.route.source->name != name) continue;
      AttrRef received = path.received;
      AttrRef imported = override(name, received, received);
      const bool same =
          imported ? !path.route.filtered() && imported == path.route.attrs : path.route.filtered();
      if (same) continue;
      rib::LocRib::Slot slot{rib::InResult::Changed, const_cast<rib::Destination*>(d), i};
      (void)rib_.import(prefix, slot, std::move(imported), clock_(), /*rerun=*/true);
      d = rib_.find(prefix);
    }
  });
}

void Importer::announce_local(const rib::RouteSource* src, const Prefix& prefix,
                              const rib::AttrBuilder& attrs, uint32_t path_id) {
  AttrRef a = table_.intern(attrs);
  auto slot = rib_.receive(prefix, src, path_id, a);
  if (slot.result == rib::InResult::NoChange) return;
  AttrRef imported = override(src->name, a, a);
  (void)rib_.import(prefix, slot, std::move(imported), clock_());
  changed_();
}

void Importer::withdraw_local(const rib::RouteSource* src, const Prefix& prefix, uint32_t path_id) {
  (void)rib_.withdraw(prefix, src, path_id);
  changed_();  // a no-op when nothing was journalled
}

void Importer::import_static(const rib::RouteSource* src, const conf::FilterSpec& spec,
                             const filters::RouteInfo& info, const AttrRef& a) {
  AttrRef imported = a;
  if (spec.kind == conf::FilterSpec::Kind::None) {
    imported = nullptr;
  } else if (spec.kind != conf::FilterSpec::Kind::All) {
    filters::RunOutput out;
    const filters::Verdict v =
        spec.compiled ? vm_.run(*spec.compiled, info, *a, out) : filters::Verdict::Reject;
    if (v == filters::Verdict::Error) spdlog::warn("{}: import filter: {}", info.proto, out.error);
    imported = v != filters::Verdict::Accept ? AttrRef()
               : out.modified                ? table_.intern(out.attrs)
                                             : a;
  }
  auto slot = rib_.receive(info.net, src, 0, a);
  (void)rib_.import(info.net, slot, std::move(imported), clock_());
  changed_();
}

}  // namespace rs
