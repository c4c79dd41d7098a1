// PathPool: size-segregated chunks for path blocks. Each chunk starts with its header; blocks are
// carved on demand (a fresh chunk's untouched tail costs no resident memory), freed blocks form a
// list through their first word, and the chunks with a free block form a list per block size.
// Finding a block's chunk is a binary search over the chunks by address (a few hundred at 1M
// paths), done only when a block is freed.
#include "rib/path_pool.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <functional>
#include <new>

#include "rib/memory.hpp"

namespace rs::rib {

struct PathPool::Chunk {
  Chunk* prev = nullptr;  // in partial_[n]
  Chunk* next = nullptr;
  void* free = nullptr;   // freed blocks, each holding the next one's address
  uint32_t n = 0;         // paths per block
  uint32_t used = 0;      // blocks handed out
  uint32_t carved = 0;    // blocks carved so far; the rest of the chunk was never touched
  uint32_t capacity = 0;  // blocks that fit

  static constexpr std::size_t kHeader = 48;
  char* blocks() { return reinterpret_cast<char*>(this) + kHeader; }
  bool contains(const void* p) const {
    const char* b = reinterpret_cast<const char*>(this);
    return std::less_equal<const char*>{}(b, static_cast<const char*>(p)) &&
           std::less<const char*>{}(static_cast<const char*>(p), b + kChunkBytes);
  }
};

PathPool::~PathPool() {
  for (Chunk* c : chunks_) ::operator delete(c);
}

void PathPool::unlink(Chunk*& head, Chunk* c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    head = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = nullptr;
}

PathPool::Chunk* PathPool::new_chunk(uint32_t n) {
  static_assert(sizeof(Chunk) <= Chunk::kHeader && Chunk::kHeader % 16 == 0);
  static_assert((kChunkBytes - Chunk::kHeader) / (kMaxPooled * kBlockUnit) >= 16,
                "every pooled size fits many times in a chunk");
  auto* c = new (::operator new(kChunkBytes)) Chunk;
  c->n = n;
  c->capacity = static_cast<uint32_t>((kChunkBytes - Chunk::kHeader) / (n * kBlockUnit));
  chunks_.insert(std::upper_bound(chunks_.begin(), chunks_.end(), c, std::less<Chunk*>{}), c);
  c->next = partial_[n];
  if (c->next) c->next->prev = c;
  partial_[n] = c;
  return c;
}

void PathPool::free_chunk(Chunk* c) {
  auto it = std::lower_bound(chunks_.begin(), chunks_.end(), c, std::less<Chunk*>{});
  assert(it != chunks_.end() && *it == c);
  chunks_.erase(it);
  if (chunks_.empty()) std::vector<Chunk*>().swap(chunks_);
  c->~Chunk();
  ::operator delete(c);
}

PathPool::Chunk* PathPool::owner(void* p) const {
  // The last chunk starting at or before p.
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), p, [](void* q, const Chunk* c) {
    return std::less<const void*>{}(q, c);
  });
  if (it == chunks_.begin()) return nullptr;
  Chunk* c = *(it - 1);
  return c->contains(p) ? c : nullptr;
}

void* PathPool::allocate(uint32_t n) {
  assert(n > 0);
  if (n > kMaxPooled) {
    unpooled_bytes_ += heap_block(n * kBlockUnit);
    return ::operator new(n* kBlockUnit);
  }
  Chunk* c = partial_[n] ? partial_[n] : new_chunk(n);
  void* p;
  if (c->free) {
    p = c->free;
    std::memcpy(&c->free, p, sizeof(void*));
  } else {
    p = c->blocks() + std::size_t{c->carved++} * n * kBlockUnit;
  }
  if (++c->used == c->capacity) unlink(partial_[n], c);
  return p;
}

void PathPool::deallocate(void* p, uint32_t n) {
  if (!p) return;
  if (n > kMaxPooled) {
    unpooled_bytes_ -= heap_block(n * kBlockUnit);
    ::operator delete(p);
    return;
  }
  Chunk* c = owner(p);
  assert(c && c->n == n && c->used > 0);
  if (c->used == c->capacity) {  // full until now: it has room again
    c->next = partial_[n];
    if (c->next) c->next->prev = c;
    partial_[n] = c;
  }
  std::memcpy(p, &c->free, sizeof(void*));
  c->free = p;
  if (--c->used == 0) {
    unlink(partial_[n], c);
    free_chunk(c);
  }
}

std::size_t PathPool::memory_bytes() const {
  return chunks_.size() * heap_block(kChunkBytes) +
         heap_block(chunks_.capacity() * sizeof(Chunk*)) + unpooled_bytes_;
}

}  // namespace rs::rib
