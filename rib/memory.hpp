// Memory accounting helpers: what a heap block of n requested bytes really takes from glibc malloc
// (an 8-byte size header, 16-byte alignment, 32 bytes at least; whole pages for large blocks), so
// that the structures' own memory_bytes() figures add up to what the allocator hands out, not to
// sizeof sums.
#pragma once

#include <algorithm>
#include <cstddef>

namespace rs::rib {

// Requests from 128 KiB up (glibc's initial mmap threshold, which rsd's main() fixes) get their
// own pages.
constexpr std::size_t heap_block(std::size_t n) {
  if (n == 0) return 0;
  if (n >= 128 * 1024) return (n + 16 + 4095) & ~std::size_t{4095};
  return std::max<std::size_t>(32, (n + 8 + 15) & ~std::size_t{15});
}

// A hint to load the cache line at `p` (bulk lookups issue it a few entries ahead). The empty
// volatile asm marks the caller as having a side effect: GCC otherwise takes a function that only
// prefetches for a pure one and drops calls to it (and so the hint).
inline void prefetch_line(const void* p) {
  __builtin_prefetch(p);
  asm volatile("");
}

}  // namespace rs::rib
