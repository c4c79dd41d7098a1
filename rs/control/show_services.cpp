// `show services` and the operator actions on service nodes (`drain NODE`, `undrain NODE`,
// `maintenance NODE on|off` for a node that is not a healthcheck: a BGP protocol, a process, or a
// next hop; rs/node_override.hpp). The layout is documented in docs/cli.md (tab-separated columns
// per path); the JSON form is built from the same values.
#include <map>
#include <set>

#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/health/health_manager.hpp"
#include "rs/route_server.hpp"

namespace rs::control {

namespace code = cli::code;

// A healthcheck's flags, one boolean each (show_health.cpp).
Json health_flags_json(const health::HealthView& v);

namespace {

std::string med_text(const rib::PathAttributes* a) {
  return a && a->has(rib::AttrType::Med) ? std::to_string(a->med) : std::string("-");
}

// The node overrides naming a path, as flags: "maintenance", "draining 3/10", "drained".
std::string override_text(const NodeOverrides& o, const std::string& source,
                          const rib::IpAddress& next_hop) {
  std::string f;
  for (const auto& n : o.list()) {
    if (!NodeOverrides::matches(n.node, source, next_hop)) continue;
    auto add = [&](const std::string& s) { f += (f.empty() ? "" : ", ") + s; };
    if (n.maintenance) add("maintenance");
    if (n.draining) add("draining " + std::to_string(n.step) + "/" + std::to_string(n.drain.steps));
    if (n.drained)
      add(n.drain.withdraw ? "drained" : "drained to " + std::to_string(n.drain.ceiling));
    if (rib::IpAddress::parse(n.node)) f += " by " + n.node;  // named by its next hop
  }
  return f;
}

Json med_json(const rib::PathAttributes* a) {
  return a && a->has(rib::AttrType::Med) ? Json(a->med) : Json(nullptr);
}

}  // namespace

std::unique_ptr<Output> show_services(const ControlContext& ctx, bool json) {
  cli::ReplyWriter w;
  Json doc = json_head("show services");
  doc["services"] = Json::array();
  std::map<std::string, health::HealthView> by_source;
  std::map<std::string, std::string> process_state;
  std::set<rib::Prefix> prefixes;
  if (ctx.health) {
    for (auto& v : ctx.health->health()) {
      for (const auto& r : v.routes) prefixes.insert(r.prefix);
      by_source["health " + v.name] = std::move(v);
    }
    // Processes: their routes are service IPs too; the state column says whether the program runs.
    for (const auto& pv : ctx.health->processes()) {
      process_state["process " + pv.name] = pv.running ? "running" : "stopped";
      for (const auto& r : pv.route_list) {
        prefixes.insert(r.prefix);
        if (r.stale)
          process_state["process " + pv.name] =
              pv.running ? "running (kept routes)" : "stopped (kept routes)";
      }
    }
  }
  // Service IPs fed over BGP (an ExaBGP node): host routes, and whatever an overridden node sends.
  const rib::LocRib& rib = ctx.server.rib();
  const NodeOverrides& overrides = ctx.server.node_overrides();
  rib.for_each([&](const rib::Prefix& p, const rib::Destination& d) {
    if (p.length() == (p.is_v4() ? 32 : 128)) {
      if (!d.paths.empty()) prefixes.insert(p);
      return;
    }
    if (overrides.empty()) return;
    for (const rib::Path& path : d.paths) {
      if (!path.route.source || !path.received) continue;
      if (!override_text(overrides, path.route.source->name, path.received->next_hop).empty()) {
        prefixes.insert(p);
        return;
      }
    }
  });

  for (const auto& p : prefixes) {
    Json service = {{"prefix", p.to_string()}, {"paths", Json::array()}};
    if (!json) w.line(code::kServices, p.to_string());
    const rib::Destination* d = rib.find(p);
    if (!d || d->paths.empty()) {
      if (json)
        doc["services"].push_back(std::move(service));
      else
        w.line(code::kServices, "\t-\t-\t-\t-\t-\tno path");
      continue;
    }
    for (std::size_t i = 0; i < d->paths.size(); ++i) {
      const rib::Route& r = d->paths[i].route;
      const rib::PathAttributes* received = d->paths[i].received.get();
      const rib::PathAttributes* a = r.attrs.get();
      const std::string src = r.source ? r.source->name : std::string("?");
      std::string state = "-";
      Json health = nullptr, flags = nullptr;  // JSON: the state alone, the flags apart
      if (auto it = by_source.find(src); it != by_source.end()) {
        flags = health_flags_json(it->second);
        state = std::string(health::to_string(it->second.state));
        health = state;
        std::string f = health_flags_text(it->second);
        if (f != "none") state += " (" + f + ")";
      } else if (auto pit = process_state.find(src); pit != process_state.end()) {
        state = pit->second;
        health = state;
      } else if (const bgp::Peer* peer = ctx.server.peer(src)) {
        state = std::string(bgp::to_string(peer->state()));
      }
      const std::string session = ctx.server.peer(src) ? state : std::string();
      const rib::IpAddress nh = received ? received->next_hop : a ? a->next_hop : rib::IpAddress();
      const std::string node = override_text(overrides, src, nh);
      if (!node.empty()) state = (state == "-" ? "" : state + " ") + "[" + node + "]";
      std::string why, verdict, reason, lost_to;
      const bool best = d->best == static_cast<int32_t>(i);
      const bool withdrawn =
          r.filtered() && received &&
          overrides.effect(src, nh, received->has(rib::AttrType::Med) ? received->med : 0).withdraw;
      if (withdrawn) {
        why = verdict = "withdrawn by the operator";
      } else if (r.filtered()) {
        why = verdict = "filtered";
      } else if (best) {
        verdict = "best";
        reason = rib::to_string(rib.reason(*d));
        why = "best (" + reason + ")";
      } else if (const rib::Route* b = d->best_route()) {
        rib::Comparison cmp = rib::compare(*b, r, rib.config());
        verdict = "not best";
        lost_to = b->source ? b->source->name : std::string("?");
        reason = rib::to_string(cmp.reason);
        why = "not best (lost to " + lost_to + " on " + reason + ")";
      } else {
        why = verdict = "not eligible";
      }
      if (json) {
        service["paths"].push_back(
            {{"source", src},
             {"next_hop", nh.to_string()},
             {"med", r.filtered() ? Json(nullptr) : med_json(a)},
             {"med_received", med_json(received)},
             {"health", health},
             {"flags", flags},
             {"session", session.empty() ? Json(nullptr) : Json(session)},
             {"node", node.empty() ? Json(nullptr) : Json(node)},
             {"best", best},
             {"decision",
              {{"state", verdict},
               {"reason", reason.empty() ? Json(nullptr) : Json(reason)},
               {"lost_to", lost_to.empty() ? Json(nullptr) : Json(lost_to)}}}});
        continue;
      }
      // Columns: node (source), next hop, MED in effect, MED received, state, decision.
      w.line(code::kServices, "\t" + src + "\t" + nh.to_string() + "\t" +
                                  (r.filtered() ? std::string("-") : med_text(a)) + "\t" +
                                  med_text(received) + "\t" + state + "\t" + why);
    }
    if (json) doc["services"].push_back(std::move(service));
  }
  if (json) return json_reply(doc);
  w.end();
  return reply(std::move(w));
}

std::unique_ptr<Output> node_action(const ControlContext& ctx, const cli::Command& c) {
  RouteServer& rs = ctx.server;
  const std::string& node = *c.positional;
  const std::string_view path = c.path();
  if (!rs.node_known(node))
    return reply(code::kNoProtocolsMatch,
                 "No healthcheck, protocol, process or next hop named '" + node + "'");
  auto persist = [&](const char* kind, const std::optional<std::string>& value) {
    if (ctx.health) ctx.health->persist_node(node, kind, value);
  };
  std::string done;
  if (path == "drain") {
    NodeDrain d;
    if (auto o = c.get("over")) d.over_ms = std::stoull(*o) * 1000;
    if (auto s = c.get("steps")) d.steps = static_cast<uint32_t>(std::stoul(*s));
    if (auto t = c.get("to")) d.ceiling = static_cast<uint32_t>(std::stoul(*t));
    d.withdraw = !c.has("keep");
    if (d.steps == 0) return reply(code::kParseError, "syntax error, steps must be at least 1");
    rs.drain_node(node, d);
    persist("drain", d.to_string());
    done = "node " + node + ": draining over " + std::to_string(d.over_ms / 1000) + " s in " +
           std::to_string(d.steps) + " steps to med " + std::to_string(d.ceiling) +
           (d.withdraw ? ", then withdrawn" : ", then kept");
  } else if (path == "undrain") {
    if (!rs.undrain_node(node)) return reply(code::kNoProtocolsMatch, node + " is not drained");
    persist("drain", std::nullopt);
    done = "node " + node + ": drain cancelled";
  } else if (path == "maintenance") {
    if (c.has("on") == c.has("off"))
      return reply(code::kParseError, "syntax error, expecting on or off");
    const bool on = c.has("on");
    rs.node_maintenance(node, on);
    persist("maintenance", on ? std::optional<std::string>("on") : std::nullopt);
    done = "node " + node + (on ? ": maintenance on" : ": maintenance off");
  } else {
    return reply(code::kNoProtocolsMatch, "No health check named '" + node + "'");
  }
  return reply(code::kHealthAction, done);
}

}  // namespace rs::control
