// RouteServer: the daemon's routing core on the event-loop thread. It owns the attribute tables,
// the Loc-RIB (with the Adj-RIB-In folded in), the journal, the export groups and the BGP
// protocols built from the configuration, and it is the PeerHandler of every session:
//   UPDATE -> intern once -> Adj-RIB-In -> import filter -> Loc-RIB -> journal   (on_update)
//   journal -> export groups -> Adj-RIB-Out -> packed UPDATEs when a socket can write (fill)
// Long walks (a peer's initial export, a peer's routes going away, a filter reload) run in chunks
// of kChunk prefixes per event-loop turn, so sessions keep their keepalives flowing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/config.hpp"
#include "conf/reconfigure.hpp"
#include "filters/vm.hpp"
#include "rib/loc_rib.hpp"
#include "rs/bgp/listener.hpp"
#include "rs/bgp/peer.hpp"
#include "rs/channel.hpp"
#include "rs/events.hpp"
#include "rs/export.hpp"
#include "rs/export_pack.hpp"

namespace rs {

#ifdef NDEBUG
inline constexpr std::size_t kChunk = 256;
#else
inline constexpr std::size_t kChunk = 4;  // debug builds exercise the resume paths
#endif
// Longest wait for the importing peers' End-of-RIB after a start with graceful restart (as BIRD's
// `graceful restart wait`); never more than 3/4 of the restart time the edges were promised.
inline constexpr std::chrono::seconds kSelectionDeferralMax{240};

class RouteServer final : public bgp::PeerHandler {
 public:
  RouteServer(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config);
  ~RouteServer() override;

  // Binds the listeners and starts every protocol. An error (e.g. an address in use) is returned as
  // text; nothing is left half started.
  [[nodiscard]] std::string start();
  // Sends Cease (administrative shutdown) to every peer and stops accepting.
  void shutdown(std::string_view reason);
  // Applies a new configuration softly (BIRD rules, conf::diff): filters re-run from the kept
  // Adj-RIB-In without session resets; only protocols whose session parameters changed restart.
  conf::ReconfigPlan reconfigure(std::shared_ptr<const conf::Config> next);

  // Local route sources (health processes and checks): they compete in the
  // decision process like a peer. The returned source lives until remove_local_source().
  rib::RouteSource* add_local_source(std::string name, uint32_t preference = 100);
  // Announces (or replaces) a route of a local source; the import pipeline applies from here on.
  void announce_local(rib::RouteSource* src, const rib::Prefix& prefix,
                      const rib::AttrBuilder& attrs, uint32_t path_id = 0);
  void withdraw_local(rib::RouteSource* src, const rib::Prefix& prefix, uint32_t path_id = 0);
  // Withdraws everything the source announced, then forgets the source (in the background).
  void remove_local_source(rib::RouteSource* src);
  rib::AttrTable& attr_table() { return table_; }
  boost::asio::io_context& io() { return io_; }

  // Health-aware restart: while held, fill() hands nothing to any session, so the initial
  // export and End-of-RIB wait; releasing wakes every peer. Failover accounting: the observer is
  // told each time fill() handed UPDATE bytes to a protocol's socket.
  void hold_initial_export(bool hold);
  // Called after every applied reconfiguration (SIGHUP or `configure`), with the new config.
  void set_reconfigure_hook(std::function<void(const conf::Config&)> f) {
    reconfigure_hook_ = std::move(f);
  }
  bool export_held() const { return export_held_; }
  void set_export_observer(std::function<void(const std::string& protocol)> f) {
    export_observer_ = std::move(f);
  }
  // History (rs/events.hpp): session up/down and best-path changes of the prefixes the config's
  // `history { routes where ...; }` selects. Null (the default) costs one pointer test per hook.
  void set_event_sink(events::EventSink* sink) { events_ = sink; }

  // Inspection (CLI, tests).
  const rib::LocRib& rib() const { return rib_; }
  // Memory accounting (`show memory`): heap bytes per structure, from the capacities.
  struct MemoryReport {
    rib::LocRib::Memory rib;         // Loc-RIB with the Adj-RIB-In: prefix table, path blocks
    rib::AttrTable::Memory attrs;    // intern tables
    std::size_t adj_rib_out = 0;     // every member's sent and pending state
    std::size_t export_buckets = 0;  // every member's export buckets and withdrawal queues
    std::size_t add_path_ids = 0;    // ADD-PATH send: path identifiers held per prefix
    std::size_t journal = 0;
    std::size_t total() const {
      return rib.table + rib.paths + attrs.total() + adj_rib_out + export_buckets + add_path_ids +
             journal;
    }
  };
  MemoryReport memory() const;
  const conf::Config& config() const { return *config_; }
  struct ProtocolView {
    std::string name;
    std::string state;
    const bgp::Peer* peer = nullptr;
    const rib::RouteSource* source = nullptr;  // the first configured channel's
    PerFamily<ChannelStats> stats;
    PerFamily<ExportStats> export_stats;
    PerFamily<bool> channel_enabled;
    std::size_t exported = 0;  // prefixes in its Adj-RIB-Out (every channel)
    PerFamily<std::size_t> exported_by_family;
    PackCounters packed;  // UPDATEs and prefixes sent
  };
  std::vector<ProtocolView> protocols() const;
  bool idle() const;  // no walk, no export pending (tests poll this)

  // bgp::PeerHandler
  // `debug` (BIRD): per-protocol flags that add log lines (states: session up/down; routes: every
  // route imported, filtered or withdrawn; conf::DebugFlag). Returns false for an unknown protocol.
  bool set_debug(const std::string& name, uint32_t flags);
  void on_established(bgp::Peer& peer) override;
  void on_update(bgp::Peer& peer, const bgp::wire::UpdateMessage& update) override;
  void on_end_of_rib(bgp::Peer& peer, bgp::wire::AfiSafi family) override;
  void on_route_refresh(bgp::Peer& peer, bgp::wire::AfiSafi family, uint8_t subtype) override;
  void on_down(bgp::Peer& peer, const bgp::DownInfo& info) override;
  bool fill(bgp::Peer& peer, std::vector<uint8_t>& out, std::size_t budget) override;

 private:
  struct Protocol {
    std::string name;
    uint32_t debug = 0;                      // `debug NAME ...` flags (kDebug*)
    const conf::BgpProtocol* cfg = nullptr;  // points into config_
    std::unique_ptr<bgp::Peer> peer;
    PerFamily<Channel> channels;
    bool established = false;
    bool dynamic_child = false;
    bool export_deferred = false;  // established during the selection deferral
    std::string parent;            // dynamic children: the range protocol they were spawned from
    PackCounters packed;
    std::unique_ptr<boost::asio::steady_timer> stale_timer;  // graceful restart of the peer
    // The configured channel of a route source, null when the source is not this protocol's.
    Channel* channel_of(const rib::RouteSource* src) {
      for (auto& c : channels)
        if (c.enabled && c.source.get() == src) return &c;
      return nullptr;
    }
  };
  struct StaticSource {
    std::string name;
    const conf::StaticProtocol* cfg = nullptr;
    std::unique_ptr<rib::RouteSource> source;
  };
  // A background walk over a snapshot of the table.
  struct Walk {
    // Every prefix of the table, copied when the walk starts (not when it is queued: ten feeders
    // going down at once queue ten walks, and ten copies of a million-prefix table were 32 MB).
    bool snapshot = false;
    std::optional<rib::Family> family;  // the snapshot holds only this family's prefixes
    std::vector<rib::Prefix> prefixes;
    std::size_t pos = 0;
    std::function<void(const rib::Prefix&)> step;
    std::function<void()> done;
  };

  Protocol* protocol_of(const bgp::Peer& peer);
  Protocol& add_protocol(const conf::BgpProtocol& cfg, std::optional<rib::IpAddress> dynamic_peer);
  bgp::PeerConfig peer_config(const conf::BgpProtocol& cfg,
                              std::optional<rib::IpAddress> remote) const;
  ExportRules export_rules(const conf::BgpProtocol& cfg, const Channel& ch) const;
  ExportGroup& group_for(const ExportRules& rules, const conf::FilterSpec& spec);
  void join_groups(Protocol& p);
  void leave_groups(Protocol& p);
  void set_channel_settings(Protocol& p, const conf::BgpProtocol& cfg);
  bgp::Peer* spawn_dynamic(const rib::IpAddress& remote, uint16_t local_port,
                           std::optional<rib::IpAddress> local);

  // Route refresh (route_refresh.cpp).
  Channel* refresh_target(const std::string& name, const rib::RouteSource* src, rib::Family f,
                          uint64_t generation);
  void begin_refresh_in(Protocol& p, Channel& ch);
  void end_refresh_in(Protocol& p, Channel& ch, bool timed_out);
  void refresh_markers_before(Protocol& p, std::vector<uint8_t>& out);
  bool refresh_markers_after(Protocol& p, std::vector<uint8_t>& out);

  // Import pipeline.
  void import_nlri(Protocol& p, Channel& ch, const bgp::wire::Nlri& n, const rib::AttrRef& received,
                   uint64_t now);
  rib::AttrRef run_import_filter(Protocol& p, Channel& ch, const rib::Prefix& prefix,
                                 const rib::AttrRef& received);
  bool loop_detected(const Protocol& p, const rib::AttrBuilder& b) const;
  void withdraw_nlri(Protocol& p, const bgp::wire::Nlri& n);
  void import_reach(Protocol& p, rib::Family f, const std::vector<bgp::wire::Nlri>& nlri,
                    std::optional<rib::AttrBuilder> attrs, uint64_t now);
  template <class T, class Hint, class F>
  void each_prefetched(const std::vector<T>& list, Hint&& hint, F&& f);
  // Receive / import limits (BIRD `receive limit`, `import limit`): false when the route must be
  // dropped (action block, or the session is going down).
  bool limit_allows(Protocol& p, Channel& ch, const std::optional<conf::Limit>& limit,
                    uint64_t count, const char* what);
  void reimport(Protocol& p, rib::Family f);
  // Re-sends one channel's Adj-RIB-Out (route refresh, `reload out`).
  void refresh_channel(Protocol& p, rib::Family f);
  void load_statics();

  // Export.
  void start_initial_export(Protocol& p);
  void start_initial_export(Protocol& p, Channel& ch);
  // A walk over the prefixes of one family (all families when `family` is unset).
  void walk_family(std::optional<rib::Family> family, std::function<void(const rib::Prefix&)> step,
                   std::function<void()> done = {});
  static bool imports(const Protocol& p);
  void check_deferral();
  void end_deferral();
  void schedule_export();
  void export_step();
  void start_walk(Walk w);
  void walk_step();
  void remove_source_routes(std::unique_ptr<rib::RouteSource> src,
                            std::optional<rib::Family> family = std::nullopt);
  // A new generation of the protocol's route sources (the old ones' routes go in the background).
  void retire_sources(Protocol& p);
  void remove_protocol_routes(Protocol& p);
  void refresh_export(ExportGroup& g);

  // The route age clock: whole seconds since started_at() (rib::Route::since).
  uint64_t now() const;
  // After bulk work (many journal entries exported) and once idle, hands the allocator's free
  // pages back to the kernel (malloc_trim): a full table that moved leaves freed path blocks
  // behind. Only after kTrimDelay without any export (never in the middle of a churn).
  void after_export(std::size_t entries);
  void trim_when_idle();
  std::unique_ptr<boost::asio::steady_timer> trim_timer_;
  std::size_t since_trim_ = 0;
  bool trim_armed_ = false;
  std::chrono::steady_clock::time_point last_export_;

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  rib::AttrTable table_;
  rib::Journal journal_;
  rib::LocRib rib_;
  rib::Journal::CursorId export_cursor_;
  filters::Vm vm_;
  std::deque<std::unique_ptr<ExportGroup>> groups_;
  std::map<std::string, std::unique_ptr<Protocol>> protocols_;
  std::unordered_map<const bgp::Peer*, Protocol*> by_peer_;
  std::vector<StaticSource> statics_;
  std::vector<std::unique_ptr<rib::RouteSource>> local_sources_;
  std::vector<std::unique_ptr<bgp::Listener>> listeners_;
  std::vector<std::unique_ptr<rib::RouteSource>>
      retired_;  // sources whose routes are being removed
  std::deque<Walk> walks_;
  bool export_posted_ = false;
  bool deferring_ = false;
  std::unique_ptr<boost::asio::steady_timer> defer_timer_;
  bool walk_posted_ = false;
  uint32_t next_source_id_ = 1;
  std::map<std::string, uint32_t> dynamic_counter_;
  std::vector<rib::Prefix> scratch_;
  std::chrono::steady_clock::time_point started_;

 public:
  // ---- Operator commands (the control socket, rs/control)
  // ----------------------------------------
  enum class OpResult : uint8_t { Done, Already, NotFound };
  // BIRD's enable / disable / restart / reload of one BGP protocol by name. Disable sends Cease
  // Administrative Shutdown with `message` (RFC 9003) and keeps the protocol down until enabled.
  OpResult enable_protocol(std::string_view name);
  OpResult disable_protocol(std::string_view name, std::string_view message);
  OpResult restart_protocol(std::string_view name, std::string_view message = {});
  // in: re-run the import filter over the kept Adj-RIB-In; out: re-send the Adj-RIB-Out.
  OpResult reload_protocol(std::string_view name, bool in, bool out);
  const bgp::Peer* peer(std::string_view name) const;
  // What protocol `name` advertises for `prefix` (its Adj-RIB-Out), null when nothing.
  const rib::PathAttributes* exported(std::string_view name, const rib::Prefix& prefix) const;
  // Route ages (rib::Route::since) are whole seconds after this instant.
  std::chrono::steady_clock::time_point started_at() const { return started_; }

 private:
  bool export_held_ = false;
  std::function<void(const std::string&)> export_observer_;
  std::function<void(const conf::Config&)> reconfigure_hook_;
  // History hooks (route_server_history.cpp).
  events::EventSink* events_ = nullptr;
  std::unordered_map<rib::Prefix, std::pair<std::string, std::string>>
      watched_;  // source, best text
  void emit_session(const Protocol& p, const bgp::DownInfo* down);
  static void log_unsendable(void* ctx, const ExportMember& m, const rib::Prefix& prefix);
  void note_best(const rib::Prefix& prefix, const rib::Destination* d);
};

}  // namespace rs
