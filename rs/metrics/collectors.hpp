// The collectors of rsd's own figures: BGP protocols, RIB and attribute tables, health checks and
// processes, the process itself (/proc). Each reads live objects at scrape time; nothing here is
// updated per route or per message. docs/metrics.md lists every family.
#pragma once

#include "rs/metrics/registry.hpp"

namespace rs {
class RouteServer;
namespace health {
class HealthManager;
}
namespace history {
struct HistoryStats;
}
}  // namespace rs

namespace rs::metrics {

// rsd_protocol_*: state, uptime, establishments, prefixes and messages per protocol (and family).
void collect_protocols(const RouteServer& server, MetricsWriter& w);
// rsd_rib_*, rsd_intern_*: Loc-RIB size and the interning tables.
void collect_rib(RouteServer& server, MetricsWriter& w);
// rsd_health_*: checks, processes, failovers with their latency histogram.
void collect_health(const health::HealthManager& health, MetricsWriter& w);
// process_*: CPU, memory, file descriptors, start time (the names every Prometheus client uses).
void collect_process(MetricsWriter& w);
// rsd_build_info.
void collect_build_info(MetricsWriter& w);

// rsd_history_*: the history writer's queue, drops, gaps, errors and database size.
void collect_history(const history::HistoryStats& s, MetricsWriter& w);

// All of the above; `health` may be null.
void add_rsd_collectors(MetricsRegistry& registry, RouteServer& server,
                        const health::HealthManager* health);

}  // namespace rs::metrics
