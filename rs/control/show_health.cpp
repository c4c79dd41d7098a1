// Health commands of the control socket: `show health [NAME]`, and the operator actions `drain`,
// `undrain`, `maintenance`, `enable health`, `disable health`. rsd additions without a BIRD
// equivalent: the layout is documented in docs/cli.md (one "Key: value" per continuation line for
// health, tab-separated columns per path for services); the JSON form is built from the same views.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/health/health_manager.hpp"
#include "rs/route_server.hpp"

namespace rs::control {

namespace code = cli::code;

std::string health_flags_text(const health::HealthView& v) {
  std::string f;
  auto add = [&](bool on, const char* name) {
    if (on) f += (f.empty() ? "" : ", ") + std::string(name);
  };
  add(v.maintenance, "maintenance");
  add(v.disable_file, "disable file");
  add(v.disabled, "disabled");
  add(v.held_down, "flap hold-down");
  add(v.draining, "draining");
  add(v.drained, "drained");
  return f.empty() ? "none" : f;
}

Json health_flags_json(const health::HealthView& v) {
  return {{"maintenance", v.maintenance}, {"disable_file", v.disable_file},
          {"disabled", v.disabled},       {"held_down", v.held_down},
          {"draining", v.draining},       {"drained", v.drained}};
}

namespace {

uint64_t steady_now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::string ago(uint64_t ms) {
  if (ms == 0) return "never";
  const uint64_t now = steady_now_ms();
  return std::to_string(now > ms ? now - ms : 0) + " ms ago";
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

const char* score_text(health::Score s) {
  switch (s) {
    case health::Score::Full:
      return "full";
    case health::Score::Partial:
      return "partial";
    case health::Score::Low:
      return "low";
  }
  return "?";
}

void health_block(cli::ReplyWriter& w, const health::HealthManager& hm,
                  const health::HealthView& v) {
  w.line(code::kHealth, v.name + ":");
  auto kv = [&](const std::string& k, const std::string& val) {
    w.line(code::kHealth, "\t" + k + ": " + val);
  };
  kv("State", std::string(health::to_string(v.state)));
  kv("Phase", std::string(health::to_string(v.phase)));
  kv("Score", score_text(v.score));
  kv("Flags", health_flags_text(v));
  if (v.draining || v.drained)
    kv("Drain step", std::to_string(v.drain_step) + "/" + std::to_string(v.drain_steps));
  std::string last = "none";
  if (v.runs) {
    const bool ok =
        std::all_of(v.probes.begin(), v.probes.end(), [](const auto& p) { return p.ok; });
    last = ok ? "success" : "failure";
  }
  kv("Last result", last);
  for (const auto& p : v.probes)
    kv("Probe", p.what + " " + (p.ok ? "ok" : "failed") + " in " + std::to_string(p.duration_ms) +
                    " ms: " + one_line(p.output));
  kv("Runs", std::to_string(v.runs));
  kv("Successes", std::to_string(v.successes));
  kv("Failures", std::to_string(v.failures));
  kv("Timeouts", std::to_string(v.timeouts));
  kv("Transitions", std::to_string(v.transitions));
  kv("Announcements", std::to_string(v.announcements));
  kv("Last run", ago(v.last_run_ms));
  kv("Last change", ago(v.last_change_ms));
  kv("Last duration", std::to_string(v.last_duration_ms) + " ms");
  for (const auto& r : v.routes)
    kv("Route", r.prefix.to_string() +
                    (r.announced ? " announced med " + std::to_string(r.med) : " withdrawn"));
  for (const auto& f : hm.failovers(v.name))
    kv("Failover", f.peer + " " + std::to_string(f.latency_us) + " us");
}

Json failovers_json(const health::HealthManager& hm, const std::string& source) {
  Json a = Json::array();
  for (const auto& f : hm.failovers(source))
    a.push_back({{"peer", f.peer}, {"latency_us", f.latency_us}});
  return a;
}

Json health_json(const health::HealthManager& hm, const health::HealthView& v) {
  Json j;
  j["name"] = v.name;
  j["state"] = std::string(health::to_string(v.state));
  j["phase"] = std::string(health::to_string(v.phase));
  j["score"] = score_text(v.score);
  j["flags"] = health_flags_json(v);
  j["drain_step"] = v.draining || v.drained ? Json(v.drain_step) : Json(nullptr);
  j["drain_steps"] = v.draining || v.drained ? Json(v.drain_steps) : Json(nullptr);
  Json last = nullptr;
  if (v.runs)
    last = std::all_of(v.probes.begin(), v.probes.end(), [](const auto& p) { return p.ok; });
  j["last_ok"] = last;
  Json probes = Json::array();
  for (const auto& p : v.probes)
    probes.push_back({{"what", p.what},
                      {"ok", p.ok},
                      {"duration_ms", p.duration_ms},
                      {"output", one_line(p.output)}});
  j["probes"] = std::move(probes);
  j["runs"] = v.runs;
  j["successes"] = v.successes;
  j["failures"] = v.failures;
  j["timeouts"] = v.timeouts;
  j["transitions"] = v.transitions;
  j["announcements"] = v.announcements;
  j["last_run"] = iso_steady_ms(v.last_run_ms);
  j["last_change"] = iso_steady_ms(v.last_change_ms);
  j["last_duration_ms"] = v.last_duration_ms;
  Json routes = Json::array();
  for (const auto& r : v.routes)
    routes.push_back({{"prefix", r.prefix.to_string()},
                      {"announced", r.announced},
                      {"med", r.announced ? Json(r.med) : Json(nullptr)}});
  j["routes"] = std::move(routes);
  j["failovers"] = failovers_json(hm, v.name);
  return j;
}

Json process_json(const health::HealthManager& hm, const health::ProcessView& p) {
  Json j;
  j["name"] = p.name;
  j["running"] = p.running;
  j["pid"] = p.running ? Json(p.pid) : Json(nullptr);
  j["starts"] = p.starts;
  j["exits"] = p.exits;
  j["commands"] = p.commands;
  j["malformed"] = p.malformed;
  j["routes"] = p.routes;
  j["last_exit"] = p.last_exit.empty() ? Json(nullptr) : Json(one_line(p.last_exit));
  j["last_error"] = p.last_error.empty() ? Json(nullptr) : Json(one_line(p.last_error));
  Json routes = Json::array();
  for (const auto& r : p.route_list)
    routes.push_back({{"prefix", r.prefix.to_string()},
                      {"kept", r.stale},
                      {"med", r.med ? Json(*r.med) : Json(nullptr)}});
  j["route_list"] = std::move(routes);
  j["failovers"] = failovers_json(hm, "process " + p.name);
  return j;
}

}  // namespace

std::unique_ptr<Output> show_health(const ControlContext& ctx, const cli::Command& c, bool json) {
  if (!ctx.health) {
    if (c.positional) return reply(code::kNoProtocolsMatch, "No such health check");
    if (json) {
      Json j = json_head("show health");
      j["health"] = Json::array();
      j["processes"] = Json::array();
      return json_reply(j);
    }
    return reply(code::kOk, "");
  }
  const health::HealthManager& hm = *ctx.health;
  if (json) {
    Json j = json_head("show health");
    j["health"] = Json::array();
    j["processes"] = Json::array();
    if (c.positional) {
      auto v = hm.health(*c.positional);
      if (!v) return reply(code::kNoProtocolsMatch, "No such health check '" + *c.positional + "'");
      j["health"].push_back(health_json(hm, *v));
    } else {
      for (const auto& v : hm.health()) j["health"].push_back(health_json(hm, v));
      for (const auto& p : hm.processes()) j["processes"].push_back(process_json(hm, p));
    }
    return json_reply(j);
  }
  cli::ReplyWriter w;
  if (c.positional) {
    auto v = hm.health(*c.positional);
    if (!v) return reply(code::kNoProtocolsMatch, "No such health check '" + *c.positional + "'");
    health_block(w, hm, *v);
  } else {
    for (const auto& v : hm.health()) health_block(w, hm, v);
    for (const auto& p : hm.processes()) {
      w.line(code::kHealth, "process " + p.name + ":");
      auto kv = [&](const std::string& k, const std::string& val) {
        w.line(code::kHealth, "\t" + k + ": " + val);
      };
      kv("State",
         p.running ? "running (pid " + std::to_string(p.pid) + ")" : std::string("stopped"));
      kv("Starts", std::to_string(p.starts));
      kv("Exits", std::to_string(p.exits));
      kv("Commands", std::to_string(p.commands));
      kv("Malformed", std::to_string(p.malformed));
      kv("Routes", std::to_string(p.routes));
      if (!p.last_exit.empty()) kv("Last exit", one_line(p.last_exit));
      if (!p.last_error.empty()) kv("Last error", one_line(p.last_error));
      for (const auto& r : p.route_list)
        kv("Route", r.prefix.to_string() + (r.stale ? " kept" : " announced") +
                        (r.med ? " med " + std::to_string(*r.med) : std::string()));
      for (const auto& f : hm.failovers("process " + p.name))
        kv("Failover", f.peer + " " + std::to_string(f.latency_us) + " us");
    }
  }
  w.end();
  return reply(std::move(w));
}

std::unique_ptr<Output> health_action(const ControlContext& ctx, const cli::Command& c) {
  const std::string& name = *c.positional;
  const std::string_view path = c.path();
  // A name that is no healthcheck is a service node fed some other way (show_services.cpp).
  if (!ctx.health || !ctx.health->health(name)) return node_action(ctx, c);
  health::HealthManager& hm = *ctx.health;
  std::string err, done;
  if (path == "drain" && (c.get("to") || c.has("keep")))
    return reply(
        code::kParseError,
        "syntax error, 'to' and 'keep' are for nodes; a healthcheck drains to its down med");
  if (path == "drain") {
    uint64_t over_ms = 300000;
    uint32_t steps = 10;
    if (auto o = c.get("over")) over_ms = std::stoull(*o) * 1000;
    if (auto s = c.get("steps")) steps = static_cast<uint32_t>(std::stoul(*s));
    if (steps == 0) return reply(code::kParseError, "syntax error, steps must be at least 1");
    err = hm.drain(name, over_ms, steps);
    done = name + ": draining over " + std::to_string(over_ms / 1000) + " s in " +
           std::to_string(steps) + " steps";
  } else if (path == "undrain") {
    err = hm.undrain(name);
    done = name + ": drain cancelled";
  } else if (path == "maintenance") {
    if (c.has("on") == c.has("off"))
      return reply(code::kParseError, "syntax error, expecting on or off");
    err = hm.maintenance(name, c.has("on"));
    done = name + (c.has("on") ? ": maintenance on" : ": maintenance off");
  } else {
    const bool enable = path == "enable health";
    err = hm.set_enabled(name, enable);
    done = name + (enable ? ": enabled" : ": disabled");
  }
  if (!err.empty()) return reply(code::kNoProtocolsMatch, err);
  return reply(code::kHealthAction, done);
}

}  // namespace rs::control
