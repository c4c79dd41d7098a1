// Prefix sets as a path-compressed binary trie (see prefix_set.hpp for the matching rule).
//
// A pattern P/len2{l,h} is split in two at insertion:
//  - query lengths >= len2 (queries inside P): bits [max(l,len2), h] of the `accept` mask of the
//    node for P/len2;
//  - query lengths < len2 (queries that are supernets of P): bits [l, min(h,len2-1)] OR-ed into the
//    `below` mask of P's node and of every ancestor, so that one look at the first node under the
//    query's position answers "is there a pattern beneath me that accepts my length as a supernet".
// A query walks from the root along its own bits, checking `accept` at each node on its path; when
// it reaches its own depth it checks `below`. Nodes are kept in one vector and linked by index.
#include "filters/prefix_set.hpp"

#include <algorithm>

namespace rs::filters {

namespace {
constexpr uint64_t hi_mask(unsigned k) {
  return k == 0 ? 0 : k >= 64 ? ~0ULL : ~0ULL << (64 - k);
}
constexpr uint64_t lo_mask(unsigned k) {
  return k <= 64 ? 0 : k >= 128 ? ~0ULL : ~0ULL << (128 - k);
}
inline bool same_bits(uint64_t ahi, uint64_t alo, uint64_t bhi, uint64_t blo, unsigned k) {
  return ((ahi ^ bhi) & hi_mask(k)) == 0 && ((alo ^ blo) & lo_mask(k)) == 0;
}
inline unsigned bit_at(uint64_t hi, uint64_t lo, unsigned i) {
  return i < 64 ? (hi >> (63 - i)) & 1 : (lo >> (127 - i)) & 1;
}
// Number of leading equal bits, at most `limit`.
inline unsigned common_bits(uint64_t ahi, uint64_t alo, uint64_t bhi, uint64_t blo,
                            unsigned limit) {
  unsigned n;
  if (uint64_t x = ahi ^ bhi)
    n = static_cast<unsigned>(__builtin_clzll(x));
  else if (uint64_t y = alo ^ blo)
    n = 64 + static_cast<unsigned>(__builtin_clzll(y));
  else
    n = 128;
  return std::min(n, limit);
}
}  // namespace

std::string PrefixPattern::to_string() const {
  std::string s = prefix.to_string();
  const unsigned len = prefix.length();
  const unsigned max = rib::max_length(prefix.family());
  if (low == len && high == len) return s;
  if (low == len && high == max) return s + "+";
  if (low == 0 && high == len) return s + "-";
  return s + "{" + std::to_string(low) + "," + std::to_string(high) + "}";
}

const PrefixSet::Masks PrefixSet::kNoMasks{};
std::size_t PrefixSet::memory_bytes() const {
  static_assert(sizeof(Node) == 32 || sizeof(void*) != 8, "trie nodes stay at 32 bytes");
  return nodes_.capacity() * sizeof(Node) + masks_.capacity() * sizeof(Masks) +
         patterns_.capacity() * sizeof(PrefixPattern);
}

PrefixSet::Masks& PrefixSet::own_masks(uint32_t node) {
  if (nodes_[node].masks == kNone) {
    nodes_[node].masks = static_cast<uint32_t>(masks_.size());
    masks_.emplace_back();
  }
  return masks_[nodes_[node].masks];
}

uint32_t PrefixSet::new_node(uint64_t hi, uint64_t lo, uint8_t len) {
  Node n;
  n.hi = hi & hi_mask(len);
  n.lo = lo & lo_mask(len);
  n.len = len;
  nodes_.push_back(n);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

uint32_t PrefixSet::insert_node(const rib::Prefix& p) {
  const uint64_t hi = p.address().hi(), lo = p.address().lo();
  const uint8_t len = p.length();
  uint32_t* slot = &root_[p.is_v4() ? 0 : 1];
  // `slot` points into nodes_ or root_; re-derive it after every push_back.
  int parent = -1;
  unsigned parent_dir = 0;
  auto reslot = [&]() -> uint32_t* {
    return parent < 0 ? &root_[p.is_v4() ? 0 : 1] : &nodes_[parent].child[parent_dir];
  };
  for (;;) {
    slot = reslot();
    if (*slot == kNone) {
      uint32_t k = new_node(hi, lo, len);
      *reslot() = k;
      return k;
    }
    const uint32_t cur = *slot;
    const Node n = nodes_[cur];
    const unsigned common = common_bits(hi, lo, n.hi, n.lo, std::min(len, n.len));
    if (common == n.len && n.len == len) return cur;
    if (common == n.len) {  // n is a proper ancestor of p
      parent = static_cast<int>(cur);
      parent_dir = bit_at(hi, lo, n.len);
      continue;
    }
    // A new node above n inherits n's `below` (the union over its subtree).
    const LenMask below = masks_of(n).below;
    const bool has_below = (below.w[0] | below.w[1] | below.w[2]) != 0;
    if (common == len) {  // p is a proper ancestor of n
      uint32_t k = new_node(hi, lo, len);
      nodes_[k].child[bit_at(n.hi, n.lo, len)] = cur;
      if (has_below) own_masks(k).below = below;
      *reslot() = k;
      return k;
    }
    // Diverge at `common`: a glue node with n and a new leaf as children.
    uint32_t g = new_node(hi, lo, static_cast<uint8_t>(common));
    uint32_t k = new_node(hi, lo, len);
    nodes_[g].child[bit_at(n.hi, n.lo, common)] = cur;
    nodes_[g].child[bit_at(hi, lo, common)] = k;
    if (has_below) own_masks(g).below = below;
    *reslot() = g;
    return k;
  }
}

bool PrefixSet::add(const rib::Prefix& p, uint8_t low, uint8_t high) {
  const unsigned max = rib::max_length(p.family());
  if (low > high || high > max) return false;
  const unsigned len = p.length();
  const uint32_t k = insert_node(p);
  if (high >= len) own_masks(k).accept.set_range(std::max<unsigned>(low, len), high);
  if (low < len) {
    LenMask sup;
    sup.set_range(low, std::min<unsigned>(high, len - 1));
    // OR into every node from the root down to k.
    const uint64_t hi = p.address().hi(), lo = p.address().lo();
    uint32_t i = root_[p.is_v4() ? 0 : 1];
    while (i != kNone) {
      own_masks(i).below.merge(sup);
      if (i == k) break;
      const Node& n = nodes_[i];
      i = n.child[bit_at(hi, lo, n.len)];
    }
  }
  patterns_.push_back({p, low, high});
  return true;
}

bool PrefixSet::contains(const rib::Prefix& q) const {
  const uint64_t hi = q.address().hi(), lo = q.address().lo();
  const unsigned len = q.length();
  uint32_t i = root_[q.is_v4() ? 0 : 1];
  while (i != kNone) {
    const Node& n = nodes_[i];
    if (n.len <= len) {
      if (!same_bits(hi, lo, n.hi, n.lo, n.len)) return false;
      if (n.masks != kNone) {
        const Masks& m = masks_[n.masks];
        if (m.accept.has(len)) return true;
        if (n.len == len) return m.below.has(len);
      } else if (n.len == len) {
        return false;
      }
      i = n.child[bit_at(hi, lo, n.len)];
    } else {
      return same_bits(hi, lo, n.hi, n.lo, len) && masks_of(n).below.has(len);
    }
  }
  return false;
}

std::string PrefixSet::to_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    if (i) s += ", ";
    s += patterns_[i].to_string();
  }
  return s + "]";
}

}  // namespace rs::filters
