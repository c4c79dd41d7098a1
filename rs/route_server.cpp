// RouteServer: config -> protocols, the import pipeline (design steps 3-6), the export pipeline
// (steps 7-8) and the background walks, all on the event-loop thread.
//
// Sources and generations: each session incarnation of a peer is a RouteSource of its own. When a
// session goes down without graceful restart, its source is retired and its routes are removed by a
// background walk, while a new session of the same peer already announces under a new source; the
// two never mix. With graceful restart the source is kept, its routes marked stale, and the stale
// ones still there at End-of-RIB (or when the restart timer runs out) are removed.
#include "rs/route_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include <boost/asio/post.hpp>

#include "rs/log/log_class.hpp"

namespace rs {

namespace wire = bgp::wire;
using rib::AttrRef;
using rib::Family;
using rib::IpAddress;
using rib::Prefix;

namespace {
int fam_index(Family f) { return f == Family::Ipv4 ? 0 : 1; }

wire::PeerAsMode as_mode(const conf::BgpProtocol& cfg) {
  if (cfg.settings.neighbor_as) return wire::PeerAsMode::Exact;
  if (cfg.settings.peer_type == conf::PeerType::Internal) return wire::PeerAsMode::Internal;
  if (cfg.settings.peer_type == conf::PeerType::External) return wire::PeerAsMode::External;
  return wire::PeerAsMode::Any;
}

std::optional<wire::Role> to_wire(std::optional<conf::Role> r) {
  if (!r) return std::nullopt;
  switch (*r) {
    case conf::Role::Provider: return wire::Role::Provider;
    case conf::Role::RsServer: return wire::Role::RouteServer;
    case conf::Role::RsClient: return wire::Role::RouteServerClient;
    case conf::Role::Customer: return wire::Role::Customer;
    case conf::Role::Peer: return wire::Role::Peer;
  }
  return std::nullopt;
}

bgp::Duration ms(conf::Duration d) { return std::chrono::milliseconds(d.us / 1000); }
uint16_t secs16(conf::Duration d) { return static_cast<uint16_t>(std::min<uint64_t>(d.secs(), 65535)); }
}  // namespace

RouteServer::RouteServer(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config)
    : io_(io),
      config_(std::move(config)),
      rib_(rib::DecisionConfig{}, &journal_),
      export_cursor_(journal_.open_cursor()),
      started_(std::chrono::steady_clock::now()) {
  // The decision knobs are per protocol in BIRD; rsd applies them to the table, taking them from
  // the first BGP protocol that sets them.
  rib::DecisionConfig dc;
  for (const auto& b : config_->bgp) {
    dc.med_metric |= b.settings.med_metric;
    dc.deterministic_med |= b.settings.deterministic_med;
    dc.prefer_older |= b.settings.prefer_older;
    if (b.settings.default_bgp_med) dc.default_med = b.settings.default_bgp_med;
    dc.default_local_pref = b.settings.default_bgp_local_pref;
  }
  rib_.set_config(dc);
}

RouteServer::~RouteServer() {
  for (auto& l : listeners_) l->close();
  // Peers go first: their destructors must not call back into a half-destroyed server.
  for (auto& [name, p] : protocols_) p->peer.reset();
}

uint64_t RouteServer::now() const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count());
}

// ---- configuration -> protocols --------------------------------------------------------------

bgp::PeerConfig RouteServer::peer_config(const conf::BgpProtocol& cfg,
                                         std::optional<IpAddress> remote) const {
  const auto& s = cfg.settings;
  bgp::PeerConfig pc;
  pc.name = cfg.name;
  pc.description = s.description;
  pc.local_address = s.local_address;
  pc.local_port = s.local_port;
  pc.local_as = s.local_as.value_or(0);
  const auto rid = s.router_id ? s.router_id : config_->router_id;
  pc.router_id = rid ? rid->v4_value() : 0;
  pc.neighbor_address = remote ? *remote : s.neighbor_address.value_or(IpAddress());
  pc.neighbor_port = s.neighbor_port;
  pc.peer_as = s.neighbor_as.value_or(0);
  pc.peer_as_mode = as_mode(cfg);
  if (pc.peer_as_mode == wire::PeerAsMode::Exact && pc.peer_as == pc.local_as)
    pc.peer_as_mode = wire::PeerAsMode::Exact;
  pc.passive = s.passive || remote.has_value();
  if (s.multihop) pc.multihop = static_cast<uint8_t>(std::min<uint32_t>(*s.multihop, 255));
  pc.ttl_security = s.ttl_security;
  pc.password = s.password.value_or("");
  pc.hold_time = secs16(s.hold_time);
  pc.min_hold_time = secs16(s.min_hold_time);
  if (s.keepalive_time) pc.keepalive_time = secs16(*s.keepalive_time);
  pc.connect_delay_time = ms(s.connect_delay_time);
  pc.connect_retry_time = ms(s.connect_retry_time);
  pc.error_wait_min = ms(s.error_wait_min);
  pc.error_wait_max = ms(s.error_wait_max);
  pc.error_forget_time = ms(s.error_forget_time);
  pc.open_hold_time = ms(s.startup_hold_time);
  pc.families.clear();
  for (const auto& ch : cfg.channels) {
    bgp::FamilyConfig fc;
    fc.afi_safi = wire::unicast(ch.family);
    const auto ap = ch.settings.add_paths != conf::AddPaths::Off ? ch.settings.add_paths : s.add_paths;
    fc.add_path_rx = ap == conf::AddPaths::Rx || ap == conf::AddPaths::RxTx;
    fc.add_path_tx = ap == conf::AddPaths::Tx || ap == conf::AddPaths::RxTx;
    fc.extended_next_hop = ch.settings.extended_next_hop;
    fc.mandatory = ch.settings.mandatory;
    pc.families.push_back(fc);
  }
  pc.route_refresh = s.enable_route_refresh;
  pc.enhanced_route_refresh = s.enable_enhanced_route_refresh;
  pc.capabilities = s.capabilities;
  pc.four_octet_as = s.enable_as4;
  pc.graceful_restart = s.graceful_restart == conf::GracefulRestart::Off     ? bgp::GracefulRestartMode::Off
                        : s.graceful_restart == conf::GracefulRestart::Aware ? bgp::GracefulRestartMode::Aware
                                                                              : bgp::GracefulRestartMode::On;
  pc.graceful_restart_time = secs16(s.graceful_restart_time);
  pc.extended_messages = s.enable_extended_messages;
  pc.local_role = to_wire(s.local_role);
  pc.require_roles = s.require_roles;
  pc.advertise_hostname = s.advertise_hostname;
  pc.interpret_communities = s.interpret_communities;
  pc.enforce_first_as = s.enforce_first_as;
  pc.disabled = s.disabled;
  return pc;
}

ExportRules RouteServer::export_rules(const conf::BgpProtocol& cfg) const {
  const auto& s = cfg.settings;
  ExportRules r;
  r.ebgp = !cfg.is_internal();
  r.rs_client = s.rs_client;
  r.rr_client = s.rr_client;
  r.local_as = s.local_as.value_or(0);
  const auto rid = s.router_id ? s.router_id : config_->router_id;
  r.router_id = rid ? rid->v4_value() : 0;
  r.cluster_id = s.rr_cluster_id.value_or(0);
  r.default_local_pref = s.default_bgp_local_pref;
  switch (s.next_hop.mode) {
    case conf::NextHop::Mode::Self: r.next_hop = NextHopMode::Self; break;
    case conf::NextHop::Mode::Keep: r.next_hop = NextHopMode::Keep; break;
    default: r.next_hop = NextHopMode::Default; break;
  }
  r.add_otc = s.local_role && (*s.local_role == conf::Role::RsServer ||
                               *s.local_role == conf::Role::Provider || *s.local_role == conf::Role::Peer);
  return r;
}

ExportGroup& RouteServer::group_for(const ExportRules& rules, const conf::FilterSpec& spec) {
  ExportPolicy policy;
  switch (spec.kind) {
    case conf::FilterSpec::Kind::All: policy.kind = ExportPolicy::Kind::All; break;
    case conf::FilterSpec::Kind::None: policy.kind = ExportPolicy::Kind::None; break;
    default:
      policy.kind = spec.compiled ? ExportPolicy::Kind::Filter : ExportPolicy::Kind::None;
      policy.filter = spec.compiled;
      break;
  }
  for (auto& g : groups_)
    if (g->rules() == rules && g->policy() == policy) return *g;
  groups_.push_back(std::make_unique<ExportGroup>(rules, policy));
  return *groups_.back();
}

RouteServer::Protocol& RouteServer::add_protocol(const conf::BgpProtocol& cfg,
                                                 std::optional<IpAddress> dynamic_peer) {
  auto p = std::make_unique<Protocol>();
  if (dynamic_peer) {
    // As BIRD: `dynamic name` (default "dynbgp") followed by a number, zero-padded to
    // `dynamic name digits`.
    uint32_t n = ++dynamic_counter_[cfg.settings.dynamic_name];
    std::string num = std::to_string(n);
    if (num.size() < cfg.settings.dynamic_name_digits)
      num.insert(0, cfg.settings.dynamic_name_digits - num.size(), '0');
    p->name = cfg.settings.dynamic_name + num;
    while (protocols_.count(p->name)) p->name = cfg.settings.dynamic_name + std::to_string(++dynamic_counter_[cfg.settings.dynamic_name]);
    p->dynamic_child = true;
    p->parent = cfg.name;
  } else {
    p->name = cfg.name;
  }
  p->cfg = &cfg;
  p->source = std::make_unique<rib::RouteSource>();
  p->source->name = p->name;
  p->source->id = next_source_id_++;
  p->source->kind = cfg.is_internal() ? rib::SourceKind::Ibgp : rib::SourceKind::Ebgp;
  p->source->rr_client = cfg.settings.rr_client;
  p->source->rs_client = cfg.settings.rs_client;
  for (const auto& ch : cfg.channels) {
    Channel& c = p->channels[fam_index(ch.family)];
    c.enabled = true;
    c.settings = ch.settings;
    // RFC 8212 (as BIRD): an eBGP channel without an explicit policy imports and exports nothing.
  }
  p->member.source = p->source.get();
  p->member.ipv4 = p->channels[0].enabled;
  p->member.ipv6 = p->channels[1].enabled;
  auto pc = peer_config(cfg, dynamic_peer);
  pc.name = p->name;
  p->peer = std::make_unique<bgp::Peer>(io_, std::move(pc), *this);
  p->peer->set_debug(p->debug);
  bgp::Peer* raw = p->peer.get();
  p->member.wake = [raw] { raw->notify_export(); };
  by_peer_[raw] = p.get();
  Protocol& ref = *p;
  protocols_[p->name] = std::move(p);
  return ref;
}

bgp::Peer* RouteServer::spawn_dynamic(const IpAddress& remote, uint16_t local_port,
                                      std::optional<IpAddress> local) {
  for (const auto& cfg : config_->bgp) {
    if (!cfg.is_dynamic() || cfg.settings.local_port != local_port) continue;
    if (cfg.settings.local_address != local) continue;
    if (!cfg.settings.neighbor_range->contains(remote)) continue;
    Protocol& p = add_protocol(cfg, remote);
    spdlog::info("{}: dynamic neighbour {} from range {}", p.name, remote.to_string(),
                 cfg.settings.neighbor_range->to_string());
    p.peer->start();
    return p.peer.get();
  }
  return nullptr;
}

std::string RouteServer::start() {
  // Listeners: one per (address, port). As in BIRD, a protocol listens on the wildcard of its
  // neighbour's family unless it has `strict bind` and a local address; the listener then
  // matches each connection's local address to the protocol's. Wildcard and specific sockets on
  // one port collide (EADDRINUSE), as BIRD warns: set strict bind on all such protocols or none.
  std::map<std::pair<IpAddress, uint16_t>, bgp::Listener*> by_endpoint;
  auto listener_for = [&](const IpAddress& addr, uint16_t port, std::string& err) -> bgp::Listener* {
    auto key = std::make_pair(addr, port);
    if (auto it = by_endpoint.find(key); it != by_endpoint.end()) return it->second;
    auto l = std::make_unique<bgp::Listener>(io_);
    if (auto ec = l->listen(addr, port)) {
      err = "cannot listen on " + addr.to_string() + " port " + std::to_string(port) + ": " + ec.message();
      return nullptr;
    }
    listeners_.push_back(std::move(l));
    return by_endpoint[key] = listeners_.back().get();
  };

  std::string err;
  for (const auto& cfg : config_->bgp) {
    if (cfg.is_template || cfg.incomplete) continue;
    const auto& s = cfg.settings;
    const IpAddress wildcard = (s.neighbor_address && s.neighbor_address->is_v6()) ||
                                       (s.neighbor_range && !s.neighbor_range->is_v4())
                                   ? IpAddress::v6(0, 0)
                                   : IpAddress::v4(0);
    IpAddress laddr = s.strict_bind ? s.local_address.value_or(wildcard) : wildcard;
    bgp::Listener* l = listener_for(laddr, s.local_port, err);
    if (!l) return err;
    if (cfg.is_dynamic()) {
      const uint16_t port = s.local_port;
      const auto local = s.local_address;
      l->add_range(
          *s.neighbor_range,
          [this, port, local](const IpAddress& remote) {
            return spawn_dynamic(remote, port, local);
          },
          s.password.value_or(""), local);
      continue;
    }
    Protocol& p = add_protocol(cfg, std::nullopt);
    l->add_peer(*p.peer);
  }
  load_statics();
  // Graceful restart, restarting side (RFC 4724 4.1): when any protocol runs graceful restart, rsd
  // may be coming back from a crash while the edges keep its routes as stale. It then says so in its
  // OPENs (R and F bits) and defers its exports until the routes are back: every configured
  // protocol that imports routes has sent End-of-RIB, or the deferral time has passed.
  // The deferral must end well before the edges give up on the stale routes (our restart time).
  std::chrono::seconds deferral = kSelectionDeferralMax;
  for (const auto& cfg : config_->bgp) {
    if (cfg.is_template || cfg.settings.graceful_restart != conf::GracefulRestart::On) continue;
    deferring_ = true;
    deferral = std::min(deferral, std::chrono::seconds(cfg.settings.graceful_restart_time.secs() * 3 / 4));
  }
  deferral = std::max(deferral, std::chrono::seconds(5));
  if (deferring_) {
    for (auto& [name, p] : protocols_) p->peer->set_restarting(true);
    defer_timer_ = std::make_unique<boost::asio::steady_timer>(io_, deferral);
    defer_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec && deferring_) {
        spdlog::info("selection deferral time over: exporting");
        end_deferral();
      }
    });
  }
  for (auto& [name, p] : protocols_) p->peer->start();
  spdlog::info("route server started: {} BGP protocols, {} listeners", protocols_.size(), listeners_.size());
  return {};
}

void RouteServer::shutdown(std::string_view reason) {
  for (auto& l : listeners_) l->close();
  for (auto& [name, p] : protocols_) p->peer->stop(wire::subcode::kAdministrativeShutdown, reason);
}

// ---- static routes -----------------------------------------------------------------------------

void RouteServer::load_statics() {
  for (const auto& st : config_->statics) {
    if (st.disabled) continue;
    StaticSource s;
    s.name = st.name;
    s.cfg = &st;
    s.source = std::make_unique<rib::RouteSource>();
    s.source->name = st.name;
    s.source->id = next_source_id_++;
    s.source->kind = rib::SourceKind::Local;
    s.source->preference = 200;  // BIRD: static routes 200, BGP 100
    const auto rid = config_->router_id;
    s.source->bgp_id = rid ? rid->v4_value() : 0;
    for (const auto& r : st.routes) {
      if (r.kind != conf::StaticRoute::Kind::Via) continue;  // blackhole etc. have no BGP next hop
      rib::AttrBuilder b;
      b.set_origin(rib::Origin::Igp);
      b.set_present(rib::AttrType::AsPath);
      b.set_next_hop(r.via);
      AttrRef a = table_.intern(b);
      if (r.compiled_attributes) {
        filters::RouteInfo info;
        info.net = r.prefix;
        info.gw = r.via;
        info.proto = st.name;
        info.source = filters::kRtsStatic;
        filters::RunOutput out;
        // The block sets attributes, as in BIRD; the route is installed whether or not it ends in
        // `accept` (only a run-time error drops it).
        if (vm_.run(*r.compiled_attributes, info, *a, out) == filters::Verdict::Error) {
          spdlog::error("{}: {}: {}", st.name, r.prefix.to_string(), out.error);
          continue;
        }
        if (out.modified) a = table_.intern(out.attrs);
      }
      auto slot = rib_.receive(r.prefix, s.source.get(), 0, a);
      (void)rib_.import(r.prefix, slot, a, now());
    }
    statics_.push_back(std::move(s));
  }
  schedule_export();
}

// ---- local sources -----------------------------------------------------------------------------

rib::RouteSource* RouteServer::add_local_source(std::string name, uint32_t preference) {
  auto s = std::make_unique<rib::RouteSource>();
  s->name = std::move(name);
  s->id = next_source_id_++;
  s->kind = rib::SourceKind::Local;
  s->preference = preference;
  const auto rid = config_->router_id;
  s->bgp_id = rid ? rid->v4_value() : 0;
  for (const auto& b : config_->bgp) {
    if (b.settings.local_as) {
      s->neighbor_as = *b.settings.local_as;
      break;
    }
  }
  local_sources_.push_back(std::move(s));
  return local_sources_.back().get();
}

void RouteServer::announce_local(rib::RouteSource* src, const Prefix& prefix,
                                 const rib::AttrBuilder& attrs, uint32_t path_id) {
  AttrRef a = table_.intern(attrs);
  auto slot = rib_.receive(prefix, src, path_id, a);
  if (slot.result == rib::InResult::NoChange) return;
  (void)rib_.import(prefix, slot, std::move(a), now());
  schedule_export();
}

void RouteServer::withdraw_local(rib::RouteSource* src, const Prefix& prefix, uint32_t path_id) {
  (void)rib_.withdraw(prefix, src, path_id);
  schedule_export();  // a no-op when nothing was journalled
}

void RouteServer::remove_local_source(rib::RouteSource* src) {
  auto it = std::find_if(local_sources_.begin(), local_sources_.end(),
                         [src](const auto& s) { return s.get() == src; });
  if (it == local_sources_.end()) return;
  std::unique_ptr<rib::RouteSource> owned = std::move(*it);
  local_sources_.erase(it);
  remove_source_routes(std::move(owned));
}

// ---- import ------------------------------------------------------------------------------------

RouteServer::Protocol* RouteServer::protocol_of(const bgp::Peer& peer) {
  auto it = by_peer_.find(&peer);
  return it == by_peer_.end() ? nullptr : it->second;
}

bool RouteServer::loop_detected(const Protocol& p, const rib::AttrBuilder& b) const {
  const auto& s = p.cfg->settings;
  const uint32_t local_as = s.local_as.value_or(0);
  if (!p.cfg->is_internal() && b.as_path.contains(local_as)) {
    uint32_t seen = 0;
    for (const auto& seg : b.as_path.segments)
      for (uint32_t a : seg.asns) seen += a == local_as;
    if (seen > s.allow_local_as) return true;
  }
  const auto rid = s.router_id ? s.router_id : config_->router_id;
  const uint32_t router_id = rid ? rid->v4_value() : 0;
  if (b.has(rib::AttrType::OriginatorId) && b.originator_id == router_id) return true;  // RFC 4456 8
  const uint32_t cluster = s.rr_cluster_id.value_or(router_id);
  if (b.cluster_list.contains(cluster)) return true;
  return false;
}

AttrRef RouteServer::run_import_filter(Protocol& p, int fam, const Prefix& prefix, const AttrRef& received) {
  const Channel& ch = p.channels[fam];
  const auto& spec = ch.settings.import_filter;
  switch (spec.kind) {
    case conf::FilterSpec::Kind::All: return received;
    case conf::FilterSpec::Kind::None: return {};
    default: break;
  }
  if (!spec.compiled) return {};
  filters::RouteInfo info;
  info.net = prefix;
  info.from = p.source->neighbor_address;
  info.gw = received->next_hop;
  info.proto = p.name;
  info.preference = ch.settings.preference;
  filters::RunOutput out;
  const filters::Verdict v = vm_.run(*spec.compiled, info, *received, out);
  if (v == filters::Verdict::Error) spdlog::warn("{}: import filter: {}", p.name, out.error);
  if (p.debug & kDebugFilters)  // BIRD's `debug filters`: the verdict and which filter gave it
    log::trace("{} < {} {} by import filter {}", p.name, prefix.to_string(),
               v == filters::Verdict::Accept ? (out.modified ? "accepted (modified)" : "accepted")
               : v == filters::Verdict::Error ? "rejected (error)"
                                              : "rejected",
               spec.kind == conf::FilterSpec::Kind::Named ? spec.name
               : spec.kind == conf::FilterSpec::Kind::Where ? std::string("where")
                                                            : std::string("(inline)"));
  if (v != filters::Verdict::Accept) return {};
  return out.modified ? table_.intern(out.attrs) : received;
}

bool RouteServer::limit_allows(Protocol& p, int fam, const std::optional<conf::Limit>& limit,
                               uint64_t count, const char* what) {
  if (!limit || count < limit->max) return true;
  ChannelStats& st = p.channels[fam].stats;
  ++st.limit_hits;
  const auto family = fam == 0 ? wire::kIpv4Unicast : wire::kIpv6Unicast;
  switch (limit->action) {
    case conf::LimitAction::Warn:
      if (!p.limit_warned) spdlog::warn("{}: {} limit {} exceeded", p.name, what, limit->max);
      p.limit_warned = true;
      return true;
    case conf::LimitAction::Block:
      if (!p.limit_warned) spdlog::warn("{}: {} limit {} reached, blocking new routes", p.name, what, limit->max);
      p.limit_warned = true;
      return false;
    case conf::LimitAction::Restart:
    case conf::LimitAction::Disable: {
      spdlog::warn("{}: {} limit {} exceeded, {}", p.name, what, limit->max,
                   limit->action == conf::LimitAction::Restart ? "restarting" : "shutting down");
      bgp::Peer* peer = p.peer.get();
      const bool restart = limit->action == conf::LimitAction::Restart;
      const uint32_t max = limit->max;
      // Not from inside the session's read handler: post it.
      boost::asio::post(io_, [peer, family, max, restart] {
        peer->stop_max_prefix(family, max);
        if (restart) peer->start();
      });
      return false;
    }
  }
  return true;
}

void RouteServer::import_nlri(Protocol& p, int fam, const wire::Nlri& n, const AttrRef& received,
                              uint64_t now) {
  Channel& ch = p.channels[fam];
  ++ch.stats.received;
  p.refresh.received(fam, n.prefix, n.path_id);
  // State of this path before (absent, filtered, or accepted) and the receive limit, in the same
  // table lookup as the Adj-RIB-In update.
  bool existed = false, was_accepted = false;
  auto slot = rib_.receive_if(n.prefix, p.source.get(), n.path_id, received,
                              [&](bool e, bool accepted) {
                                existed = e;
                                was_accepted = accepted;
                                return e || limit_allows(p, fam, ch.settings.receive_limit,
                                                         ch.stats.current_received, "receive");
                              });
  if (slot.result == rib::InResult::NoChange) return;
  if (slot.result == rib::InResult::New) ++ch.stats.current_received;
  AttrRef imported = run_import_filter(p, fam, n.prefix, received);
  if (imported && !was_accepted &&
      !limit_allows(p, fam, ch.settings.import_limit, ch.stats.current_accepted, "import"))
    imported = nullptr;
  ++(imported ? ch.stats.accepted : ch.stats.filtered);
  if (imported && !was_accepted) ++ch.stats.current_accepted;
  if (!imported && was_accepted) --ch.stats.current_accepted;
  if (p.debug & kDebugRoutes)
    log::trace("{} > {} {}", p.name, imported ? (existed ? "updated" : "added") : "filtered", n.prefix.to_string());
  (void)rib_.import(n.prefix, slot, std::move(imported), now);
}

bool RouteServer::set_debug(const std::string& name, uint32_t flags) {
  auto it = protocols_.find(name);
  if (it == protocols_.end()) return false;
  it->second->debug = flags;
  if (it->second->peer) it->second->peer->set_debug(flags);  // events and packets are the session's
  return true;
}

void RouteServer::withdraw_nlri(Protocol& p, const wire::Nlri& n) {
  Channel& ch = p.channels[fam_index(n.prefix.family())];
  ++ch.stats.withdrawn;
  if (p.debug & kDebugRoutes) log::trace("{} > removed {}", p.name, n.prefix.to_string());
  const rib::LocRib::Removed r = rib_.remove(n.prefix, p.source.get(), n.path_id);
  if (!r.found) return;
  --ch.stats.current_received;
  if (!r.filtered) --ch.stats.current_accepted;
}

// Bulk Loc-RIB work (an UPDATE's NLRI, a batch of journaled prefixes) makes random memory accesses
// per prefix (a table slot, then a path block), each a likely cache and TLB miss: hint them 16 and
// 8 entries ahead so that the misses overlap. `hint` adds the caller's own (export: the members'
// Adj-RIB-Out slots) at the slot distance.
namespace {
const Prefix& prefix_of(const wire::Nlri& n) { return n.prefix; }
const Prefix& prefix_of(const Prefix& p) { return p; }
}  // namespace

template <class T, class Hint, class F>
void RouteServer::each_prefetched(const std::vector<T>& list, Hint&& hint, F&& f) {
  constexpr std::size_t kSlotAhead = 16, kPathsAhead = 8;
  const std::size_t n = list.size();
  auto slot = [&](std::size_t i) {
    rib_.prefetch(prefix_of(list[i]));
    hint(prefix_of(list[i]));
  };
  for (std::size_t i = 0; i < std::min(n, kSlotAhead); ++i) slot(i);
  for (std::size_t i = 0; i < std::min(n, kPathsAhead); ++i) rib_.prefetch_paths(prefix_of(list[i]));
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kSlotAhead < n) slot(i + kSlotAhead);
    if (i + kPathsAhead < n) rib_.prefetch_paths(prefix_of(list[i + kPathsAhead]));
    f(list[i]);
  }
}

void RouteServer::on_update(bgp::Peer& peer, const wire::UpdateMessage& u) {
  Protocol* p = protocol_of(peer);
  if (!p) return;
  auto no_hint = [](const Prefix&) {};
  auto withdraw = [&](const wire::Nlri& w) { withdraw_nlri(*p, w); };
  each_prefetched(u.withdrawn, no_hint, withdraw);
  if (u.mp_unreach) each_prefetched(u.mp_unreach->nlri, no_hint, withdraw);

  if (u.treat_as_withdraw) {
    for (const auto& e : u.attr_errors)
      spdlog::warn("{}: UPDATE treated as withdraw: {}", p->name, e.reason);
    for (const auto& n : u.nlri) withdraw_nlri(*p, n), ++p->channels[0].stats.treat_as_withdraw;
    if (u.mp_reach)
      for (const auto& n : u.mp_reach->nlri)
        withdraw_nlri(*p, n), ++p->channels[fam_index(n.prefix.family())].stats.treat_as_withdraw;
    schedule_export();
    return;
  }
  for (const auto& e : u.attr_errors) spdlog::info("{}: attribute discarded: {}", p->name, e.reason);

  auto prepared = [&](const IpAddress* nh, const IpAddress* ll) -> std::optional<rib::AttrBuilder> {
    rib::AttrBuilder b = u.attrs;
    if (nh) {
      b.set_next_hop(*nh);
      b.next_hop_link_local = ll ? *ll : IpAddress();
    }
    if (!p->cfg->is_internal()) {
      // BIRD: routes from eBGP get the default LOCAL_PREF (the codec dropped a received one).
      if (!b.has(rib::AttrType::LocalPref)) b.set_local_pref(p->cfg->settings.default_bgp_local_pref);
    }
    if (loop_detected(*p, b)) return std::nullopt;
    return b;
  };

  // One interned attribute set per message and family (design step 3), one clock reading.
  const uint64_t t = now();
  if (!u.nlri.empty()) {
    auto b = prepared(nullptr, nullptr);
    if (!b) {
      for (const auto& n : u.nlri) withdraw_nlri(*p, n), ++p->channels[0].stats.filtered;
    } else if (p->channels[0].enabled) {
      AttrRef a = table_.intern(*b);
      each_prefetched(u.nlri, no_hint, [&](const wire::Nlri& n) { import_nlri(*p, 0, n, a, t); });
    }
  }
  if (u.mp_reach && !u.mp_reach->nlri.empty()) {
    const int fam = u.mp_reach->family.afi == wire::kAfiIpv6 ? 1 : 0;
    auto b = prepared(&u.mp_reach->next_hop, &u.mp_reach->link_local);
    if (!b) {
      for (const auto& n : u.mp_reach->nlri) withdraw_nlri(*p, n), ++p->channels[fam].stats.filtered;
    } else if (p->channels[fam].enabled) {
      AttrRef a = table_.intern(*b);
      each_prefetched(u.mp_reach->nlri, no_hint, [&](const wire::Nlri& n) { import_nlri(*p, fam, n, a, t); });
    }
  }
  schedule_export();
}

void RouteServer::reimport(Protocol& p, int fam) {
  // Re-run the import filter over what the peer sent (kept in the Adj-RIB-In): no route refresh,
  // no session reset.
  const rib::RouteSource* src = p.source.get();
  const std::string name = p.name;
  Walk w;
  w.snapshot = true;
  w.step = [this, src, fam, name](const Prefix& prefix) {
    if (fam_index(prefix.family()) != fam) return;
    auto it = protocols_.find(name);
    if (it == protocols_.end() || it->second->source.get() != src) return;
    const rib::Destination* d = rib_.find(prefix);
    if (!d) return;
    for (uint32_t i = 0; i < d->paths.size(); ++i) {
      const rib::Path& path = d->paths[i];
      if (path.route.source != src) continue;
      AttrRef received = path.received;
      const bool was_accepted = !path.route.filtered();
      AttrRef imported = run_import_filter(*it->second, fam, prefix, received);
      auto& st = it->second->channels[fam].stats;
      if (imported && !was_accepted) ++st.current_accepted;
      if (!imported && was_accepted) --st.current_accepted;
      rib::LocRib::Slot slot{rib::InResult::Changed, const_cast<rib::Destination*>(d), i};
      (void)rib_.import(prefix, slot, std::move(imported), now());
      d = rib_.find(prefix);
    }
  };
  w.done = [this] { schedule_export(); };
  start_walk(std::move(w));
}

// ---- sessions ----------------------------------------------------------------------------------

void RouteServer::join_group(Protocol& p) {
  // One group per (rules, export filter); a protocol with both families uses the IPv4 channel's
  // export filter for the group key when they differ only if equal (kept simple: IPv4 first).
  const conf::ChannelSettings* ch = p.channels[0].enabled ? &p.channels[0].settings
                                                          : &p.channels[1].settings;
  ExportRules rules = export_rules(*p.cfg);
  // RFC 7911: whether we send path identifiers is known once the session is up; members that do
  // get every path, so they form their own groups.
  if (const auto* n = p.peer ? p.peer->negotiated() : nullptr) {
    rules.add_path_v4 = n->negotiated.add_path_tx(rib::Family::Ipv4);
    rules.add_path_v6 = n->negotiated.add_path_tx(rib::Family::Ipv6);
    if (rules.add_path_v4 || rules.add_path_v6) rib_.set_journal_all(true);
  }
  ExportGroup& g = group_for(rules, ch->export_filter);
  g.members().push_back(&p.member);
  // Export limits, per channel (the actions as for the import side).
  for (int f = 0; f < 2; ++f) {
    const auto& lim = p.channels[f].settings.export_limit;
    p.member.export_limit[f] = p.channels[f].enabled && lim ? lim->max : 0;
  }
  const std::string name = p.name;
  p.member.limit_hit = [this, name](int fam) {
    auto it = protocols_.find(name);
    if (it == protocols_.end()) return true;
    Protocol& q = *it->second;
    const auto& lim = q.channels[fam].settings.export_limit;
    return !limit_allows(q, fam, lim, lim ? lim->max : 0, "export");
  };
  p.group = &g;
  p.member.self_next_hop = g.rules().next_hop_self();
}

void RouteServer::leave_group(Protocol& p) {
  if (!p.group) return;
  auto& m = p.group->members();
  m.erase(std::remove(m.begin(), m.end(), &p.member), m.end());
  p.group = nullptr;
}

void RouteServer::on_established(bgp::Peer& peer) {
  Protocol* p = protocol_of(peer);
  if (!p) return;
  p->established = true;
  if (p->debug & kDebugStates) log::trace("{}: state changed to up", p->name);
  const auto* n = peer.negotiated();
  if (auto ep = peer.remote_endpoint()) {
    p->source->neighbor_address = *IpAddress::parse(ep->address().to_string());
  }
  if (n) {
    p->source->neighbor_as = n->peer_as;
    p->source->bgp_id = n->peer_bgp_id;
    p->member.ipv4 = p->channels[0].enabled && n->negotiated.ipv4_unicast;
    p->member.ipv6 = p->channels[1].enabled && n->negotiated.ipv6_unicast;
  }
  if (auto ep = peer.local_endpoint()) {
    auto local = *IpAddress::parse(ep->address().to_string());
    if (local.is_v4()) p->member.self_v4 = local;
    else p->member.self_v6 = local;
  }
  if (p->cfg->settings.next_hop.mode == conf::NextHop::Mode::Address) {
    const auto& a = p->cfg->settings.next_hop.address;
    (a.is_v4() ? p->member.self_v4 : p->member.self_v6) = a;
  }
  spdlog::info("{}: established ({})", p->name, p->source->neighbor_address.to_string());
  if (events_) emit_session(*p, nullptr);
  p->eor[0] = p->eor[1] = false;
  if (deferring_) {
    // Selection deferral (RFC 4724 4.1): export once the table is complete.
    p->export_deferred = true;
    check_deferral();
    return;
  }
  start_initial_export(*p);
}

void RouteServer::start_initial_export(Protocol& proto) {
  Protocol* p = &proto;
  p->export_deferred = false;
  join_group(*p);

  // Initial export: walk the table for this member, then End-of-RIB.
  p->member.walking = true;
  p->member.end_of_rib_due = true;
  const std::string name = p->name;
  const rib::RouteSource* src = p->source.get();
  Walk w;
  w.snapshot = true;
  w.step = [this, name, src](const Prefix& prefix) {
    auto it = protocols_.find(name);
    if (it == protocols_.end() || it->second->source.get() != src || !it->second->group) return;
    Protocol& q = *it->second;
    ExportGroup::apply(q.member, prefix, q.group->compute(prefix, rib_.find(prefix), table_, vm_));
  };
  w.done = [this, name, src] {
    auto it = protocols_.find(name);
    if (it == protocols_.end() || it->second->source.get() != src) return;
    it->second->member.walking = false;
    it->second->peer->notify_export();
  };
  start_walk(std::move(w));
}

bool RouteServer::imports(const Protocol& p) {
  for (const auto& ch : p.channels)
    if (ch.enabled && ch.settings.import_filter.kind != conf::FilterSpec::Kind::None) return true;
  return false;
}

void RouteServer::check_deferral() {
  for (const auto& [name, p] : protocols_) {
    if (p->dynamic_child || !imports(*p)) continue;
    if (!p->established) return;
    const auto* n = p->peer->negotiated();
    if (!n) return;
    if (p->channels[0].enabled && n->negotiated.ipv4_unicast && !p->eor[0]) return;
    if (p->channels[1].enabled && n->negotiated.ipv6_unicast && !p->eor[1]) return;
  }
  spdlog::info("every importing peer sent End-of-RIB: exporting");
  end_deferral();
}

void RouteServer::end_deferral() {
  deferring_ = false;
  if (defer_timer_) defer_timer_->cancel();
  for (auto& [name, p] : protocols_) p->peer->set_restarting(false);
  for (auto& [name, p] : protocols_)
    if (p->established && p->export_deferred) start_initial_export(*p);
}

void RouteServer::on_end_of_rib(bgp::Peer& peer, wire::AfiSafi family) {
  Protocol* p = protocol_of(peer);
  if (!p) return;
  spdlog::debug("{}: End-of-RIB {}", p->name, wire::to_string(family));
  p->eor[family.afi == wire::kAfiIpv6 ? 1 : 0] = true;
  if (deferring_) check_deferral();
  // Graceful restart: whatever is still stale from before the restart is gone now.
  const rib::RouteSource* src = p->source.get();
  const int fam = family.afi == wire::kAfiIpv6 ? 1 : 0;
  Walk w;
  w.snapshot = true;
  w.step = [this, src, fam](const Prefix& prefix) {
    if (fam_index(prefix.family()) != fam) return;
    const rib::Destination* d = rib_.find(prefix);
    if (!d) return;
    std::vector<uint32_t> stale;  // ADD-PATH: a source may hold several paths
    for (const auto& path : d->paths)
      if (path.route.source == src && path.route.stale()) stale.push_back(path.route.path_id);
    for (uint32_t id : stale) (void)rib_.withdraw(prefix, src, id);
  };
  w.done = [this] { schedule_export(); };
  start_walk(std::move(w));
}

void RouteServer::remove_source_routes(std::unique_ptr<rib::RouteSource> src) {
  const rib::RouteSource* raw = src.get();
  retired_.push_back(std::move(src));
  Walk w;
  w.snapshot = true;
  w.step = [this, raw](const Prefix& prefix) {
    const rib::Destination* d = rib_.find(prefix);
    while (d) {
      uint32_t id = 0;
      bool found = false;
      for (const auto& path : d->paths)
        if (path.route.source == raw) found = true, id = path.route.path_id;
      if (!found) break;
      (void)rib_.withdraw(prefix, raw, id);
      d = rib_.find(prefix);
    }
  };
  w.done = [this, raw] {
    std::erase_if(retired_, [raw](const auto& s) { return s.get() == raw; });
    schedule_export();
  };
  start_walk(std::move(w));
}

void RouteServer::on_down(bgp::Peer& peer, const bgp::DownInfo& info) {
  Protocol* p = protocol_of(peer);
  if (!p) return;
  const bool was_up = p->established;
  p->established = false;
  if (p->debug & kDebugStates) log::trace("{}: state changed to down", p->name);
  leave_group(*p);
  p->member.out.clear();
  p->member.path_ids.clear();
  p->member.walking = false;
  p->member.end_of_rib_due = false;
  p->export_deferred = false;
  p->refresh.reset();
  spdlog::info("{}: down: {}", p->name, info.reason);
  if (!was_up) return;
  if (events_) emit_session(*p, &info);

  if (info.keep_stale) {
    // RFC 4724 helper: keep the routes, stale, for the peer's restart time.
    const rib::RouteSource* src = p->source.get();
    Walk w;
    w.snapshot = true;
    w.step = [this, src](const Prefix& prefix) {
      const rib::Destination* d = rib_.find(prefix);
      if (!d) return;
      for (const auto& path : d->paths)
        if (path.route.source == src) rib_.set_stale(prefix, src, path.route.path_id, true);
    };
    start_walk(std::move(w));
    p->stale_timer = std::make_unique<boost::asio::steady_timer>(io_, info.stale_time);
    const std::string name = p->name;
    p->stale_timer->async_wait([this, name, src](const boost::system::error_code& ec) {
      if (ec) return;
      auto it = protocols_.find(name);
      if (it == protocols_.end() || it->second->source.get() != src) return;
      spdlog::info("{}: graceful restart time over, stale routes removed", name);
      for (auto f : {wire::kIpv4Unicast, wire::kIpv6Unicast}) on_end_of_rib(*it->second->peer, f);
    });
    return;
  }
  // A new generation for the next session; the old one's routes go in the background.
  auto next = std::make_unique<rib::RouteSource>(*p->source);
  next->id = next_source_id_++;
  std::unique_ptr<rib::RouteSource> old = std::move(p->source);
  p->source = std::move(next);
  p->member.source = p->source.get();
  for (auto& ch : p->channels) ch.stats.current_received = ch.stats.current_accepted = 0;
  p->limit_warned = false;
  remove_source_routes(std::move(old));
}

bool RouteServer::fill(bgp::Peer& peer, std::vector<uint8_t>& out, std::size_t budget) {
  Protocol* p = protocol_of(peer);
  if (!p || !p->established || p->export_deferred || export_held_) return false;
  const auto* n = peer.negotiated();
  if (!n) return false;
  const std::size_t before = out.size();
  refresh_markers_before(*p, out);  // RFC 7313 BoRR, before the re-advertisement
  bool more = pack_updates(p->member, n->negotiated, out, budget, p->packed);
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

// ---- export and walks --------------------------------------------------------------------------

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
      if (g->members().size() > kMembersHinted) continue;
      for (const ExportMember* m : g->members()) m->out.prefetch({prefix, 0});
    }
  };
  each_prefetched(scratch_, hint_out, [this](const Prefix& prefix) {
    const rib::Destination* d = rib_.find(prefix);
    if (events_) note_best(prefix, d);
    for (auto& g : groups_) {
      if (g->members().empty()) continue;
      g->apply_all(prefix, g->compute(prefix, d, table_, vm_));
    }
  });
  after_export(scratch_.size());
  schedule_export();
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
    w.prefixes = rib_.snapshot();
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
  for (const auto& [name, p] : protocols_)
    if (p->established && p->member.out.has_pending()) return false;
  return true;
}

void RouteServer::refresh_export(ExportGroup& g) {
  // The group's filter changed: recompute every prefix for its members.
  ExportGroup* gp = &g;
  Walk w;
  w.snapshot = true;
  w.step = [this, gp](const Prefix& prefix) {
    // The group may have been dropped by a later reconfiguration.
    if (std::none_of(groups_.begin(), groups_.end(), [gp](const auto& g) { return g.get() == gp; }))
      return;
    gp->apply_all(prefix, gp->compute(prefix, rib_.find(prefix), table_, vm_));
  };
  start_walk(std::move(w));
}

std::vector<RouteServer::ProtocolView> RouteServer::protocols() const {
  std::vector<ProtocolView> out;
  for (const auto& [name, p] : protocols_) {
    ProtocolView v;
    v.name = name;
    v.state = std::string(bgp::to_string(p->peer->phase()));
    v.peer = p->peer.get();
    v.source = p->source.get();
    v.stats[0] = p->channels[0].stats;
    v.stats[1] = p->channels[1].stats;
    v.exported = p->member.out.advertised();
    v.channel_enabled[0] = p->channels[0].enabled;
    v.channel_enabled[1] = p->channels[1].enabled;
    v.packed = p->packed;
    out.push_back(std::move(v));
  }
  return out;
}

// ---- reconfiguration ---------------------------------------------------------------------------

conf::ReconfigPlan RouteServer::reconfigure(std::shared_ptr<const conf::Config> next) {
  conf::ReconfigPlan plan = conf::diff(*config_, *next);
  // The old configuration owns the compiled filters still in use; it goes when this returns,
  // after every protocol and group points into the new one.
  std::shared_ptr<const conf::Config> old = std::move(config_);
  config_ = std::move(next);
  std::set<std::string> reload_export;
  for (const auto& change : plan.protocols) {
    if (change.kind != conf::ProtocolKind::Bgp) continue;
    auto it = protocols_.find(change.name);
    const conf::BgpProtocol* cfg = config_->find_bgp(change.name);
    switch (change.action) {
      case conf::ReconfigAction::Keep:
        break;
      case conf::ReconfigAction::SoftReload:
        if (change.reload_export) reload_export.insert(change.name);
        if (change.reload_import && it != protocols_.end() && cfg) {
          Protocol& p = *it->second;
          p.cfg = cfg;
          for (const auto& ch : cfg->channels) p.channels[fam_index(ch.family)].settings = ch.settings;
          spdlog::info("{}: soft reload of the import filter", p.name);
          for (int f = 0; f < 2; ++f)
            if (p.channels[f].enabled) reimport(p, f);
        }
        break;
      case conf::ReconfigAction::Restart:
      case conf::ReconfigAction::Remove: {
        if (it != protocols_.end()) {
          Protocol& p = *it->second;
          p.peer->stop(change.action == conf::ReconfigAction::Remove ? wire::subcode::kPeerDeconfigured
                                                                     : wire::subcode::kOtherConfigurationChange,
                       "configuration changed");
          for (auto& l : listeners_) l->remove_peer(*p.peer);
          by_peer_.erase(p.peer.get());
          leave_group(p);
          if (p.source) remove_source_routes(std::move(p.source));
          protocols_.erase(it);
        }
        if (change.action == conf::ReconfigAction::Remove || !cfg) break;
        [[fallthrough]];
      }
      case conf::ReconfigAction::Add: {
        if (!cfg || cfg->is_template || cfg->is_dynamic()) break;
        Protocol& p = add_protocol(*cfg, std::nullopt);
        for (auto& l : listeners_)
          if (l->port() == cfg->settings.local_port) l->add_peer(*p.peer);
        p.peer->start();
        break;
      }
    }
  }
  // Every protocol now points into the new configuration; groups are rebuilt from it, and those
  // whose export filter changed recompute their members' Adj-RIB-Out.
  std::vector<Protocol*> stale;
  for (auto& [name, pp] : protocols_) {
    Protocol& p = *pp;
    const conf::BgpProtocol* cfg = config_->find_bgp(p.dynamic_child ? p.parent : p.name);
    if (!cfg) {
      stale.push_back(&p);
      continue;
    }
    p.cfg = cfg;
    for (const auto& ch : cfg->channels) p.channels[fam_index(ch.family)].settings = ch.settings;
    if (!p.established) continue;
    leave_group(p);
    join_group(p);
    if (reload_export.count(cfg->name)) refresh_export(*p.group);
  }
  for (Protocol* p : stale) {
    p->peer->stop(wire::subcode::kPeerDeconfigured, "configuration changed");
    by_peer_.erase(p->peer.get());
    leave_group(*p);
    if (p->source) remove_source_routes(std::move(p->source));
    protocols_.erase(p->name);
  }
  std::erase_if(groups_, [](const auto& g) { return g->members().empty(); });
  for (auto& st : statics_) st.cfg = nullptr;  // static routes are not reloaded (yet)
  if (reconfigure_hook_) reconfigure_hook_(*config_);
  return plan;
}

}  // namespace rs
