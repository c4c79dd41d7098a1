// Loc-RIB with the Adj-RIB-In folded in: per prefix, every path received (pre-policy attributes
// kept, so a filter or health change re-evaluates without asking the peer) with its post-policy
// form, the best path and the reason it won. A best-path change is appended to the journal (any
// change of the prefix's paths with set_journal_all, for ADD-PATH export).
//
// Storage: open-addressing tables (FlatMap) prefix -> destination, one per family: 32 bytes a slot
// for IPv4 (8-byte key), 48 for IPv6 (PrefixKey). A destination holds its paths in one block sized
// to fit (PathList) from the Loc-RIB's PathPool. A path is 32 bytes (source, path id, flags and age
// in one word, two interned attribute handles that are the same node when the import filter
// changed nothing).
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "rib/decision.hpp"
#include "rib/flat_map.hpp"
#include "rib/journal.hpp"
#include "rib/path_pool.hpp"
#include "rib/route.hpp"

namespace rs::rib {

struct Path {
  Route route;       // the candidate: post-policy attributes (received ones when filtered)
  AttrRef received;  // Adj-RIB-In: the attributes as the source sent them
};
static_assert(sizeof(Path) == 32, "Path: a Route and the received attribute handle");

// The paths of one prefix, in canonical order (source id, path id: the decision's scan order, so
// it never sorts): a vector that grows in small steps (a prefix has a handful of paths,
// and a doubling vector would waste a third of them) and shrinks when half empty. Its block comes
// from the Loc-RIB's PathPool, so the operations that allocate take the pool; the owner releases
// a list before it is destroyed (moves leave the source empty).
class PathList {
 public:
  PathList() = default;
  PathList(PathList&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        cap_(std::exchange(o.cap_, 0)) {}
  PathList& operator=(PathList&& o) noexcept {
    if (this != &o) {
      assert(!data_ && "released before it is overwritten");
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      cap_ = std::exchange(o.cap_, 0);
    }
    return *this;
  }
  PathList(const PathList&) = delete;
  PathList& operator=(const PathList&) = delete;
  ~PathList() { assert(!data_ && "released before it is destroyed"); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return cap_; }
  Path& operator[](std::size_t i) { return data_[i]; }
  const Path& operator[](std::size_t i) const { return data_[i]; }
  Path* begin() { return data_; }
  Path* end() { return data_ + size_; }
  const Path* begin() const { return data_; }
  const Path* end() const { return data_ + size_; }

  void insert(std::size_t i, Path&& p, PathPool& pool);
  void erase(std::size_t i, PathPool& pool);
  void release(PathPool& pool);

 private:
  void reallocate(uint32_t cap, PathPool& pool);
  Path* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t cap_ = 0;
};

struct Destination {
  PathList paths;
  int32_t best = -1;  // index into paths, -1 when none is eligible
  // Low 32 bits of the sequence of this prefix's last journal entry (LocRib::journal widens it).
  uint32_t journaled = ~uint32_t{0};

  const Route* best_route() const {
    return best < 0 ? nullptr : &paths[static_cast<std::size_t>(best)].route;
  }
};
static_assert(sizeof(Destination) == 24, "a prefix table slot is a key (8 or 24 bytes) and this");
// A prefix holds at most this many paths (`best` is 24 bits); further ones are refused as if the
// receive limit said no (8 M paths of one prefix would be 256 MB in one block).
constexpr std::size_t kMaxPathsPerPrefix = (std::size_t{1} << 23) - 1;

// An IPv4 prefix as a Loc-RIB key: 8 bytes instead of PrefixKey's 24.
struct PrefixKeyV4 {
  uint32_t addr = 0;
  uint8_t length = 0;
  uint8_t used = 0;  // 0: empty slot

  PrefixKeyV4() = default;
  explicit PrefixKeyV4(const Prefix& p)
      : addr(p.address().v4_value()), length(p.length()), used(1) {}
  bool empty() const { return used == 0; }
  Prefix prefix() const { return Prefix::from_v4(addr, length); }
  friend bool operator==(const PrefixKeyV4&, const PrefixKeyV4&) = default;
};
struct PrefixKeyV4Hash {
  std::size_t operator()(const PrefixKeyV4& k) const {
    return mix64(uint64_t{k.addr} << 8 | k.length);
  }
};
static_assert(sizeof(PrefixKeyV4) == 8);

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
  LocRib(const LocRib&) = delete;
  LocRib& operator=(const LocRib&) = delete;
  ~LocRib();

  struct Slot {
    InResult result = InResult::NoChange;
    Destination* dest = nullptr;
    uint32_t index = 0;
  };
  // Step 4 (Adj-RIB-In). On NoChange the caller stops: the import filter would give the same.
  [[nodiscard]] Slot receive(const Prefix& p, const RouteSource* src, uint32_t path_id,
                             AttrRef received);
  // As receive(), but first asks `admit(existed, was_accepted)` about the path's state before
  // (no path yet / its last import verdict); false from admit: nothing is stored, dest is null.
  // One table lookup for both (the receive limit needs the state before).
  template <class Admit>
  [[nodiscard]] Slot receive_if(const Prefix& p, const RouteSource* src, uint32_t path_id,
                                AttrRef received, Admit&& admit);
  // Steps 5-6: the import filter's verdict for the slot (null `imported` = rejected), then the
  // decision process. `now` (whole seconds, Route::since) orders paths for `prefer older`. A slot
  // without a destination (the path was refused) changes nothing. A copy received from the peer
  // clears the graceful-restart stale mark; a re-run of the filter over the kept copy (a reload,
  // a node override: `rerun`) keeps it, or the End-of-RIB sweep would keep a path never refreshed.
  [[nodiscard]] BestResult import(const Prefix& p, const Slot& slot, AttrRef imported, uint64_t now,
                                  bool rerun = false);
  // Removes a path (withdrawal, or the source went away).
  [[nodiscard]] BestResult withdraw(const Prefix& p, const RouteSource* src, uint32_t path_id);
  struct Removed {
    bool found = false;     // the source had this path
    bool filtered = false;  // it was rejected by the import filter
    BestResult best = BestResult::Unchanged;
  };
  // withdraw(), also saying what was removed (one table lookup for the withdrawal and its
  // counters).
  [[nodiscard]] Removed remove(const Prefix& p, const RouteSource* src, uint32_t path_id);
  // Bulk work (an UPDATE's NLRI): hints to load a prefix's table slot, then, once that is near,
  // its path block, a few prefixes ahead of the one being processed.
  void prefetch(const Prefix& p) const {
    if (p.is_v4())
      v4_.prefetch(PrefixKeyV4(p));
    else
      v6_.prefetch(PrefixKey(p));
  }
  void prefetch_paths(const Prefix& p) const {
    const Destination* d = const_cast<LocRib*>(this)->find_mut(p);
    if (!d || d->paths.empty()) return;
    const char* b = reinterpret_cast<const char*>(d->paths.begin());
    const std::size_t bytes = d->paths.size() * sizeof(Path);
    for (std::size_t o = 0; o < bytes; o += 64) prefetch_line(b + o);
  }
  // Marks a path stale or fresh (graceful restart) without changing its attributes.
  void set_stale(const Prefix& p, const RouteSource* src, uint32_t path_id, bool stale);

  const Destination* find(const Prefix& p) const;
  // Why the best path of `d` won (the decision step against its closest rival): worked out when
  // asked (`show route all`, history), not on every change.
  Reason reason(const Destination& d) const;
  std::size_t prefixes() const { return v4_.size() + v6_.size(); }
  std::size_t paths() const { return paths_; }
  const DecisionConfig& config() const { return cfg_; }
  // Heap bytes held, from the capacities: the prefix table and the path pool's chunks.
  struct Memory {
    std::size_t table = 0;
    std::size_t paths = 0;
  };
  Memory memory() const;
  std::size_t memory_bytes() const {
    const Memory m = memory();
    return m.table + m.paths;
  }
  void set_config(const DecisionConfig& cfg) { cfg_ = cfg; }
  // Journal every change of a prefix's paths, not only best-path changes (needed while some
  // peer is sent all paths with ADD-PATH, RFC 7911).
  void set_journal_all(bool on) { journal_all_ = on; }
  bool journal_all() const { return journal_all_; }

  // Every prefix, in no particular order (a snapshot for chunked walks that resume later).
  std::vector<Prefix> snapshot() const;
  // The same for one family.
  std::vector<Prefix> snapshot(Family f) const;
  // Visits each prefix of the table (the caller must not modify the table meanwhile).
  void for_each(const std::function<void(const Prefix&, const Destination&)>& f) const;
  // Re-runs the decision for one prefix (after a config change); journals a change.
  BestResult recompute(const Prefix& p);

 private:
  BestResult decide(const Prefix& p, Destination& d);
  // True when comparing d's eligible paths is a total order (see remove()).
  bool total_order(const Destination& d) const;
  // Appends the prefix to the journal unless an entry for it is still unread by every consumer.
  void journal(const Prefix& p, Destination& d);
  static int find_path(const Destination& d, const RouteSource* src, uint32_t path_id);
  Slot add_path(Destination& d, const RouteSource* src, uint32_t path_id, AttrRef received);

  DecisionConfig cfg_;
  Journal* journal_;
  bool journal_all_ = false;
  // f(table, key) on the prefix's table with its key.
  template <class F>
  decltype(auto) with_table(const Prefix& p, F&& f) {
    if (p.is_v4()) return f(v4_, PrefixKeyV4(p));
    return f(v6_, PrefixKey(p));
  }
  Destination* find_mut(const Prefix& p) {
    return with_table(p, [](auto& t, const auto& k) { return t.find(k); });
  }

  PathPool pool_;  // before the tables: their lists are released into it
  FlatMap<PrefixKeyV4, Destination, PrefixKeyV4Hash> v4_;
  FlatMap<PrefixKey, Destination, PrefixKeyHash> v6_;
  std::size_t paths_ = 0;
  std::vector<const Route*> scratch_;
};

template <class Admit>
LocRib::Slot LocRib::receive_if(const Prefix& p, const RouteSource* src, uint32_t path_id,
                                AttrRef received, Admit&& admit) {
  Destination* d = find_mut(p);
  int i = d ? find_path(*d, src, path_id) : -1;
  if (i >= 0) {
    Path& path = d->paths[static_cast<std::size_t>(i)];
    if (!admit(true, !path.route.filtered())) return {InResult::NoChange, nullptr, 0};
    if (path.received == received && !path.route.stale())
      return {InResult::NoChange, d, static_cast<uint32_t>(i)};
    path.received = std::move(received);
    return {InResult::Changed, d, static_cast<uint32_t>(i)};
  }
  if (d && d->paths.size() >= kMaxPathsPerPrefix) return {InResult::NoChange, nullptr, 0};
  if (!admit(false, false)) return {InResult::NoChange, nullptr, 0};
  if (!d) d = with_table(p, [](auto& t, const auto& k) { return t.try_emplace(k).first; });
  return add_path(*d, src, path_id, std::move(received));
}

}  // namespace rs::rib
