// RouteServer: the hub of the routing core on the event-loop thread. It owns the attribute tables,
// the Loc-RIB (with the Adj-RIB-In folded in), the journal and the BGP protocols built from the
// configuration, and wires them to the two pipelines, which own their own state:
//   UPDATE -> Importer: Adj-RIB-In -> import filter -> Loc-RIB -> journal
//   journal -> Exporter: export groups -> each channel's Adj-RIB-Out
//   a session, when its socket can write, pulls UPDATEs from its protocol's ProtocolExport
// It is the PeerHandler of every session (up, UPDATE, End-of-RIB, route refresh, down), applies
// reconfigurations and hosts the local sources of the health ingestion. Long walks run in chunks
// on the Walker, so sessions keep their keepalives flowing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
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
#include "rs/exporter.hpp"
#include "rs/importer.hpp"
#include "rs/node_override.hpp"
#include "rs/protocol.hpp"
#include "rs/walker.hpp"

namespace rs {
// Longest wait for the importing peers' End-of-RIB after a start with graceful restart (as BIRD's
// `graceful restart wait`); never more than 3/4 of the restart time the edges were promised.
inline constexpr std::chrono::seconds kSelectionDeferralMax{240};

class ReconfigurePreview;

class RouteServer final : public bgp::PeerHandler {
  friend class ReconfigurePreview;  // `configure check`: the reload worked out on copies

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
  bool export_held() const { return exporter_.held(); }
  void set_export_observer(std::function<void(const std::string& protocol)> f) {
    exporter_.set_observer(std::move(f));
  }
  // History (rs/events.hpp): session up/down and best-path changes of the prefixes the config's
  // `history { routes where ...; }` selects. Null (the default) costs one pointer test per hook.
  void set_event_sink(events::EventSink* sink);

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

 private:
  struct StaticSource {
    std::string name;
    const conf::StaticProtocol* cfg = nullptr;
    std::unique_ptr<rib::RouteSource> source;
  };
  Protocol* protocol_of(const bgp::Peer& peer);
  Protocol& add_protocol(const conf::BgpProtocol& cfg, std::optional<rib::IpAddress> dynamic_peer);
  bgp::PeerConfig peer_config(const conf::BgpProtocol& cfg,
                              std::optional<rib::IpAddress> remote) const;
  void set_channel_settings(Protocol& p, const conf::BgpProtocol& cfg);
  bgp::Peer* spawn_dynamic(const rib::IpAddress& remote, uint16_t local_port,
                           std::optional<rib::IpAddress> local);

  // Route refresh (route_refresh.cpp).
  Channel* refresh_target(const std::string& name, const rib::RouteSource* src, rib::Family f,
                          uint64_t generation);
  void begin_refresh_in(Protocol& p, Channel& ch);
  void end_refresh_in(Protocol& p, Channel& ch, bool timed_out);

  void load_statics();

  static bool imports(const Protocol& p);
  void check_deferral();
  void end_deferral();
  void remove_source_routes(std::unique_ptr<rib::RouteSource> src,
                            std::optional<rib::Family> family = std::nullopt);
  // A new generation of the protocol's route sources (the old ones' routes go in the background).
  void retire_sources(Protocol& p);
  void remove_protocol_routes(Protocol& p);

  // The route age clock: whole seconds since started_at() (rib::Route::since).
  uint64_t now() const;

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  rib::AttrTable table_;
  rib::Journal journal_;
  rib::LocRib rib_;
  Protocols protocols_;
  std::unordered_map<const bgp::Peer*, Protocol*> by_peer_;
  Walker walker_;
  Exporter exporter_;
  Importer importer_;
  std::vector<StaticSource> statics_;
  std::vector<std::unique_ptr<rib::RouteSource>> local_sources_;
  std::vector<std::unique_ptr<bgp::Listener>> listeners_;
  std::vector<std::unique_ptr<rib::RouteSource>>
      retired_;  // sources whose routes are being removed
  bool deferring_ = false;
  std::unique_ptr<boost::asio::steady_timer> defer_timer_;
  uint32_t next_source_id_ = 1;
  std::map<std::string, uint32_t> dynamic_counter_;
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
  // Service nodes (rs/node_override.hpp): drain and maintenance of a node's paths at the route
  // server, its session untouched. A node is a BGP protocol, a process or healthcheck block (by
  // name) or an IP address (the next hop of its paths); node_known() says whether `node` is one.
  bool node_known(std::string_view node) const;
  void drain_node(const std::string& node, const NodeDrain& d) { nodes_.drain(node, d); }
  bool undrain_node(const std::string& node) { return nodes_.undrain(node); }
  void node_maintenance(const std::string& node, bool on) { nodes_.maintenance(node, on); }
  const NodeOverrides& node_overrides() const { return nodes_.overrides(); }
  // Route ages (rib::Route::since) are whole seconds after this instant.
  std::chrono::steady_clock::time_point started_at() const { return started_; }

 private:
  NodeControl nodes_;
  // Re-runs the import of every path `node` may name (the override changed).
  void reimport_node(const std::string& node);
  std::function<void(const conf::Config&)> reconfigure_hook_;
  // History hooks (route_server_history.cpp); the `routes where` filter runs on its own Vm.
  events::EventSink* events_ = nullptr;
  filters::Vm history_vm_;
  std::unordered_map<rib::Prefix, std::pair<std::string, std::string>>
      watched_;  // source, best text
  void emit_session(const Protocol& p, const bgp::DownInfo* down);
  void note_best(const rib::Prefix& prefix, const rib::Destination* d);
};

}  // namespace rs
