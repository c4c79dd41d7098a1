// PathPool: blocks keep their contents while others come and go, freed blocks are reused, a
// chunk that empties is returned, the accounting follows the heap.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "heap_measure.hpp"
#include "rib/memory.hpp"
#include "rib/path_pool.hpp"

using rs::rib::PathPool;

namespace {
struct Block {
  unsigned char* p;
  uint32_t n;
  unsigned char tag;
};
void fill(const Block& b) {
  std::memset(b.p, b.tag, b.n * PathPool::kBlockUnit);
}
bool intact(const Block& b) {
  for (std::size_t i = 0; i < b.n * PathPool::kBlockUnit; ++i)
    if (b.p[i] != b.tag) return false;
  return true;
}
}  // namespace

TEST_CASE("blocks of every size keep their contents; emptied chunks go back") {
  PathPool pool;
  std::mt19937 rng(7);
  std::vector<Block> live;
  for (int round = 0; round < 20000; ++round) {
    if (live.empty() || rng() % 3 != 0) {
      const uint32_t n = 1 + rng() % 40;  // above kMaxPooled too
      Block b{static_cast<unsigned char*>(pool.allocate(n)), n, static_cast<unsigned char>(rng())};
      CHECK(reinterpret_cast<std::uintptr_t>(b.p) % alignof(void*) == 0);
      fill(b);
      live.push_back(b);
    } else {
      const std::size_t i = rng() % live.size();
      REQUIRE(intact(live[i]));
      pool.deallocate(live[i].p, live[i].n);
      live[i] = live.back();
      live.pop_back();
    }
  }
  bool all = true;
  for (const Block& b : live) all = all && intact(b);
  CHECK(all);
  CHECK(pool.chunks() > 0);
  for (const Block& b : live) pool.deallocate(b.p, b.n);
  CHECK(pool.chunks() == 0);
  CHECK(pool.memory_bytes() == 0);
}

TEST_CASE("a freed block is handed out again before a chunk grows") {
  PathPool pool;
  void* a = pool.allocate(10);
  void* b = pool.allocate(10);
  CHECK(a != b);
  CHECK(pool.chunks() == 1);
  pool.deallocate(a, 10);
  CHECK(pool.allocate(10) == a);
  // Another size never shares a chunk with size 10.
  void* c = pool.allocate(4);
  CHECK(pool.chunks() == 2);
  pool.deallocate(c, 4);
  CHECK(pool.chunks() == 1);
  pool.deallocate(a, 10);
  pool.deallocate(b, 10);
  CHECK(pool.chunks() == 0);
}

TEST_CASE("the pool's accounting matches the heap growth") {
  if (!heap_measurable()) return;
  const std::size_t before = heap_in_use();
  {
    PathPool pool;
    std::vector<std::pair<void*, uint32_t>> blocks;
    for (uint32_t i = 0; i < 100000; ++i) {
      const uint32_t n = i % 50 == 0 ? 40 : 2 + i % 9;
      blocks.emplace_back(pool.allocate(n), n);
    }
    const std::size_t vec = heap_in_use() - before;  // includes `blocks` itself
    const double measured =
        static_cast<double>(vec) -
        static_cast<double>(rs::rib::heap_block(blocks.capacity() * sizeof(blocks[0])));
    const double accounted = static_cast<double>(pool.memory_bytes());
    MESSAGE("accounted " << accounted << " bytes, heap grew by " << measured);
    CHECK(accounted >= 0.99 * measured);
    CHECK(accounted <= 1.01 * measured);
    for (auto [p, n] : blocks) pool.deallocate(p, n);
    CHECK(pool.memory_bytes() == 0);
  }
}
