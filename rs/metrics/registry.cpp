// Registry: runs the collectors into one MetricsWriter, then adds its own figures. The scrape is
// built synchronously on the event-loop thread; its cost is measured and exported so an operator
// can see what a scrape costs the routing loop (docs/metrics.md has the figures).
#include "rs/metrics/registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace rs::metrics {

MetricsRegistry::CollectorId MetricsRegistry::add_collector(std::string name, Collector c) {
  const CollectorId id = next_id_++;
  collectors_.push_back({id, std::move(name), std::move(c), 0});
  return id;
}

void MetricsRegistry::remove_collector(CollectorId id) {
  std::erase_if(collectors_, [id](const Entry& e) { return e.id == id; });
}

std::string MetricsRegistry::scrape() {
  const auto t0 = std::chrono::steady_clock::now();
  MetricsWriter w;
  for (auto& e : collectors_) {
    try {
      e.fn(w);
    } catch (const std::exception& ex) {
      ++e.errors;
      spdlog::warn("metrics: collector {} failed: {}", e.name, ex.what());
    }
  }
  ++stats_.scrapes;
  w.family("rsd_metrics_scrapes_total", "Scrapes served since start (this one included).",
           MetricType::Counter)
      .sample({}, stats_.scrapes);
  w.family("rsd_metrics_last_scrape_duration_seconds",
           "Time the previous scrape took to build on the event loop.", MetricType::Gauge)
      .sample({}, std::chrono::duration<double>(stats_.last_duration).count());
  w.family("rsd_metrics_last_scrape_bytes", "Size of the previous scrape's text.",
           MetricType::Gauge)
      .sample({}, stats_.last_bytes);
  w.family("rsd_metrics_collector_errors_total", "Collectors that failed during a scrape.",
           MetricType::Counter);
  for (const auto& e : collectors_) w.sample({{"collector", e.name}}, e.errors);
  stats_.last_samples = w.samples();
  std::string text = w.finish();
  stats_.last_bytes = text.size();
  stats_.last_duration = std::chrono::steady_clock::now() - t0;
  return text;
}

}  // namespace rs::metrics
