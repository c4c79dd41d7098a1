// Health manager. Design: it owns the services and the store; operator commands change the service
// first and persist second (a store failure is reported but the command still acts). At start the
// stored records are applied before the first probe runs, so a restart under maintenance or drain
// never announces the service as up (a drain in progress resumes as finished: withdrawn).
// Failover accounting keeps each route change's verdict time for 30 s and, per peer, records the
// delay to the first UPDATE handed to that peer's socket afterwards (100 samples per check; a
// process's samples are kept as "process NAME"). The startup hold waits for checks to settle and
// for processes to have had their say (Process::settled).
#include "rs/health/health_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "conf/reconfigure.hpp"

namespace rs::health {

namespace {
// One comparison for the reload and for `configure check` (conf::diff_health): a setting added to
// a block must be added there.
bool same_process(const conf::ProcessConfig& a, const conf::ProcessConfig& b) {
  return conf::process_changes(a, b).empty();
}
bool same_check(const conf::HealthCheckConfig& a, const conf::HealthCheckConfig& b) {
  return conf::healthcheck_changes(a, b).empty();
}
constexpr auto kPendingMax = std::chrono::seconds(30);
constexpr std::size_t kSamplesPerCheck = 100;
}  // namespace

HealthManager::HealthManager(boost::asio::io_context& io, const conf::Config& cfg, RouteSink& sink)
    : io_(io), cfg_(&cfg), sink_(sink), hold_timer_(io) {}

HealthManager::~HealthManager() {
  *alive_ = false;
  stop();
}

std::string HealthManager::start(std::function<void()> ready) {
  std::string problems;
  ready_ = std::move(ready);
  router_id_ = cfg_->router_id;
  const rib::IpAddress router_id = cfg_->router_id.value_or(rib::IpAddress::v4(0));
  // With `history` configured the operator state lives in the history database (its own table).
  if (cfg_->history || cfg_->health.state_file) {
    const std::string& path = cfg_->history ? cfg_->history->path : *cfg_->health.state_file;
    std::string err;
    store_ = OperatorStateStore::open(path, err);
    if (!store_) problems += "health state file: " + err + "\n";
  }
  for (const auto& pc : cfg_->processes) processes_.push_back(make_process(pc, router_id));
  for (const auto& hc : cfg_->healthchecks) checks_.push_back(make_check(hc, problems));
  restore();
  for (auto& p : processes_) p->start();
  for (auto& c : checks_) c->start();
  if (checks_.empty() && processes_.empty()) {
    check_ready();
  } else {
    hold_timer_.expires_after(std::chrono::microseconds(cfg_->health.startup_hold.us));
    auto alive = alive_;
    hold_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
      if (!*alive || ec || ready_fired_) return;
      spdlog::warn(
          "health: startup hold passed before every check and process reported; exporting now");
      ready_fired_ = true;
      if (ready_) ready_();
    });
    check_ready();
  }
  return problems;
}

std::unique_ptr<HealthCheck> HealthManager::make_check(const conf::HealthCheckConfig& hc,
                                                       std::string& problems) {
  std::string err;
  const rib::IpAddress router_id = cfg_->router_id.value_or(rib::IpAddress::v4(0));
  auto c = std::make_unique<HealthCheck>(io_, hc, sink_, router_id, err);
  if (!err.empty()) problems += "healthcheck " + hc.name + ": " + err + "\n";
  auto alive = alive_;
  c->on_announce = [this, alive](const std::string& name,
                                 std::chrono::steady_clock::time_point verdict) {
    if (!*alive) return;
    pending_.push_back({name, verdict, {}});
    ++failover_stats_[name].route_changes;
  };
  c->on_run = [this, alive](const HealthView& v) {
    if (!*alive) return;
    if (events_) note_state(v);
    if (!old_checks_.empty()) finish_handovers();
    check_ready();
  };
  return c;
}

std::unique_ptr<Process> HealthManager::make_process(const conf::ProcessConfig& pc,
                                                     rib::IpAddress router_id) {
  auto p = std::make_unique<Process>(io_, pc, sink_, router_id);
  auto alive = alive_;
  const std::string key = "process " + pc.name;
  p->on_change = [this, alive, key](std::chrono::steady_clock::time_point verdict) {
    if (!*alive) return;
    pending_.push_back({key, verdict, {}});
  };
  p->on_settled = [this, alive]() {
    if (!*alive) return;
    if (!old_processes_.empty()) finish_handovers();
    check_ready();
  };
  return p;
}

std::string HealthManager::reconfigure(const conf::Config& next) {
  std::string problems;
  // cfg_ may already be gone (the route server dropped the old config): only `next` is read.
  const bool same_router_id = router_id_ == next.router_id;
  cfg_ = &next;
  router_id_ = next.router_id;
  const rib::IpAddress router_id = next.router_id.value_or(rib::IpAddress::v4(0));
  // Processes.
  std::vector<std::unique_ptr<Process>> procs;
  for (const auto& pc : next.processes) {
    auto it = std::find_if(processes_.begin(), processes_.end(),
                           [&](const auto& p) { return p && p->name() == pc.name; });
    if (it != processes_.end() && *it && same_router_id && same_process((*it)->config(), pc)) {
      procs.push_back(std::move(*it));
      continue;
    }
    if (it != processes_.end() && *it) {
      const bool handover = !old_processes_.count(pc.name);
      (*it)->stop(/*keep_routes=*/handover);
      if (!handover) {
        sink_.remove_source((*it)->source());  // an unsettled successor: the oldest one stays
        it->reset();
      } else {
        old_processes_[pc.name] = std::move(*it);
      }
      spdlog::info("health: process {} changed: restarting; its routes stay until it reports",
                   pc.name);
    }
    procs.push_back(make_process(pc, router_id));
    procs.back()->start();
  }
  for (auto& p : processes_)
    if (p) {
      spdlog::info("health: process {} removed", p->name());
      p->stop();
      sink_.remove_source(p->source());
    }
  processes_ = std::move(procs);
  // Checks.
  std::vector<std::unique_ptr<HealthCheck>> checks;
  for (const auto& hc : next.healthchecks) {
    auto it = std::find_if(checks_.begin(), checks_.end(),
                           [&](const auto& c) { return c && c->name() == hc.name; });
    if (it != checks_.end() && same_router_id && same_check((*it)->config(), hc)) {
      checks.push_back(std::move(*it));
      continue;
    }
    if (it != checks_.end()) {
      (*it)->stop();
      if (old_checks_.count(hc.name)) {
        sink_.remove_source((*it)->source());  // an unsettled successor: the oldest one stays
        it->reset();
      } else {
        old_checks_[hc.name] = std::move(*it);
      }
      spdlog::info(
          "health: healthcheck {} changed: restarting; its routes stay until the new check has "
          "a verdict",
          hc.name);
    }
    checks.push_back(make_check(hc, problems));
    apply_stored(*checks.back());
    checks.back()->start();
  }
  for (auto& c : checks_)
    if (c) {
      spdlog::info("health: healthcheck {} removed", c->name());
      c->stop();
      sink_.remove_source(c->source());
    }
  checks_ = std::move(checks);
  finish_handovers();  // blocks removed now: their old instances go too
  check_ready();       // a reload before the hold ended may have removed what it waited for
  return problems;
}

namespace {
// Drops the old instances whose successor (same name in `current`) has settled or is gone, with
// their routes.
template <class T>
void hand_over(std::map<std::string, std::unique_ptr<T>>& old,
               const std::vector<std::unique_ptr<T>>& current, RouteSink& sink) {
  for (auto it = old.begin(); it != old.end();) {
    auto next = std::find_if(current.begin(), current.end(),
                             [&](const auto& c) { return c && c->name() == it->first; });
    if (next == current.end() || (*next)->settled()) {
      sink.remove_source(it->second->source());
      it = old.erase(it);
    } else {
      ++it;
    }
  }
}
}  // namespace

void HealthManager::finish_handovers() {
  hand_over(old_checks_, checks_, sink_);
  hand_over(old_processes_, processes_, sink_);
}

void HealthManager::stop() {
  hold_timer_.cancel();
  for (auto& c : checks_) c->stop();
  for (auto& p : processes_) p->stop();
}

void HealthManager::note_state(const HealthView& v) {
  auto [it, fresh] = last_state_.try_emplace(v.name, HealthState::Init);
  if (!fresh && it->second == v.state) return;
  if (fresh && v.state == HealthState::Init) return;
  events::HealthEvent e;
  e.check = v.name;
  e.from = std::string(to_string(it->second));
  e.to = std::string(to_string(v.state));
  for (const auto& p : v.probes)
    e.output += (e.output.empty() ? "" : "; ") + p.what + " " + (p.ok ? "ok" : "failed") +
                (p.output.empty() ? "" : " (" + p.output + ")");
  it->second = v.state;
  events_->health(e);
}

void HealthManager::check_ready() {
  if (ready_fired_ || !all_settled()) return;
  ready_fired_ = true;
  hold_timer_.cancel();
  if (ready_) ready_();
}

bool HealthManager::all_settled() const {
  return std::all_of(checks_.begin(), checks_.end(), [](const auto& c) { return c->settled(); }) &&
         std::all_of(processes_.begin(), processes_.end(),
                     [](const auto& p) { return p->settled(); });
}

HealthCheck* HealthManager::find(const std::string& name) {
  for (auto& c : checks_)
    if (c->name() == name) return c.get();
  return nullptr;
}

void HealthManager::persist(const std::string& name, const std::string& kind,
                            const std::optional<std::string>& value) {
  if (!store_) return;
  std::string err = value ? store_->set(name, kind, *value) : store_->clear(name, kind);
  if (!err.empty())
    spdlog::error("health state file: {} {} {}: {}", name, kind, value.value_or("off"), err);
}

void HealthManager::restore() {
  if (!store_) return;
  std::string err;
  for (const auto& r : store_->load(err)) {
    if (r.name.starts_with(kNodePrefix)) continue;  // the route server's (stored_nodes)
    if (!find(r.name))
      spdlog::info("health state file: '{}' is no longer configured; its {} is ignored", r.name,
                   r.kind);
  }
  if (!err.empty()) spdlog::error("health state file: {}", err);
  for (auto& c : checks_) apply_stored(*c);
}

void HealthManager::apply_stored(HealthCheck& c) {
  if (!store_) return;
  std::string err;
  for (const auto& r : store_->load(err)) {
    if (r.name != c.name()) continue;
    if (r.kind == "maintenance")
      c.set_maintenance(true);
    else if (r.kind == "disabled")
      c.set_disabled(true);
    else if (r.kind == "drain")
      c.drain(0, 1);  // a drain survives a restart as finished
    spdlog::info("health: {} restored to {} (since {})", r.name, r.kind, r.since);
  }
}

std::vector<OperatorRecord> HealthManager::stored_nodes(std::string& error) const {
  std::vector<OperatorRecord> out;
  if (!store_) return out;
  for (auto& r : store_->load(error)) {
    if (!r.name.starts_with(kNodePrefix)) continue;
    r.name.erase(0, kNodePrefix.size());
    out.push_back(std::move(r));
  }
  return out;
}

std::string HealthManager::drain(const std::string& name, uint64_t over_ms, uint32_t steps) {
  HealthCheck* c = find(name);
  if (!c) return "no healthcheck named '" + name + "'";
  if (steps == 0) return "steps must be at least 1";
  c->drain(over_ms, steps);
  persist(name, "drain", std::to_string(over_ms) + " " + std::to_string(steps));
  return {};
}

std::string HealthManager::undrain(const std::string& name) {
  HealthCheck* c = find(name);
  if (!c) return "no healthcheck named '" + name + "'";
  c->undrain();
  persist(name, "drain", std::nullopt);
  return {};
}

std::string HealthManager::maintenance(const std::string& name, bool on) {
  HealthCheck* c = find(name);
  if (!c) return "no healthcheck named '" + name + "'";
  c->set_maintenance(on);
  persist(name, "maintenance", on ? std::optional<std::string>("on") : std::nullopt);
  return {};
}

std::string HealthManager::set_enabled(const std::string& name, bool enabled) {
  HealthCheck* c = find(name);
  if (!c) return "no healthcheck named '" + name + "'";
  c->set_disabled(!enabled);
  persist(name, "disabled", enabled ? std::nullopt : std::optional<std::string>("on"));
  return {};
}

std::vector<HealthView> HealthManager::health() const {
  std::vector<HealthView> out;
  for (const auto& c : checks_) out.push_back(c->view());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::optional<HealthView> HealthManager::health(const std::string& name) const {
  for (const auto& c : checks_)
    if (c->name() == name) return c->view();
  return std::nullopt;
}

std::vector<ProcessView> HealthManager::processes() const {
  std::vector<ProcessView> out;
  for (const auto& p : processes_) out.push_back(p->view());
  return out;
}

std::vector<FailoverSample> HealthManager::failovers(const std::string& check) const {
  auto it = samples_.find(check);
  if (it == samples_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void HealthManager::on_export(const std::string& peer) {
  if (pending_.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  while (!pending_.empty() && now - pending_.front().verdict > kPendingMax) pending_.pop_front();
  for (auto& p : pending_) {
    if (std::find(p.done.begin(), p.done.end(), peer) != p.done.end()) continue;
    p.done.push_back(peer);
    auto& s = samples_[p.check];
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - p.verdict);
    s.push_back({p.check, peer, static_cast<uint64_t>(latency.count())});
    failover_stats_[p.check].latency.observe(std::chrono::duration<double>(latency).count());
    if (s.size() > kSamplesPerCheck) s.pop_front();
  }
}

}  // namespace rs::health
