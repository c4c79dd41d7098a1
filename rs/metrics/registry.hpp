// MetricsRegistry: the collectors that make up a scrape. Nothing is counted per event here:
// collectors read the live objects (route server, health manager, /proc) when a scrape asks.
// Other subsystems (history, memory accounting, ...) plug in with add_collector().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rs/metrics/exposition.hpp"

namespace rs::metrics {

class MetricsRegistry {
 public:
  using Collector = std::function<void(MetricsWriter&)>;
  using CollectorId = uint64_t;

  // Collectors run in the order they were added. `name` labels errors (a collector that throws is
  // skipped for that scrape and counted in rsd_metrics_collector_errors_total).
  CollectorId add_collector(std::string name, Collector c);
  void remove_collector(CollectorId id);
  std::size_t collectors() const { return collectors_.size(); }

  // One scrape in the text format, ending with the registry's own families
  // (rsd_metrics_scrapes_total, the previous scrape's duration and size).
  std::string scrape();

  struct Stats {
    uint64_t scrapes = 0;
    std::chrono::nanoseconds last_duration{0};
    std::size_t last_bytes = 0;
    std::size_t last_samples = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    CollectorId id;
    std::string name;
    Collector fn;
    uint64_t errors = 0;
  };
  std::vector<Entry> collectors_;
  CollectorId next_id_ = 1;
  Stats stats_;
};

}  // namespace rs::metrics
