// PrefixSet: a BIRD prefix set, i.e. a set of prefix patterns `P/len{low,high}`, as a
// path-compressed binary trie with two length masks per node. Membership costs one walk down the
// trie (O(prefix length)), whatever the number of patterns. Both families live in one object
// (separate roots).
//
// Semantics (BIRD 2 user guide, "prefix set"): a prefix Q/len1 matches the pattern P/len2{l,h} when
// l <= len1 <= h and the first min(len1, len2) bits of Q and P are equal. `P+` is P{len,max},
// `P-` is P{0,len}, a bare `P` is P{len,len}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rib/prefix.hpp"

namespace rs::filters {

struct PrefixPattern {
  rib::Prefix prefix;
  uint8_t low = 0;
  uint8_t high = 0;
  friend bool operator==(const PrefixPattern&, const PrefixPattern&) = default;
  // "10.0.0.0/8{16,24}", with the `+` / `-` / bare shorthands when they apply.
  std::string to_string() const;
};

class PrefixSet {
 public:
  // Adds P/len{low,high}; false (and nothing added) unless low <= high <= max length.
  [[nodiscard]] bool add(const rib::Prefix& p, uint8_t low, uint8_t high);
  [[nodiscard]] bool add(const PrefixPattern& p) { return add(p.prefix, p.low, p.high); }

  bool contains(const rib::Prefix& q) const;

  bool empty() const { return patterns_.empty(); }
  std::size_t size() const { return patterns_.size(); }
  std::size_t node_count() const { return nodes_.size(); }
  // Bytes held by the trie and the pattern list.
  std::size_t memory_bytes() const;
  bool has_family(rib::Family f) const { return root_[f == rib::Family::Ipv4 ? 0 : 1] != kNone; }
  // The patterns in insertion order (for printing and structural equality).
  const std::vector<PrefixPattern>& patterns() const { return patterns_; }
  // "[10.0.0.0/8+, 2001:db8::/32{48,64}]"
  std::string to_string() const;

  friend bool operator==(const PrefixSet& a, const PrefixSet& b) {
    return a.patterns_ == b.patterns_;
  }

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  struct LenMask {
    uint64_t w[3] = {0, 0, 0};
    void set_range(unsigned a, unsigned b) {
      for (unsigned i = a; i <= b; ++i) w[i >> 6] |= uint64_t{1} << (i & 63);
    }
    bool has(unsigned i) const { return (w[i >> 6] >> (i & 63)) & 1; }
    void merge(const LenMask& o) { w[0] |= o.w[0], w[1] |= o.w[1], w[2] |= o.w[2]; }
  };
  // 32 bytes; the two 24-byte length masks live in a side table, only for nodes that have one
  // (pattern nodes, and the ancestors of `P-`-style patterns), not for glue nodes.
  struct Node {
    uint64_t hi = 0, lo = 0;  // address bits, zero past len
    uint32_t child[2] = {kNone, kNone};
    uint32_t masks = kNone;  // index into masks_
    uint8_t len = 0;
  };
  struct Masks {
    LenMask accept;  // query lengths accepted for queries inside this node's prefix
    LenMask
        below;  // union, over this subtree, of query lengths (< node length) matched as supernets
  };
  static const Masks kNoMasks;
  const Masks& masks_of(const Node& n) const {
    return n.masks == kNone ? kNoMasks : masks_[n.masks];
  }
  Masks& own_masks(uint32_t node);
  uint32_t insert_node(const rib::Prefix& p);
  uint32_t new_node(uint64_t hi, uint64_t lo, uint8_t len);

  std::vector<Node> nodes_;
  std::vector<Masks> masks_;
  std::vector<PrefixPattern> patterns_;
  uint32_t root_[2] = {kNone, kNone};
};

}  // namespace rs::filters
