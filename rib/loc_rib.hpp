// Loc-RIB with the Adj-RIB-In folded in: per prefix, every path received (pre-policy attributes
// kept, so a filter or health change re-evaluates without asking the peer) with its post-policy
// form, the best path and the reason it won. A best-path change is appended to the journal (any
// change of the prefix's paths with set_journal_all, for ADD-PATH export).
//
// Storage: one hash map prefix -> destination; a destination holds its paths inline. A path is
// 40 bytes (source, path id, flags, age, two interned attribute handles that are the same node
// when the import filter changed nothing).
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "rib/decision.hpp"
#include "rib/journal.hpp"
#include "rib/route.hpp"

namespace rs::rib {

struct Path {
  Route route;        // the candidate: post-policy attributes (received ones when filtered)
  AttrRef received;   // Adj-RIB-In: the attributes as the source sent them
};

struct Destination {
  std::vector<Path> paths;
  int32_t best = -1;                 // index into paths, -1 when none is eligible
  Reason reason = Reason::OnlyPath;  // why paths[best] won

  const Route* best_route() const {
    return best < 0 ? nullptr : &paths[static_cast<std::size_t>(best)].route;
  }
};

enum class InResult : uint8_t {
  NoChange,  // same attributes as already held from that source: nothing to do
  New,       // a new path
  Changed,   // new attributes for a known path
};

enum class BestResult : uint8_t {
  Unchanged,  // the best path and its attributes are as before
  Changed,    // a different best path, or new attributes on it, or a first best
  Removed,    // the prefix has no eligible path any more
};

class LocRib {
 public:
  explicit LocRib(DecisionConfig cfg, Journal* journal = nullptr) : cfg_(cfg), journal_(journal) {}

  struct Slot {
    InResult result = InResult::NoChange;
    Destination* dest = nullptr;
    uint32_t index = 0;
  };
  // Step 4 (Adj-RIB-In). On NoChange the caller stops: the import filter would give the same.
  [[nodiscard]] Slot receive(const Prefix& p, const RouteSource* src, uint32_t path_id,
                             AttrRef received);
  // Steps 5-6: the import filter's verdict for the slot (null `imported` = rejected), then the
  // decision process. `now` orders paths for `prefer older`.
  [[nodiscard]] BestResult import(const Prefix& p, const Slot& slot, AttrRef imported, uint64_t now);
  // Removes a path (withdrawal, or the source went away).
  [[nodiscard]] BestResult withdraw(const Prefix& p, const RouteSource* src, uint32_t path_id);
  // Marks a path stale or fresh (graceful restart) without changing its attributes.
  void set_stale(const Prefix& p, const RouteSource* src, uint32_t path_id, bool stale);

  const Destination* find(const Prefix& p) const;
  std::size_t prefixes() const { return table_.size(); }
  std::size_t paths() const { return paths_; }
  const DecisionConfig& config() const { return cfg_; }
  void set_config(const DecisionConfig& cfg) { cfg_ = cfg; }
  // Journal every change of a prefix's paths, not only best-path changes (needed while some
  // peer is sent all paths with ADD-PATH, RFC 7911).
  void set_journal_all(bool on) { journal_all_ = on; }
  bool journal_all() const { return journal_all_; }

  // Every prefix, in no particular order (a snapshot for chunked walks that resume later).
  std::vector<Prefix> snapshot() const;
  // Visits each prefix of the table (the caller must not modify the table meanwhile).
  void for_each(const std::function<void(const Prefix&, const Destination&)>& f) const;
  // Re-runs the decision for one prefix (after a config change); journals a change.
  BestResult recompute(const Prefix& p);

 private:
  BestResult decide(const Prefix& p, Destination& d);
  static int find_path(const Destination& d, const RouteSource* src, uint32_t path_id);

  DecisionConfig cfg_;
  Journal* journal_;
  bool journal_all_ = false;
  std::unordered_map<Prefix, Destination, PrefixHash> table_;
  std::size_t paths_ = 0;
  std::vector<const Route*> scratch_;
};

}  // namespace rs::rib
