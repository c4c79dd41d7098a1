// The reload, worked out on copies (rs/reconfigure_preview.hpp). Each rule below is the one
// RouteServer::reconfigure or HealthManager::reconfigure applies; where they change, this file
// changes with them.
#include "rs/reconfigure_preview.hpp"

#include <algorithm>

#include "rs/route_server.hpp"

namespace rs {

using rib::Family;
using rib::Prefix;

std::string_view to_string(SessionFate f) {
  switch (f) {
    case SessionFate::Keep:
      return "untouched";
    case SessionFate::SoftReload:
      return "soft reload";
    case SessionFate::Reset:
      return "reset";
    case SessionFate::Close:
      return "close";
  }
  return "?";
}

std::string_view to_string(ImportChange::What w) {
  switch (w) {
    case ImportChange::What::Accepted:
      return "accepted";
    case ImportChange::What::Rejected:
      return "rejected";
    case ImportChange::What::Changed:
      return "changed";
  }
  return "?";
}

ReconfigurePreview::ReconfigurePreview(RouteServer& server,
                                       std::shared_ptr<const conf::Config> next)
    : server_(server), next_(std::move(next)) {
  plan_ = conf::diff(server_.config(), *next_);
  health_ = conf::diff_health(server_.config(), *next_);
  for (const auto& h : health_)
    if (h.action == conf::ReconfigAction::Remove)
      removed_sources_.insert(
          (h.kind == conf::HealthChange::Kind::Healthcheck ? "health " : "process ") + h.name);
  if (changes_anything()) {
    prefixes_ = server_.rib().snapshot();
    std::sort(prefixes_.begin(), prefixes_.end());
  }
}

ReconfigurePreview::~ReconfigurePreview() {
  after_.paths.release(pool_);
}

bool ReconfigurePreview::changes_anything() const {
  return plan_.changes_anything() ||
         std::any_of(health_.begin(), health_.end(), [](const conf::HealthChange& h) {
           return h.action != conf::ReconfigAction::Keep;
         });
}

ReconfigurePreview::Fate ReconfigurePreview::fate_of(const Protocol& p) const {
  // A protocol's fate depends on its name (and range) only: worked out once per name.
  auto it = fates_.find(p.name);
  if (it == fates_.end()) it = fates_.emplace(p.name, decide_fate(p)).first;
  return it->second;
}

ReconfigurePreview::Fate ReconfigurePreview::decide_fate(const Protocol& p) const {
  Fate f;
  if (!p.dynamic_child) {
    // Restart stops the protocol and builds it again from the new configuration; a name that now
    // belongs to another kind of protocol is not built again.
    if (const conf::ProtocolChange* c = plan_.find(p.name)) {
      if (c->action == conf::ReconfigAction::Remove) {
        f.fate = SessionFate::Close;
        return f;
      }
      if (c->action == conf::ReconfigAction::Restart) {
        f.cfg = next_->find_bgp(p.name);
        f.fate = f.cfg ? SessionFate::Reset : SessionFate::Close;
        return f;
      }
    }
  }
  // A dynamic neighbour follows its range protocol; without one it goes.
  f.cfg = next_->find_bgp(p.dynamic_child ? p.parent : p.name);
  if (!f.cfg) {
    f.fate = SessionFate::Close;
    return f;
  }
  if (const conf::ProtocolChange* c = plan_.find(f.cfg->name);
      c && c->action == conf::ReconfigAction::SoftReload) {
    f.fate = SessionFate::SoftReload;
    f.reimport = c->reload_import;
  }
  return f;
}

std::vector<SessionPreview> ReconfigurePreview::sessions() const {
  std::vector<SessionPreview> out;
  for (const auto& [name, pp] : server_.protocols_) {
    const Protocol& p = *pp;
    SessionPreview s;
    s.name = name;
    s.parent = p.dynamic_child ? p.parent : std::string();
    const Fate f = fate_of(p);
    s.fate = f.fate;
    s.established = p.established;
    for (const Channel& ch : p.channels) s.exported += ch.member.out.advertised();
    const std::string& cfg_name = p.dynamic_child ? p.parent : name;
    if (const conf::ProtocolChange* c = plan_.find(cfg_name)) {
      s.reasons = c->reasons;
      s.import_reload = f.fate == SessionFate::SoftReload && c->reload_import;
      s.export_reload = f.fate == SessionFate::SoftReload && c->reload_export;
    }
    if (p.dynamic_child && !f.cfg) s.reasons.push_back("range protocol " + p.parent + " removed");
    // The reload restarts protocols by name: a range's dynamic neighbours keep their sessions and
    // take its new session settings when they next connect.
    if (p.dynamic_child && f.cfg && s.fate == SessionFate::Keep && !s.reasons.empty())
      s.reasons.push_back("session settings apply when it reconnects");
    out.push_back(std::move(s));
  }
  return out;
}

const rib::RouteSource* ReconfigurePreview::source_after(const rib::RouteSource* src,
                                                         uint32_t preference) {
  if (src->preference == preference) return src;
  auto& clone = clones_[src->id];
  if (!clone) clone = std::make_unique<rib::RouteSource>(*src);
  *clone = *src;
  clone->preference = preference;
  return clone.get();
}

ExportGroup& ReconfigurePreview::group(const ExportRules& rules, const ExportPolicy& policy) {
  for (auto& g : groups_)
    if (g->rules() == rules && g->policy() == policy) return *g;
  groups_.push_back(std::make_unique<ExportGroup>(rules, policy, &server_.rib().config()));
  return *groups_.back();
}

PrefixPreview ReconfigurePreview::preview(const Prefix& prefix, bool imports_only) {
  PrefixPreview out;
  out.prefix = prefix;
  const rib::LocRib& rib = server_.rib();
  const rib::Destination* d = rib.find(prefix);
  after_.paths.release(pool_);
  after_.best = -1;
  if (d) {
    if (const rib::Route* best = d->best_route())
      out.best_now = PreviewPath{best->source->name, best->source->id, best->path_id, best->attrs,
                                 rib.reason(*d)};
    // Each path as the reload leaves it.
    for (const rib::Path& path : d->paths) {
      rib::Route r = path.route;
      const rib::RouteSource* src = r.source;
      if (src->kind == rib::SourceKind::Local) {
        // Health blocks: a removed one withdraws at once; a changed one keeps its routes until
        // its new instance has a verdict; an added one has none yet. Static routes are loaded
        // at start only: they stay as they are.
        if (removed_sources_.count(src->name)) continue;
        if (!imports_only) after_.paths.insert(after_.paths.size(), {r, path.received}, pool_);
        continue;
      }
      auto it = server_.protocols_.find(src->name);
      const Protocol* p = it == server_.protocols_.end() ? nullptr : it->second.get();
      const Family f = prefix.family();
      if (!p || p->channels[f].source.get() != src) {
        // A retired source whose routes are being removed: as it is.
        if (!imports_only) after_.paths.insert(after_.paths.size(), {r, path.received}, pool_);
        continue;
      }
      const Fate fate = fate_of(*p);
      if (fate.fate == SessionFate::Reset || fate.fate == SessionFate::Close) continue;
      const conf::BgpChannel* bc = fate.cfg->channel(f);
      const Channel& ch = p->channels[f];
      const bool preference_changed = bc && bc->settings.preference != ch.settings.preference;
      if (bc && ch.enabled && (fate.reimport || preference_changed)) {
        rib::AttrRef imported = server_.importer_.preview_import(
            vm_, p->name, src->neighbor_address, bc->settings, prefix, path.received);
        const bool was = !path.route.filtered();
        if (fate.reimport) {
          if (imported && !was)
            out.imports.push_back({p->name, ImportChange::What::Accepted});
          else if (!imported && was)
            out.imports.push_back({p->name, ImportChange::What::Rejected});
          else if (imported && was && imported != path.route.attrs)
            out.imports.push_back({p->name, ImportChange::What::Changed});
        }
        if (imports_only) continue;
        // As LocRib::import: a rejected path keeps the received attributes, marked filtered.
        r.source = source_after(src, bc->settings.preference);
        r.set_flag(rib::kRouteStale, false);
        r.set_flag(rib::kRouteFiltered, !imported);
        r.attrs = imported ? imported : path.received;
      }
      if (!imports_only) after_.paths.insert(after_.paths.size(), {r, path.received}, pool_);
    }
  }
  if (imports_only) return out;
  std::vector<const rib::Route*> candidates;
  for (const rib::Path& path : after_.paths) candidates.push_back(&path.route);
  const rib::Selection sel = rib::select_best(candidates, rib.config());
  after_.best = sel.best;
  if (const rib::Route* best = after_.best_route())
    out.best_after =
        PreviewPath{best->source->name, best->source->id, best->path_id, best->attrs, sel.reason};
  auto same = [](const std::optional<PreviewPath>& a, const std::optional<PreviewPath>& b) {
    if (!a || !b) return !a && !b;
    return a->source_id == b->source_id && a->path_id == b->path_id && a->attrs == b->attrs;
  };
  out.best_changed = !same(out.best_now, out.best_after);
  edges(prefix, out);
  return out;
}

namespace {
// The next hop the packer puts on the wire (export_pack.cpp): the member's own address for next
// hop self (unless the export filter set one) and for routes without a next hop.
rib::IpAddress wire_next_hop(const rib::PathAttributes& a, bool self_next_hop,
                             const rib::IpAddress& self) {
  if ((self_next_hop && !a.next_hop_from_filter) ||
      (a.next_hop.is_zero() && a.next_hop_link_local.is_zero()))
    return self;
  return a.next_hop;
}
}  // namespace

void ReconfigurePreview::edges(const Prefix& prefix, PrefixPreview& out) {
  const Family f = prefix.family();
  // One computation per group of equal rules and filter, as the exporter does.
  std::vector<std::pair<ExportGroup*, ExportGroup::Result>> results;
  const rib::Destination* after = after_.paths.empty() ? nullptr : &after_;
  for (const auto& [name, pp] : server_.protocols_) {
    const Protocol& p = *pp;
    const Channel& ch = p.channels[f];
    if (!p.established || !ch.active()) continue;
    const Fate fate = fate_of(p);
    // A session that closes loses everything; one that resets gets the new exports once it is
    // back (counted apart: the reset withdraws everything in between).
    if (fate.fate == SessionFate::Close) continue;
    const conf::BgpChannel* bc = fate.cfg->channel(f);
    if (!bc) continue;
    const ExportMember& m = ch.member;
    EdgeChange e;
    e.protocol = name;
    e.reset = fate.fate == SessionFate::Reset;
    // Now: what its Adj-RIB-Out holds (or is about to be sent).
    const bool add_path = ch.group && ch.group->rules().add_path;
    if (add_path) {
      if (auto it = m.path_ids.find(prefix); it != m.path_ids.end())
        for (uint32_t id : it->second)
          if (const rib::PathAttributes* a = m.out.newest({prefix, id}))
            e.now.push_back({a, {}, wire_next_hop(*a, m.self_next_hop, m.self), id});
    } else if (const rib::PathAttributes* a = m.out.newest({prefix, 0})) {
      e.now.push_back({a, {}, wire_next_hop(*a, m.self_next_hop, m.self), 0});
    }
    // After: the group the new configuration puts it in (Exporter::join), over the new paths.
    ExportGroup*& cached = groups_by_channel_[{name, f, add_path}];
    if (!cached) {
      ExportRules rules = export_rules(*fate.cfg, p.router_id, f, bc->settings);
      rules.add_path = add_path;
      cached = &group(rules, export_policy(bc->settings.export_filter));
    }
    ExportGroup& g = *cached;
    auto r =
        std::find_if(results.begin(), results.end(), [&g](const auto& x) { return x.first == &g; });
    if (r == results.end()) {
      results.emplace_back(&g, g.compute(prefix, after, server_.table_, vm_));
      r = results.end() - 1;
    }
    const ExportGroup::Result& res = r->second;
    const bool self_nh = g.rules().next_hop_self();
    auto own = [&m](const rib::RouteSource* s) { return s && m.source && s->id == m.source->id; };
    if (res.add_path) {
      for (const ExportGroup::Entry& x : res.paths)
        if (!own(x.source))
          e.after.push_back(
              {x.attrs.get(), x.attrs, wire_next_hop(*x.attrs, self_nh, m.self), x.path_id});
    } else {
      const rib::AttrRef& a = own(res.source) ? res.alt_attrs : res.attrs;
      if (a) e.after.push_back({a.get(), a, wire_next_hop(*a, self_nh, m.self), 0});
    }
    auto by_id = [](const EdgeRoute& x, const EdgeRoute& y) { return x.path_id < y.path_id; };
    std::sort(e.now.begin(), e.now.end(), by_id);
    std::sort(e.after.begin(), e.after.end(), by_id);
    if (e.now != e.after) out.edges.push_back(std::move(e));
  }
  std::stable_partition(out.edges.begin(), out.edges.end(),
                        [](const EdgeChange& e) { return !e.reset; });
}

}  // namespace rs
