// Journal: the append-only log of best-path changes (BIRD 3's asynchronous export). The Loc-RIB
// appends the prefix whose best path changed; every consumer (an export group, the history writer)
// reads from its own cursor and looks the current state up, so a prefix that changed ten times
// while a consumer was busy costs it one lookup of the newest state. Entries behind the slowest
// cursor are trimmed.
//
// Storage: entries are 24-byte PrefixKeys in blocks of kBlockEntries (just over 128 KiB, so each
// block is its own mapping: see rib/memory.hpp). A full table's worth of changes is about 2.4 MB
// while the export catches up after a bulk import; with small blocks interleaved with the Loc-RIB's
// allocations, that memory stayed behind as holes in the heap once read.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "rib/flat_map.hpp"
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
    const std::size_t i = first_ + size_;
    if (i == blocks_.size() * kBlockEntries)
      blocks_.push_back(std::make_unique<PrefixKey[]>(kBlockEntries));
    blocks_[i / kBlockEntries][i % kBlockEntries] = PrefixKey(p);
    ++size_;
    return head() - 1;
  }
  // True when entry `s` is still held, is `p`, and no cursor has read it yet: appending `p` again
  // would tell no consumer anything new (each looks the newest state up when it reads the entry).
  bool unread_by_all(Seq s, const Prefix& p) const {
    if (s < base_ || s >= head()) return false;
    for (Seq c : cursors_)
      if (c != kClosed && c > s) return false;
    return entry(static_cast<std::size_t>(s - base_)) == PrefixKey(p);
  }
  // Heap bytes held (entry blocks, the block index, cursors), from the sizes.
  std::size_t memory_bytes() const {
    // libstdc++ deques allocate 512-byte blocks of pointers plus a small map.
    const std::size_t index =
        (blocks_.size() * sizeof(void*) / 512 + 1) * heap_block(512) + heap_block(64);
    return blocks_.size() * heap_block(kBlockEntries * sizeof(PrefixKey)) + index +
           heap_block(cursors_.capacity() * sizeof(Seq));
  }

  // A new cursor starts at the end: it sees changes from now on (a new consumer first walks the
  // whole table instead).
  CursorId open_cursor();
  void close_cursor(CursorId c);

  // Up to `max` entries from the cursor's position; advances it. Trims when possible.
  std::size_t read(CursorId c, std::size_t max, std::vector<Prefix>& out);
  // Entries the cursor has not read yet.
  std::size_t pending(CursorId c) const;

  Seq head() const { return base_ + size_; }
  std::size_t size() const { return size_; }

  // A block is just over 128 KiB: glibc maps a request of that size (with its header) on its own.
  static constexpr std::size_t kBlockEntries =
      (128 * 1024 + sizeof(PrefixKey) - 1) / sizeof(PrefixKey);

 private:
  void trim();
  const PrefixKey& entry(std::size_t i) const {
    i += first_;
    return blocks_[i / kBlockEntries][i % kBlockEntries];
  }
  // Entries in order from blocks_[0][first_]; a block is freed once every entry in it is trimmed.
  std::deque<std::unique_ptr<PrefixKey[]>> blocks_;
  std::size_t first_ = 0;
  std::size_t size_ = 0;
  Seq base_ = 0;              // sequence number of the first entry
  std::vector<Seq> cursors_;  // per cursor: next sequence to read; kClosed when closed
  static constexpr Seq kClosed = ~Seq{0};
};

}  // namespace rs::rib
