// PathPool: the heap blocks of the Loc-RIB's path lists. A block of n paths is exactly n * 32
// bytes, carved from 32 KiB chunks that hold blocks of one size only, so a block has no allocator
// header and a freed block is reused by the next list of the same size. A chunk that empties goes
// back to malloc at once. Why: path lists grow in steps (2, 4, 6, 8, 10 ...) and with one malloc
// block each, the blocks a full table outgrew stayed behind as holes between live blocks that no
// trim could return (about 5 MB at 1M paths); here they empty whole chunks instead.
// Lists longer than kMaxPooled paths take ordinary heap blocks.
//
// Not thread-safe: one pool per Loc-RIB, used from the thread that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rs::rib {

class PathPool {
 public:
  static constexpr std::size_t kBlockUnit = 32;               // sizeof(Path)
  static constexpr uint32_t kMaxPooled = 32;                  // paths in the largest pooled block
  static constexpr std::size_t kChunkBytes = 32 * 1024 - 16;  // one 32 KiB malloc block

  PathPool() = default;
  PathPool(const PathPool&) = delete;
  PathPool& operator=(const PathPool&) = delete;
  ~PathPool();

  // Uninitialized room for `n` (> 0) paths; deallocate with the same n.
  void* allocate(uint32_t n);
  void deallocate(void* p, uint32_t n);

  // Heap bytes held: chunks (used or not), the chunk index, and the unpooled blocks.
  std::size_t memory_bytes() const;
  std::size_t chunks() const { return chunks_.size(); }

 private:
  struct Chunk;
  Chunk* new_chunk(uint32_t n);
  void free_chunk(Chunk* c);
  Chunk* owner(void* p) const;
  static void unlink(Chunk*& head, Chunk* c);

  Chunk* partial_[kMaxPooled + 1] = {};  // per block size: chunks with a free block
  std::vector<Chunk*> chunks_;           // every chunk, by address
  std::size_t unpooled_bytes_ = 0;       // heap_block() of the blocks above kMaxPooled
};

}  // namespace rs::rib
