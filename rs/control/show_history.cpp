// `show history [PREFIX | protocol P | health H] [since TIME] [until TIME] [limit N]` and
// `show failovers [PREFIX] [since TIME] [until TIME] [limit N]` (rsd additions, docs/history.md).
// Layout: a 2033/2034 header, then one 1033/1034 line per event, columns separated by tabs, oldest
// first (the newest `limit` rows, default 100). The query reads the history database on its own
// read-only connection; rows still in the writer's queue (at most one batch window, 100 ms) are
// not shown yet.
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "rib/prefix.hpp"
#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/history/query.hpp"
#include "rs/history/recorder.hpp"
#include "rs/history/store.hpp"

namespace rs::control {

namespace code = cli::code;

namespace {
std::string unquote(std::string s) {
  std::erase(s, '"');
  return s;
}
std::string tabless(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}
std::string dash(const std::string& s) {
  return s.empty() ? std::string("-") : tabless(s);
}
}  // namespace

std::optional<history::Query> history_query(const cli::Command& c, int64_t now_us,
                                            std::string& error) {
  history::Query q;
  q.failovers_only = c.path() == "show failovers";
  if (c.positional) {
    auto p = rib::Prefix::parse(*c.positional);
    if (!p) {
      auto a = rib::IpAddress::parse(*c.positional);
      if (!a) return error = "'" + *c.positional + "' is not a prefix", std::nullopt;
      p = rib::Prefix(*a, a->is_v4() ? 32 : 128);
    }
    q.prefix = p->to_string();
  }
  if (auto v = c.get("protocol")) q.protocol = *v;
  if (auto v = c.get("health")) q.health = *v;
  for (const char* k : {"since", "until"}) {
    auto v = c.get(k);
    if (!v) continue;
    std::string err;
    int64_t span = 0;
    auto t = history::parse_time(unquote(*v), now_us, err, &span);
    if (!t) return error = std::string(k) + " " + err, std::nullopt;
    // `until` includes the whole unit written (until 03:12 = up to 03:12:59.999999).
    if (std::string_view(k) == "since")
      q.since_us = *t;
    else
      q.until_us = *t + span;
  }
  if (auto v = c.get("limit")) {
    // The grammar takes at most 10 digits; from_chars, not stoul: no exception on any text.
    unsigned long long n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size())
      return error = "limit '" + *v + "' is not a number", std::nullopt;
    q.limit = static_cast<uint32_t>(std::clamp<unsigned long long>(n, 1, 100000));
  }
  return q;
}

std::unique_ptr<Output> show_history(const ControlContext& ctx, const cli::Command& c, bool json) {
  if (!ctx.history) return reply(code::kNoProtocolsMatch, "History not configured");
  const bool failovers = c.path() == "show failovers";
  std::string parse_error;
  const auto parsed = history_query(c, history::Store::now_us(), parse_error);
  if (!parsed) return reply(code::kParseError, "syntax error, " + parse_error);
  const history::Query& q = *parsed;
  std::string err;
  auto rows = history::run_query(ctx.history->options().path, q, err);
  if (!err.empty()) return reply(code::kHistoryUnavailable, "History unavailable: " + err);
  auto opt = [](const std::string& v) { return v.empty() ? Json(nullptr) : Json(v); };
  if (json && failovers) {
    Json j = json_head("show failovers");
    j["failovers"] = Json::array();
    for (const auto& e : rows)
      j["failovers"].push_back(
          {{"time", iso_time_us(e.ts_us)},
           {"prefix", opt(e.prefix)},
           {"old_best", opt(e.old_best)},
           {"new_best", opt(e.new_best)},
           {"latency_us", e.latency_us >= 0 ? Json(e.latency_us) : Json(nullptr)},
           {"cause", opt(e.cause)}});
    return json_reply(j);
  }
  if (json) {
    Json j = json_head("show history");
    j["events"] = Json::array();
    for (const auto& e : rows)
      j["events"].push_back({{"time", iso_time_us(e.ts_us)},
                             {"kind", e.kind},
                             {"protocol", opt(e.protocol)},
                             {"health", opt(e.health)},
                             {"prefix", opt(e.prefix)},
                             {"event", e.message}});
    return json_reply(j);
  }
  cli::ReplyWriter w;
  if (failovers) {
    w.line(code::kFailoversHeader, "Time\tPrefix\tOld best\tNew best\tTo UPDATE\tCause");
    for (const auto& e : rows) {
      char lat[32] = "-";
      if (e.latency_us >= 0)
        std::snprintf(lat, sizeof lat, "%.3f ms", static_cast<double>(e.latency_us) / 1000.0);
      w.line(code::kFailovers, history::format_ts(e.ts_us) + "\t" + dash(e.prefix) + "\t" +
                                   dash(e.old_best) + "\t" + dash(e.new_best) + "\t" + lat + "\t" +
                                   dash(e.cause));
    }
  } else {
    w.line(code::kHistoryHeader, "Time\tKind\tSubject\tEvent");
    for (const auto& e : rows) {
      std::string subject = e.kind == "health"                          ? e.health
                            : e.kind == "route" || e.kind == "failover" ? e.prefix
                                                                        : e.protocol;
      w.line(code::kHistory, history::format_ts(e.ts_us) + "\t" + e.kind + "\t" + dash(subject) +
                                 "\t" + tabless(e.message));
    }
  }
  w.end();
  return reply(std::move(w));
}

}  // namespace rs::control
