// The exporter (rs/exporter.hpp): journal -> export groups -> each member channel's Adj-RIB-Out,
// and each protocol's export source, which its session pulls UPDATEs from.
#include "rs/exporter.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/asio/post.hpp>

#include "rs/prefetch.hpp"

namespace rs {

namespace wire = bgp::wire;
using rib::Family;
using rib::Prefix;

namespace {
constexpr std::size_t kTrimAfter = 50000;  // journal entries exported since the last trim
constexpr std::chrono::milliseconds kTrimDelay{100};
}  // namespace

ExportRules export_rules(const Protocol& p, const Channel& ch) {
  return export_rules(*p.cfg, p.router_id, ch.family, ch.settings);
}

ExportRules export_rules(const conf::BgpProtocol& cfg, uint32_t router_id, Family family,
                         const conf::ChannelSettings& cs) {
  const auto& s = cfg.settings;
  ExportRules r;
  r.family = family;
  r.ebgp = !cfg.is_internal();
  r.rs_client = s.rs_client;
  r.rr_client = s.rr_client;
  r.local_as = s.local_as.value_or(0);
  r.router_id = router_id;
  r.cluster_id = s.rr_cluster_id.value_or(0);
  r.default_local_pref = s.default_bgp_local_pref;
  // The channel's `next hop` wins; the protocol-level one is its default.
  const conf::NextHop& nh =
      cs.next_hop.mode != conf::NextHop::Mode::Default ? cs.next_hop : s.next_hop;
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
  r.secondary = cs.secondary;
  r.add_otc =
      s.local_role && (*s.local_role == conf::Role::RsServer ||
                       *s.local_role == conf::Role::Provider || *s.local_role == conf::Role::Peer);
  return r;
}

Exporter::Exporter(boost::asio::io_context& io, rib::AttrTable& table, rib::LocRib& rib,
                   rib::Journal& journal, Walker& walker, Protocols& protocols)
    : io_(io),
      table_(table),
      rib_(rib),
      journal_(journal),
      walker_(walker),
      protocols_(protocols),
      cursor_(journal.open_cursor()) {}

ExportPolicy export_policy(const conf::FilterSpec& spec) {
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
  return policy;
}

ExportGroup& Exporter::group_for(const ExportRules& rules, const conf::FilterSpec& spec) {
  const ExportPolicy policy = export_policy(spec);
  for (auto& g : groups_)
    if (g->rules() == rules && g->policy() == policy) return *g;
  groups_.push_back(std::make_unique<ExportGroup>(rules, policy, &rib_.config()));
  return *groups_.back();
}

void Exporter::join(Protocol& p) {
  const auto* n = p.peer ? p.peer->negotiated() : nullptr;
  for (Channel& ch : p.channels) {
    if (!ch.active()) continue;
    ExportRules rules = export_rules(p, ch);
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
    ch.member.limit_hit = [this, name, f] {  // the protocol may be gone by then
      auto it = protocols_.find(name);
      if (it == protocols_.end()) return true;
      Protocol& q = *it->second;
      Channel& c = q.channels[f];
      const auto& l = c.settings.export_limit;
      return !limit_allows(q, c, l, l ? l->max : 0, "export");
    };
  }
}

void Exporter::leave(Protocol& p) {
  for (Channel& ch : p.channels) {
    if (!ch.group) continue;
    auto& m = ch.group->members();
    m.erase(std::remove(m.begin(), m.end(), &ch.member), m.end());
    ch.group = nullptr;
  }
}

void Exporter::start_initial(Protocol& p) {
  p.export_deferred = false;
  join(p);
  for (Channel& ch : p.channels)
    if (ch.active()) start_initial(p, ch);
}

void Exporter::start_initial(Protocol& p, Channel& ch) {
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
  walker_.walk(
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

void Exporter::refresh_channel(Protocol& p, Family f) {
  Channel& ch = p.channels[f];
  if (!ch.active() || !p.established) return;
  ch.member.out.refresh(f);
  p.peer->notify_export();
}

void Exporter::hold(bool hold) {
  if (gate_.held == hold) return;
  gate_.held = hold;
  if (hold) return;
  for (auto& [name, p] : protocols_)
    if (p->established && p->peer) p->peer->notify_export();
}

void Exporter::schedule() {
  if (posted_ || journal_.pending(cursor_) == 0) return;
  posted_ = true;
  boost::asio::post(io_, [this] { step(); });
}

void Exporter::step() {
  posted_ = false;
  scratch_.clear();
  (void)journal_.read(cursor_, kChunk, scratch_);
  // As on import, plus each member's Adj-RIB-Out slots (members of small groups only: the hint is
  // per member).
  constexpr std::size_t kMembersHinted = 8;
  auto hint_out = [this](const Prefix& prefix) {
    for (auto& g : groups_) {
      if (g->rules().family != prefix.family() || g->members().size() > kMembersHinted) continue;
      for (const ExportMember* m : g->members()) m->out.prefetch({prefix, 0});
    }
  };
  each_prefetched(rib_, scratch_, hint_out, [this](const Prefix& prefix) {
    const rib::Destination* d = rib_.find(prefix);
    if (best_hook_) best_hook_(prefix, d);
    for (auto& g : groups_) {
      if (g->members().empty() || g->rules().family != prefix.family()) continue;
      g->apply_all(prefix, g->compute(prefix, d, table_, vm_));
    }
  });
  after_export(scratch_.size());
  schedule();
}

bool Exporter::idle() const {
  if (!walker_.idle() || journal_.pending(cursor_) != 0) return false;
  for (const auto& [name, p] : protocols_) {
    if (!p->established) continue;
    for (const Channel& ch : p->channels)
      if (ch.member.out.has_pending()) return false;
  }
  return true;
}

void Exporter::refresh_group(ExportGroup& g) {
  // The group's filter changed: recompute every prefix of its family for its members.
  ExportGroup* gp = &g;
  walker_.walk(g.rules().family, [this, gp](const Prefix& prefix) {
    // The group may have been dropped by a later reconfiguration.
    if (std::none_of(groups_.begin(), groups_.end(), [gp](const auto& g) { return g.get() == gp; }))
      return;
    gp->apply_all(prefix, gp->compute(prefix, rib_.find(prefix), table_, vm_));
  });
}

void Exporter::drop_empty_groups() {
  std::erase_if(groups_, [](const auto& g) { return g->members().empty(); });
}

std::size_t Exporter::groups_memory() const {
  std::size_t n = 0;
  for (const auto& g : groups_) n += g->memory_bytes();
  return n;
}

void Exporter::after_export(std::size_t entries) {
  if (entries) last_export_ = std::chrono::steady_clock::now();
  since_trim_ += entries;
  if (since_trim_ < kTrimAfter || journal_.pending(cursor_) != 0) return;
  if (!trim_timer_)
    trim_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  else if (trim_armed_)
    return;
  trim_when_idle();
}

void Exporter::trim_when_idle() {
  trim_armed_ = true;
  trim_timer_->expires_after(kTrimDelay);
  trim_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // Only in a quiet period: a trim walks the whole heap (milliseconds at a million paths), so it
    // must not land between the changes of a steady churn.
    if (!idle() || std::chrono::steady_clock::now() - last_export_ < kTrimDelay) {
      trim_when_idle();
      return;
    }
    trim_armed_ = false;
    since_trim_ = 0;
    ::malloc_trim(0);
  });
}

}  // namespace rs
