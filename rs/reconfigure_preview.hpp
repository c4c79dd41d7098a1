// What applying a new configuration would do, worked out without applying it (`configure check`):
// per running BGP session its fate on the reload, per `healthcheck` / `process` block its fate,
// and per prefix the best path and every edge's export now and after. The computation is the
// reload's own, on copies: the import filters re-run over the kept Adj-RIB-In through the
// importer (Importer::preview_import, as Importer::reimport), the decision is rib::select_best
// with the table's settings, and each edge's export is its export group's computation
// (ExportGroup::compute) under the rules and export filter the new configuration gives it, next
// hop self put in as the packer does. It mirrors RouteServer::reconfigure and
// HealthManager::reconfigure: routes of sessions that reset or close and of removed health blocks
// go; a changed health block keeps its routes until it has a verdict; static routes are loaded at
// start only, so they stay as they are.
//
// Nothing running is changed: the only side effect is interning attribute sets into the shared
// table (released with the results). State is looked up by name on every prefix, so the preview
// stays valid while the table and the sessions change between the slices of a streamed reply.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "conf/reconfigure.hpp"
#include "filters/vm.hpp"
#include "rib/decision.hpp"
#include "rib/loc_rib.hpp"
#include "rib/path_pool.hpp"
#include "rs/export.hpp"

namespace rs {

class RouteServer;
struct Protocol;

// What the reload does to a running BGP protocol.
enum class SessionFate : uint8_t {
  Keep,        // untouched
  SoftReload,  // filters re-run, no reset
  Reset,       // the session restarts (Cease, other configuration change): routes withdrawn
  Close,       // the protocol goes (Cease, peer de-configured): routes withdrawn
};
std::string_view to_string(SessionFate f);

struct SessionPreview {
  std::string name;
  std::string parent;  // a dynamic neighbour's range protocol
  SessionFate fate = SessionFate::Keep;
  bool established = false;
  std::size_t exported = 0;  // prefixes it holds from us (withdrawn when it resets or closes)
  bool import_reload = false, export_reload = false;
  std::vector<std::string> reasons;
};

struct PreviewPath {
  std::string source;  // protocol, "health NAME", "process NAME", static protocol
  uint32_t source_id = 0;
  uint32_t path_id = 0;
  rib::AttrRef attrs;
  rib::Reason reason = rib::Reason::OnlyPath;  // why it is the best
};

// One route an edge holds or would hold for a prefix, as it goes on the wire. `attrs` of what it
// holds now points into its Adj-RIB-Out: read it in the turn of the event loop that computed it.
struct EdgeRoute {
  const rib::PathAttributes* attrs = nullptr;
  rib::AttrRef keep;        // holds what a new configuration would give it
  rib::IpAddress next_hop;  // with next hop self put in
  uint32_t path_id = 0;     // RFC 7911 (0 without ADD-PATH)
  bool operator==(const EdgeRoute& o) const {
    return attrs == o.attrs && next_hop == o.next_hop && path_id == o.path_id;
  }
};

struct EdgeChange {
  std::string protocol;
  std::vector<EdgeRoute> now, after;  // empty: nothing
  // The session resets: `after` is what it gets once it is established again (the same ADD-PATH
  // and local address assumed), everything being withdrawn in between.
  bool reset = false;
};

struct ImportChange {
  enum class What : uint8_t { Accepted, Rejected, Changed };
  std::string protocol;
  What what = What::Changed;
};
std::string_view to_string(ImportChange::What w);

struct PrefixPreview {
  rib::Prefix prefix;
  std::optional<PreviewPath> best_now, best_after;
  bool best_changed = false;
  std::vector<ImportChange> imports;
  std::vector<EdgeChange> edges;  // the edges whose routes change (resetting ones last)
  bool changes() const { return best_changed || !imports.empty() || listed_edges() > 0; }
  // The edges whose routes change without a session reset (the first ones of `edges`).
  std::size_t listed_edges() const {
    std::size_t n = 0;
    while (n < edges.size() && !edges[n].reset) ++n;
    return n;
  }
};

class ReconfigurePreview {
 public:
  ReconfigurePreview(RouteServer& server, std::shared_ptr<const conf::Config> next);
  ~ReconfigurePreview();
  ReconfigurePreview(const ReconfigurePreview&) = delete;
  ReconfigurePreview& operator=(const ReconfigurePreview&) = delete;

  const conf::Config& next() const { return *next_; }
  const conf::ReconfigPlan& plan() const { return plan_; }
  const std::vector<conf::HealthChange>& health() const { return health_; }
  // True when the reload would change anything at all (a protocol or a health block).
  bool changes_anything() const;
  // Every running BGP protocol, by name.
  std::vector<SessionPreview> sessions() const;
  // The prefixes to look at, in order: the whole table when anything changes, else none.
  const std::vector<rib::Prefix>& prefixes() const { return prefixes_; }
  // One prefix, before and after. `imports_only`: only the import changes (no decision, no
  // export). The result is to be read in the same turn of the event loop.
  PrefixPreview preview(const rib::Prefix& p, bool imports_only = false);

 private:
  struct Fate {
    SessionFate fate = SessionFate::Keep;
    const conf::BgpProtocol* cfg = nullptr;  // in the new config (null when it goes)
    bool reimport = false;                   // its import filter is re-run (every channel)
  };
  Fate fate_of(const Protocol& p) const;
  Fate decide_fate(const Protocol& p) const;
  // The route source a re-imported path carries after the reload (a copy when the channel's
  // preference changes, as set_channel_settings changes the source's).
  const rib::RouteSource* source_after(const rib::RouteSource* src, uint32_t preference);
  ExportGroup& group(const ExportRules& rules, const ExportPolicy& policy);
  void edges(const rib::Prefix& p, PrefixPreview& out);

  RouteServer& server_;
  std::shared_ptr<const conf::Config> next_;  // owns the compiled filters run here
  conf::ReconfigPlan plan_;
  std::vector<conf::HealthChange> health_;
  std::vector<rib::Prefix> prefixes_;
  filters::Vm vm_;
  std::map<uint32_t, std::unique_ptr<rib::RouteSource>> clones_;  // by source id
  std::vector<std::unique_ptr<ExportGroup>> groups_;
  // Per prefix and edge, looked up rather than worked out again: the fate of each protocol name,
  // the sources of removed health blocks, the group of each (protocol, family, ADD-PATH).
  mutable std::map<std::string, Fate> fates_;
  std::set<std::string> removed_sources_;
  std::map<std::tuple<std::string, rib::Family, bool>, ExportGroup*> groups_by_channel_;
  rib::PathPool pool_;  // before after_: its paths are released into it
  rib::Destination after_;
};

}  // namespace rs
