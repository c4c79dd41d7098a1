// rsd's collectors. Design: one pass over RouteServer::protocols() per scrape, then one loop per
// family over that snapshot (the writer keeps a family's samples together, and looping per family
// looks each family up once). Counters come from the objects that already keep them for the CLI
// (ChannelStats, PeerCounters, PackCounters, HealthView, FailoverStats): a scrape costs time
// proportional to protocols x families, and routing pays nothing between scrapes.
// Session state uses the BGP4-MIB numbering (RFC 4273 bgpPeerState: idle 1 .. established 6).
#include "rs/metrics/collectors.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "rs/health/health_manager.hpp"
#include "rs/history/store.hpp"
#include "rs/route_server.hpp"
#include "rs/version.hpp"

namespace rs::metrics {

namespace {

constexpr std::string_view kMessageType[6] = {"",          "open",         "update", "notification",
                                              "keepalive", "route_refresh"};

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using Views = std::vector<RouteServer::ProtocolView>;

template <class F>
void per_protocol(MetricsWriter& w, const Views& views, std::string_view name,
                  std::string_view help, MetricType type, F value) {
  w.family(name, help, type);
  for (const auto& v : views) w.sample({{"protocol", v.name}}, value(v));
}

template <class F>
void per_channel(MetricsWriter& w, const Views& views, std::string_view name, std::string_view help,
                 MetricType type, F value) {
  w.family(name, help, type);
  for (const auto& v : views)
    for (rib::Family f : PerFamily<bool>::kFamilies)
      if (v.channel_enabled[f])
        w.sample({{"protocol", v.name}, {"afi", rib::to_string(f)}}, value(v.stats[f]));
}

void notifications(MetricsWriter& w, const Views& views, bool sent) {
  w.family(
      sent ? "rsd_protocol_notifications_sent_total" : "rsd_protocol_notifications_received_total",
      sent ? "NOTIFICATION messages sent, by error code and subcode (RFC 4271 4.5)."
           : "NOTIFICATION messages received, by error code and subcode (RFC 4271 4.5).",
      MetricType::Counter);
  for (const auto& v : views) {
    if (!v.peer) continue;
    const auto& by_code = sent ? v.peer->counters().notifications_sent_by_code
                               : v.peer->counters().notifications_received_by_code;
    for (const auto& entry : by_code) {
      const std::string code = std::to_string(entry.first >> 8),
                        subcode = std::to_string(entry.first & 0xff);
      w.sample({{"protocol", v.name}, {"code", code}, {"subcode", subcode}}, entry.second);
    }
  }
}

}  // namespace

void collect_protocols(const RouteServer& server, MetricsWriter& w) {
  const Views views = server.protocols();
  using V = RouteServer::ProtocolView;
  using S = ChannelStats;
  constexpr auto G = MetricType::Gauge;
  constexpr auto C = MetricType::Counter;

  w.family("rsd_protocol_info", "One series per BGP protocol with its neighbour; value 1.", G);
  for (const auto& v : views) {
    if (!v.peer) continue;
    const auto& cfg = v.peer->config();
    const std::string neighbor = cfg.neighbor_address.to_string();
    const std::string peer_as = std::to_string(cfg.peer_as),
                      local_as = std::to_string(cfg.local_as);
    w.sample({{"protocol", v.name},
              {"neighbor", neighbor},
              {"peer_as", peer_as},
              {"local_as", local_as}},
             1);
  }
  per_protocol(w, views, "rsd_protocol_up", "1 when the BGP session is Established.", G,
               [](const V& v) { return v.peer && v.peer->established() ? 1 : 0; });
  per_protocol(
      w, views, "rsd_protocol_state",
      "BGP session state as in BGP4-MIB bgpPeerState: 1 idle, 2 connect, 3 active, 4 opensent, "
      "5 openconfirm, 6 established.",
      G, [](const V& v) { return v.peer ? static_cast<int>(v.peer->state()) + 1 : 1; });
  per_protocol(w, views, "rsd_protocol_disabled",
               "1 when the protocol is disabled (configuration or operator).", G,
               [](const V& v) { return v.peer && v.peer->config().disabled ? 1 : 0; });
  per_protocol(w, views, "rsd_protocol_uptime_seconds",
               "Time since the session became Established; 0 when down.", G, [](const V& v) {
                 auto up = v.peer ? v.peer->uptime() : std::nullopt;
                 return up ? seconds(*up) : 0.0;
               });
  per_protocol(w, views, "rsd_protocol_establishments_total",
               "Times the session became Established (flaps are establishments after the first).",
               C, [](const V& v) { return v.peer ? v.peer->counters().establishments : 0; });
  per_protocol(w, views, "rsd_protocol_collisions_total",
               "Connections closed by collision detection.", C,
               [](const V& v) { return v.peer ? v.peer->counters().collisions : 0; });
  per_protocol(w, views, "rsd_protocol_connections_rejected_total", "Incoming connections refused.",
               C, [](const V& v) { return v.peer ? v.peer->counters().connections_rejected : 0; });
  per_protocol(w, views, "rsd_protocol_send_queue_bytes",
               "Bytes waiting to be written to the session's socket.", G,
               [](const V& v) { return v.peer ? v.peer->send_queue_bytes() : 0; });

  // BIRD's export `Route change stats` of each channel, by result.
  w.family("rsd_protocol_export_updates_total",
           "Best routes offered to the channel's export, by result: accepted into the "
           "Adj-RIB-Out, filtered by the export filter, rejected (the peer's own route, or the "
           "session's rules).",
           C);
  for (const auto& v : views)
    for (rib::Family f : PerFamily<bool>::kFamilies) {
      if (!v.channel_enabled[f]) continue;
      const ExportStats& e = v.export_stats[f];
      const std::string afi(rib::to_string(f));
      w.sample({{"protocol", v.name}, {"afi", afi}, {"result", "accepted"}}, e.updates_accepted);
      w.sample({{"protocol", v.name}, {"afi", afi}, {"result", "filtered"}}, e.updates_filtered);
      w.sample({{"protocol", v.name}, {"afi", afi}, {"result", "rejected"}}, e.updates_rejected);
    }
  w.family("rsd_protocol_export_withdraws_total",
           "Withdrawals towards the channel: received (the prefix lost its last route), accepted "
           "(sent to the peer, which held the prefix).",
           C);
  for (const auto& v : views)
    for (rib::Family f : PerFamily<bool>::kFamilies) {
      if (!v.channel_enabled[f]) continue;
      const ExportStats& e = v.export_stats[f];
      const std::string afi(rib::to_string(f));
      w.sample({{"protocol", v.name}, {"afi", afi}, {"result", "received"}}, e.withdraws_received);
      w.sample({{"protocol", v.name}, {"afi", afi}, {"result", "accepted"}}, e.withdraws_accepted);
    }
  per_channel(w, views, "rsd_protocol_prefixes_received_total",
              "Prefixes announced by the peer (NLRI).", C, [](const S& s) { return s.received; });
  per_channel(w, views, "rsd_protocol_withdrawals_received_total",
              "Prefixes withdrawn by the peer.", C, [](const S& s) { return s.withdrawn; });
  per_channel(w, views, "rsd_protocol_prefixes_accepted_total",
              "Announcements accepted by the import filter.", C,
              [](const S& s) { return s.accepted; });
  per_channel(w, views, "rsd_protocol_prefixes_filtered_total",
              "Announcements rejected by the import filter or loop checks.", C,
              [](const S& s) { return s.filtered; });
  per_channel(w, views, "rsd_protocol_treat_as_withdraw_total",
              "Announcements turned into withdrawals by RFC 7606 error handling.", C,
              [](const S& s) { return s.treat_as_withdraw; });
  per_channel(w, views, "rsd_protocol_limit_hits_total", "Receive or import limit reached.", C,
              [](const S& s) { return s.limit_hits; });
  per_channel(w, views, "rsd_protocol_routes_received",
              "Paths held from the peer now (Adj-RIB-In).", G,
              [](const S& s) { return s.current_received; });
  per_channel(w, views, "rsd_protocol_routes_accepted",
              "Of those, paths accepted by the import filter.", G,
              [](const S& s) { return s.current_accepted; });

  per_protocol(w, views, "rsd_protocol_routes_exported",
               "Prefixes advertised to the peer now (Adj-RIB-Out).", G,
               [](const V& v) { return v.exported; });
  per_protocol(w, views, "rsd_protocol_prefixes_announced_total",
               "Prefixes announced to the peer in UPDATEs.", C,
               [](const V& v) { return v.packed.prefixes_announced; });
  per_protocol(w, views, "rsd_protocol_withdrawals_sent_total",
               "Prefixes withdrawn from the peer in UPDATEs.", C,
               [](const V& v) { return v.packed.prefixes_withdrawn; });
  per_protocol(w, views, "rsd_protocol_unsendable_total",
               "Announcements whose attributes did not fit in a message (RFC 4271 9.2).", C,
               [](const V& v) { return v.packed.unsendable; });

  for (int dir = 0; dir < 2; ++dir) {
    w.family(dir == 0 ? "rsd_protocol_messages_received_total" : "rsd_protocol_messages_sent_total",
             dir == 0 ? "BGP messages received, by type." : "BGP messages sent, by type.", C);
    for (const auto& v : views) {
      if (!v.peer) continue;
      const auto& m = v.peer->counters().messages;
      for (std::size_t t = 1; t < 6; ++t)
        w.sample({{"protocol", v.name}, {"type", kMessageType[t]}}, dir == 0 ? m.in[t] : m.out[t]);
    }
  }
  per_protocol(w, views, "rsd_protocol_received_bytes_total", "Bytes of BGP messages received.", C,
               [](const V& v) { return v.peer ? v.peer->counters().messages.bytes_in : 0; });
  per_protocol(w, views, "rsd_protocol_sent_bytes_total", "Bytes of BGP messages sent.", C,
               [](const V& v) { return v.peer ? v.peer->counters().messages.bytes_out : 0; });
  notifications(w, views, true);
  notifications(w, views, false);
}

void collect_rib(RouteServer& server, MetricsWriter& w) {
  w.family("rsd_rib_prefixes", "Prefixes in the Loc-RIB (both families).", MetricType::Gauge)
      .sample({}, server.rib().prefixes());
  w.family("rsd_rib_paths", "Paths in the Loc-RIB, all sources.", MetricType::Gauge)
      .sample({}, server.rib().paths());
  w.family("rsd_export_held",
           "1 while the initial export waits for the health checks (startup hold).",
           MetricType::Gauge)
      .sample({}, server.export_held() ? 1 : 0);
  const rib::AttrTable::Counters c = server.attr_table().counters();
  const std::pair<std::string_view, const rib::InternCounters*> tables[] = {
      {"attribute_sets", &c.attrs},
      {"as_paths", &c.as_paths},
      {"communities", &c.communities},
      {"ext_communities", &c.ext_communities},
      {"large_communities", &c.large_communities},
      {"cluster_lists", &c.cluster_lists},
      {"unknown_attributes", &c.unknown}};
  w.family("rsd_intern_entries",
           "Distinct interned values, by table (attribute_sets: whole attribute sets).",
           MetricType::Gauge);
  for (const auto& t : tables) w.sample({{"table", t.first}}, t.second->entries);
  w.family("rsd_intern_lookups_total",
           "Interning lookups, by table and result (hit: an equal value existed).",
           MetricType::Counter);
  for (const auto& t : tables) {
    w.sample({{"table", t.first}, {"result", "hit"}}, t.second->hits);
    w.sample({{"table", t.first}, {"result", "miss"}}, t.second->misses);
  }
  // The same accounting as `show memory`: capacities plus the allocator's block overhead.
  const RouteServer::MemoryReport m = server.memory();
  const std::pair<std::string_view, std::size_t> parts[] = {
      {"rib_prefix_table", m.rib.table},
      {"rib_paths", m.rib.paths},
      {"attribute_sets", m.attrs.attrs},
      {"as_paths", m.attrs.as_paths},
      {"communities", m.attrs.communities + m.attrs.ext_communities + m.attrs.large_communities},
      {"other_attributes", m.attrs.cluster_lists + m.attrs.unknown},
      {"adj_rib_out", m.adj_rib_out + m.add_path_ids},
      {"export_buckets", m.export_buckets},
      {"journal", m.journal}};
  w.family("rsd_memory_bytes", "Heap bytes held by each of rsd's structures.", MetricType::Gauge);
  for (const auto& p : parts) w.sample({{"structure", p.first}}, p.second);
}

void collect_health(const health::HealthManager& health, MetricsWriter& w) {
  using health::HealthState;
  constexpr auto G = MetricType::Gauge;
  constexpr auto C = MetricType::Counter;
  const std::vector<health::HealthView> checks = health.health();
  static constexpr HealthState kStates[] = {HealthState::Init, HealthState::Rising,
                                            HealthState::Up,   HealthState::Falling,
                                            HealthState::Down, HealthState::Disabled};
  w.family("rsd_health_ready", "1 once every check settled or the startup hold passed.", G)
      .sample({}, health.ready() ? 1 : 0);
  w.family("rsd_health_state", "Health check state: 1 for the current state, 0 for the others.", G);
  for (const auto& h : checks)
    for (HealthState s : kStates) {
      const std::string name = lower(to_string(s));
      w.sample({{"check", h.name}, {"state", name}}, h.state == s ? 1 : 0);
    }
  w.family("rsd_health_up", "1 when the check is UP.", G);
  for (const auto& h : checks) w.sample({{"check", h.name}}, h.state == HealthState::Up ? 1 : 0);
  w.family("rsd_health_maintenance", "1 while in maintenance (operator or disable file).", G);
  for (const auto& h : checks) w.sample({{"check", h.name}}, h.maintenance ? 1 : 0);
  w.family("rsd_health_draining", "1 while a drain is in progress or finished.", G);
  for (const auto& h : checks) w.sample({{"check", h.name}}, h.draining || h.drained ? 1 : 0);
  w.family("rsd_health_held_down", "1 while the flap hold-down keeps the check down.", G);
  for (const auto& h : checks) w.sample({{"check", h.name}}, h.held_down ? 1 : 0);
  w.family("rsd_health_check_duration_seconds", "Duration of the slowest probe of the last run.",
           G);
  for (const auto& h : checks)
    w.sample({{"check", h.name}}, static_cast<double>(h.last_duration_ms) / 1000.0);
  w.family("rsd_health_check_runs_total", "Check runs.", C);
  for (const auto& h : checks) w.sample({{"check", h.name}}, h.runs);
  w.family("rsd_health_check_results_total",
           "Run verdicts by result (success, failure); timeouts are also counted as failures.", C);
  for (const auto& h : checks) {
    w.sample({{"check", h.name}, {"result", "success"}}, h.successes);
    w.sample({{"check", h.name}, {"result", "failure"}}, h.failures);
  }
  w.family("rsd_health_check_timeouts_total", "Probes killed at their timeout.", C);
  for (const auto& h : checks) w.sample({{"check", h.name}}, h.timeouts);
  w.family("rsd_health_transitions_total", "State changes of the check.", C);
  for (const auto& h : checks) w.sample({{"check", h.name}}, h.transitions);
  w.family("rsd_health_routes_announced", "Routes of the check announced now.", G);
  for (const auto& h : checks)
    w.sample({{"check", h.name}},
             static_cast<uint64_t>(std::count_if(
                 h.routes.begin(), h.routes.end(),
                 [](const health::HealthView::RouteView& r) { return r.announced; })));

  const auto& stats = health.failover_stats();
  w.family("rsd_health_failovers_total", "Verdicts of the check that changed its announced routes.",
           C);
  for (const auto& h : checks) {
    auto it = stats.find(h.name);
    w.sample({{"check", h.name}}, it == stats.end() ? 0 : it->second.route_changes);
  }
  w.family("rsd_health_failover_duration_seconds",
           "Time from a health verdict to the first UPDATE handed to each peer's socket (one "
           "observation per "
           "peer).",
           MetricType::Histogram);
  for (const auto& h : checks) {
    auto it = stats.find(h.name);
    if (it != stats.end())
      w.histogram({{"check", h.name}}, it->second.latency);
    else
      w.histogram({{"check", h.name}}, metrics::failover_histogram());
  }

  const std::vector<health::ProcessView> procs = health.processes();
  w.family("rsd_health_process_running", "1 while the health process runs.", G);
  for (const auto& p : procs) w.sample({{"process", p.name}}, p.running ? 1 : 0);
  w.family("rsd_health_process_starts_total", "Starts of the health process.", C);
  for (const auto& p : procs) w.sample({{"process", p.name}}, p.starts);
  w.family("rsd_health_process_exits_total", "Exits of the health process.", C);
  for (const auto& p : procs) w.sample({{"process", p.name}}, p.exits);
  w.family("rsd_health_process_lines_total", "API lines read from the health process.", C);
  for (const auto& p : procs) w.sample({{"process", p.name}}, p.lines);
  w.family("rsd_health_process_malformed_lines_total", "API lines that could not be parsed.", C);
  for (const auto& p : procs) w.sample({{"process", p.name}}, p.malformed);
  w.family("rsd_health_process_routes", "Routes the health process announces now.", G);
  for (const auto& p : procs) w.sample({{"process", p.name}}, p.routes);
}

void collect_process(MetricsWriter& w) {
  // /proc/self/stat (proc(5)): fields after the command's closing parenthesis, numbered from 3.
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (std::getline(f, line)) {
    const auto close = line.rfind(')');
    std::istringstream in(close == std::string::npos ? std::string() : line.substr(close + 2));
    std::vector<std::string> fields;
    for (std::string tok; in >> tok;) fields.push_back(tok);
    auto field = [&](std::size_t n) -> double {  // n: the proc(5) field number
      return n >= 3 && n - 3 < fields.size() ? std::strtod(fields[n - 3].c_str(), nullptr) : 0.0;
    };
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    if (fields.size() >= 22 && tick > 0) {
      w.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               MetricType::Counter)
          .sample({}, (field(14) + field(15)) / tick);
      w.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge)
          .sample({}, field(23));
      w.family("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge)
          .sample({}, field(24) * page);
      // Start time: boot time (btime in /proc/stat) + starttime ticks.
      std::ifstream st("/proc/stat");
      for (std::string l; std::getline(st, l);) {
        if (l.rfind("btime ", 0) == 0) {
          const double btime = std::strtod(l.c_str() + 6, nullptr);
          w.family("process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.", MetricType::Gauge)
              .sample({}, btime + field(22) / tick);
          break;
        }
      }
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    uint64_t n = 0;
    while (const dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    w.family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge)
        .sample({}, n > 0 ? n - 1 : 0);  // minus d itself
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    w.family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge)
        .sample({}, static_cast<uint64_t>(rl.rlim_cur));
}

void collect_build_info(MetricsWriter& w) {
  w.family("rsd_build_info", "rsd's version; value 1.", MetricType::Gauge)
      .sample({{"version", kVersion}}, 1);
}

void collect_history(const history::HistoryStats& s, MetricsWriter& w) {
  w.family("rsd_history_queue_depth", "Events waiting for the history writer.", MetricType::Gauge)
      .sample({}, s.queue_depth);
  w.family("rsd_history_queue_capacity", "Events the history queue holds at most.",
           MetricType::Gauge)
      .sample({}, s.queue_capacity);
  w.family("rsd_history_events_enqueued_total", "Events accepted into the history queue.",
           MetricType::Counter)
      .sample({}, s.enqueued);
  w.family("rsd_history_events_written_total", "Events committed to the history database.",
           MetricType::Counter)
      .sample({}, s.written);
  w.family("rsd_history_events_dropped_total",
           "Events lost because the queue was full or their batch failed to commit.",
           MetricType::Counter)
      .sample({}, s.dropped);
  w.family("rsd_history_gaps_total", "Gap records written after drops.", MetricType::Counter)
      .sample({}, s.gaps);
  w.family("rsd_history_write_errors_total",
           "Failed opens, statements and commits of the history database.", MetricType::Counter)
      .sample({}, s.write_errors);
  w.family("rsd_history_batches_total", "Committed history transactions.", MetricType::Counter)
      .sample({}, s.batches);
  w.family("rsd_history_pruned_total", "History rows deleted by retention (age or size).",
           MetricType::Counter)
      .sample({}, s.pruned);
  w.family("rsd_history_database_bytes", "Size of the history database and its WAL.",
           MetricType::Gauge)
      .sample({}, s.db_bytes);
  w.family("rsd_memory_bytes", "Heap bytes held by each of rsd's structures.", MetricType::Gauge)
      .sample({{"structure", "history_queue"}}, s.queue_bytes);
  w.family("rsd_history_open", "1 when the history writer holds an open, writable database.",
           MetricType::Gauge)
      .sample({}, s.open ? 1 : 0);
}

void add_rsd_collectors(MetricsRegistry& registry, RouteServer& server,
                        const health::HealthManager* health) {
  registry.add_collector("build", [](MetricsWriter& w) { collect_build_info(w); });
  registry.add_collector("protocols",
                         [&server](MetricsWriter& w) { collect_protocols(server, w); });
  registry.add_collector("rib", [&server](MetricsWriter& w) { collect_rib(server, w); });
  if (health)
    registry.add_collector("health", [health](MetricsWriter& w) { collect_health(*health, w); });
  registry.add_collector("process", [](MetricsWriter& w) { collect_process(w); });
}

}  // namespace rs::metrics
