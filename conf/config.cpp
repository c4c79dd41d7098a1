// The config model's small helpers (inheritance, look-ups, canonical filter text) and the resolve
// pass run after parsing: implicit master tables, defaults that depend on the session type (BIRD
// 2: EBGP import and export default to `none` per RFC 8212, IBGP import to `all`; eBGP is direct,
// iBGP multihop), and the checks BIRD makes when a protocol is configured (local AS, neighbor,
// rr/rs client vs session type, hold time per RFC 4271 4.2, tables, the explicit import and
// export policies of eBGP channels). Filter names are checked by the parser, where they are used.
#include "conf/config.hpp"

#include <algorithm>

#include "conf/parser_impl.hpp"

namespace rs::conf {

#define RS_CONF_INHERIT(T, name, def) \
  if (!name) name = parent.name;

void BgpOptions::inherit(const BgpOptions& parent) {
  RS_CONF_BGP_OPTIONS(RS_CONF_INHERIT)
}
void ChannelOptions::inherit(const ChannelOptions& parent){RS_CONF_CHANNEL_OPTIONS(RS_CONF_INHERIT)}

std::string FilterSource::text() const {
  std::string s;
  for (const Token& t : tokens.span()) {
    if (!s.empty()) s += ' ';
    if (t.kind == TokenKind::String) {
      s += '"';
      for (char c : t.text) {
        if (c == '"' || c == '\\') s += '\\';
        s += c;
      }
      s += '"';
    } else if (t.kind == TokenKind::Symbol && t.quoted) {
      s += '\'' + t.text + '\'';
    } else {
      s += t.text;
    }
  }
  return s;
}

bool BgpProtocol::is_internal() const {
  if (settings.peer_type) return *settings.peer_type == PeerType::Internal;
  return settings.local_as && settings.neighbor_as && *settings.local_as == *settings.neighbor_as;
}

Duration BgpProtocol::keepalive_time() const {
  if (settings.keepalive_time) return *settings.keepalive_time;
  return Duration{settings.hold_time.us / 3};
}

const BgpChannel* BgpProtocol::channel(rib::Family f) const {
  for (const auto& c : channels)
    if (c.family == f) return &c;
  return nullptr;
}

namespace {
template <class V>
auto find_named(const V& v, std::string_view name) -> decltype(&v.front()) {
  for (const auto& x : v)
    if (x.name == name) return &x;
  return nullptr;
}
}  // namespace

const BgpProtocol* Config::find_bgp(std::string_view name) const {
  return find_named(bgp, name);
}
const BgpProtocol* Config::find_template(std::string_view name) const {
  return find_named(templates, name);
}
const TableDecl* Config::find_table(std::string_view name) const {
  return find_named(tables, name);
}
const Define* Config::find_define(std::string_view name) const {
  return find_named(defines, name);
}
const FilterDecl* Config::find_filter(std::string_view name) const {
  for (const auto& f : filters)
    if (f.kind == FilterDecl::Kind::Filter && f.name == name) return &f;
  return nullptr;
}
const FilterDecl* Config::find_function(std::string_view name) const {
  for (const auto& f : filters)
    if (f.kind == FilterDecl::Kind::Function && f.name == name) return &f;
  return nullptr;
}

std::string_view to_string(LimitAction a) {
  switch (a) {
    case LimitAction::Warn:
      return "warn";
    case LimitAction::Block:
      return "block";
    case LimitAction::Restart:
      return "restart";
    case LimitAction::Disable:
      return "disable";
  }
  return "?";
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::Provider:
      return "provider";
    case Role::RsServer:
      return "rs_server";
    case Role::RsClient:
      return "rs_client";
    case Role::Customer:
      return "customer";
    case Role::Peer:
      return "peer";
  }
  return "?";
}

namespace detail {

namespace {

#define RS_CONF_RESOLVE(T, name, def) \
  if (o.name) s.name = *o.name;

BgpSettings resolve_options(const BgpOptions& o) {
  BgpSettings s;
  RS_CONF_BGP_OPTIONS(RS_CONF_RESOLVE)
  return s;
}

ChannelSettings resolve_options(const ChannelOptions& o) {
  ChannelSettings s;
  RS_CONF_CHANNEL_OPTIONS(RS_CONF_RESOLVE)
  return s;
}

void check_table(const Config& c, const std::string& table, rib::Family family, const Location& loc,
                 Diagnostics& d) {
  const TableDecl* t = c.find_table(table);
  if (!t) {
    d.error(loc, "unknown table '" + table + "'");
  } else if (t->family != family) {
    d.error(loc, "table '" + table + "' is an " + std::string(rib::to_string(t->family)) +
                     " table, the channel needs an " + std::string(rib::to_string(family)) +
                     " table");
  }
}

void resolve_bgp(const Config& c, BgpProtocol& p, Diagnostics& d) {
  BgpSettings& s = p.settings;
  s = resolve_options(p.options);
  s.debug = p.options.debug.value_or(c.debug_protocols);
  const std::string who = "protocol '" + p.name + "'";
  if (p.incomplete) return;
  if (!s.local_as) d.error(p.loc, who + " needs 'local as NUMBER'");
  if (!s.neighbor_address && !s.neighbor_range)
    d.error(p.loc, who + " needs 'neighbor ADDRESS' or 'neighbor range PREFIX'");
  if ((s.neighbor_address || s.neighbor_range) && !s.neighbor_as && !s.peer_type)
    d.error(p.loc, who + " needs 'neighbor ... as NUMBER' (or 'internal' / 'external')");
  if (s.peer_type && s.local_as && s.neighbor_as) {
    bool same = *s.local_as == *s.neighbor_as;
    if (*s.peer_type == PeerType::Internal && !same)
      d.error(p.loc, who + " is 'internal' but its neighbor AS " + std::to_string(*s.neighbor_as) +
                         " differs from the local AS " + std::to_string(*s.local_as));
    if (*s.peer_type == PeerType::External && same)
      d.error(p.loc, who + " is 'external' but its neighbor AS equals the local AS " +
                         std::to_string(*s.local_as));
  }
  // As BIRD: without the 4-octet AS capability (RFC 6793) the peer's OPEN cannot carry a larger AS.
  if ((!s.enable_as4 || !s.capabilities) && s.neighbor_as && *s.neighbor_as > 0xffff)
    d.error(p.loc, who +
                       ": neighbor AS number out of range (AS4 not available: 'enable as4' or "
                       "'capabilities' is off)");
  bool ibgp = p.is_internal();
  if (s.rr_client && !ibgp) d.error(p.loc, who + ": 'rr client' needs an internal (iBGP) neighbor");
  if (s.rs_client && ibgp) d.error(p.loc, who + ": 'rs client' needs an external (eBGP) neighbor");
  uint64_t hold = s.hold_time.us;
  if (hold != 0 && hold < Duration::seconds(3).us)
    d.error(p.loc, who + ": hold time must be 0 or at least 3 seconds (RFC 4271 4.2)");
  if (hold > Duration::seconds(65535).us)
    d.error(p.loc, who + ": hold time must be at most 65535 seconds");
  if (s.keepalive_time && hold != 0 && s.keepalive_time->us > hold)
    d.error(p.loc, who + ": keepalive time must not exceed the hold time");
  if (s.error_wait_min > s.error_wait_max)
    d.error(p.loc, who + ": error wait time minimum exceeds its maximum");
  if (!s.multihop) s.multihop = ibgp ? 64u : 0u;
  // BIRD refuses a link-local neighbor without `interface`, and rsd refuses `interface`.
  if (s.neighbor_address && s.neighbor_address->is_link_local() && !s.interface)
    d.error(p.loc, who +
                       ": a link-local neighbor address needs an interface ('interface' is not "
                       "supported by rsd)");

  // BIRD 2 (RFC 8212): every channel written for an eBGP session names its import and export
  // policy, itself or through its template; only the implicit channel of a protocol without
  // channels defaults to none.
  if (!ibgp) {
    for (const BgpChannel& ch : p.channels) {
      const char* fam = ch.family == rib::Family::Ipv4 ? "ipv4" : "ipv6";
      if (!ch.options.import_filter)
        d.error(ch.loc, who + ": EBGP requires an explicit import policy in its " + fam +
                            " channel (RFC 8212)");
      if (!ch.options.export_filter)
        d.error(ch.loc, who + ": EBGP requires an explicit export policy in its " + fam +
                            " channel (RFC 8212)");
    }
  }
  if (p.channels.empty() && (s.neighbor_address || s.neighbor_range)) {
    BgpChannel ch;
    ch.family = s.neighbor_address ? s.neighbor_address->family() : s.neighbor_range->family();
    ch.loc = p.loc;
    p.channels.push_back(std::move(ch));
  }
  for (BgpChannel& ch : p.channels) {
    ChannelSettings& cs = ch.settings;
    cs = resolve_options(ch.options);
    if (!ch.options.table) cs.table = ch.family == rib::Family::Ipv4 ? "master4" : "master6";
    if (!ch.options.import_filter)
      cs.import_filter.kind = ibgp ? FilterSpec::Kind::All : FilterSpec::Kind::None;
    if (!ch.options.export_filter) cs.export_filter.kind = FilterSpec::Kind::None;
    if (!ch.options.next_hop && p.options.next_hop) cs.next_hop = *p.options.next_hop;
    if (!ch.options.add_paths && p.options.add_paths) cs.add_paths = *p.options.add_paths;
    check_table(c, cs.table, ch.family, ch.loc, d);
  }
}

// Lint BIRD lacks: routes learned over iBGP are re-advertised only to eBGP peers and to iBGP
// peers that are `rr client` (RFC 4456); with no such receiver they go nowhere, in silence.
void ibgp_lint(const Config& c, Diagnostics& d) {
  for (rib::Family fam : {rib::Family::Ipv4, rib::Family::Ipv6}) {
    for (const BgpProtocol& src : c.bgp) {
      if (src.incomplete || !src.is_internal()) continue;
      const BgpChannel* ch = src.channel(fam);
      if (!ch || ch->settings.import_filter.kind == FilterSpec::Kind::None) continue;
      bool receiver = false;
      for (const BgpProtocol& dst : c.bgp) {
        if (&dst == &src) continue;
        const BgpChannel* out = dst.channel(fam);
        if (!out || out->settings.export_filter.kind == FilterSpec::Kind::None) continue;
        if (!dst.is_internal() || dst.settings.rr_client) receiver = true;
      }
      if (!receiver) {
        d.warning(src.loc,
                  "routes learned over iBGP from '" + src.name + "' (" +
                      std::string(rib::to_string(fam)) +
                      ") can reach no peer: iBGP routes are re-advertised only to eBGP peers and "
                      "to 'rr client' iBGP peers");
      }
    }
  }
}

}  // namespace

void resolve(Config& config, Diagnostics& diags) {
  // master4 and master6 exist even when not declared.
  for (auto [family, name] :
       {std::pair{rib::Family::Ipv4, "master4"}, std::pair{rib::Family::Ipv6, "master6"}}) {
    if (!config.find_table(name)) {
      TableDecl t;
      t.family = family;
      t.name = name;
      config.tables.insert(config.tables.begin() + (family == rib::Family::Ipv4 ? 0 : 1),
                           std::move(t));
    }
  }
  for (BgpProtocol& p : config.bgp) resolve_bgp(config, p, diags);
  ibgp_lint(config, diags);
  for (StaticProtocol& sp : config.statics) {
    check_table(config, sp.channel.table, sp.family, sp.loc, diags);
    if (sp.debug == 0) sp.debug = config.debug_protocols;
  }
  validate_filter_sources(config, diags);
}

}  // namespace detail

}  // namespace rs::conf
