// Export: from the Loc-RIB's best paths to each peer's Adj-RIB-Out.
// Peers that share an export policy form an ExportGroup: the export filter and the route-server /
// route-reflector / eBGP rewrites run once per prefix for the whole group, and the result (one
// interned attribute set) is diffed against every member's Adj-RIB-Out. What differs per member is
// only whether the route came from that member (never sent back) and, at packing time, the next
// hop when the policy says "next hop self".
//
// ADD-PATH send (RFC 7911): a group whose members negotiated sending path identifiers for a family
// (the flag is part of ExportRules, so such members never share a group with others) exports every
// eligible path of the prefix that its export filter accepts, each under a path identifier derived
// from the path (export_path_id); other groups export the best path only, with identifier 0.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rib/adj_rib_out.hpp"
#include "rib/loc_rib.hpp"

namespace rs::filters {
class Filter;
class Vm;
}  // namespace rs::filters

namespace rs {

enum class NextHopMode : uint8_t {
  Default,  // keep for route-server clients and iBGP, self for other eBGP peers
  Keep,
  Self,
};

// What decides how routes are rewritten for a peer; peers with equal rules and filter share work.
struct ExportRules {
  bool ebgp = false;
  bool rs_client = false;  // RFC 7947: no AS prepend, next hop and MED unchanged
  bool rr_client = false;  // RFC 4456 client: receives reflected iBGP routes
  uint32_t local_as = 0;
  uint32_t router_id = 0;
  uint32_t cluster_id = 0;  // RFC 4456 CLUSTER_ID (router id when 0)
  uint32_t default_local_pref = 100;
  rib::Family family = rib::Family::Ipv4;       // the channel's: a group exports one family only
  NextHopMode next_hop = NextHopMode::Default;  // the channel's next-hop policy
  bool add_otc = false;                         // RFC 9234 5: towards customers, peers, RS clients
  bool add_path = false;   // RFC 7911: the session sends path identifiers for this family
  bool secondary = false;  // BIRD `secondary`: the best route the export filter accepts
  friend bool operator==(const ExportRules&, const ExportRules&) = default;

  bool next_hop_self() const {
    return next_hop == NextHopMode::Self ||
           (next_hop == NextHopMode::Default && ebgp && !rs_client);
  }
};

// The path identifier under which a path from `src` (received with `received_id`) is sent to
// ADD-PATH peers: source id in the high 16 bits, received id in the low 16 bits, which is unique
// per prefix while both fit; larger values are mixed into 32 bits and a clash within one prefix is
// resolved by ExportGroup::compute (next free value).
uint32_t export_path_id(const rib::RouteSource& src, uint32_t received_id);

// The export filter of a group: `all`, `none`, or a compiled filter.
struct ExportPolicy {
  enum class Kind : uint8_t { All, None, Filter } kind = Kind::All;
  std::shared_ptr<const filters::Filter> filter;
  bool operator==(const ExportPolicy& o) const { return kind == o.kind && filter == o.filter; }
};

// BIRD's export `Route change stats` of a channel (`show protocols all`, read by the Prometheus
// BIRD exporter). Updates: a best route offered to the channel; rejected when it may not go to this
// peer at all (its own route, or the rules refuse it), filtered by the export filter, accepted when
// it goes into the Adj-RIB-Out. Withdraws: the prefix lost its route; accepted when the peer held
// it.
struct ExportStats {
  uint64_t updates_received = 0;
  uint64_t updates_rejected = 0;
  uint64_t updates_filtered = 0;
  uint64_t updates_accepted = 0;
  uint64_t withdraws_received = 0;
  uint64_t withdraws_accepted = 0;
};

// One channel's export state (embedded in the route server's channel): one family only.
struct ExportMember {
  rib::Family family = rib::Family::Ipv4;
  const rib::RouteSource* source = nullptr;  // its own routes are not sent back to it
  rib::AdjRibOut out;
  bool self_next_hop = false;  // the group's rules say next hop self
  rib::IpAddress self;         // ... with this address (`next hop address`, or the
                               // session's local address of the family)
  bool active = false;         // the family was negotiated with the peer
  ExportStats stats;
  // ADD-PATH send: the path identifiers held (sent or pending) per prefix, to withdraw those that
  // disappear. Only prefixes of families with ADD-PATH send have an entry.
  std::unordered_map<rib::Prefix, std::vector<uint32_t>, rib::PrefixHash> path_ids;
  std::function<void()> wake;  // called when `out` gains work
  // Export limit (BIRD `export limit N action A`), 0 for none, over the prefixes of this channel.
  // When an announcement of a new prefix would pass it, `limit_hit()` acts (warn, block, restart,
  // disable) and says whether to drop it.
  uint32_t export_limit = 0;
  std::function<bool()> limit_hit;
  // Initial export after the session comes up: a snapshot walked in chunks, then End-of-RIB.
  std::vector<rib::Prefix> walk;
  std::size_t walk_pos = 0;
  bool walking = false;
  bool end_of_rib_due = false;
};

struct ExportCounters {
  uint64_t filter_runs = 0;
  uint64_t filter_rejects = 0;
  uint64_t filter_errors = 0;
};

class ExportGroup {
 public:
  // `decision` (the Loc-RIB's) ranks the other paths when `secondary` passes over a rejected best.
  ExportGroup(ExportRules rules, ExportPolicy policy, const rib::DecisionConfig* decision = nullptr)
      : rules_(rules), policy_(std::move(policy)), decision_(decision) {}

  const ExportRules& rules() const { return rules_; }
  const ExportPolicy& policy() const { return policy_; }
  std::vector<ExportMember*>& members() { return members_; }
  const ExportCounters& counters() const { return counters_; }
  // Heap bytes of the group itself (member list, rewrite cache); members account for their own.
  std::size_t memory_bytes() const {
    return rib::heap_block(members_.capacity() * sizeof(ExportMember*)) +
           rib::heap_block(rewrites_.capacity() * sizeof(RewriteEntry));
  }

  // What the group should advertise for a prefix of its family. Without ADD-PATH: the best path's
  // exported attributes (null: nothing) and whose route it is; with `secondary`, the best of the
  // paths the export filter accepts. With ADD-PATH (add_path set): every exported path with its
  // identifier in `paths` (attrs/source unused).
  struct Entry {
    rib::AttrRef attrs;
    const rib::RouteSource* source = nullptr;
    uint32_t path_id = 0;
  };
  struct Result {
    rib::AttrRef attrs;
    const rib::RouteSource* source = nullptr;
    rib::AttrRef alt_attrs;  // `secondary`: what `source`'s own member gets instead (may be null)
    const rib::RouteSource* alt_source = nullptr;
    bool add_path = false;
    std::vector<Entry> paths;
    // For the statistics: the family has a best route (from `offered_by`), and whether the
    // group's rules refused it (as opposed to its export filter).
    bool offered = false;
    bool refused = false;
    const rib::RouteSource* offered_by = nullptr;
  };
  Result compute(const rib::Prefix& p, const rib::Destination* d, rib::AttrTable& table,
                 filters::Vm& vm);
  // Applies a computed result to one member (used by the initial walk) or to all of them.
  static void apply(ExportMember& m, const rib::Prefix& p, const Result& r);
  void apply_all(const rib::Prefix& p, const Result& r);

 private:
  bool eligible(const rib::Route& r) const;
  // Filter + rewrite of one path; null when the filter rejects it.
  rib::AttrRef export_one(const rib::Prefix& p, const rib::Route& r, rib::AttrTable& table,
                          filters::Vm& vm);
  void rewrite(const rib::Route& r, rib::AttrBuilder& b) const;

  const rib::Route* next_best(std::vector<const rib::Route*>& candidates) const;

  ExportRules rules_;
  ExportPolicy policy_;
  const rib::DecisionConfig* decision_ = nullptr;
  std::vector<ExportMember*> members_;
  ExportCounters counters_;
  // Without an export filter the exported attributes are a function of the path's attributes and
  // its source's kind, reflection flags and router id: a small direct-mapped cache of those
  // rewrites saves building and interning a new set per prefix (holding `in` keeps the key alive).
  struct RewriteEntry {
    rib::AttrRef in;
    rib::AttrRef out;
    uint32_t source_id = 0;
    uint32_t bgp_id = 0;
    rib::SourceKind kind = rib::SourceKind::Ebgp;
    bool rr_client = false;
    bool rs_client = false;
  };
  static constexpr std::size_t kRewriteCache = 256;
  std::vector<RewriteEntry> rewrites_;
};

}  // namespace rs
