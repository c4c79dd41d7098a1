// `protocol static` (routes via a gateway, blackhole, unreachable, prohibit, each with an optional
// block of filter statements setting attributes) and `protocol device`. ROA static protocols
// (`roa4 { table T; }` with `route P max N as A;`) are RPKI and are reported as not supported once,
// at the channel, and the rest of that protocol is skipped.
#include "conf/parser_impl.hpp"

namespace rs::conf::detail {

bool Parser::parse_common_protocol_option(bool& disabled, uint32_t& debug,
                                          std::string& description) {
  if (accept_kw("disabled")) {
    auto v = parse_switch();
    if (!v) return false;
    disabled = *v;
    return end_option();
  }
  if (accept_kw("debug")) {
    auto f = parse_debug_flags();
    if (!f) return false;
    debug = *f;
    return end_option();
  }
  if (accept_kw("description")) {
    auto s = parse_string("a description string");
    if (!s) return false;
    description = *s;
    return end_option();
  }
  return error_at(peek(), "unknown option '" + peek().text + "'");
}

void Parser::parse_static(std::string name, const Location& loc) {
  StaticProtocol sp;
  sp.name = std::move(name);
  sp.loc = loc;
  std::optional<rib::Family> family;
  Location channel_loc;
  bool abandoned = false;
  ChannelOptions copts;
  parse_block([&] {
    if (abandoned) {
      sync();
      return true;
    }
    const Token& t = peek();
    if (t.is_keyword("roa4") || t.is_keyword("roa6")) {
      not_supported(t, "'" + t.text + "' channel (RPKI/ROA)");
      abandoned = true;
      sync();
      return true;
    }
    if (t.is_keyword("ipv4") || t.is_keyword("ipv6")) {
      rib::Family f = t.is_keyword("ipv4") ? rib::Family::Ipv4 : rib::Family::Ipv6;
      next();
      if (family) {
        error_at(t, "protocol static '" + sp.name + "' already has a channel");
        return false;
      }
      family = f;
      channel_loc = t.loc;
      if (peek().kind == TokenKind::LBrace) {
        parse_block(
            [&] {
              // The import policy, `import keep filtered` and `preference` apply to static routes
              // (rs/route_server.cpp load_statics); limits do not, and static exports do nothing,
              // in BIRD too.
              if ((is_kw("import") && is_kw("limit", 1)) || is_kw("receive") ||
                  (is_kw("export") && is_kw("limit", 1))) {
                not_supported(peek(), "'" + peek().text + " " + peek(1).text +
                                          "' in a static channel (no limits)");
                return false;
              }
              return parse_channel_option(copts, false);
            },
            "the '" + t.text + "' channel");
        return true;
      }
      return end_option();
    }
    if (t.is_keyword("route")) {
      next();
      StaticRoute r;
      r.loc = t.loc;
      auto p = parse_prefix("a prefix");
      if (!p) return false;
      r.prefix = *p;
      if (!family) {
        family = p->family();
        channel_loc = t.loc;
      } else if (*family != p->family()) {
        return error_at(t, "route " + p->to_string() + " is " + (p->is_v4() ? "IPv4" : "IPv6") +
                               " but protocol static '" + sp.name + "' has an " +
                               (*family == rib::Family::Ipv4 ? "ipv4" : "ipv6") + " channel");
      }
      if (accept_kw("via")) {
        if (peek().kind == TokenKind::String) {
          not_supported(peek(), "a static route via an interface");
          return false;
        }
        const Token& gw = peek();
        auto ip = parse_ip("a gateway address");
        if (!ip) return false;
        if (ip->family() != p->family()) {
          // BIRD accepts an IPv4 route via an IPv6 gateway (RFC 8950 next hops); rsd does not.
          not_supported(gw, "a static route via a gateway of the other family (" + p->to_string() +
                                " via " + gw.text + ")");
          return false;
        }
        r.kind = StaticRoute::Kind::Via;
        r.via = *ip;
      } else if (accept_kw("blackhole")) {
        r.kind = StaticRoute::Kind::Blackhole;
      } else if (accept_kw("unreachable")) {
        r.kind = StaticRoute::Kind::Unreachable;
      } else if (accept_kw("prohibit")) {
        r.kind = StaticRoute::Kind::Prohibit;
      } else if (is_kw("max") || is_kw("recursive") || is_kw("multipath")) {
        not_supported(peek(), "'route ... " + peek().text + "'");
        return false;
      } else {
        return expected("'via', 'blackhole', 'unreachable' or 'prohibit'");
      }
      if (peek().kind == TokenKind::LBrace) {
        auto attrs = capture_block("'{'");
        if (!attrs) return false;
        r.attributes = *attrs;
      }
      if (!end_option()) return false;
      for (const auto& other : sp.routes) {
        if (other.prefix == r.prefix) {
          // BIRD accepts the second route and keeps one of the two, silently.
          not_supported(t, "a second static route for " + r.prefix.to_string() + " (first at " +
                               other.loc.to_string() + ")");
          return false;
        }
      }
      sp.routes.push_back(std::move(r));
      return true;
    }
    if (t.is_keyword("import") || t.is_keyword("export") || t.is_keyword("table")) {
      return error_at(
          t,
          "'" + t.text + "' is a channel option: write it inside 'ipv4 { ... }' or 'ipv6 { ... }'");
    }
    if (t.is_keyword("check") || t.is_keyword("igp") || t.is_keyword("preference") ||
        t.is_keyword("debug")) {
      not_supported(t, "static option '" + t.text + "'");
      return false;
    }
    return parse_common_protocol_option(sp.disabled, sp.debug, sp.description);
  });
  if (abandoned) return;
  sp.family = family.value_or(rib::Family::Ipv4);
  // Static routes: import all / export none unless written (BIRD's channel defaults).
  ChannelSettings s;
  s.table = sp.family == rib::Family::Ipv4 ? "master4" : "master6";
  s.preference = 200;  // BIRD: static routes 200, BGP 100
  s.export_filter.kind = FilterSpec::Kind::None;
  if (copts.table) s.table = *copts.table;
  if (copts.import_filter) s.import_filter = *copts.import_filter;
  if (copts.export_filter) s.export_filter = *copts.export_filter;
  if (copts.import_limit) s.import_limit = *copts.import_limit;
  if (copts.import_keep_filtered) s.import_keep_filtered = *copts.import_keep_filtered;
  if (copts.preference) s.preference = *copts.preference;
  sp.channel = std::move(s);
  config_.statics.push_back(std::move(sp));
}

void Parser::parse_device(std::string name, const Location& loc) {
  DeviceProtocol d;
  d.name = std::move(name);
  d.loc = loc;
  parse_block([&] {
    // rsd tracks no interfaces: the device protocol only stands in `show protocols`.
    if (is_kw("scan") || is_kw("interface") || is_kw("primary") || is_kw("debug") ||
        is_kw("description")) {
      not_supported(peek(), "device option '" + peek().text + (is_kw("scan") ? " time'" : "'"));
      return false;
    }
    if (accept_kw("disabled")) {
      auto v = parse_switch();
      if (!v) return false;
      d.disabled = *v;
      return end_option();
    }
    return error_at(peek(), "unknown option '" + peek().text + "'");
  });
  config_.devices.push_back(std::move(d));
}

}  // namespace rs::conf::detail
