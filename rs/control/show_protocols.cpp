// `show protocols [all] [NAME | "pattern"]` in BIRD 2's layout: a 2002 heading, one 1002 row per
// protocol (Name, Proto, Table, State, Since, Info), and with `all` a 1006 block per protocol
// (BGP state, neighbour, session, channels with filters, route counts and change statistics).
// Order: static and device protocols, then BGP protocols in configuration order, then dynamic
// ones by name - deterministic, unlike a hash order.
#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "rs/bgp/wire/messages.hpp"
#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/route_server.hpp"

namespace rs::control {

namespace code = cli::code;

namespace {

// The route server gives static routes BIRD's static preference (RouteServer::load_statics).
constexpr uint32_t kStaticPreference = 200;

std::string printf_str(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string filter_name(const conf::FilterSpec& f) {
  switch (f.kind) {
    case conf::FilterSpec::Kind::All:
      return "ACCEPT";
    case conf::FilterSpec::Kind::None:
      return "REJECT";
    case conf::FilterSpec::Kind::Named:
      return f.name;
    default:
      return "(unnamed)";
  }
}

std::string table_of(const conf::ChannelSettings& s, rib::Family f) {
  if (!s.table.empty()) return s.table;
  return f == rib::Family::Ipv4 ? "master4" : "master6";
}

struct RouteCounts {
  uint64_t imported = 0, filtered = 0, preferred = 0;
  uint64_t rejected = 0;  // refused by the import filter, whether or not they are kept (`filtered`)
};

// Current routes per source name (one pass over the table, only for `all`).
std::map<std::string, PerFamily<RouteCounts>> count_routes(const rib::LocRib& rib) {
  std::map<std::string, PerFamily<RouteCounts>> out;
  rib.for_each([&](const rib::Prefix& p, const rib::Destination& d) {
    const rib::Family fam = p.family();
    for (std::size_t i = 0; i < d.paths.size(); ++i) {
      const rib::Route& r = d.paths[i].route;
      if (!r.source) continue;
      RouteCounts& c = out[r.source->name][fam];
      if (!r.filtered())
        ++c.imported;
      else if (r.source->keep_filtered)
        ++c.filtered;  // otherwise gone, as far as BIRD would say
      if (r.filtered()) ++c.rejected;
      if (static_cast<int32_t>(i) == d.best) ++c.preferred;
    }
  });
  return out;
}

std::string error_text(const bgp::LastError& e) {
  if (e.empty()) return {};
  if (e.received) return "Received: " + bgp::wire::describe(*e.received);
  if (e.sent) return "BGP Error: " + bgp::wire::describe(*e.sent);
  return "Error: " + e.reason;
}

struct Row {
  std::string name, proto, table, state, since, info;
  std::chrono::system_clock::time_point since_time;
  const RouteServer::ProtocolView* view = nullptr;
  const conf::BgpProtocol* bgp = nullptr;
  const conf::StaticProtocol* st = nullptr;
};

void heading(cli::ReplyWriter& w) {
  w.line(code::kProtocolHeader, printf_str("%-10s %-10s %-10s %-5s  %-12s  %s", "Name", "Proto",
                                           "Table", "State", "Since", "Info"));
}

void row(cli::ReplyWriter& w, const Row& r) {
  std::string s = printf_str("%-10s %-10s %-10s %-5s  %-12s  %s", r.name.c_str(), r.proto.c_str(),
                             r.table.c_str(), r.state.c_str(), r.since.c_str(), r.info.c_str());
  w.line(code::kProtocolList, s);  // with BIRD's trailing blanks when Info is empty
}

// One row of BIRD's `Route change stats` table: received, rejected, filtered, ignored, accepted;
// nullopt is BIRD's `---` (the column does not apply).
using StatsRow = std::array<std::optional<uint64_t>, 5>;
constexpr std::nullopt_t kNa = std::nullopt;

// What `show protocols all` says about one channel, for the text and the JSON form alike.
struct ChannelInfo {
  rib::Family family = rib::Family::Ipv4;
  bool up = false;
  std::string table, import_filter, export_filter;
  uint32_t preference = 0;
  bool keep_filtered = false;
  RouteCounts routes;
  std::size_t exported = 0;
  StatsRow import_updates{}, import_withdraws{};
  bool has_export = false;
  StatsRow export_updates{}, export_withdraws{};
};

// `stats`: a BGP channel's import counters. Static protocols (stats == nullptr) have none: their
// routes are loaded once at start, so the routes held (imported, and refused by the import filter)
// are exactly the updates received, and no withdraw ever happens. A static channel exports nothing:
// BIRD shows its export rows as zeros, and so does rsd. A BGP channel's export rows are its
// member's ExportStats.
ChannelInfo channel_info(rib::Family fam, bool up, const conf::ChannelSettings& s,
                         const RouteCounts& rc, std::size_t exported, const ChannelStats* st,
                         uint32_t preference, const ExportStats* ex = nullptr) {
  ChannelInfo c;
  c.family = fam;
  c.up = up;
  c.table = table_of(s, fam);
  c.preference = preference;
  c.import_filter = filter_name(s.import_filter);
  c.export_filter = filter_name(s.export_filter);
  c.keep_filtered = s.import_keep_filtered;
  c.routes = rc;
  c.exported = exported;
  if (st) {
    c.import_updates = {st->received, st->treat_as_withdraw, st->filtered, 0, st->accepted};
    c.import_withdraws = {st->withdrawn, 0, kNa, st->withdraws_ignored,
                          st->withdrawn - st->withdraws_ignored};
    if (ex) {
      c.has_export = true;
      c.export_updates = {ex->updates_received, ex->updates_rejected, ex->updates_filtered, kNa,
                          ex->updates_accepted};
      c.export_withdraws = {ex->withdraws_received, kNa, kNa, kNa, ex->withdraws_accepted};
    }
    return c;
  }
  c.import_updates = {rc.imported + rc.rejected, 0, rc.rejected, 0, rc.imported};
  c.import_withdraws = {0, 0, kNa, 0, 0};
  c.has_export = true;
  c.export_updates = {0, 0, 0, kNa, 0};
  c.export_withdraws = {0, kNa, kNa, kNa, 0};
  return c;
}

// BIRD's `Route change stats` table: counts right-aligned in 10 columns, `---` where a column
// does not apply. The Prometheus BIRD exporter reads every row by its label.
std::string stats_row(const char* label, const StatsRow& row) {
  std::string c[5];
  for (std::size_t i = 0; i < 5; ++i) c[i] = row[i] ? std::to_string(*row[i]) : "---";
  return printf_str("      %-20s%10s %10s %10s %10s %10s", label, c[0].c_str(), c[1].c_str(),
                    c[2].c_str(), c[3].c_str(), c[4].c_str());
}

void channel_block(cli::ReplyWriter& w, const ChannelInfo& c) {
  w.line(code::kProtocolDetails,
         std::string("  Channel ") + (c.family == rib::Family::Ipv4 ? "ipv4" : "ipv6"));
  w.line(code::kProtocolDetails, std::string("    State:          ") + (c.up ? "UP" : "DOWN"));
  w.line(code::kProtocolDetails, "    Table:          " + c.table);
  w.line(code::kProtocolDetails, "    Preference:     " + std::to_string(c.preference));
  w.line(code::kProtocolDetails, "    Input filter:   " + c.import_filter);
  w.line(code::kProtocolDetails, "    Output filter:  " + c.export_filter);
  if (!c.up) return;
  const RouteCounts& rc = c.routes;
  // BIRD shows the `filtered` count only when the channel keeps filtered routes.
  if (c.keep_filtered)
    w.line(
        code::kProtocolDetails,
        printf_str("    Routes:         %llu imported, %llu filtered, %zu exported, %llu preferred",
                   (unsigned long long)rc.imported, (unsigned long long)rc.filtered, c.exported,
                   (unsigned long long)rc.preferred));
  else
    w.line(
        code::kProtocolDetails,
        printf_str("    Routes:         %llu imported, %zu exported, %llu preferred",
                   (unsigned long long)rc.imported, c.exported, (unsigned long long)rc.preferred));
  w.line(code::kProtocolDetails,
         "    Route change stats:     received   rejected   filtered    ignored   accepted");
  w.line(code::kProtocolDetails, stats_row("Import updates:", c.import_updates));
  w.line(code::kProtocolDetails, stats_row("Import withdraws:", c.import_withdraws));
  if (!c.has_export) return;
  w.line(code::kProtocolDetails, stats_row("Export updates:", c.export_updates));
  w.line(code::kProtocolDetails, stats_row("Export withdraws:", c.export_withdraws));
}

Json stats_json(const StatsRow& row) {
  static const char* names[] = {"received", "rejected", "filtered", "ignored", "accepted"};
  Json j = Json::object();
  for (std::size_t i = 0; i < 5; ++i) j[names[i]] = row[i] ? Json(*row[i]) : Json(nullptr);
  return j;
}

Json channel_json(const ChannelInfo& c) {
  Json j;
  j["name"] = c.family == rib::Family::Ipv4 ? "ipv4" : "ipv6";
  j["state"] = c.up ? "up" : "down";
  j["table"] = c.table;
  j["preference"] = c.preference;
  j["import_filter"] = c.import_filter;
  j["export_filter"] = c.export_filter;
  j["import_keep_filtered"] = c.keep_filtered;
  if (!c.up) return j;
  j["routes"] = {{"imported", c.routes.imported},
                 {"filtered", c.keep_filtered ? Json(c.routes.filtered) : Json(nullptr)},
                 {"exported", c.exported},
                 {"preferred", c.routes.preferred}};
  j["import_updates"] = stats_json(c.import_updates);
  j["import_withdraws"] = stats_json(c.import_withdraws);
  if (c.has_export) {
    j["export_updates"] = stats_json(c.export_updates);
    j["export_withdraws"] = stats_json(c.export_withdraws);
  }
  return j;
}

// What `show protocols all` says about a BGP session, before the channels.
struct BgpInfo {
  std::string description;
  bool has_peer = false;
  std::string bgp_state, neighbor_address;
  std::optional<uint32_t> neighbor_as;
  uint32_t local_as = 0;
  bool negotiated = false;
  std::string neighbor_id;
  bool internal = false, rs_client = false;
  std::optional<std::string> source_address;
  uint32_t hold_time = 0, keepalive_time = 0;
  std::string last_error;
};

BgpInfo bgp_info(const Row& r) {
  BgpInfo b;
  const bgp::Peer* peer = r.view->peer;
  const conf::BgpProtocol* pc = r.bgp;
  if (pc) b.description = pc->settings.description;
  if (!peer) return b;
  b.has_peer = true;
  b.bgp_state = std::string(bgp::to_string(peer->state()));
  if (peer->established() && r.view->source)
    b.neighbor_address = r.view->source->neighbor_address.to_string();
  else if (pc && pc->settings.neighbor_address)
    b.neighbor_address = pc->settings.neighbor_address->to_string();
  else if (pc && pc->settings.neighbor_range)
    b.neighbor_address = pc->settings.neighbor_range->to_string();
  if (pc) b.neighbor_as = pc->settings.neighbor_as;
  b.local_as = peer->config().local_as;
  if (const auto* n = peer->negotiated()) {
    b.negotiated = true;
    b.neighbor_id = rib::IpAddress::v4(n->peer_bgp_id).to_string();
    b.internal = pc && pc->is_internal();
    b.rs_client = pc && pc->settings.rs_client;
    if (auto le = peer->local_endpoint()) b.source_address = le->address().to_string();
    b.hold_time = n->hold_time;
    b.keepalive_time = n->keepalive_time;
  }
  b.last_error = error_text(peer->last_error());
  return b;
}

void bgp_block(cli::ReplyWriter& w, const BgpInfo& b) {
  if (!b.description.empty()) w.line(code::kProtocolDetails, "  Description:    " + b.description);
  if (!b.has_peer) return;
  w.line(code::kProtocolDetails, "  BGP state:          " + b.bgp_state);
  if (!b.neighbor_address.empty())
    w.line(code::kProtocolDetails, "    Neighbor address: " + b.neighbor_address);
  if (b.neighbor_as)
    w.line(code::kProtocolDetails, "    Neighbor AS:      " + std::to_string(*b.neighbor_as));
  w.line(code::kProtocolDetails, "    Local AS:         " + std::to_string(b.local_as));
  if (b.negotiated) {
    w.line(code::kProtocolDetails, "    Neighbor ID:      " + b.neighbor_id);
    std::string session = b.internal ? "internal" : "external";
    if (b.rs_client) session += " route-server";
    session += " AS4";
    w.line(code::kProtocolDetails, "    Session:          " + session);
    if (b.source_address)
      w.line(code::kProtocolDetails, "    Source address:   " + *b.source_address);
    w.line(code::kProtocolDetails, "    Hold time:        " + std::to_string(b.hold_time));
    w.line(code::kProtocolDetails, "    Keepalive time:   " + std::to_string(b.keepalive_time));
  }
  if (!b.last_error.empty())
    w.line(code::kProtocolDetails, "    Last error:       " + b.last_error);
}

Json bgp_json(const BgpInfo& b) {
  Json j;
  j["state"] = b.bgp_state;
  j["neighbor_address"] = b.neighbor_address.empty() ? Json(nullptr) : Json(b.neighbor_address);
  j["neighbor_as"] = b.neighbor_as ? Json(*b.neighbor_as) : Json(nullptr);
  j["local_as"] = b.local_as;
  if (b.negotiated) {
    j["neighbor_id"] = b.neighbor_id;
    j["session"] = {{"type", b.internal ? "internal" : "external"},
                    {"route_server", b.rs_client},
                    {"as4", true}};
    j["source_address"] = b.source_address ? Json(*b.source_address) : Json(nullptr);
    j["hold_time"] = b.hold_time;
    j["keepalive_time"] = b.keepalive_time;
  }
  j["last_error"] = b.last_error.empty() ? Json(nullptr) : Json(b.last_error);
  return j;
}

}  // namespace

std::unique_ptr<Output> show_protocols(const ControlContext& ctx, const cli::Command& c,
                                       bool json) {
  const RouteServer& server = ctx.server;
  const conf::Config& cfg = server.config();
  const bool all = c.has("all");
  auto wanted = [&](const std::string& name) {
    if (!c.positional) return true;
    if (c.positional_quoted) return pattern_match(*c.positional, name);
    return *c.positional == "all" || *c.positional == name;
  };
  const auto views = server.protocols();
  std::map<std::string, const RouteServer::ProtocolView*> by_name;
  for (const auto& v : views) by_name[v.name] = &v;

  std::vector<Row> rows;
  const TimeFormatSpec tf = time_format(&cfg, conf::TimeFormat::Which::Protocol);
  const std::string boot = format_time(ctx.started, tf);
  for (const auto& d : cfg.devices) {
    if (!wanted(d.name)) continue;
    rows.push_back({d.name, "Device", "---", d.disabled ? "down" : "up", boot, "", ctx.started});
  }
  for (const auto& s : cfg.statics) {
    if (!wanted(s.name)) continue;
    Row r{s.name, "Static",   table_of(s.channel, s.family), s.disabled ? "down" : "up", boot,
          "",     ctx.started};
    r.st = &s;
    rows.push_back(std::move(r));
  }
  std::set<std::string> done;
  auto add_bgp = [&](const RouteServer::ProtocolView& v, const conf::BgpProtocol* pc) {
    done.insert(v.name);
    if (!wanted(v.name)) return;
    Row r;
    r.name = v.name;
    r.proto = "BGP";
    r.table = "---";
    r.view = &v;
    r.bgp = pc;
    const bgp::Peer* peer = v.peer;
    std::string err = peer ? error_text(peer->last_error()) : std::string();
    std::chrono::steady_clock::time_point since{};
    if (peer) {
      switch (peer->phase()) {
        case bgp::Peer::Phase::Up:
          r.state = "up";
          break;
        case bgp::Peer::Phase::Down:
          r.state = "down";
          break;
        default:
          r.state = "start";
          break;
      }
      if (auto up = peer->uptime())
        since = std::chrono::steady_clock::now() - *up;
      else if (!peer->last_error().empty())
        since = peer->last_error().at;
      const std::string st(bgp::to_string(peer->state()));
      if (peer->phase() == bgp::Peer::Phase::Down)
        r.info = err;
      else if (err.empty() || peer->phase() == bgp::Peer::Phase::Up)
        r.info = st;
      else
        r.info = printf_str("%-14s%s", st.c_str(), err.c_str());
    }
    r.since_time =
        since == std::chrono::steady_clock::time_point{} ? ctx.started : to_system(since);
    r.since =
        since == std::chrono::steady_clock::time_point{} ? boot : format_time(r.since_time, tf);
    rows.push_back(std::move(r));
  };
  for (const auto& pc : cfg.bgp)
    if (auto it = by_name.find(pc.name); it != by_name.end()) add_bgp(*it->second, &pc);
  for (const auto& v : views)
    if (!done.count(v.name)) add_bgp(v, nullptr);

  if (rows.empty()) {
    if (c.positional && !c.positional_quoted && *c.positional != "all")
      return reply(code::kParseError, "syntax error, unknown protocol '" + *c.positional + "'");
    if (c.positional) return reply(code::kNoProtocolsMatch, "No protocols match");
  }

  std::map<std::string, PerFamily<RouteCounts>> counts;
  if (all) counts = count_routes(server.rib());
  Json doc = json_head("show protocols");
  doc["protocols"] = Json::array();
  cli::ReplyWriter w;
  if (!json) heading(w);
  for (const Row& r : rows) {
    Json pj;
    if (json) {
      pj["name"] = r.name;
      pj["proto"] = r.proto;
      pj["table"] = r.table == "---" ? Json(nullptr) : Json(r.table);
      pj["state"] = r.state;
      pj["since"] = iso_time(r.since_time);
      pj["info"] = r.info;
    } else {
      row(w, r);
    }
    if (all) {
      static const PerFamily<RouteCounts> zero{};
      auto cit = counts.find(r.name);
      const PerFamily<RouteCounts>& rc = cit == counts.end() ? zero : cit->second;
      std::vector<ChannelInfo> channels;
      std::optional<BgpInfo> bgp;
      std::size_t unsendable = 0;
      if (r.st) {
        channels.push_back(channel_info(r.st->family, r.state == "up", r.st->channel,
                                        rc[r.st->family], 0, nullptr, kStaticPreference));
      } else if (r.view) {
        bgp = bgp_info(r);
        if (const conf::BgpProtocol* pc = r.bgp) {
          for (const auto& ch : pc->channels) {
            channels.push_back(channel_info(ch.family, r.state == "up", ch.settings, rc[ch.family],
                                            r.view->exported_by_family[ch.family],
                                            &r.view->stats[ch.family], ch.settings.preference,
                                            &r.view->export_stats[ch.family]));
          }
          unsendable = r.view->packed.unsendable;
        }
      }
      if (json) {
        if (bgp) {
          pj["description"] = bgp->description.empty() ? Json(nullptr) : Json(bgp->description);
          if (bgp->has_peer) pj["bgp"] = bgp_json(*bgp);
        }
        pj["channels"] = Json::array();
        for (const auto& ch : channels) pj["channels"].push_back(channel_json(ch));
        if (r.view && r.bgp) pj["unsendable"] = unsendable;
      } else {
        if (bgp) bgp_block(w, *bgp);
        for (const auto& ch : channels) channel_block(w, ch);
        // Announcements that could not be encoded for this peer (withdrawn instead): rsd's own
        // line, BIRD has no such counter.
        if (unsendable)
          w.line(code::kProtocolDetails,
                 "  Unsendable:       " + std::to_string(unsendable) +
                     " announcements withdrawn (too large, or no usable next hop)");
        w.line(code::kProtocolDetails, "");
      }
    }
    if (json) doc["protocols"].push_back(std::move(pj));
  }
  if (json) return json_reply(doc);
  w.end();
  return reply(std::move(w));
}

}  // namespace rs::control
