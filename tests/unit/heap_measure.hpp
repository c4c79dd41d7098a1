// Heap bytes in use as glibc's allocator sees them (mallinfo2, glibc >= 2.33), to check the
// structures' memory accounting against real allocations. Under a sanitizer the allocator is not
// glibc's: heap_measurable() is false and the comparison is skipped.
#pragma once

#include <malloc.h>

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define RSD_HEAP_UNMEASURABLE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define RSD_HEAP_UNMEASURABLE 1
#endif
#endif

inline bool heap_measurable() {
#ifdef RSD_HEAP_UNMEASURABLE
  return false;
#else
  return true;
#endif
}
// In-arena blocks plus the large blocks malloc hands out by mmap.
inline std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}
