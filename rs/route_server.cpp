// RouteServer, the hub: builds the protocols and their channels from the configuration, starts the
// listeners, loads static routes, hosts the local sources of the health ingestion and applies
// reconfigurations. The pipelines are the Importer (UPDATE -> Loc-RIB) and the Exporter (Loc-RIB ->
// Adj-RIB-Out; sessions pull from their ProtocolExport); session events are in
// route_server_sessions.cpp. All of it runs on the event-loop thread.
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

wire::PeerAsMode as_mode(const conf::BgpProtocol& cfg) {
  if (cfg.settings.neighbor_as) return wire::PeerAsMode::Exact;
  if (cfg.settings.peer_type == conf::PeerType::Internal) return wire::PeerAsMode::Internal;
  if (cfg.settings.peer_type == conf::PeerType::External) return wire::PeerAsMode::External;
  return wire::PeerAsMode::Any;
}

std::optional<wire::Role> to_wire(std::optional<conf::Role> r) {
  if (!r) return std::nullopt;
  switch (*r) {
    case conf::Role::Provider:
      return wire::Role::Provider;
    case conf::Role::RsServer:
      return wire::Role::RouteServer;
    case conf::Role::RsClient:
      return wire::Role::RouteServerClient;
    case conf::Role::Customer:
      return wire::Role::Customer;
    case conf::Role::Peer:
      return wire::Role::Peer;
  }
  return std::nullopt;
}

bgp::Duration ms(conf::Duration d) {
  return std::chrono::milliseconds(d.us / 1000);
}
uint16_t secs16(conf::Duration d) {
  return static_cast<uint16_t>(std::min<uint64_t>(d.secs(), 65535));
}
}  // namespace

RouteServer::RouteServer(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config)
    : io_(io),
      config_(std::move(config)),
      rib_(rib::DecisionConfig{}, &journal_),
      walker_(io, rib_, [this] { exporter_.schedule(); }),
      exporter_(io, table_, rib_, journal_, walker_, protocols_),
      importer_(
          table_, rib_, walker_, protocols_, [this] { return now(); },
          [this] { exporter_.schedule(); }),
      started_(std::chrono::steady_clock::now()),
      nodes_(io, [this](const std::string& node) { reimport_node(node); }) {
  importer_.set_overrides(&nodes_.overrides());
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
    const auto ap =
        ch.settings.add_paths != conf::AddPaths::Off ? ch.settings.add_paths : s.add_paths;
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
  pc.graceful_restart =
      s.graceful_restart == conf::GracefulRestart::Off     ? bgp::GracefulRestartMode::Off
      : s.graceful_restart == conf::GracefulRestart::Aware ? bgp::GracefulRestartMode::Aware
                                                           : bgp::GracefulRestartMode::On;
  pc.graceful_restart_time = secs16(s.graceful_restart_time);
  pc.extended_messages = s.enable_extended_messages;
  pc.local_role = to_wire(s.local_role);
  pc.require_roles = s.require_roles;
  pc.advertise_hostname = s.advertise_hostname;
  pc.interpret_communities = s.interpret_communities;
  pc.enforce_first_as = s.enforce_first_as;
  pc.forward_unknown_attributes = s.forward_unknown_attributes;
  pc.max_as_path_length = s.max_as_path_length;
  pc.disabled = s.disabled;
  return pc;
}

Protocol& RouteServer::add_protocol(const conf::BgpProtocol& cfg,
                                    std::optional<IpAddress> dynamic_peer) {
  std::string name = cfg.name;
  if (dynamic_peer) {
    // As BIRD: `dynamic name` (default "dynbgp") followed by a number, zero-padded to
    // `dynamic name digits`.
    uint32_t n = ++dynamic_counter_[cfg.settings.dynamic_name];
    std::string num = std::to_string(n);
    if (num.size() < cfg.settings.dynamic_name_digits)
      num.insert(0, cfg.settings.dynamic_name_digits - num.size(), '0');
    name = cfg.settings.dynamic_name + num;
    while (protocols_.count(name))
      name =
          cfg.settings.dynamic_name + std::to_string(++dynamic_counter_[cfg.settings.dynamic_name]);
  }
  auto p = std::make_unique<Protocol>(std::move(name), exporter_.gate());
  if (dynamic_peer) {
    p->dynamic_child = true;
    p->parent = cfg.name;
  }
  p->cfg = &cfg;
  for (rib::Family f : PerFamily<Channel>::kFamilies)
    p->channels[f].family = p->channels[f].member.family = f;
  for (const auto& bc : cfg.channels) {
    Channel& c = p->channels[bc.family];
    c.enabled = true;
    c.source = std::make_unique<rib::RouteSource>();
    c.source->name = p->name;
    c.source->id = next_source_id_++;
    c.source->kind = cfg.is_internal() ? rib::SourceKind::Ibgp : rib::SourceKind::Ebgp;
    c.source->rr_client = cfg.settings.rr_client;
    c.source->rs_client = cfg.settings.rs_client;
    c.member.source = c.source.get();
  }
  set_channel_settings(*p, cfg);
  auto pc = peer_config(cfg, dynamic_peer);
  pc.name = p->name;
  p->peer = std::make_unique<bgp::Peer>(io_, std::move(pc), *this);
  p->peer->set_debug(p->debug);
  p->peer->set_export_source(&p->exports);
  bgp::Peer* raw = p->peer.get();
  for (Channel& c : p->channels) c.member.wake = [raw] { raw->notify_export(); };
  by_peer_[raw] = p.get();
  Protocol& ref = *p;
  protocols_[p->name] = std::move(p);
  return ref;
}

void RouteServer::set_channel_settings(Protocol& p, const conf::BgpProtocol& cfg) {
  p.cfg = &cfg;
  const auto rid = cfg.settings.router_id ? cfg.settings.router_id : config_->router_id;
  p.router_id = rid ? rid->v4_value() : 0;
  for (const auto& bc : cfg.channels) {
    Channel& c = p.channels[bc.family];
    c.settings = bc.settings;
    // BIRD's channel `preference`: the imported routes' preference, the first step of the
    // decision (RFC 8212 applies too: an eBGP channel without a policy imports nothing).
    if (c.source) {
      c.source->preference = bc.settings.preference;
      c.source->keep_filtered = bc.settings.import_keep_filtered;
    }
  }
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
  auto listener_for = [&](const IpAddress& addr, uint16_t port,
                          std::string& err) -> bgp::Listener* {
    auto key = std::make_pair(addr, port);
    if (auto it = by_endpoint.find(key); it != by_endpoint.end()) return it->second;
    auto l = std::make_unique<bgp::Listener>(io_);
    if (auto ec = l->listen(addr, port)) {
      err = "cannot listen on " + addr.to_string() + " port " + std::to_string(port) + ": " +
            ec.message();
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
  // may be coming back from a crash while the edges keep its routes as stale. It then says so in
  // its OPENs (R and F bits) and defers its exports until the routes are back: every configured
  // protocol that imports routes has sent End-of-RIB, or the deferral time has passed.
  // The deferral must end well before the edges give up on the stale routes (our restart time).
  std::chrono::seconds deferral = kSelectionDeferralMax;
  for (const auto& cfg : config_->bgp) {
    if (cfg.is_template || cfg.settings.graceful_restart != conf::GracefulRestart::On) continue;
    deferring_ = true;
    deferral =
        std::min(deferral, std::chrono::seconds(cfg.settings.graceful_restart_time.secs() * 3 / 4));
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
  spdlog::info("route server started: {} BGP protocols, {} listeners", protocols_.size(),
               listeners_.size());
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
    s.source->preference = st.channel.preference;  // BIRD's default for static: 200
    s.source->keep_filtered = st.channel.import_keep_filtered;
    const auto rid = config_->router_id;
    s.source->bgp_id = rid ? rid->v4_value() : 0;
    for (const auto& r : st.routes) {
      // A blackhole, unreachable or prohibit route has no next hop of its own: BGP exports it with
      // the session's local address (export_pack), as BIRD does.
      const bool via = r.kind == conf::StaticRoute::Kind::Via;
      rib::AttrBuilder b;
      b.set_origin(rib::Origin::Igp);
      b.set_present(rib::AttrType::AsPath);
      if (via) b.set_next_hop(r.via);
      AttrRef a = table_.intern(b);
      filters::RouteInfo info;
      info.net = r.prefix;
      info.gw = via ? r.via : IpAddress();
      info.proto = st.name;
      info.source = filters::kRtsStatic;
      info.preference = st.channel.preference;
      switch (r.kind) {
        case conf::StaticRoute::Kind::Via:
          info.dest = filters::kRtdRouter;
          break;
        case conf::StaticRoute::Kind::Blackhole:
          info.dest = filters::kRtdBlackhole;
          break;
        case conf::StaticRoute::Kind::Unreachable:
          info.dest = filters::kRtdUnreachable;
          break;
        case conf::StaticRoute::Kind::Prohibit:
          info.dest = filters::kRtdProhibit;
          break;
      }
      if (r.compiled_attributes) {
        filters::RunOutput out;
        // The block sets attributes, as in BIRD; the route is installed whether or not it ends in
        // `accept` (only a run-time error drops it; the Vm hands over the attributes either way).
        if (importer_.vm().run(*r.compiled_attributes, info, *a, out) == filters::Verdict::Error) {
          spdlog::error("{}: {}: {}", st.name, r.prefix.to_string(), out.error);
          continue;
        }
        if (out.modified) a = table_.intern(out.attrs);
      }
      importer_.import_static(s.source.get(), st.channel.import_filter, info, a);
    }
    statics_.push_back(std::move(s));
  }
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
  importer_.announce_local(src, prefix, attrs, path_id);
}

void RouteServer::withdraw_local(rib::RouteSource* src, const Prefix& prefix, uint32_t path_id) {
  importer_.withdraw_local(src, prefix, path_id);
}

void RouteServer::remove_local_source(rib::RouteSource* src) {
  auto it = std::find_if(local_sources_.begin(), local_sources_.end(),
                         [src](const auto& s) { return s.get() == src; });
  if (it == local_sources_.end()) return;
  std::unique_ptr<rib::RouteSource> owned = std::move(*it);
  local_sources_.erase(it);
  remove_source_routes(std::move(owned));
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
          set_channel_settings(p, *cfg);
          spdlog::info("{}: soft reload of the import filter", p.name);
          for (const Channel& ch : p.channels)
            if (ch.enabled) importer_.reimport(p, ch.family);
        }
        break;
      case conf::ReconfigAction::Restart:
      case conf::ReconfigAction::Remove: {
        if (it != protocols_.end()) {
          Protocol& p = *it->second;
          p.peer->stop(change.action == conf::ReconfigAction::Remove
                           ? wire::subcode::kPeerDeconfigured
                           : wire::subcode::kOtherConfigurationChange,
                       "configuration changed");
          for (auto& l : listeners_) l->remove_peer(*p.peer);
          by_peer_.erase(p.peer.get());
          exporter_.leave(p);
          remove_protocol_routes(p);
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
    PerFamily<uint32_t> preference;
    for (const Channel& ch : p.channels) preference[ch.family] = ch.settings.preference;
    set_channel_settings(p, *cfg);
    // A new preference changes the decision for every route of the channel. A dynamic neighbour
    // re-runs its range protocol's changed import filter (the loop above saw only the range).
    const conf::ProtocolChange* range = p.dynamic_child ? plan.find(cfg->name) : nullptr;
    const bool reload_in =
        range && range->action == conf::ReconfigAction::SoftReload && range->reload_import;
    for (const Channel& ch : p.channels)
      if (ch.enabled && (reload_in || ch.settings.preference != preference[ch.family]))
        importer_.reimport(p, ch.family);
    if (!p.established) continue;
    exporter_.leave(p);
    exporter_.join(p);
    if (reload_export.count(cfg->name))
      for (Channel& ch : p.channels)
        if (ch.group) exporter_.refresh_group(*ch.group);
  }
  for (Protocol* p : stale) {
    p->peer->stop(wire::subcode::kPeerDeconfigured, "configuration changed");
    by_peer_.erase(p->peer.get());
    exporter_.leave(*p);
    remove_protocol_routes(*p);
    protocols_.erase(p->name);
  }
  exporter_.drop_empty_groups();
  for (auto& st : statics_) st.cfg = nullptr;  // static routes are not reloaded (yet)
  if (reconfigure_hook_) reconfigure_hook_(*config_);
  return plan;
}

// ---- inspection and the event sink -------------------------------------------------------------

Protocol* RouteServer::protocol_of(const bgp::Peer& peer) {
  auto it = by_peer_.find(&peer);
  return it == by_peer_.end() ? nullptr : it->second;
}

bool RouteServer::set_debug(const std::string& name, uint32_t flags) {
  auto it = protocols_.find(name);
  if (it == protocols_.end()) return false;
  it->second->debug = flags;
  if (it->second->peer) it->second->peer->set_debug(flags);  // events and packets are the session's
  return true;
}

void RouteServer::on_update(bgp::Peer& peer, const wire::UpdateMessage& u) {
  if (Protocol* p = protocol_of(peer)) importer_.update(*p, u);
}

void RouteServer::hold_initial_export(bool hold) {
  exporter_.hold(hold);
}

bool RouteServer::idle() const {
  return exporter_.idle();
}

void RouteServer::set_event_sink(events::EventSink* sink) {
  events_ = sink;
  if (sink)
    exporter_.set_best_hook(
        [this](const Prefix& prefix, const rib::Destination* d) { note_best(prefix, d); });
  else
    exporter_.set_best_hook({});
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
