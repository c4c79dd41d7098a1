// `protocol bgp`, `template bgp` and BGP channels (`ipv4 { ... }` / `ipv6 { ... }`), after the BIRD
// 2 user guide's BGP section. Each option sets one std::optional field of
// BgpOptions/ChannelOptions; `from TEMPLATE` is applied right after the block, because BIRD
// requires a template to be defined before it is used: a protocol copies its template's options and
// channels, then its own options win (channels are merged per family).
#include <algorithm>
#include <array>

#include "conf/parser_impl.hpp"

namespace rs::conf::detail {

namespace {

// `... [switch]` options: keyword phrase -> field.
// A keyword phrase of up to four words (unused words empty).
using Words = std::array<std::string_view, 4>;

bool starts_with_words(const Parser& p, const Words& words) {
  for (std::size_t i = 0; i < words.size() && !words[i].empty(); ++i)
    if (!p.is_kw(words[i], i)) return false;
  return true;
}

bool match_words(Parser& p, const Words& words) {
  if (!starts_with_words(p, words)) return false;
  for (std::size_t i = 0; i < words.size() && !words[i].empty(); ++i) p.next();
  return true;
}

std::string join_words(const Words& words) {
  std::string s;
  for (auto w : words) {
    if (w.empty()) break;
    if (!s.empty()) s += ' ';
    s += w;
  }
  return s;
}

template <class Options>
struct SwitchOption {
  Words words;
  std::optional<bool> Options::*field;
};

const SwitchOption<BgpOptions> kBgpSwitches[] = {
    {{"passive"}, &BgpOptions::passive},
    {{"strict", "bind"}, &BgpOptions::strict_bind},
    {{"ttl", "security"}, &BgpOptions::ttl_security},
    {{"rr", "client"}, &BgpOptions::rr_client},
    {{"rs", "client"}, &BgpOptions::rs_client},
    {{"med", "metric"}, &BgpOptions::med_metric},
    {{"deterministic", "med"}, &BgpOptions::deterministic_med},
    {{"prefer", "older"}, &BgpOptions::prefer_older},
    {{"enable", "route", "refresh"}, &BgpOptions::enable_route_refresh},
    {{"enable", "enhanced", "route", "refresh"}, &BgpOptions::enable_enhanced_route_refresh},
    {{"enable", "extended", "messages"}, &BgpOptions::enable_extended_messages},
    {{"enable", "as4"}, &BgpOptions::enable_as4},
    {{"capabilities"}, &BgpOptions::capabilities},
    {{"advertise", "hostname"}, &BgpOptions::advertise_hostname},
    {{"require", "roles"}, &BgpOptions::require_roles},
    {{"interpret", "communities"}, &BgpOptions::interpret_communities},
    {{"enforce", "first", "as"}, &BgpOptions::enforce_first_as},
    {{"forward", "unknown", "attributes"}, &BgpOptions::forward_unknown_attributes},
    {{"disabled"}, &BgpOptions::disabled},
};

struct TimeOption {
  Words words;
  std::optional<Duration> BgpOptions::*field;
};
const TimeOption kBgpTimes[] = {
    {{"hold", "time"}, &BgpOptions::hold_time},
    {{"min", "hold", "time"}, &BgpOptions::min_hold_time},
    {{"startup", "hold", "time"}, &BgpOptions::startup_hold_time},
    {{"connect", "delay", "time"}, &BgpOptions::connect_delay_time},
    {{"connect", "retry", "time"}, &BgpOptions::connect_retry_time},
    {{"error", "forget", "time"}, &BgpOptions::error_forget_time},
    {{"graceful", "restart", "time"}, &BgpOptions::graceful_restart_time},
};

// BIRD options rsd does not implement (reported as "not supported", not as unknown).
const Words kBgpUnsupported[] = {
    {"bfd"},
    {"confederation"},
    {"setkey"},
    {"check", "link"},
    {"gateway"},
    {"long", "lived"},
    {"free", "bind"},
    {"missing", "lladdr"},
    {"allow", "bgp_local_pref"},
    {"allow", "bgp_med"},
    {"allow", "as", "sets"},
    {"igp", "table"},
    {"igp", "metric"},
    {"disable", "after"},
    {"require", "route"},
    {"require", "as4"},
    {"require", "extended"},
    {"require", "hostname"},
    {"require", "enhanced"},
    {"require", "graceful"},
    {"require", "long"},
    {"path", "metric"},
    {"aigp"},
    {"min", "keepalive"},
    {"mrtdump"},
    {"vrf"},
    {"hostname"},
    {"onlink"},
    {"authentication"},
    {"multicast"},
    {"interface"},
};

std::optional<AddPaths> parse_add_paths(Parser& p) {
  if (p.peek().kind == TokenKind::Semicolon) return AddPaths::RxTx;
  if (p.accept_kw("rx")) return AddPaths::Rx;
  if (p.accept_kw("tx")) return AddPaths::Tx;
  if (p.is_kw("on") || p.is_kw("off") || p.is_kw("yes") || p.is_kw("no") || p.is_kw("true") ||
      p.is_kw("false")) {
    auto v = p.parse_switch();
    return *v ? AddPaths::RxTx : AddPaths::Off;
  }
  p.expected("'rx', 'tx', 'on' or 'off'");
  return std::nullopt;
}

// next hop self [ebgp|ibgp] | keep [ebgp|ibgp] | address IP | IP   (after "next hop")
std::optional<NextHop> parse_next_hop(Parser& p) {
  NextHop nh;
  if (p.accept_kw("self")) {
    nh.mode = NextHop::Mode::Self;
  } else if (p.accept_kw("keep")) {
    nh.mode = NextHop::Mode::Keep;
  } else if (p.accept_kw("address")) {
    auto ip = p.parse_ip("an address");
    if (!ip) return std::nullopt;
    nh.mode = NextHop::Mode::Address;
    nh.address = *ip;
    return nh;
  } else if (p.peek().is_address()) {
    nh.mode = NextHop::Mode::Address;
    nh.address = p.next().ip;
    return nh;
  } else {
    p.expected("'self', 'keep' or an address");
    return std::nullopt;
  }
  if (p.is_kw("ebgp") || p.is_kw("ibgp")) {
    p.not_supported(p.peek(), "'next hop ... " + p.peek().text + "'");
    return std::nullopt;
  }
  if (p.peek().kind != TokenKind::Semicolon) {
    auto v = p.parse_switch();
    if (!v) return std::nullopt;
    if (!*v) nh.mode = NextHop::Mode::Default;
  }
  return nh;
}

}  // namespace

void Parser::parse_template() {
  begin_statement();
  const Token& kw = next();  // template
  if (!is_kw("bgp")) {
    if (peek().kind == TokenKind::Symbol)
      not_supported(peek(), "'template " + peek().text + "'");
    else
      expected("'bgp'");
    return sync();
  }
  next();
  BgpProtocol t;
  t.is_template = true;
  t.loc = kw.loc;
  if (peek().kind != TokenKind::Symbol || is_kw("from")) {
    expected("a template name");
    return sync();
  }
  const Token& name_tok = next();
  t.name = name_tok.text;
  if (!declare(t.name, name_tok.loc, "a template")) t.name.clear();
  parse_bgp(std::move(t));
}

void Parser::parse_protocol() {
  const Token& kw = next();  // protocol
  const Token& type = peek();
  if (type.kind != TokenKind::Symbol || type.quoted) {
    expected("a protocol type (bgp, static, device)");
    return sync();
  }
  std::string kind = type.text;
  if (kind != "bgp" && kind != "static" && kind != "device") {
    static const std::string_view known[] = {"kernel", "ospf",  "rip",        "babel", "bfd",
                                             "direct", "pipe",  "radv",       "rpki",  "mrt",
                                             "perf",   "l3vpn", "aggregator", "bmp",   "evpn"};
    for (auto k : known) {
      if (kind == k) {
        not_supported(type, "'protocol " + kind + "'");
        next();
        return sync();
      }
    }
    expected("a protocol type (bgp, static, device)");
    return sync();
  }
  next();
  std::string name;
  Location name_loc = kw.loc;
  if (peek().kind == TokenKind::Symbol && !is_kw("from")) {
    name = peek().text;
    name_loc = peek().loc;
    next();
    if (!declare(name, name_loc, "a protocol")) name.clear();
  } else {
    name = anonymous_name(kind);
  }
  if (kind == "static") return parse_static(std::move(name), kw.loc);
  if (kind == "device") return parse_device(std::move(name), kw.loc);
  BgpProtocol p;
  p.name = std::move(name);
  p.loc = kw.loc;
  parse_bgp(std::move(p));
}

void Parser::parse_bgp(BgpProtocol proto) {
  std::size_t errors_before = error_mark();
  const BgpProtocol* tmpl = nullptr;
  if (accept_kw("from")) {
    const Token& t = peek();
    if (t.kind != TokenKind::Symbol) {
      expected("a template name");
      return sync();
    }
    next();
    proto.from = t.text;
    tmpl = config_.find_template(t.text);
    if (!tmpl)
      error_at(t, "unknown template '" + t.text + "' (templates must be defined before use)");
  }
  parse_block([&] {
    if (is_kw("ipv4") || is_kw("ipv6")) {
      parse_bgp_channel(proto, is_kw("ipv4") ? rib::Family::Ipv4 : rib::Family::Ipv6);
      return true;
    }
    return parse_bgp_option(proto.options);
  });
  proto.incomplete = error_mark() != errors_before || (tmpl && tmpl->incomplete);
  if (tmpl) {
    proto.options.inherit(tmpl->options);
    for (const BgpChannel& tc : tmpl->channels) {
      auto it = std::find_if(proto.channels.begin(), proto.channels.end(),
                             [&](const BgpChannel& c) { return c.family == tc.family; });
      if (it == proto.channels.end()) {
        proto.channels.push_back(tc);
      } else {
        it->options.inherit(tc.options);
      }
    }
  }
  if (proto.name.empty()) return;  // duplicate name, already reported
  if (proto.is_template)
    config_.templates.push_back(std::move(proto));
  else
    config_.bgp.push_back(std::move(proto));
}

bool Parser::parse_bgp_option(BgpOptions& o) {
  for (const auto& s : kBgpSwitches) {
    if (match_words(*this, s.words)) {
      auto v = parse_switch();
      if (!v) return false;
      o.*s.field = *v;
      return end_option();
    }
  }
  for (const auto& t : kBgpTimes) {
    if (match_words(*this, t.words)) {
      auto v = parse_time("a time");
      if (!v) return false;
      o.*t.field = *v;
      return end_option();
    }
  }
  if (match_words(*this, {"keepalive", "time"})) {
    auto v = parse_time("a time");
    if (!v) return false;
    o.keepalive_time.emplace(*v);
    return end_option();
  }
  if (match_words(*this, {"error", "wait", "time"})) {
    auto lo = parse_time("a time");
    if (!lo || !expect(TokenKind::Comma)) return false;
    auto hi = parse_time("a time");
    if (!hi) return false;
    o.error_wait_min = *lo;
    o.error_wait_max = *hi;
    return end_option();
  }
  // dynamic name "PREFIX"; / dynamic name digits N;  (names of protocols spawned from a range)
  if (match_words(*this, {"dynamic", "name"})) {
    if (accept_kw("digits")) {
      auto n = parse_number("a number of digits (0-10)", 10);
      if (!n) return false;
      o.dynamic_name_digits.emplace(static_cast<uint32_t>(*n));
      return end_option();
    }
    auto s = parse_string("a name prefix string");
    if (!s) return false;
    o.dynamic_name.emplace(*s);
    return end_option();
  }
  if (accept_kw("description")) {
    auto s = parse_string("a description string");
    if (!s) return false;
    o.description = *s;
    return end_option();
  }
  if (accept_kw("debug")) {
    auto f = parse_debug_flags();
    if (!f) return false;
    o.debug = *f;
    return end_option();
  }
  if (match_words(*this, {"router", "id"})) {
    auto ip = parse_ip("an IPv4 address");
    if (!ip) return false;
    o.router_id.emplace(*ip);
    return end_option();
  }
  if (match_words(*this, {"local", "role"})) {
    static const std::pair<std::string_view, Role> roles[] = {{"provider", Role::Provider},
                                                              {"rs_server", Role::RsServer},
                                                              {"rs_client", Role::RsClient},
                                                              {"customer", Role::Customer},
                                                              {"peer", Role::Peer}};
    for (const auto& [w, r] : roles) {
      if (accept_kw(w)) {
        o.local_role.emplace(r);
        return end_option();
      }
    }
    return expected("a role (provider, rs_server, rs_client, customer, peer)");
  }
  if (accept_kw("local")) {
    bool any = false;
    if (next_is_address()) {
      o.local_address.emplace(*parse_ip("an address"));
      any = true;
    }
    if (accept_kw("port")) {
      auto n = parse_number("a port number", 65535);
      if (!n) return false;
      o.local_port = static_cast<uint16_t>(*n);
      any = true;
    }
    if (accept_kw("as")) {
      auto n = parse_asn();
      if (!n) return false;
      o.local_as.emplace(*n);
      any = true;
    }
    if (!any) return expected("an address, 'port' or 'as'");
    return end_option();
  }
  if (accept_kw("neighbor")) {
    bool any = false;
    if (next_is_address()) {
      o.neighbor_address.emplace(*parse_ip("an address"));
      any = true;
    } else if (accept_kw("range")) {
      auto p = parse_prefix("a prefix");
      if (!p) return false;
      o.neighbor_range.emplace(*p);
      any = true;
    }
    if (accept_kw("port")) {
      auto n = parse_number("a port number", 65535);
      if (!n) return false;
      o.neighbor_port = static_cast<uint16_t>(*n);
      any = true;
    }
    if (accept_kw("as")) {
      auto n = parse_asn();
      if (!n) return false;
      o.neighbor_as.emplace(*n);
      any = true;
    }
    if (accept_kw("internal")) {
      o.peer_type.emplace(PeerType::Internal);
      any = true;
    } else if (accept_kw("external")) {
      o.peer_type.emplace(PeerType::External);
      any = true;
    }
    if (!any) return expected("an address, 'range', 'port', 'as', 'internal' or 'external'");
    return end_option();
  }
  if (match_words(*this, {"source", "address"})) {
    // The same setting as `local ADDRESS` in BIRD: whichever is written last wins.
    auto ip = parse_ip("an address");
    if (!ip) return false;
    o.local_address.emplace(*ip);
    return end_option();
  }
  if (accept_kw("multihop")) {
    uint32_t ttl = 64;
    if (peek().kind != TokenKind::Semicolon) {
      auto n = parse_number("a TTL (1-255)", 255);
      if (!n) return false;
      if (*n == 0) return error_at(previous_token(), "multihop TTL must be 1-255, got 0");
      ttl = static_cast<uint32_t>(*n);
    }
    o.multihop.emplace(ttl);
    return end_option();
  }
  if (accept_kw("direct")) {
    o.multihop.emplace(0u);
    return end_option();
  }
  if (accept_kw("password")) {
    auto s = parse_string("a password string");
    if (!s) return false;
    o.password.emplace(*s);
    return end_option();
  }
  if (match_words(*this, {"rr", "cluster", "id"})) {
    const Token& t = peek();
    if (t.kind == TokenKind::Ipv4) {
      next();
      o.rr_cluster_id.emplace(t.ip.v4_value());
    } else {
      auto n = parse_u32("a number or an IPv4 address");
      if (!n) return false;
      o.rr_cluster_id.emplace(*n);
    }
    return end_option();
  }
  if (match_words(*this, {"default", "bgp_med"})) {
    auto n = parse_u32("a number");
    if (!n) return false;
    o.default_bgp_med = *n;
    return end_option();
  }
  if (match_words(*this, {"default", "bgp_local_pref"})) {
    auto n = parse_u32("a number");
    if (!n) return false;
    o.default_bgp_local_pref = *n;
    return end_option();
  }
  if (match_words(*this, {"max", "as", "path", "length"})) {
    // rsd's own option (BIRD has none): longer AS paths are treated as withdrawn; 0: no limit.
    auto n = parse_u32("a number");
    if (!n) return false;
    o.max_as_path_length = *n;
    return end_option();
  }
  if (match_words(*this, {"allow", "local", "as"})) {
    uint32_t n = UINT32_MAX;  // no number: any count, as BIRD
    if (peek().kind != TokenKind::Semicolon) {
      auto v = parse_u32("a number");
      if (!v) return false;
      n = *v;
    }
    o.allow_local_as = n;
    return end_option();
  }
  if (match_words(*this, {"graceful", "restart"})) {
    if (accept_kw("aware")) {
      o.graceful_restart = GracefulRestart::Aware;
    } else {
      auto v = parse_switch();
      if (!v) return false;
      o.graceful_restart = *v ? GracefulRestart::On : GracefulRestart::Off;
    }
    return end_option();
  }
  for (const auto& words : kBgpUnsupported) {
    if (starts_with_words(*this, words)) {
      not_supported(peek(), "BGP option '" + join_words(words) + "'");
      return false;
    }
  }
  if (is_kw("vpn4") || is_kw("vpn6") || is_kw("flow4") || is_kw("flow6") || is_kw("mpls") ||
      is_kw("l2vpn")) {
    not_supported(peek(), "channel '" + peek().text + "'");
    if (peek(1).kind == TokenKind::LBrace) {
      next();
      skip_block();
      accept(TokenKind::Semicolon);
      return true;
    }
    return false;
  }
  // BIRD 2 has these per channel only (`next hop` and `add paths` were protocol options in BIRD 1).
  if (is_kw("import") || is_kw("export") || is_kw("table") || is_kw("receive") ||
      is_kw("mandatory") || is_kw("secondary") || is_kw("preference") ||
      (is_kw("next") && is_kw("hop", 1)) || (is_kw("add") && is_kw("paths", 1)) ||
      (is_kw("extended") && is_kw("next", 1))) {
    return error_at(peek(),
                    "'" + peek().text +
                        (is_kw("next")  ? " hop"
                         : is_kw("add") ? " paths"
                                        : "") +
                        "' is a channel option: write it inside 'ipv4 { ... }' or 'ipv6 { ... }'");
  }
  if (peek().kind == TokenKind::Symbol)
    return error_at(peek(), "unknown BGP option '" + peek().text + "'");
  return expected("a BGP option");
}

void Parser::parse_bgp_channel(BgpProtocol& proto, rib::Family family) {
  const Token& kw = next();
  for (const auto& c : proto.channels) {
    if (c.family == family) {
      error_at(kw, "channel '" + kw.text + "' is already defined in this protocol");
      if (peek().kind == TokenKind::LBrace) skip_block();
      accept(TokenKind::Semicolon);
      return;
    }
  }
  if (is_kw("multicast") || is_kw("mpls") || is_kw("sr")) {
    not_supported(peek(), "channel '" + kw.text + " " + peek().text + "'");
    sync();
    return;
  }
  BgpChannel ch;
  ch.family = family;
  ch.loc = kw.loc;
  if (peek().kind == TokenKind::LBrace) {
    parse_block([&] { return parse_channel_option(ch.options, true); },
                "the '" + kw.text + "' channel");
  } else if (!expect_semicolon()) {
    sync();
    return;
  }
  proto.channels.push_back(std::move(ch));
}

bool Parser::parse_channel_option(ChannelOptions& o, bool bgp) {
  if (accept_kw("table")) {
    const Token& at = peek();
    auto name = parse_name("a table name");
    if (!name) return false;
    // rsd keeps one routing table per family.
    if (*name != "master4" && *name != "master6") {
      if (!config_.find_table(*name))
        return error_at(at, "unknown table '" + *name + "' (tables must be declared before use)");
      not_supported(at, "a channel table other than master4 / master6 ('table " + *name + "')");
      return false;
    }
    o.table = *name;
    return end_option();
  }
  // `limit N [action A]` (`off` clears an inherited limit) after import / export / receive.
  auto set_limit = [&](auto& slot) {
    auto l = parse_limit();
    if (!l) return false;
    if (l->max == UINT32_MAX)
      slot.emplace(std::nullopt);
    else
      slot.emplace(*l);
    return end_option();
  };
  // `import|export limit ...`, `import|export table SWITCH` (BGP), `import|export FILTER`.
  auto direction = [&](const char* what, auto& limit, auto& table, auto& filter) {
    if (accept_kw("limit")) return set_limit(limit);
    if (bgp && accept_kw("table")) {
      // rsd always keeps every peer's Adj-RIB-In (reloads re-run the import filter over it, no
      // route refresh) and Adj-RIB-Out: `on` is what it does; `off` it cannot do.
      const Token& at = peek();
      auto v = parse_switch();
      if (!v) return false;
      if (!*v) {
        not_supported(at, std::string("'") + what + " table off' (rsd always keeps the " +
                              (what[0] == 'i' ? "Adj-RIB-In" : "Adj-RIB-Out") + ")");
        return false;
      }
      table = *v;
      return end_option();
    }
    auto f = parse_filter_spec(what);
    if (!f) return false;
    filter = *f;
    return end_option();
  };
  if (accept_kw("import")) {
    if (accept_kw("keep")) {
      if (!expect_kw("filtered")) return false;
      auto v = parse_switch();
      if (!v) return false;
      o.import_keep_filtered = *v;
      return end_option();
    }
    return direction("import", o.import_limit, o.import_table, o.import_filter);
  }
  if (accept_kw("export"))
    return direction("export", o.export_limit, o.export_table, o.export_filter);
  if (accept_kw("receive")) {
    if (!expect_kw("limit")) return false;
    return set_limit(o.receive_limit);
  }
  if (accept_kw("preference")) {
    auto n = parse_number("a preference (0-65535)", 65535);
    if (!n) return false;
    o.preference = static_cast<uint32_t>(*n);
    return end_option();
  }
  if (bgp) {
    static const std::pair<Words, std::optional<bool> ChannelOptions::*> switches[] = {
        {{"mandatory"}, &ChannelOptions::mandatory},
        {{"secondary"}, &ChannelOptions::secondary},
        {{"extended", "next", "hop"}, &ChannelOptions::extended_next_hop}};
    for (const auto& [words, field] : switches) {
      if (match_words(*this, words)) {
        auto v = parse_switch();
        if (!v) return false;
        o.*field = *v;
        return end_option();
      }
    }
    if (match_words(*this, {"next", "hop"})) {
      auto nh = parse_next_hop(*this);
      if (!nh) return false;
      o.next_hop = *nh;
      return end_option();
    }
    if (match_words(*this, {"add", "paths"})) {
      auto v = parse_add_paths(*this);
      if (!v) return false;
      o.add_paths = *v;
      return end_option();
    }
    static const Words unsupported[] = {{"gateway"},
                                        {"igp", "table"},
                                        {"validate"},
                                        {"base", "table"},
                                        {"aigp"},
                                        {"cost"},
                                        {"graceful", "restart"},
                                        {"long", "lived"},
                                        {"require", "extended"},
                                        {"link", "local"},
                                        {"rpki", "reload"},
                                        {"missing", "lladdr"},
                                        {"debug"}};
    for (const auto& words : unsupported) {
      if (starts_with_words(*this, words)) {
        not_supported(peek(), "channel option '" + join_words(words) + "'");
        return false;
      }
    }
  }
  if (peek().kind == TokenKind::Symbol)
    return error_at(peek(), "unknown channel option '" + peek().text + "'");
  return expected("a channel option");
}

}  // namespace rs::conf::detail
