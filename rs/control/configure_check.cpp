// `configure check`: BIRD only parses; rsd also says what applying the file would do, without
// applying it (rs/reconfigure_preview.hpp works it out; this file words it). In order:
//   - per protocol the action of conf::diff (keep, soft reload, restart, add, remove, with
//     reasons), then the sessions grouped by what the reload does to them;
//   - per `healthcheck` / `process` block: added, changed (which settings), removed, and what
//     that does; static protocols, which rsd loads at start only;
//   - for each protocol whose import filter changed, the routes whose import result changes (the
//     new filter over the kept Adj-RIB-In, as the soft reload does) and their totals;
//   - per prefix whose outcome changes: the best path now and after, and each edge's export now
//     and after; then a summary with counts per edge.
// Both walks are streamed like `show route`, a slice of prefixes per turn of the event loop. The
// listings stop after `limit` entries (default 100; `all`: no limit); the counts are always
// complete.
#include <algorithm>
#include <map>
#include <set>

#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/control/route_json.hpp"
#include "rs/reconfigure_preview.hpp"
#include "rs/route_server.hpp"

namespace rs::control {

namespace code = cli::code;

namespace {

#ifdef NDEBUG
constexpr std::size_t kPrefixesPerSlice = 256;
#else
constexpr std::size_t kPrefixesPerSlice = 4;
#endif

std::string communities_text(const rib::PathAttributes& a) {
  std::string s;
  if (a.communities)
    for (uint32_t c : a.communities->values)
      s += (s.empty() ? "(" : " (") + std::to_string(c >> 16) + "," + std::to_string(c & 0xffff) +
           ")";
  if (a.large_communities)
    for (const auto& c : a.large_communities->values)
      s += (s.empty() ? "(" : " (") + std::to_string(c.global) + "," + std::to_string(c.local1) +
           "," + std::to_string(c.local2) + ")";
  return s;
}

// The attributes that matter to an edge, on one line: "via NH as path A B med M local pref L
// communities (x,y)".
std::string attrs_text(const rib::PathAttributes& a, const rib::IpAddress& next_hop) {
  using rib::AttrType;
  std::string s = "via " + next_hop.to_string();
  s += " as path [" + (a.as_path ? a.as_path->to_string() : std::string()) + "]";
  if (a.has(AttrType::Med)) s += " med " + std::to_string(a.med);
  if (a.has(AttrType::LocalPref)) s += " local pref " + std::to_string(a.local_pref);
  if (std::string c = communities_text(a); !c.empty()) s += " communities " + c;
  return s;
}

std::string path_text(const std::optional<PreviewPath>& p, bool reason) {
  if (!p) return "none";
  std::string s = p->source;
  if (p->path_id) s += " path " + std::to_string(p->path_id);
  s += " " + attrs_text(*p->attrs, p->attrs->next_hop);
  if (reason) s += " (" + std::string(rib::to_string(p->reason)) + ")";
  return s;
}

std::string edge_text(const std::vector<EdgeRoute>& routes) {
  if (routes.empty()) return "nothing";
  std::string s;
  for (const EdgeRoute& r : routes) {
    if (!s.empty()) s += "; ";
    s += "announce ";
    if (r.path_id) s += "path " + std::to_string(r.path_id) + " ";
    s += attrs_text(*r.attrs, r.next_hop);
  }
  return s;
}

Json path_json(const std::optional<PreviewPath>& p) {
  if (!p) return nullptr;
  return {{"source", p->source},
          {"path_id", p->path_id},
          {"reason", std::string(rib::to_string(p->reason))},
          {"attributes", attributes_json(*p->attrs)}};
}

Json edge_json(const std::vector<EdgeRoute>& routes) {
  Json a = Json::array();
  for (const EdgeRoute& r : routes)
    a.push_back({{"path_id", r.path_id},
                 {"next_hop", r.next_hop.to_string()},
                 {"attributes", attributes_json(*r.attrs)}});
  return a;
}

std::string_view health_action(conf::ReconfigAction a) {
  switch (a) {
    case conf::ReconfigAction::Add:
      return "added";
    case conf::ReconfigAction::Remove:
      return "removed";
    case conf::ReconfigAction::Restart:
      return "changed";
    default:
      return "unchanged";
  }
}

// What the health manager does with the block (HealthManager::reconfigure, docs/health.md).
std::string health_effect(const conf::HealthChange& h) {
  const bool check = h.kind == conf::HealthChange::Kind::Healthcheck;
  switch (h.action) {
    case conf::ReconfigAction::Add:
      return check ? "starts; announces its routes once it has a verdict"
                   : "starts; announces what the program reports";
    case conf::ReconfigAction::Remove:
      return check ? "stops; its routes are withdrawn at once"
                   : "stops the program; its routes are withdrawn at once";
    case conf::ReconfigAction::Restart:
      return check ? "restarts from INIT; its routes stay announced as they are until the new "
                     "check has a verdict"
                   : "restarts the program; its routes stay announced as they are until it "
                     "reports";
    default:
      return "keeps running with its state and routes";
  }
}

std::string joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

class CheckOutput final : public Output {
 public:
  CheckOutput(const ControlContext& ctx, std::shared_ptr<const conf::Config> next, std::string path,
              bool json, std::size_t limit)
      : preview_(ctx.server, std::move(next)), path_(std::move(path)), json_(json), limit_(limit) {
    for (const auto& ch : preview_.plan().protocols)
      if (ch.kind == conf::ProtocolKind::Bgp && ch.action == conf::ReconfigAction::SoftReload &&
          ch.reload_import)
        reimport_.insert(ch.name);
    for (const auto& s : preview_.sessions())
      if (s.parent.size() && reimport_.count(s.parent)) reimport_.insert(s.name);
    if (reimport_.empty()) phase_ = Phase::Prefixes;
  }

  bool json() const override { return json_; }

  bool next(cli::ReplyWriter& w, std::size_t budget) override {
    if (!started_) {
      started_ = true;
      json_ ? head_json(w) : head_text(w);
      if (json_) w.line(code::kJson, ",\"routes\":[");
      if (phase_ == Phase::Prefixes) close_routes(w);
    }
    const auto& prefixes = preview_.prefixes();
    std::size_t n = 0;
    while (pos_ < prefixes.size() && n < kPrefixesPerSlice && w.size() < budget) {
      const rib::Prefix& p = prefixes[pos_++];
      ++n;
      if (phase_ == Phase::Routes)
        routes(w, preview_.preview(p, true));
      else
        prefix(w, preview_.preview(p));
    }
    if (pos_ < prefixes.size()) return true;
    if (phase_ == Phase::Routes) {
      phase_ = Phase::Prefixes;
      pos_ = 0;
      close_routes(w);
      return true;
    }
    finish(w);
    return false;
  }

 private:
  enum class Phase : uint8_t { Routes, Prefixes };
  struct Tally {
    uint64_t accepted = 0, rejected = 0, changed = 0;
  };
  struct EdgeTally {
    uint64_t announced = 0, withdrawn = 0, changed = 0;
  };

  // ---- the head: protocols, sessions, health blocks, static protocols

  void head_text(cli::ReplyWriter& w) {
    w.line(code::kReadingConfig, "Reading configuration from " + path_);
    for (const auto& ch : preview_.plan().protocols) {
      if (ch.action == conf::ReconfigAction::Keep) continue;
      std::string s = ch.name + ": " + std::string(conf::to_string(ch.action));
      if (ch.action == conf::ReconfigAction::SoftReload)
        s += std::string(" (") + (ch.reload_import ? "import" : "") +
             (ch.reload_import && ch.reload_export ? " and " : "") +
             (ch.reload_export ? "export" : "") + ")";
      for (std::size_t i = 0; i < ch.reasons.size(); ++i) s += (i ? ", " : ": ") + ch.reasons[i];
      if (ch.action == conf::ReconfigAction::Restart && ch.kind == conf::ProtocolKind::Bgp)
        s += "; the session would restart";
      if (ch.action == conf::ReconfigAction::Remove && ch.kind == conf::ProtocolKind::Bgp)
        s += "; the session would close";
      if (ch.kind == conf::ProtocolKind::Static) {
        // rsd loads static routes when it starts: the reload leaves the running ones as they are.
        s = ch.name + ": static protocol " +
            (ch.action == conf::ReconfigAction::Add      ? std::string("added")
             : ch.action == conf::ReconfigAction::Remove ? std::string("removed")
                                                         : joined(ch.reasons)) +
            "; not applied: static routes are loaded when rsd starts";
        if (ch.action != conf::ReconfigAction::Add) s += " (the running ones stay)";
      }
      w.line(code::kConfigChanges, s);
    }
    std::map<SessionFate, std::vector<std::string>> by_fate;
    for (const auto& s : preview_.sessions()) {
      std::string t = s.name;
      if ((s.fate == SessionFate::Reset || s.fate == SessionFate::Close) && s.established)
        t += " (" + std::to_string(s.exported) + " prefixes withdrawn from it)";
      by_fate[s.fate].push_back(std::move(t));
    }
    std::string line;
    for (SessionFate f :
         {SessionFate::Reset, SessionFate::Close, SessionFate::SoftReload, SessionFate::Keep})
      if (by_fate.count(f))
        line += (line.empty() ? "" : "; ") + std::string(to_string(f)) + ": " + joined(by_fate[f]);
    if (!line.empty()) w.line(code::kConfigChanges, "Sessions: " + line);
    for (const auto& h : preview_.health()) {
      if (h.action == conf::ReconfigAction::Keep) continue;
      std::string s = h.kind == conf::HealthChange::Kind::Healthcheck ? "healthcheck " : "process ";
      s += h.name + ": " + std::string(health_action(h.action));
      if (!h.changed.empty()) s += " (" + joined(h.changed) + ")";
      s += ": " + health_effect(h);
      if (!h.routes.empty()) s += "; then: " + joined(h.routes);
      w.line(code::kConfigChanges, s);
    }
  }

  void head_json(cli::ReplyWriter& w) {
    Json head = json_head("configure check");
    head["code"] = code::kConfigOk;
    head["file"] = path_;
    head["changes"] = preview_.changes_anything();
    Json protocols = Json::array();
    for (const auto& ch : preview_.plan().protocols) {
      if (ch.action == conf::ReconfigAction::Keep) continue;
      Json p;
      p["name"] = ch.name;
      p["kind"] = ch.kind == conf::ProtocolKind::Bgp      ? "bgp"
                  : ch.kind == conf::ProtocolKind::Static ? "static"
                                                          : "device";
      p["action"] = std::string(conf::to_string(ch.action));
      p["import"] = ch.action == conf::ReconfigAction::SoftReload && ch.reload_import;
      p["export"] = ch.action == conf::ReconfigAction::SoftReload && ch.reload_export;
      p["reasons"] = ch.reasons;
      // rsd loads static routes at start only: a reload leaves them as they are.
      p["applied"] = ch.kind != conf::ProtocolKind::Static;
      protocols.push_back(std::move(p));
    }
    head["protocols"] = std::move(protocols);
    Json sessions = Json::array();
    for (const auto& s : preview_.sessions())
      sessions.push_back({{"name", s.name},
                          {"range", s.parent.empty() ? Json(nullptr) : Json(s.parent)},
                          {"fate", std::string(to_string(s.fate))},
                          {"established", s.established},
                          {"exported", s.exported},
                          {"import", s.import_reload},
                          {"export", s.export_reload},
                          {"reasons", s.reasons}});
    head["sessions"] = std::move(sessions);
    Json health = Json::array();
    for (const auto& h : preview_.health())
      health.push_back(
          {{"kind", h.kind == conf::HealthChange::Kind::Healthcheck ? "healthcheck" : "process"},
           {"name", h.name},
           {"action", std::string(health_action(h.action))},
           {"changed", h.changed},
           {"routes", h.routes},
           {"effect", health_effect(h)}});
    head["health"] = std::move(health);
    std::string s = dump(head);
    s.pop_back();
    w.line(code::kJson, s);
  }

  // ---- the import changes (first walk)

  void routes(cli::ReplyWriter& w, const PrefixPreview& pp) {
    for (const ImportChange& c : pp.imports) {
      Tally& t = tally_[c.protocol];
      ++(c.what == ImportChange::What::Accepted   ? t.accepted
         : c.what == ImportChange::What::Rejected ? t.rejected
                                                  : t.changed);
      if (limit_ && routes_shown_ >= limit_) {
        ++routes_left_;
        continue;
      }
      const std::string what(to_string(c.what));
      if (json_) {
        Json r = {{"protocol", c.protocol}, {"prefix", pp.prefix.to_string()}, {"change", what}};
        w.line(code::kJson, (routes_shown_ ? "," : "") + dump(r));
      } else {
        w.line(code::kConfigChanges,
               c.protocol + ": " + pp.prefix.to_string() + " would be " + what);
      }
      ++routes_shown_;
    }
  }

  Json totals_json() const {
    Json totals = Json::array();
    for (const auto& name : reimport_) {
      auto it = tally_.find(name);
      const Tally t = it == tally_.end() ? Tally{} : it->second;
      totals.push_back({{"protocol", name},
                        {"accepted", t.accepted},
                        {"rejected", t.rejected},
                        {"changed", t.changed}});
    }
    return totals;
  }

  // The end of the import changes: their totals (and, in JSON, the start of the prefixes).
  void close_routes(cli::ReplyWriter& w) {
    if (json_) {
      w.line(code::kJson, "],\"routes_not_shown\":" + std::to_string(routes_left_) +
                              ",\"totals\":" + dump(totals_json()) + ",\"prefixes\":[");
      return;
    }
    if (routes_left_)
      w.line(code::kConfigChanges, std::to_string(routes_left_) + " more routes would change");
    for (const auto& name : reimport_) {
      const Tally& t = tally_[name];
      w.line(code::kConfigChanges, name + ": " + std::to_string(t.accepted) +
                                       " routes would be accepted, " + std::to_string(t.rejected) +
                                       " rejected, " + std::to_string(t.changed) + " changed");
    }
  }

  // ---- per prefix (second walk)

  void prefix(cli::ReplyWriter& w, const PrefixPreview& pp) {
    ++checked_;
    if (!pp.changes()) return;
    ++changed_;
    if (pp.best_changed) ++best_changed_;
    for (const EdgeChange& e : pp.edges) {
      EdgeTally& t = edges_[{e.protocol + (e.reset ? " (once re-established)" : ""),
                             std::string(rib::to_string(pp.prefix.family()))}];
      ++(e.now.empty() ? t.announced : e.after.empty() ? t.withdrawn : t.changed);
    }
    const std::size_t listed = pp.listed_edges();
    if (!pp.best_changed && listed == 0) return;  // import changes only: listed already
    ++listable_;
    if (limit_ && shown_ >= limit_) return;
    ++shown_;
    if (json_) {
      Json edges = Json::array();
      for (std::size_t i = 0; i < listed; ++i)
        edges.push_back({{"protocol", pp.edges[i].protocol},
                         {"now", edge_json(pp.edges[i].now)},
                         {"after", edge_json(pp.edges[i].after)}});
      Json imports = Json::array();
      for (const ImportChange& c : pp.imports)
        imports.push_back({{"protocol", c.protocol}, {"change", std::string(to_string(c.what))}});
      Json j = {{"prefix", pp.prefix.to_string()},    {"best_changed", pp.best_changed},
                {"best_now", path_json(pp.best_now)}, {"best_after", path_json(pp.best_after)},
                {"imports", std::move(imports)},      {"edges", std::move(edges)}};
      w.line(code::kJson, (shown_ > 1 ? "," : "") + dump(j));
      return;
    }
    w.line(code::kConfigChanges, pp.prefix.to_string() + ":");
    if (pp.best_changed) {
      w.line(code::kConfigChanges, "\tbest now:   " + path_text(pp.best_now, true));
      w.line(code::kConfigChanges, "\tbest after: " + path_text(pp.best_after, true));
    } else {
      w.line(code::kConfigChanges,
             "\tbest:       " + path_text(pp.best_now, false) + " (unchanged)");
    }
    for (std::size_t i = 0; i < listed; ++i) {
      const EdgeChange& e = pp.edges[i];
      w.line(code::kConfigChanges, "\t" + e.protocol + " now:   " + edge_text(e.now));
      w.line(code::kConfigChanges, "\t" + e.protocol + " after: " + edge_text(e.after));
    }
  }

  void finish(cli::ReplyWriter& w) {
    const bool complete = listable_ == shown_;
    if (json_) {
      Json edges = Json::array();
      for (const auto& [key, t] : edges_)
        edges.push_back({{"protocol", key.first.substr(0, key.first.find(' '))},
                         {"family", key.second},
                         {"reset", key.first.find(' ') != std::string::npos},
                         {"announced", t.announced},
                         {"withdrawn", t.withdrawn},
                         {"changed", t.changed}});
      Json summary = {{"prefixes", checked_},          {"changed", changed_},
                      {"best_changed", best_changed_}, {"shown", shown_},
                      {"complete", complete},          {"edges", std::move(edges)}};
      w.line(code::kJson, "],\"summary\":" + dump(summary) + ",\"message\":\"Configuration OK\"}");
      w.end();
      return;
    }
    if (!preview_.changes_anything()) {
      w.line(code::kConfigChanges, "No changes");
    } else {
      w.line(code::kConfigChanges, "Summary: " + std::to_string(checked_) + " prefixes checked, " +
                                       std::to_string(changed_) + " would change (best path of " +
                                       std::to_string(best_changed_) + "), " +
                                       std::to_string(shown_) + " shown");
      for (const auto& [key, t] : edges_)
        w.line(code::kConfigChanges, key.first + " " + key.second + ": " +
                                         std::to_string(t.announced) + " announced, " +
                                         std::to_string(t.withdrawn) + " withdrawn, " +
                                         std::to_string(t.changed) + " changed");
      if (!complete)
        w.line(code::kConfigChanges,
               "More prefixes change: `configure check \"FILE\" all` lists every one");
    }
    w.end(code::kConfigOk, "Configuration OK");
  }

  ReconfigurePreview preview_;
  std::string path_;
  const bool json_;
  const std::size_t limit_;  // 0: no limit
  std::set<std::string> reimport_;
  Phase phase_ = Phase::Routes;
  std::size_t pos_ = 0;
  bool started_ = false;
  std::map<std::string, Tally> tally_;
  uint64_t routes_shown_ = 0, routes_left_ = 0;
  uint64_t checked_ = 0, changed_ = 0, best_changed_ = 0, shown_ = 0;
  uint64_t listable_ = 0;  // prefixes whose best path or exports change
  std::map<std::pair<std::string, std::string>, EdgeTally> edges_;
};

}  // namespace

std::unique_ptr<Output> check_changes(const ControlContext& ctx,
                                      std::shared_ptr<const conf::Config> next, std::string path,
                                      bool json, std::size_t limit) {
  return std::make_unique<CheckOutput>(ctx, std::move(next), std::move(path), json, limit);
}

}  // namespace rs::control
