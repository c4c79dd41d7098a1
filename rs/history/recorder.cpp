// History recorder (see recorder.hpp). Design: formatting happens here, on the event loop, so the
// writer thread only binds strings; each event becomes exactly one Row (failovers: one `failover`
// row with the structured columns filled). Failover pending entries are few (selected prefixes
// only) and scanned linearly.
#include "rs/history/recorder.hpp"

#include <cstdio>
#include <ctime>

namespace rs::history {

namespace {
constexpr auto kCauseWindow = std::chrono::seconds(30);

int64_t to_us(events::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
std::string or_none(const std::string& s) {
  return s.empty() ? std::string("none") : s;
}
}  // namespace

std::string format_ts(int64_t ts_us) {
  const std::time_t tt = static_cast<std::time_t>(ts_us / 1000000);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[48];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03d", static_cast<int>((ts_us / 1000) % 1000));
  return buf;
}

void Recorder::session(const events::SessionEvent& e) {
  Row r;
  r.ts_us = to_us(e.at);
  r.kind = "session";
  r.protocol = e.protocol;
  if (e.kind == events::SessionEvent::Kind::Up) {
    r.message = "up";
    if (!e.neighbor.empty()) r.message += " (" + e.neighbor + ")";
  } else {
    const uint64_t f = ++flaps_[e.protocol];
    r.message = "down";
    if (e.notification) {
      const auto& n = *e.notification;
      r.message += n.sent ? ": sent NOTIFICATION " : ": received NOTIFICATION ";
      r.message += std::to_string(n.code) + "/" + std::to_string(n.subcode);
      if (!n.text.empty()) r.message += " (" + n.text + ")";
    } else if (!e.reason.empty()) {
      r.message += ": " + e.reason;
    }
    r.message += "; flaps " + std::to_string(f);
    std::string cause = "session " + e.protocol + " down";
    if (!e.reason.empty()) cause += ": " + e.reason;
    causes_[e.protocol] = {std::move(cause), Steady::now()};
  }
  store_.enqueue(std::move(r));
}

void Recorder::health(const events::HealthEvent& e) {
  Row r;
  r.ts_us = to_us(e.at);
  r.kind = "health";
  r.health = e.check;
  r.message = e.from + " -> " + e.to;
  if (!e.output.empty()) r.message += ": " + e.output;
  causes_["health " + e.check] = {"health " + e.check + " " + e.to, Steady::now()};
  store_.enqueue(std::move(r));
}

void Recorder::operator_command(const events::OperatorEvent& e) {
  Row r;
  r.ts_us = to_us(e.at);
  r.kind = "operator";
  r.message = e.command + " -> " + (e.ok ? "" : "error: ") + e.result + " (by " +
              (e.user.empty() ? std::string("?") : e.user);
  if (e.uid >= 0) r.message += " uid " + std::to_string(e.uid);
  if (e.pid >= 0) r.message += " pid " + std::to_string(e.pid);
  r.message += " on " + e.socket + ")";
  store_.enqueue(std::move(r));
}

const Recorder::Cause* Recorder::recent_cause(const std::string& source,
                                              Steady::time_point now) const {
  auto it = causes_.find(source);
  if (it == causes_.end() || now - it->second.at > kCauseWindow) return nullptr;
  return &it->second;
}

void Recorder::best_path(const events::BestPathEvent& e) {
  const auto now = Steady::now();
  Row r;
  r.ts_us = to_us(e.at);
  r.kind = "route";
  r.prefix = e.prefix;
  r.protocol = e.new_source.empty() ? e.old_source : e.new_source;
  r.message = "best " + or_none(e.old_best) + " -> " + or_none(e.new_best);
  if (!e.reason.empty()) r.message += " (" + e.reason + ")";
  store_.enqueue(std::move(r));
  expire(now);
  if (e.old_source.empty() || e.old_source == e.new_source) return;
  Pending p;
  p.ev.prefix = e.prefix;
  p.ev.old_best = e.old_best;
  p.ev.new_best = e.new_best;
  p.ev.at = e.at;
  const Cause* c = recent_cause(e.old_source, now);
  if (!c && !e.new_source.empty()) c = recent_cause(e.new_source, now);
  if (c) {
    p.ev.cause = c->text;
    p.cause_at = c->at;
  } else {
    p.ev.cause = (e.new_best.empty() ? "withdrawn by " : "update from ") + e.old_source;
    p.cause_at = now;
  }
  // A newer change of the same prefix replaces one still waiting for its UPDATE.
  for (auto& q : pending_)
    if (q.ev.prefix == e.prefix) {
      q.ev.new_best = p.ev.new_best;
      return;
    }
  pending_.push_back(std::move(p));
}

void Recorder::failover(const events::FailoverEvent& e) {
  Row r;
  r.ts_us = to_us(e.at);
  r.kind = "failover";
  r.prefix = e.prefix;
  r.old_best = e.old_best;
  r.new_best = e.new_best;
  r.cause = e.cause;
  r.latency_us = e.latency_us == UINT64_MAX ? -1 : static_cast<int64_t>(e.latency_us);
  char lat[48] = "no UPDATE sent";
  if (r.latency_us >= 0)
    std::snprintf(lat, sizeof lat, "%.3f ms to UPDATE", static_cast<double>(r.latency_us) / 1000.0);
  r.message =
      or_none(e.old_best) + " -> " + or_none(e.new_best) + ", cause: " + e.cause + ", " + lat;
  store_.enqueue(std::move(r));
}

void Recorder::on_export(const std::string&) {
  if (pending_.empty()) return;
  const auto now = Steady::now();
  while (!pending_.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    p.ev.latency_us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - p.cause_at).count());
    failover(p.ev);
  }
}

void Recorder::expire(Steady::time_point now) {
  while (!pending_.empty() && now - pending_.front().cause_at > kCauseWindow) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    p.ev.latency_us = UINT64_MAX;
    failover(p.ev);
  }
}

uint64_t Recorder::flaps(const std::string& protocol) const {
  auto it = flaps_.find(protocol);
  return it == flaps_.end() ? 0 : it->second;
}

}  // namespace rs::history
