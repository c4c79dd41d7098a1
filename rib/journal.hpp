// Journal: the append-only log of best-path changes (BIRD 3's asynchronous export). The Loc-RIB
// appends the prefix whose best path changed; every consumer (an export group, the history writer)
// reads from its own cursor and looks the current state up, so a prefix that changed ten times
// while a consumer was busy costs it one lookup of the newest state. Entries behind the slowest
// cursor are trimmed.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "rib/memory.hpp"
#include "rib/prefix.hpp"

namespace rs::rib {

class Journal {
 public:
  using Seq = uint64_t;
  using CursorId = uint32_t;

  // `first`: the sequence number of the first entry (tests start near 2^32 to cross the wrap of
  // the Loc-RIB's 32-bit record of it).
  explicit Journal(Seq first = 0) : base_(first) {}

  // Returns the entry's sequence number.
  Seq append(const Prefix& p) {
    entries_.push_back(p);
    return head() - 1;
  }
  // True when entry `s` is still held, is `p`, and no cursor has read it yet: appending `p` again
  // would tell no consumer anything new (each looks the newest state up when it reads the entry).
  bool unread_by_all(Seq s, const Prefix& p) const {
    if (s < base_ || s >= head()) return false;
    for (Seq c : cursors_)
      if (c != kClosed && c > s) return false;
    return entries_[static_cast<std::size_t>(s - base_)] == p;
  }
  // Heap bytes held (deque blocks of entries, cursors), from the sizes.
  std::size_t memory_bytes() const {
    // libstdc++ deques allocate 512-byte blocks plus a map of block pointers.
    const std::size_t per_block = std::max<std::size_t>(1, 512 / sizeof(Prefix));
    const std::size_t blocks = entries_.size() / per_block + 1;
    return blocks * (heap_block(512) + sizeof(void*)) + heap_block(cursors_.capacity() * sizeof(Seq));
  }

  // A new cursor starts at the end: it sees changes from now on (a new consumer first walks the
  // whole table instead).
  CursorId open_cursor();
  void close_cursor(CursorId c);

  // Up to `max` entries from the cursor's position; advances it. Trims when possible.
  std::size_t read(CursorId c, std::size_t max, std::vector<Prefix>& out);
  // Entries the cursor has not read yet.
  std::size_t pending(CursorId c) const;

  Seq head() const { return base_ + entries_.size(); }
  std::size_t size() const { return entries_.size(); }

 private:
  void trim();
  std::deque<Prefix> entries_;
  Seq base_ = 0;                  // sequence number of entries_.front()
  std::vector<Seq> cursors_;      // per cursor: next sequence to read; kClosed when closed
  static constexpr Seq kClosed = ~Seq{0};
};

}  // namespace rs::rib
