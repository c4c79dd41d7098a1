// `show protocols [all] [NAME | "pattern"]` in BIRD 2's layout: a 2002 heading, one 1002 row per
// protocol (Name, Proto, Table, State, Since, Info), and with `all` a 1006 block per protocol
// (BGP state, neighbour, session, channels with filters, route counts and change statistics).
// Order: static and device protocols, then BGP protocols in configuration order, then dynamic
// ones by name - deterministic, unlike a hash order.
#include <array>
#include <cstdio>
#include <map>
#include <set>

#include "rs/bgp/wire/messages.hpp"
#include "rs/control/commands.hpp"
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

// BIRD's `Route change stats` table: four rows, counts right-aligned in 10 columns, `---` where a
// column does not apply. The Prometheus BIRD exporter reads every row by its label.
std::string stats_row(const char* label, const std::array<const char*, 5>& cols) {
  return printf_str("      %-20s%10s %10s %10s %10s %10s", label, cols[0], cols[1], cols[2],
                    cols[3], cols[4]);
}

void import_stats(cli::ReplyWriter& w, uint64_t received, uint64_t rejected, uint64_t filtered,
                  uint64_t accepted, uint64_t withdrawn, uint64_t ignored = 0) {
  const std::string n[] = {std::to_string(received),           std::to_string(rejected),
                           std::to_string(filtered),           std::to_string(accepted),
                           std::to_string(withdrawn),          std::to_string(ignored),
                           std::to_string(withdrawn - ignored)};
  w.line(code::kProtocolDetails,
         "    Route change stats:     received   rejected   filtered    ignored   accepted");
  w.line(code::kProtocolDetails, stats_row("Import updates:", {n[0].c_str(), n[1].c_str(),
                                                               n[2].c_str(), "0", n[3].c_str()}));
  w.line(code::kProtocolDetails,
         stats_row("Import withdraws:", {n[4].c_str(), "0", "---", n[5].c_str(), n[6].c_str()}));
}

// `stats`: a BGP channel's import counters. Static protocols (stats == nullptr) have none: their
// routes are loaded once at start, so the routes held (imported, and refused by the import filter)
// are exactly the updates received, and no withdraw ever happens. A static channel exports nothing:
// BIRD shows its export rows as zeros, and so does rsd. A BGP channel's export rows are its
// member's ExportStats.
void channel_block(cli::ReplyWriter& w, rib::Family fam, bool up, const conf::ChannelSettings& s,
                   const RouteCounts& rc, std::size_t exported, const ChannelStats* st,
                   uint32_t preference, const ExportStats* ex = nullptr) {
  w.line(code::kProtocolDetails,
         std::string("  Channel ") + (fam == rib::Family::Ipv4 ? "ipv4" : "ipv6"));
  w.line(code::kProtocolDetails, std::string("    State:          ") + (up ? "UP" : "DOWN"));
  w.line(code::kProtocolDetails, "    Table:          " + table_of(s, fam));
  w.line(code::kProtocolDetails, "    Preference:     " + std::to_string(preference));
  w.line(code::kProtocolDetails, "    Input filter:   " + filter_name(s.import_filter));
  w.line(code::kProtocolDetails, "    Output filter:  " + filter_name(s.export_filter));
  if (!up) return;
  // BIRD shows the `filtered` count only when the channel keeps filtered routes.
  if (s.import_keep_filtered)
    w.line(
        code::kProtocolDetails,
        printf_str("    Routes:         %llu imported, %llu filtered, %zu exported, %llu preferred",
                   (unsigned long long)rc.imported, (unsigned long long)rc.filtered, exported,
                   (unsigned long long)rc.preferred));
  else
    w.line(code::kProtocolDetails,
           printf_str("    Routes:         %llu imported, %zu exported, %llu preferred",
                      (unsigned long long)rc.imported, exported, (unsigned long long)rc.preferred));
  if (st) {
    import_stats(w, st->received, st->treat_as_withdraw, st->filtered, st->accepted, st->withdrawn,
                 st->withdraws_ignored);
    if (!ex) return;
    const std::string e[] = {
        std::to_string(ex->updates_received),   std::to_string(ex->updates_rejected),
        std::to_string(ex->updates_filtered),   std::to_string(ex->updates_accepted),
        std::to_string(ex->withdraws_received), std::to_string(ex->withdraws_accepted)};
    w.line(code::kProtocolDetails,
           stats_row("Export updates:",
                     {e[0].c_str(), e[1].c_str(), e[2].c_str(), "---", e[3].c_str()}));
    w.line(code::kProtocolDetails,
           stats_row("Export withdraws:", {e[4].c_str(), "---", "---", "---", e[5].c_str()}));
    return;
  }
  import_stats(w, rc.imported + rc.rejected, 0, rc.rejected, rc.imported, 0);
  w.line(code::kProtocolDetails, stats_row("Export updates:", {"0", "0", "0", "---", "0"}));
  w.line(code::kProtocolDetails, stats_row("Export withdraws:", {"0", "---", "---", "---", "0"}));
}

}  // namespace

std::unique_ptr<Output> show_protocols(const ControlContext& ctx, const cli::Command& c) {
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
    rows.push_back({d.name, "Device", "---", d.disabled ? "down" : "up", boot, ""});
  }
  for (const auto& s : cfg.statics) {
    if (!wanted(s.name)) continue;
    Row r{s.name, "Static", table_of(s.channel, s.family), s.disabled ? "down" : "up", boot, ""};
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
    r.since =
        since == std::chrono::steady_clock::time_point{} ? boot : format_time(to_system(since), tf);
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
  cli::ReplyWriter w;
  heading(w);
  for (const Row& r : rows) {
    row(w, r);
    if (!all) continue;
    static const PerFamily<RouteCounts> zero{};
    auto cit = counts.find(r.name);
    const PerFamily<RouteCounts>& rc = cit == counts.end() ? zero : cit->second;
    if (r.st) {
      channel_block(w, r.st->family, r.state == "up", r.st->channel, rc[r.st->family], 0, nullptr,
                    kStaticPreference);
    } else if (r.view) {
      const bgp::Peer* peer = r.view->peer;
      const conf::BgpProtocol* pc = r.bgp;
      if (pc && !pc->settings.description.empty())
        w.line(code::kProtocolDetails, "  Description:    " + pc->settings.description);
      if (peer) {
        const auto& pcfg = peer->config();
        w.line(code::kProtocolDetails,
               "  BGP state:          " + std::string(bgp::to_string(peer->state())));
        std::string addr;
        if (peer->established() && r.view->source)
          addr = r.view->source->neighbor_address.to_string();
        else if (pc && pc->settings.neighbor_address)
          addr = pc->settings.neighbor_address->to_string();
        else if (pc && pc->settings.neighbor_range)
          addr = pc->settings.neighbor_range->to_string();
        if (!addr.empty()) w.line(code::kProtocolDetails, "    Neighbor address: " + addr);
        if (pc && pc->settings.neighbor_as)
          w.line(code::kProtocolDetails,
                 "    Neighbor AS:      " + std::to_string(*pc->settings.neighbor_as));
        w.line(code::kProtocolDetails, "    Local AS:         " + std::to_string(pcfg.local_as));
        if (const auto* n = peer->negotiated()) {
          w.line(code::kProtocolDetails,
                 "    Neighbor ID:      " + rib::IpAddress::v4(n->peer_bgp_id).to_string());
          std::string session = pc && pc->is_internal() ? "internal" : "external";
          if (pc && pc->settings.rs_client) session += " route-server";
          session += " AS4";
          w.line(code::kProtocolDetails, "    Session:          " + session);
          if (auto le = peer->local_endpoint())
            w.line(code::kProtocolDetails, "    Source address:   " + le->address().to_string());
          w.line(code::kProtocolDetails, "    Hold time:        " + std::to_string(n->hold_time));
          w.line(code::kProtocolDetails,
                 "    Keepalive time:   " + std::to_string(n->keepalive_time));
        }
        std::string err = error_text(peer->last_error());
        if (!err.empty()) w.line(code::kProtocolDetails, "    Last error:       " + err);
      }
      if (pc) {
        for (const auto& ch : pc->channels) {
          channel_block(w, ch.family, r.state == "up", ch.settings, rc[ch.family],
                        r.view->exported_by_family[ch.family], &r.view->stats[ch.family],
                        ch.settings.preference, &r.view->export_stats[ch.family]);
        }
        // Announcements that could not be encoded for this peer (withdrawn instead): rsd's own
        // line, BIRD has no such counter.
        if (r.view->packed.unsendable)
          w.line(code::kProtocolDetails,
                 "  Unsendable:       " + std::to_string(r.view->packed.unsendable) +
                     " announcements withdrawn (too large, or no usable next hop)");
      }
    }
    w.line(code::kProtocolDetails, "");
  }
  w.end();
  return reply(std::move(w));
}

}  // namespace rs::control
