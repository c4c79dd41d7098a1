// RouteServer's export pipeline and the background walks: journal -> export
// groups (one per family, rules and export filter) -> each member channel's Adj-RIB-Out; a session
// pulls UPDATEs from its own channels when its socket can write (fill).
#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/asio/post.hpp>

#include "rs/route_server.hpp"
#include "rs/route_server_prefetch.hpp"

namespace rs {

namespace wire = bgp::wire;
using rib::Family;
using rib::Prefix;

ExportRules RouteServer::export_rules(const conf::BgpProtocol& cfg, const Channel& ch) const {
  const auto& s = cfg.settings;
  ExportRules r;
  r.family = ch.family;
  r.ebgp = !cfg.is_internal();
  r.rs_client = s.rs_client;
  r.rr_client = s.rr_client;
  r.local_as = s.local_as.value_or(0);
  const auto rid = s.router_id ? s.router_id : config_->router_id;
  r.router_id = rid ? rid->v4_value() : 0;
  r.cluster_id = s.rr_cluster_id.value_or(0);
  r.default_local_pref = s.default_bgp_local_pref;
  // The channel's `next hop` wins; the protocol-level one is its default.
  const conf::NextHop& nh =
      ch.settings.next_hop.mode != conf::NextHop::Mode::Default ? ch.settings.next_hop : s.next_hop;
  switch (nh.mode) {
    case conf::NextHop::Mode::Self:
    case conf::NextHop::Mode::Address:
      r.next_hop = NextHopMode::Self;
      break;
    case conf::NextHop::Mode::Keep:
      r.next_hop = NextHopMode::Keep;
      break;
    default:
      r.next_hop = NextHopMode::Default;
      break;
  }
  r.secondary = ch.settings.secondary;
  r.add_otc =
      s.local_role && (*s.local_role == conf::Role::RsServer ||
                       *s.local_role == conf::Role::Provider || *s.local_role == conf::Role::Peer);
  return r;
}

ExportGroup& RouteServer::group_for(const ExportRules& rules, const conf::FilterSpec& spec) {
  ExportPolicy policy;
  switch (spec.kind) {
    case conf::FilterSpec::Kind::All:
      policy.kind = ExportPolicy::Kind::All;
      break;
    case conf::FilterSpec::Kind::None:
      policy.kind = ExportPolicy::Kind::None;
      break;
    default:
      policy.kind = spec.compiled ? ExportPolicy::Kind::Filter : ExportPolicy::Kind::None;
      policy.filter = spec.compiled;
      break;
  }
  for (auto& g : groups_)
    if (g->rules() == rules && g->policy() == policy) return *g;
  groups_.push_back(std::make_unique<ExportGroup>(rules, policy, &rib_.config()));
  return *groups_.back();
}

void RouteServer::join_groups(Protocol& p) {
  const auto* n = p.peer ? p.peer->negotiated() : nullptr;
  for (Channel& ch : p.channels) {
    if (!ch.active()) continue;
    ExportRules rules = export_rules(*p.cfg, ch);
    // RFC 7911: whether we send path identifiers is known once the session is up; members that do
    // get every path, so they form their own groups.
    if (n) rules.add_path = n->negotiated.add_path_tx(ch.family);
    // Both export more than the best path: a change of any path may change what they send.
    if (rules.add_path || rules.secondary) rib_.set_journal_all(true);
    ExportGroup& g = group_for(rules, ch.settings.export_filter);
    g.members().push_back(&ch.member);
    ch.group = &g;
    ch.member.self_next_hop = g.rules().next_hop_self();
    const auto& lim = ch.settings.export_limit;
    ch.member.export_limit = lim ? lim->max : 0;
    const std::string name = p.name;
    const Family f = ch.family;
    ch.member.limit_hit = [this, name, f] {
      auto it = protocols_.find(name);
      if (it == protocols_.end()) return true;
      Protocol& q = *it->second;
      Channel& c = q.channels[f];
      const auto& l = c.settings.export_limit;
      return !limit_allows(q, c, l, l ? l->max : 0, "export");
    };
  }
}

void RouteServer::leave_groups(Protocol& p) {
  for (Channel& ch : p.channels) {
    if (!ch.group) continue;
    auto& m = ch.group->members();
    m.erase(std::remove(m.begin(), m.end(), &ch.member), m.end());
    ch.group = nullptr;
  }
}

void RouteServer::start_initial_export(Protocol& p) {
  p.export_deferred = false;
  join_groups(p);
  for (Channel& ch : p.channels)
    if (ch.active()) start_initial_export(p, ch);
}

void RouteServer::start_initial_export(Protocol& p, Channel& ch) {
  // Walk this family's table for the channel, then End-of-RIB.
  ch.member.walking = true;
  ch.member.end_of_rib_due = true;
  const std::string name = p.name;
  const Family f = ch.family;
  const rib::RouteSource* src = ch.source.get();
  auto member_of = [this, name, f, src]() -> Channel* {
    auto it = protocols_.find(name);
    if (it == protocols_.end()) return nullptr;
    Channel& c = it->second->channels[f];
    return c.source.get() == src && c.group ? &c : nullptr;
  };
  walk_family(
      f,
      [this, member_of](const Prefix& prefix) {
        if (Channel* c = member_of())
          ExportGroup::apply(c->member, prefix,
                             c->group->compute(prefix, rib_.find(prefix), table_, vm_));
      },
      [this, name, f, src] {
        auto it = protocols_.find(name);
        if (it == protocols_.end()) return;
        Channel& c = it->second->channels[f];
        if (c.source.get() != src) return;
        c.member.walking = false;
        it->second->peer->notify_export();
      });
}

void RouteServer::refresh_channel(Protocol& p, Family f) {
  Channel& ch = p.channels[f];
  if (!ch.active() || !p.established) return;
  ch.member.out.refresh(f);
  p.peer->notify_export();
}

void RouteServer::log_unsendable(void* ctx, const ExportMember& m, const Prefix& prefix) {
  auto* p = static_cast<Protocol*>(ctx);
  spdlog::warn(
      "{}: {} cannot be encoded for this peer (too large, or a next hop of another "
      "family without extended next hop): withdrawn instead",
      p->name, prefix.to_string());
  (void)m;
}

bool RouteServer::fill(bgp::Peer& peer, std::vector<uint8_t>& out, std::size_t budget) {
  Protocol* p = protocol_of(peer);
  if (!p || !p->established || p->export_deferred || export_held_) return false;
  const auto* n = peer.negotiated();
  if (!n) return false;
  ExportMember* members[2];
  std::size_t count = 0;
  for (Channel& ch : p->channels)
    if (ch.active() && ch.group) members[count++] = &ch.member;
  const std::size_t before = out.size();
  refresh_markers_before(*p, out);  // RFC 7313 BoRR, before the re-advertisement
  bool more = pack_updates(std::span<ExportMember* const>(members, count), n->negotiated, out,
                           budget, p->packed, &RouteServer::log_unsendable, p);
  more = refresh_markers_after(*p, out) || more;  // EoRR, after its last UPDATE
  if (export_observer_ && out.size() != before) export_observer_(p->name);
  return more;
}

void RouteServer::hold_initial_export(bool hold) {
  if (export_held_ == hold) return;
  export_held_ = hold;
  if (hold) return;
  for (auto& [name, p] : protocols_)
    if (p->established && p->peer) p->peer->notify_export();
}

void RouteServer::schedule_export() {
  if (export_posted_ || journal_.pending(export_cursor_) == 0) return;
  export_posted_ = true;
  boost::asio::post(io_, [this] { export_step(); });
}

void RouteServer::export_step() {
  export_posted_ = false;
  scratch_.clear();
  (void)journal_.read(export_cursor_, kChunk, scratch_);
  // As on import, plus each member's Adj-RIB-Out slots (members of small groups only: the hint is
  // per member).
  constexpr std::size_t kMembersHinted = 8;
  auto hint_out = [this](const Prefix& prefix) {
    for (auto& g : groups_) {
      if (g->rules().family != prefix.family() || g->members().size() > kMembersHinted) continue;
      for (const ExportMember* m : g->members()) m->out.prefetch({prefix, 0});
    }
  };
  each_prefetched(scratch_, hint_out, [this](const Prefix& prefix) {
    const rib::Destination* d = rib_.find(prefix);
    if (events_) note_best(prefix, d);
    for (auto& g : groups_) {
      if (g->members().empty() || g->rules().family != prefix.family()) continue;
      g->apply_all(prefix, g->compute(prefix, d, table_, vm_));
    }
  });
  after_export(scratch_.size());
  schedule_export();
}

void RouteServer::walk_family(std::optional<Family> family, std::function<void(const Prefix&)> step,
                              std::function<void()> done) {
  Walk w;
  w.snapshot = true;
  w.family = family;
  w.step = std::move(step);
  w.done = std::move(done);
  start_walk(std::move(w));
}

void RouteServer::start_walk(Walk w) {
  walks_.push_back(std::move(w));
  if (!walk_posted_) {
    walk_posted_ = true;
    boost::asio::post(io_, [this] { walk_step(); });
  }
}

void RouteServer::walk_step() {
  walk_posted_ = false;
  if (walks_.empty()) return;
  Walk& w = walks_.front();
  if (w.snapshot) {  // taken when the walk starts: queued walks hold no copy of the table
    w.prefixes = w.family ? rib_.snapshot(*w.family) : rib_.snapshot();
    w.snapshot = false;
  }
  const std::size_t end = std::min(w.prefixes.size(), w.pos + kChunk);
  for (; w.pos < end; ++w.pos) w.step(w.prefixes[w.pos]);
  if (w.pos == w.prefixes.size()) {
    auto done = std::move(w.done);
    walks_.pop_front();
    if (done) done();
  }
  schedule_export();
  if (!walks_.empty() && !walk_posted_) {
    walk_posted_ = true;
    boost::asio::post(io_, [this] { walk_step(); });
  }
}

bool RouteServer::idle() const {
  if (!walks_.empty() || journal_.pending(export_cursor_) != 0) return false;
  for (const auto& [name, p] : protocols_) {
    if (!p->established) continue;
    for (const Channel& ch : p->channels)
      if (ch.member.out.has_pending()) return false;
  }
  return true;
}

void RouteServer::refresh_export(ExportGroup& g) {
  // The group's filter changed: recompute every prefix of its family for its members.
  ExportGroup* gp = &g;
  walk_family(g.rules().family, [this, gp](const Prefix& prefix) {
    // The group may have been dropped by a later reconfiguration.
    if (std::none_of(groups_.begin(), groups_.end(), [gp](const auto& g) { return g.get() == gp; }))
      return;
    gp->apply_all(prefix, gp->compute(prefix, rib_.find(prefix), table_, vm_));
  });
}

std::vector<RouteServer::ProtocolView> RouteServer::protocols() const {
  std::vector<ProtocolView> out;
  for (const auto& [name, p] : protocols_) {
    ProtocolView v;
    v.name = name;
    v.state = std::string(bgp::to_string(p->peer->phase()));
    v.peer = p->peer.get();
    for (const Channel& ch : p->channels) {
      if (ch.enabled && !v.source) v.source = ch.source.get();
      v.stats[ch.family] = ch.stats;
      v.export_stats[ch.family] = ch.member.stats;
      v.channel_enabled[ch.family] = ch.enabled;
      v.exported_by_family[ch.family] = ch.member.out.advertised();
      v.exported += v.exported_by_family[ch.family];
    }
    v.packed = p->packed;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace rs
