// each_prefetched, shared by the importer and the exporter.
#pragma once

#include <algorithm>
#include <vector>

#include "rib/loc_rib.hpp"
#include "rs/bgp/wire/nlri.hpp"

namespace rs {

// Bulk Loc-RIB work (an UPDATE's NLRI, a batch of journaled prefixes) makes random memory accesses
// per prefix (a table slot, then a path block), each a likely cache and TLB miss: hint them 16 and
// 8 entries ahead so that the misses overlap. `hint` adds the caller's own (export: the members'
// Adj-RIB-Out slots) at the slot distance.
namespace detail {
inline const rib::Prefix& prefix_of(const bgp::wire::Nlri& n) {
  return n.prefix;
}
inline const rib::Prefix& prefix_of(const rib::Prefix& p) {
  return p;
}
}  // namespace detail

template <class T, class Hint, class F>
void each_prefetched(const rib::LocRib& rib, const std::vector<T>& list, Hint&& hint, F&& f) {
  constexpr std::size_t kSlotAhead = 16, kPathsAhead = 8;
  const std::size_t n = list.size();
  auto slot = [&](std::size_t i) {
    rib.prefetch(detail::prefix_of(list[i]));
    hint(detail::prefix_of(list[i]));
  };
  for (std::size_t i = 0; i < std::min(n, kSlotAhead); ++i) slot(i);
  for (std::size_t i = 0; i < std::min(n, kPathsAhead); ++i)
    rib.prefetch_paths(detail::prefix_of(list[i]));
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kSlotAhead < n) slot(i + kSlotAhead);
    if (i + kPathsAhead < n) rib.prefetch_paths(detail::prefix_of(list[i + kPathsAhead]));
    f(list[i]);
  }
}

}  // namespace rs
