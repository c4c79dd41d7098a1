// Exporter: Loc-RIB -> export groups -> each channel's Adj-RIB-Out. It owns the export groups (one
// per family, rules and export filter), the journal cursor it reads best-path changes from, and the
// gate every protocol's export source checks; the sessions then pull packed UPDATEs from their own
// protocol's ProtocolExport. Its walks (initial export, a group whose filter changed) run on the
// shared Walker.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "conf/config.hpp"
#include "filters/vm.hpp"
#include "rib/loc_rib.hpp"
#include "rs/export.hpp"
#include "rs/protocol.hpp"
#include "rs/walker.hpp"

namespace rs {

// The rewrite rules of a channel's exports, from its protocol's configuration.
ExportRules export_rules(const Protocol& p, const Channel& ch);
// The same from a protocol's configuration and a channel's settings (`configure check`: the rules
// a new configuration gives a running channel). ADD-PATH is the session's, not set here.
ExportRules export_rules(const conf::BgpProtocol& cfg, uint32_t router_id, rib::Family family,
                         const conf::ChannelSettings& settings);
// A channel's export filter as a group's policy.
ExportPolicy export_policy(const conf::FilterSpec& spec);

class Exporter {
 public:
  Exporter(boost::asio::io_context& io, rib::AttrTable& table, rib::LocRib& rib,
           rib::Journal& journal, Walker& walker, Protocols& protocols);
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  const ExportGate& gate() const { return gate_; }
  // Health-aware restart: while held, no session is handed anything, so the initial export and
  // End-of-RIB wait; releasing wakes every peer.
  void hold(bool on);
  bool held() const { return gate_.held; }
  void set_observer(std::function<void(const std::string&)> f) { gate_.observer = std::move(f); }
  // History: told of every prefix whose best path may have changed, before it is exported.
  void set_best_hook(std::function<void(const rib::Prefix&, const rib::Destination*)> f) {
    best_hook_ = std::move(f);
  }

  // The channels of an established protocol join the groups their rules and filters select, and
  // leave them when the session goes down or the configuration changes.
  void join(Protocol& p);
  void leave(Protocol& p);
  // Walks each active channel's family into its Adj-RIB-Out, then End-of-RIB.
  void start_initial(Protocol& p);
  // Re-sends one channel's Adj-RIB-Out (route refresh, `reload out`).
  void refresh_channel(Protocol& p, rib::Family f);
  // Every group whose protocols' export filter changed recomputes its members.
  void refresh_group(ExportGroup& g);
  void drop_empty_groups();

  // New journal entries exist: export them on a later turn of the event loop.
  void schedule();
  bool idle() const;
  std::size_t groups_memory() const;

 private:
  ExportGroup& group_for(const ExportRules& rules, const conf::FilterSpec& spec);
  void start_initial(Protocol& p, Channel& ch);
  void step();
  // After bulk work (many journal entries exported) and once idle, hands the allocator's free
  // pages back to the kernel (malloc_trim): a full table that moved leaves freed path blocks
  // behind. Only after kTrimDelay without any export (never in the middle of a churn).
  void after_export(std::size_t entries);
  void trim_when_idle();

  boost::asio::io_context& io_;
  rib::AttrTable& table_;
  rib::LocRib& rib_;
  rib::Journal& journal_;
  Walker& walker_;
  Protocols& protocols_;
  rib::Journal::CursorId cursor_;
  filters::Vm vm_;
  ExportGate gate_;
  std::deque<std::unique_ptr<ExportGroup>> groups_;
  std::function<void(const rib::Prefix&, const rib::Destination*)> best_hook_;
  bool posted_ = false;
  std::vector<rib::Prefix> scratch_;
  std::unique_ptr<boost::asio::steady_timer> trim_timer_;
  std::size_t since_trim_ = 0;
  bool trim_armed_ = false;
  std::chrono::steady_clock::time_point last_export_;
};

}  // namespace rs
