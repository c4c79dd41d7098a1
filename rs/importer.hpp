// Importer: the import pipeline. The NLRI of an UPDATE go, per family, to the protocol's channel of
// that family: Adj-RIB-In, loop checks, the channel's import filter and limits, then the Loc-RIB
// under the channel's route source. NLRI of a family the protocol has no channel for are dropped.
// Local sources (health, statics) enter the Loc-RIB here too. Every change is journalled; the
// `changed` callback tells the exporter.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "conf/config.hpp"
#include "filters/vm.hpp"
#include "rib/loc_rib.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/node_override.hpp"
#include "rs/protocol.hpp"
#include "rs/walker.hpp"

namespace rs {

class Importer {
 public:
  // `clock`: the route age clock (whole seconds, rib::Route::since).
  Importer(rib::AttrTable& table, rib::LocRib& rib, Walker& walker, Protocols& protocols,
           std::function<uint64_t()> clock, std::function<void()> changed)
      : table_(table),
        rib_(rib),
        walker_(walker),
        protocols_(protocols),
        clock_(std::move(clock)),
        changed_(std::move(changed)) {}
  Importer(const Importer&) = delete;
  Importer& operator=(const Importer&) = delete;

  void update(Protocol& p, const bgp::wire::UpdateMessage& u);
  // One withdrawn (prefix, path id) of the protocol's channel of the prefix's family.
  void withdraw(Protocol& p, const bgp::wire::Nlri& n);
  // Re-runs the channel's import filter over what the peer sent (kept in the Adj-RIB-In): no
  // route refresh, no session reset. In the background.
  void reimport(Protocol& p, rib::Family f);

  // The same for a local source's routes (only the node overrides apply to them).
  void reimport_local(const rib::RouteSource* src, rib::Family f);
  // Operator overrides of service nodes (drain, maintenance), applied after the import filter.
  void set_overrides(const NodeOverrides* o) { overrides_ = o; }

  // Local sources: a route (replacing the source's previous one) or its withdrawal.
  void announce_local(const rib::RouteSource* src, const rib::Prefix& prefix,
                      const rib::AttrBuilder& attrs, uint32_t path_id);
  void withdraw_local(const rib::RouteSource* src, const rib::Prefix& prefix, uint32_t path_id);
  // A static route through its protocol's import policy (BIRD: `import all` unless written);
  // `attrs` already carry what the route's own block set.
  void import_static(const rib::RouteSource* src, const conf::FilterSpec& spec,
                     const filters::RouteInfo& info, const rib::AttrRef& attrs);
  filters::Vm& vm() { return vm_; }
  // What reimport() would store for a path received as `received` under the channel settings
  // `settings` (import filter, preference) of `protocol`, the node overrides applied; null when
  // rejected. Changes nothing but the attribute table (the result is interned); `configure check`
  // runs a new configuration's filters through it on its own Vm.
  rib::AttrRef preview_import(filters::Vm& vm, const std::string& protocol,
                              const rib::IpAddress& from, const conf::ChannelSettings& settings,
                              const rib::Prefix& prefix, const rib::AttrRef& received);

 private:
  void import_reach(Protocol& p, rib::Family f, const std::vector<bgp::wire::Nlri>& nlri,
                    std::optional<rib::AttrBuilder> attrs, uint64_t now);
  void import_nlri(Protocol& p, Channel& ch, const bgp::wire::Nlri& n, const rib::AttrRef& received,
                   uint64_t now);
  rib::AttrRef run_filter(Protocol& p, Channel& ch, const rib::Prefix& prefix,
                          const rib::AttrRef& received);
  // The import filter alone; `debug`: the protocol's debug flags (kPreview: a check, not logged).
  static constexpr uint32_t kPreview = 1u << 31;
  rib::AttrRef filter_import(filters::Vm& vm, const std::string& protocol,
                             const rib::IpAddress& from, const conf::ChannelSettings& settings,
                             const rib::Prefix& prefix, const rib::AttrRef& received,
                             uint32_t debug);
  bool loop_detected(const Protocol& p, const rib::AttrBuilder& b) const;
  static void count_filtered(Channel& ch, const rib::LocRib::Slot& slot, bool was_accepted);
  rib::AttrRef override(std::string_view source, const rib::AttrRef& received,
                        rib::AttrRef imported) {
    return overrides_ ? overrides_->apply(table_, source, received, std::move(imported)) : imported;
  }

  rib::AttrTable& table_;
  rib::LocRib& rib_;
  Walker& walker_;
  Protocols& protocols_;
  std::function<uint64_t()> clock_;
  std::function<void()> changed_;
  filters::Vm vm_;
  const NodeOverrides* overrides_ = nullptr;
};

}  // namespace rs
