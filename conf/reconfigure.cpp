// Reconfiguration diff. Session parameters are compared field by field from the X-macro table of
// BgpSettings, so a new option cannot be forgotten here. Filters are compared by their compiled
// programs (filters::same: functions are compiled into the filters that call them and constants
// are folded, so only filters whose behaviour can differ count as changed). Without compiled
// programs the canonical source text is compared, and then every filter counts as changed when any
// function, define or attribute declaration changed. BIRD's documented rules: a changed import
// filter reloads imports (from the Adj-RIB-In, or by route refresh), a changed export filter
// re-exports; anything touching the session, its capabilities or its tables restarts the protocol;
// a router id change restarts every BGP session.
#include "conf/reconfigure.hpp"

#include <algorithm>

#include "filters/same.hpp"

namespace rs::conf {

std::string_view to_string(ReconfigAction a) {
  switch (a) {
    case ReconfigAction::Keep:
      return "keep";
    case ReconfigAction::SoftReload:
      return "soft reload";
    case ReconfigAction::Restart:
      return "restart";
    case ReconfigAction::Add:
      return "add";
    case ReconfigAction::Remove:
      return "remove";
  }
  return "?";
}

const ProtocolChange* ReconfigPlan::find(std::string_view name) const {
  for (const auto& p : protocols)
    if (p.name == name) return &p;
  return nullptr;
}

bool ReconfigPlan::changes_anything() const {
  return std::any_of(protocols.begin(), protocols.end(),
                     [](const ProtocolChange& p) { return p.action != ReconfigAction::Keep; });
}

namespace {

std::string spaced(std::string_view field) {
  std::string s(field);
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

// Text of everything a filter can depend on besides its own body.
std::string filter_environment(const Config& c) {
  std::string env;
  for (const auto& f : c.filters)
    if (f.kind == FilterDecl::Kind::Function) env += f.source.text() + "\n";
  for (const auto& d : c.defines) env += d.name + "=" + d.value.source.text() + "\n";
  for (const auto& a : c.attributes)
    env += a.name + ":" + std::to_string(static_cast<int>(a.type)) + "\n";
  return env;
}

struct FilterContext {
  const Config& old_config;
  const Config& new_config;
  bool environment_changed;
};

bool filter_changed(const FilterContext& ctx, const FilterSpec& a, const FilterSpec& b) {
  if (a.kind != b.kind) return true;
  if (a.kind == FilterSpec::Kind::All || a.kind == FilterSpec::Kind::None) return false;
  // Compiled programs (functions inlined, constants folded) compare exactly: BIRD's f_same.
  if (a.compiled && b.compiled) return !filters::same(a.compiled, b.compiled);
  if (!(a == b)) return true;
  if (ctx.environment_changed) return true;
  if (a.kind == FilterSpec::Kind::Named) {
    const FilterDecl* fa = ctx.old_config.find_filter(a.name);
    const FilterDecl* fb = ctx.new_config.find_filter(b.name);
    if (!fa || !fb) return true;
    return fa->source.text() != fb->source.text();
  }
  return false;
}

void set_action(ProtocolChange& c, ReconfigAction a) {
  // Restart > SoftReload > Keep.
  auto rank = [](ReconfigAction x) {
    return x == ReconfigAction::Restart ? 2 : x == ReconfigAction::SoftReload ? 1 : 0;
  };
  if (rank(a) > rank(c.action)) c.action = a;
}

void diff_channel(const FilterContext& ctx, const BgpChannel& o, const BgpChannel& n,
                  ProtocolChange& c) {
  const ChannelSettings& a = o.settings;
  const ChannelSettings& b = n.settings;
  const std::string fam(rib::to_string(n.family));
  auto restart_if = [&](bool changed, const char* what) {
    if (!changed) return;
    c.reasons.push_back(fam + " " + what + " changed");
    set_action(c, ReconfigAction::Restart);
  };
  restart_if(a.table != b.table, "table");
  restart_if(a.add_paths != b.add_paths, "add paths");
  restart_if(a.mandatory != b.mandatory, "mandatory");
  restart_if(a.extended_next_hop != b.extended_next_hop, "extended next hop");
  restart_if(a.secondary != b.secondary, "secondary");
  restart_if(a.import_table != b.import_table, "import table");
  restart_if(a.export_table != b.export_table, "export table");
  if (filter_changed(ctx, a.import_filter, b.import_filter) ||
      a.import_keep_filtered != b.import_keep_filtered || a.preference != b.preference) {
    c.reasons.push_back(fam + " import filter changed");
    c.reload_import = true;
    set_action(c, ReconfigAction::SoftReload);
  }
  if (filter_changed(ctx, a.export_filter, b.export_filter) || !(a.next_hop == b.next_hop)) {
    c.reasons.push_back(fam + " export filter changed");
    c.reload_export = true;
    set_action(c, ReconfigAction::SoftReload);
  }
  // Limits apply in place (a newly exceeded limit triggers its action).
  if (a.import_limit != b.import_limit || a.receive_limit != b.receive_limit ||
      a.export_limit != b.export_limit)
    c.reasons.push_back(fam + " limits changed");
}

ProtocolChange diff_bgp(const FilterContext& ctx, const BgpProtocol& o, const BgpProtocol& n) {
  ProtocolChange c;
  c.name = n.name;
  c.kind = ProtocolKind::Bgp;
  const BgpSettings& a = o.settings;
  const BgpSettings& b = n.settings;
#define RS_CONF_SESSION_DIFF(T, field, def)                                                \
  if (std::string_view(#field) != "description" && std::string_view(#field) != "debug" &&  \
      std::string_view(#field) != "next_hop" && std::string_view(#field) != "add_paths" && \
      !(a.field == b.field)) {                                                             \
    c.reasons.push_back(spaced(#field) + " changed");                                      \
    set_action(c, ReconfigAction::Restart);                                                \
  }
  RS_CONF_BGP_OPTIONS(RS_CONF_SESSION_DIFF)
#undef RS_CONF_SESSION_DIFF
  if (ctx.old_config.router_id != ctx.new_config.router_id) {
    c.reasons.push_back("router id changed");
    set_action(c, ReconfigAction::Restart);
  }
  for (const BgpChannel& nc : n.channels) {
    const BgpChannel* oc = o.channel(nc.family);
    if (!oc) {
      c.reasons.push_back(std::string(rib::to_string(nc.family)) + " channel added");
      set_action(c, ReconfigAction::Restart);
      continue;
    }
    diff_channel(ctx, *oc, nc, c);
  }
  for (const BgpChannel& oc : o.channels) {
    if (!n.channel(oc.family)) {
      c.reasons.push_back(std::string(rib::to_string(oc.family)) + " channel removed");
      set_action(c, ReconfigAction::Restart);
    }
  }
  if (c.action == ReconfigAction::Restart) {
    c.reload_import = false;
    c.reload_export = false;
  }
  return c;
}

ProtocolChange diff_static(const FilterContext& ctx, const StaticProtocol& o,
                           const StaticProtocol& n) {
  ProtocolChange c;
  c.name = n.name;
  c.kind = ProtocolKind::Static;
  if (o.disabled != n.disabled) {
    c.reasons.push_back("disabled changed");
    set_action(c, ReconfigAction::Restart);
  }
  if (o.family != n.family || o.channel.table != n.channel.table) {
    c.reasons.push_back("channel changed");
    set_action(c, ReconfigAction::Restart);
  }
  bool routes_changed = o.routes != n.routes ||
                        (ctx.environment_changed &&
                         std::any_of(n.routes.begin(), n.routes.end(), [](const StaticRoute& r) {
                           return r.attributes.has_value();
                         }));
  if (routes_changed) {
    c.reasons.push_back("routes changed");
    c.reload_import = true;
    set_action(c, ReconfigAction::SoftReload);
  }
  if (filter_changed(ctx, o.channel.import_filter, n.channel.import_filter)) {
    c.reasons.push_back("import filter changed");
    c.reload_import = true;
    set_action(c, ReconfigAction::SoftReload);
  }
  if (filter_changed(ctx, o.channel.export_filter, n.channel.export_filter)) {
    c.reasons.push_back("export filter changed");
    c.reload_export = true;
    set_action(c, ReconfigAction::SoftReload);
  }
  if (c.action == ReconfigAction::Restart) c.reload_import = c.reload_export = false;
  return c;
}

ProtocolChange diff_device(const DeviceProtocol& o, const DeviceProtocol& n) {
  ProtocolChange c;
  c.name = n.name;
  c.kind = ProtocolKind::Device;
  if (o.disabled != n.disabled) {
    c.reasons.push_back("disabled changed");
    c.action = ReconfigAction::Restart;
  } else if (o.scan_time != n.scan_time) {
    c.reasons.push_back("scan time changed");
  }
  return c;
}

template <class V>
auto find_by_name(const V& v, const std::string& name) -> decltype(&v.front()) {
  for (const auto& x : v)
    if (x.name == name) return &x;
  return nullptr;
}

}  // namespace

ReconfigPlan diff(const Config& old_config, const Config& new_config) {
  FilterContext ctx{old_config, new_config,
                    filter_environment(old_config) != filter_environment(new_config)};
  ReconfigPlan plan;
  auto add = [&](std::string name, ProtocolKind kind, ReconfigAction action, std::string reason) {
    ProtocolChange c;
    c.name = std::move(name);
    c.kind = kind;
    c.action = action;
    c.reasons.push_back(std::move(reason));
    plan.protocols.push_back(std::move(c));
  };
  auto other_kind_exists = [&](const Config& c, const std::string& name, ProtocolKind kind) {
    return (kind != ProtocolKind::Bgp && find_by_name(c.bgp, name)) ||
           (kind != ProtocolKind::Static && find_by_name(c.statics, name)) ||
           (kind != ProtocolKind::Device && find_by_name(c.devices, name));
  };
  for (const auto& p : new_config.bgp) {
    if (const auto* o = find_by_name(old_config.bgp, p.name))
      plan.protocols.push_back(diff_bgp(ctx, *o, p));
    else if (other_kind_exists(old_config, p.name, ProtocolKind::Bgp))
      add(p.name, ProtocolKind::Bgp, ReconfigAction::Restart, "protocol type changed");
    else
      add(p.name, ProtocolKind::Bgp, ReconfigAction::Add, "new protocol");
  }
  for (const auto& p : new_config.statics) {
    if (const auto* o = find_by_name(old_config.statics, p.name))
      plan.protocols.push_back(diff_static(ctx, *o, p));
    else if (other_kind_exists(old_config, p.name, ProtocolKind::Static))
      add(p.name, ProtocolKind::Static, ReconfigAction::Restart, "protocol type changed");
    else
      add(p.name, ProtocolKind::Static, ReconfigAction::Add, "new protocol");
  }
  for (const auto& p : new_config.devices) {
    if (const auto* o = find_by_name(old_config.devices, p.name))
      plan.protocols.push_back(diff_device(*o, p));
    else if (other_kind_exists(old_config, p.name, ProtocolKind::Device))
      add(p.name, ProtocolKind::Device, ReconfigAction::Restart, "protocol type changed");
    else
      add(p.name, ProtocolKind::Device, ReconfigAction::Add, "new protocol");
  }
  auto removed = [&](const std::string& name, ProtocolKind kind) {
    if (!plan.find(name)) add(name, kind, ReconfigAction::Remove, "no longer configured");
  };
  for (const auto& p : old_config.bgp) removed(p.name, ProtocolKind::Bgp);
  for (const auto& p : old_config.statics) removed(p.name, ProtocolKind::Static);
  for (const auto& p : old_config.devices) removed(p.name, ProtocolKind::Device);
  return plan;
}

std::vector<std::string> healthcheck_changes(const HealthCheckConfig& a,
                                             const HealthCheckConfig& b) {
  std::vector<std::string> c;
  auto note = [&c](bool changed, const char* what) {
    if (changed) c.emplace_back(what);
  };
  // Every probe setting (URL, address, TLS files and names, body, source address) counts.
  note(a.checks != b.checks, "check");
  bool routes = a.routes.size() != b.routes.size();
  for (std::size_t i = 0; !routes && i < a.routes.size(); ++i)
    routes = a.routes[i].prefix != b.routes[i].prefix ||
             a.routes[i].next_hop != b.routes[i].next_hop || a.routes[i].med != b.routes[i].med;
  note(routes, "route");
  bool communities = false;
  for (int i = 0; i < 3; ++i)
    communities |= a.communities[i].communities != b.communities[i].communities ||
                   a.communities[i].large != b.communities[i].large;
  note(communities, "communities");
  note(a.interval != b.interval, "interval");
  note(a.fast_interval != b.fast_interval, "fast interval");
  note(a.timeout != b.timeout, "timeout");
  note(a.rise != b.rise, "rise");
  note(a.fall != b.fall, "fall");
  note(a.down_med != b.down_med, "down med");
  note(a.disabled_med != b.disabled_med, "disabled med");
  note(a.withdraw_on_down != b.withdraw_on_down, "withdraw on down");
  note(a.disable_file != b.disable_file, "disable file");
  note(a.increase != b.increase, "increase");
  note(a.flap_count != b.flap_count || a.flap_window != b.flap_window || a.flap_hold != b.flap_hold,
       "flap hold-down");
  note(a.run_as != b.run_as, "user/group");
  return c;
}

std::vector<std::string> process_changes(const ProcessConfig& a, const ProcessConfig& b) {
  std::vector<std::string> c;
  auto note = [&c](bool changed, const char* what) {
    if (changed) c.emplace_back(what);
  };
  note(a.run != b.run, "run");
  note(a.shell != b.shell, "shell");
  note(a.encoder != b.encoder, "encoder");
  note(a.next_hop != b.next_hop, "next hop");
  note(a.ack != b.ack, "ack");
  note(a.keep_routes != b.keep_routes, "keep routes");
  note(a.run_as != b.run_as, "user/group");
  return c;
}

namespace {
std::string next_hop_text(const std::optional<rib::IpAddress>& a) {
  return a ? a->to_string() : std::string("self");
}

// Per prefix: added, removed, or which of its next hop and MED changed.
std::vector<std::string> route_changes(const HealthCheckConfig& a, const HealthCheckConfig& b) {
  std::vector<std::string> out;
  auto find = [](const HealthCheckConfig& c, const rib::Prefix& p) {
    for (const auto& r : c.routes)
      if (r.prefix == p) return &r;
    return static_cast<const HealthCheckConfig::Route*>(nullptr);
  };
  for (const auto& r : b.routes) {
    const auto* o = find(a, r.prefix);
    const std::string p = r.prefix.to_string();
    if (!o) {
      out.push_back(p + " added");
      continue;
    }
    if (o->next_hop != r.next_hop)
      out.push_back(p + " next hop " + next_hop_text(o->next_hop) + " -> " +
                    next_hop_text(r.next_hop));
    if (o->med != r.med)
      out.push_back(p + " med " + std::to_string(o->med) + " -> " + std::to_string(r.med));
  }
  for (const auto& r : a.routes)
    if (!find(b, r.prefix)) out.push_back(r.prefix.to_string() + " removed");
  return out;
}
}  // namespace

std::vector<HealthChange> diff_health(const Config& old_config, const Config& new_config) {
  std::vector<HealthChange> out;
  const bool router_id = old_config.router_id != new_config.router_id;
  auto one = [&](HealthChange::Kind kind, const auto& olds, const auto& news, auto changes) {
    for (const auto& n : news) {
      HealthChange h;
      h.kind = kind;
      h.name = n.name;
      if (const auto* o = find_by_name(olds, n.name)) {
        h.changed = changes(*o, n);
        if (router_id) h.changed.emplace_back("router id");
        h.action = h.changed.empty() ? ReconfigAction::Keep : ReconfigAction::Restart;
      } else {
        h.action = ReconfigAction::Add;
      }
      out.push_back(std::move(h));
    }
    for (const auto& o : olds)
      if (!find_by_name(news, o.name)) {
        HealthChange h;
        h.kind = kind;
        h.name = o.name;
        h.action = ReconfigAction::Remove;
        out.push_back(std::move(h));
      }
  };
  one(HealthChange::Kind::Healthcheck, old_config.healthchecks, new_config.healthchecks,
      healthcheck_changes);
  for (auto& h : out)
    if (h.action == ReconfigAction::Restart)
      h.routes = route_changes(*find_by_name(old_config.healthchecks, h.name),
                               *find_by_name(new_config.healthchecks, h.name));
  one(HealthChange::Kind::Process, old_config.processes, new_config.processes, process_changes);
  return out;
}

}  // namespace rs::conf
