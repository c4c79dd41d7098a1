// What a new configuration means for each running protocol, following BIRD 2's documented soft
// reconfiguration: a protocol whose session parameters did not change keeps running; if only its
// filters changed, its routes are re-filtered softly (import: re-run from the Adj-RIB-In; export:
// re-run over the table) with no session reset; a change of session parameters (addresses, AS
// numbers, timers, capabilities, channels, tables) restarts that protocol only.
#pragma once

#include <string>
#include <vector>

#include "conf/config.hpp"

namespace rs::conf {

enum class ReconfigAction : uint8_t {
  Keep,        // nothing that matters changed (cosmetic changes apply in place)
  SoftReload,  // filters (or static routes) changed: reload_import / reload_export say which
  Restart,     // session parameters changed: the protocol goes down and up
  Add,         // new protocol
  Remove,      // protocol no longer configured
};

std::string_view to_string(ReconfigAction a);

enum class ProtocolKind : uint8_t { Bgp, Static, Device };

struct ProtocolChange {
  std::string name;
  ProtocolKind kind = ProtocolKind::Bgp;
  ReconfigAction action = ReconfigAction::Keep;
  bool reload_import = false;
  bool reload_export = false;
  // Why, for logs and `rsc configure` output: "hold time changed", "export filter changed", ...
  std::vector<std::string> reasons;
};

struct ReconfigPlan {
  // One entry per protocol of either config: new-config order first, then removed ones.
  std::vector<ProtocolChange> protocols;
  const ProtocolChange* find(std::string_view name) const;
  // True if any protocol is not Keep.
  bool changes_anything() const;
};

[[nodiscard]] ReconfigPlan diff(const Config& old_config, const Config& new_config);

// A `healthcheck` or `process` block across a reload, as the health manager applies it
// (HealthManager::reconfigure): Keep (unchanged: keeps its state and routes), Restart (changed:
// the new instance starts over while the old one's routes stay as they are until it has a
// verdict), Add (announces once it has a verdict), Remove (its routes are withdrawn at once).
struct HealthChange {
  enum class Kind : uint8_t { Healthcheck, Process };
  Kind kind = Kind::Healthcheck;
  std::string name;
  ReconfigAction action = ReconfigAction::Keep;
  std::vector<std::string> changed;  // the settings that changed: "interval", "route", ...
  // A healthcheck's routes that differ, as its new instance will announce them once it has a
  // verdict: "10.0.0.1/32 added", "10.0.0.2/32 removed", "10.0.0.3/32 med 100 -> 200".
  std::vector<std::string> routes;
};
// The settings of two blocks of one name that differ (empty: the block keeps running).
[[nodiscard]] std::vector<std::string> healthcheck_changes(const HealthCheckConfig& a,
                                                           const HealthCheckConfig& b);
[[nodiscard]] std::vector<std::string> process_changes(const ProcessConfig& a,
                                                       const ProcessConfig& b);
// Every block of either config: the new config's order, then the removed ones. A router id
// change restarts every block (their routes carry it).
[[nodiscard]] std::vector<HealthChange> diff_health(const Config& old_config,
                                                    const Config& new_config);

}  // namespace rs::conf
