// A built-in health check service. Design: one run = every probe in parallel, each bounded by
// `timeout`; when the last one reports, the score (full / partial / low) becomes one state-machine
// event and the routes are recomputed. Routes are diffed against what the sink was last told, so
// an unchanged verdict sends nothing (no re-announce storms); a change goes out at once. Route
// attributes: ORIGIN IGP, NEXT_HOP (the route's, else the router id), MED from med_for() (or the
// drain ramp), the communities of the announced phase (RFC 1997, RFC 8092).
#include "rs/health/healthcheck.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace rs::health {

namespace {
std::size_t phase_index(Phase p) {
  switch (p) {
    case Phase::Up:
      return 0;
    case Phase::Down:
    case Phase::None:
      return 1;
    case Phase::Disabled:
      return 2;
  }
  return 1;
}
}  // namespace

uint64_t HealthCheck::steady_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

HealthCheck::HealthCheck(boost::asio::io_context& io, const conf::HealthCheckConfig& cfg,
                         RouteSink& sink, rib::IpAddress default_next_hop, std::string& error)
    : io_(io),
      cfg_(cfg),
      sink_(sink),
      default_next_hop_(default_next_hop),
      sm_(StateParams{cfg.rise, cfg.fall, cfg.flap_count, cfg.flap_window.us / 1000,
                      cfg.flap_hold.us / 1000}),
      timer_(io),
      drain_timer_(io),
      hold_timer_(io) {
  med_.down_med = cfg.down_med;
  med_.disabled_med = cfg.disabled_med;
  med_.increase = cfg.increase;
  for (const auto& c : cfg.checks) {
    std::string e;
    auto p = make_probe(io, c, e, cfg.run_as);
    if (!e.empty()) error += (error.empty() ? "" : "; ") + e;
    if (p) probes_.push_back(std::move(p));
  }
  results_.resize(probes_.size());
  for (const auto& r : cfg.routes) announced_[r.prefix] = std::nullopt;
}

HealthCheck::~HealthCheck() {
  *alive_ = false;
  stop();
}

void HealthCheck::start() {
  if (!source_) source_ = sink_.add_source("health " + cfg_.name);
  running_ = true;
  update_routes(std::chrono::steady_clock::now());
  if (!disabled_) schedule(0);
}

void HealthCheck::stop() {
  running_ = false;
  timer_.cancel();
  drain_timer_.cancel();
  hold_timer_.cancel();
}

void HealthCheck::schedule(uint64_t delay_ms) {
  if (!running_) return;
  timer_.expires_after(std::chrono::milliseconds(delay_ms));
  auto alive = alive_;
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (!*alive || ec || !running_) return;
    run_probes();
  });
}

bool HealthCheck::disable_file_present() const {
  if (!cfg_.disable_file) return false;
  struct stat st;
  return ::stat(cfg_.disable_file->c_str(), &st) == 0;
}

void HealthCheck::run_probes() {
  if (disabled_ || outstanding_) return;
  const uint64_t now = steady_ms();
  file_present_ = disable_file_present();
  if (file_present_ || maintenance_) {
    // ExaBGP's disable file: no probes, the service announces its disabled MED.
    if (sm_.state() != HealthState::Disabled && sm_.handle(HealthEvent::Disable, now))
      last_change_ms_ = now;
    update_routes(std::chrono::steady_clock::now());
    schedule(cfg_.interval.us / 1000);
    return;
  }
  if (sm_.state() == HealthState::Disabled) {
    sm_.handle(HealthEvent::Enable, now);
    last_change_ms_ = now;
  }
  if (probes_.empty()) {
    evaluate();
    return;
  }
  outstanding_ = probes_.size();
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    auto alive = alive_;
    const uint64_t gen = run_gen_;
    probes_[i]->run(cfg_.timeout.us / 1000, [this, alive, i, gen](CheckResult r) {
      if (!*alive) return;
      // Completion may be synchronous (spawn failure): finish the loop first.
      boost::asio::post(io_, [this, alive, i, gen, r = std::move(r)]() mutable {
        if (*alive && gen == run_gen_) probe_done(i, std::move(r));
      });
    });
  }
}

void HealthCheck::probe_done(std::size_t i, CheckResult r) {
  results_[i] = std::move(r);
  if (results_[i].timed_out) ++timeouts_;
  if (--outstanding_ == 0) evaluate();
}

void HealthCheck::evaluate() {
  if (disabled_ || !running_) return;
  const auto verdict = std::chrono::steady_clock::now();
  const uint64_t now = steady_ms();
  uint32_t passed = 0;
  last_duration_ms_ = 0;
  for (const auto& r : results_) {
    passed += r.ok;
    last_duration_ms_ = std::max(last_duration_ms_, r.duration_ms);
  }
  score_ = score_of(passed, static_cast<uint32_t>(results_.size()));
  const bool ok = score_ != Score::Low;
  ++runs_;
  ok ? ++successes_ : ++failures_;
  last_run_ms_ = now;
  const HealthState before = sm_.state();
  sm_.handle(ok ? HealthEvent::Success : HealthEvent::Failure, now);
  if (sm_.state() != before) {
    last_change_ms_ = now;
    std::string why;
    for (const auto& r : results_)
      if (!r.ok) why += (why.empty() ? "" : "; ") + r.output;
    spdlog::info("healthcheck {}: {} -> {}{}{}", cfg_.name, to_string(before),
                 to_string(sm_.state()), why.empty() ? "" : ": ", why);
  }
  update_routes(verdict);
  if (on_run) on_run(view());
  schedule((sm_.fast() ? cfg_.fast_interval : cfg_.interval).us / 1000);
}

void HealthCheck::update_routes(std::chrono::steady_clock::time_point verdict) {
  if (!source_) return;
  const uint64_t now = steady_ms();
  const Phase phase = sm_.phase(now);
  bool changed = false;
  std::size_t index = 0;
  for (const auto& route : cfg_.routes) {
    std::optional<rib::AttrBuilder> want;
    const bool withdraw = disabled_ || drained_ || phase == Phase::None ||
                          (phase == Phase::Down && cfg_.withdraw_on_down);
    if (!withdraw) {
      rib::AttrBuilder b;
      b.set_origin(rib::Origin::Igp);
      b.set_present(rib::AttrType::AsPath);  // well-known mandatory (RFC 4271 5.1.2), empty here
      b.set_next_hop(route.next_hop.value_or(default_next_hop_));
      uint32_t med = med_for(phase, score_, route.med, index, med_);
      if (draining_ && phase == Phase::Up && drain_steps_) {
        const uint64_t down = med_for(Phase::Down, score_, route.med, index, med_);
        if (down > med) med = static_cast<uint32_t>(med + (down - med) * drain_k_ / drain_steps_);
      }
      b.set_med(med);
      const auto& sc = cfg_.communities[phase_index(phase)];
      if (!sc.communities.empty()) {
        b.communities.values = sc.communities;
        b.set_present(rib::AttrType::Communities);
      }
      if (!sc.large.empty()) {
        for (const auto& l : sc.large) b.large_communities.values.push_back({l[0], l[1], l[2]});
        b.set_present(rib::AttrType::LargeCommunities);
      }
      want = std::move(b);
    }
    auto& cur = announced_[route.prefix];
    if (cur != want) {
      if (want)
        sink_.announce(source_, route.prefix, *want, 0);
      else
        sink_.withdraw(source_, route.prefix, 0);
      cur = std::move(want);
      changed = true;
      ++announcements_;
    }
    ++index;
  }
  if (changed && on_announce) on_announce(cfg_.name, verdict);
  // A flap hold-down ends by itself: recompute when it does.
  if (sm_.held_down(now)) {
    hold_timer_.expires_after(std::chrono::milliseconds(sm_.hold_until_ms() - now + 1));
    auto alive = alive_;
    hold_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
      if (!*alive || ec) return;
      update_routes(std::chrono::steady_clock::now());
    });
  }
}

void HealthCheck::set_maintenance(bool on) {
  if (maintenance_ == on) return;
  maintenance_ = on;
  const uint64_t now = steady_ms();
  if (on) {
    if (sm_.handle(HealthEvent::Disable, now)) last_change_ms_ = now;
  } else if (!disable_file_present()) {
    if (sm_.handle(HealthEvent::Enable, now)) last_change_ms_ = now;
  }
  update_routes(std::chrono::steady_clock::now());
  if (!on && running_ && !disabled_ && !outstanding_) schedule(0);
}

void HealthCheck::set_disabled(bool on) {
  if (disabled_ == on) return;
  disabled_ = on;
  const uint64_t now = steady_ms();
  if (on) {
    timer_.cancel();
    outstanding_ = 0;
    ++run_gen_;  // in-flight probes no longer count; restart from INIT when enabled
    sm_ = StateMachine(StateParams{cfg_.rise, cfg_.fall, cfg_.flap_count,
                                   cfg_.flap_window.us / 1000, cfg_.flap_hold.us / 1000});
    last_change_ms_ = now;
    // Recreate the probes so a late completion of the old ones cannot count.
    std::string ignore;
    probes_.clear();
    for (const auto& c : cfg_.checks)
      if (auto p = make_probe(io_, c, ignore, cfg_.run_as)) probes_.push_back(std::move(p));
    results_.assign(probes_.size(), CheckResult{});
  }
  update_routes(std::chrono::steady_clock::now());
  if (!on) schedule(0);
}

void HealthCheck::drain(uint64_t over_ms, uint32_t steps) {
  drain_timer_.cancel();
  drained_ = false;
  draining_ = true;
  drain_steps_ = std::max<uint32_t>(steps, 1);
  drain_k_ = 0;
  drain_step_ms_ = over_ms / drain_steps_;
  if (over_ms == 0) drain_k_ = drain_steps_;
  drain_step();
}

void HealthCheck::drain_step() {
  if (!draining_) return;
  if (drain_k_ >= drain_steps_) {  // the last step held its MED for one step: withdraw
    draining_ = false;
    drained_ = true;
    update_routes(std::chrono::steady_clock::now());
    return;
  }
  ++drain_k_;
  update_routes(std::chrono::steady_clock::now());
  drain_timer_.expires_after(std::chrono::milliseconds(drain_step_ms_));
  auto alive = alive_;
  drain_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    drain_step();
  });
}

void HealthCheck::undrain() {
  drain_timer_.cancel();
  draining_ = false;
  drained_ = false;
  drain_k_ = 0;
  update_routes(std::chrono::steady_clock::now());
}

HealthView HealthCheck::view() const {
  HealthView v;
  const uint64_t now = steady_ms();
  v.name = cfg_.name;
  v.state = sm_.state();
  v.phase = sm_.phase(now);
  v.score = score_;
  v.maintenance = maintenance_ || file_present_;
  v.disable_file = file_present_;
  v.disabled = disabled_;
  v.held_down = sm_.held_down(now);
  v.draining = draining_;
  v.drain_step = drain_k_;
  v.drain_steps = drain_steps_;
  v.drained = drained_;
  v.runs = runs_;
  v.successes = successes_;
  v.failures = failures_;
  v.timeouts = timeouts_;
  v.transitions = sm_.transitions();
  v.announcements = announcements_;
  v.last_run_ms = last_run_ms_;
  v.last_change_ms = last_change_ms_;
  v.last_duration_ms = last_duration_ms_;
  for (std::size_t i = 0; i < probes_.size(); ++i)
    v.probes.push_back(
        {probes_[i]->describe(), results_[i].ok, results_[i].output, results_[i].duration_ms});
  for (const auto& r : cfg_.routes) {
    auto it = announced_.find(r.prefix);
    HealthView::RouteView rv{r.prefix, false, 0};
    if (it != announced_.end() && it->second) {
      rv.announced = true;
      rv.med = it->second->med;
    }
    v.routes.push_back(rv);
  }
  return v;
}

}  // namespace rs::health
