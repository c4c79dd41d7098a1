// FlatMap<K, V, H>: an open-addressing hash table (linear probing, backward-shift deletion) with
// keys and values inline in one array, for the tables that hold one entry per prefix (Loc-RIB,
// Adj-RIB-Out). Against std::unordered_map: no node allocation per entry, one cache line per
// lookup in the common case, and memory that is exactly `capacity * sizeof(Slot)`.
//
// K must be cheap to copy, default-construct to a reserved "empty" value, and provide
// `bool empty() const`; H hashes K. Pointers to values are invalidated by try_emplace and erase
// (entries move), so callers keep them only while they do not modify the table.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "rib/memory.hpp"
#include "rib/prefix.hpp"

namespace rs::rib {

template <class K, class V, class H>
class FlatMap {
 public:
  struct Slot {
    K key;
    V value;
  };

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return slots_.size(); }
  // Bytes held by the slot array (the values' own heap blocks are not counted here).
  std::size_t memory_bytes() const { return heap_block(slots_.capacity() * sizeof(Slot)); }

  V* find(const K& k) {
    if (size_ == 0) return nullptr;
    for (std::size_t i = H{}(k)&mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key.empty()) return nullptr;
      if (s.key == k) return &s.value;
    }
  }
  const V* find(const K& k) const { return const_cast<FlatMap*>(this)->find(k); }
  // Asks the CPU to load the cache lines of `k`'s home slot (a hint: nothing changes). Bulk
  // lookups issue it a few keys ahead, so that the misses of random probes overlap.
  void prefetch(const K& k) const {
    if (size_ == 0) return;
    const char* s = reinterpret_cast<const char*>(&slots_[H{}(k)&mask_]);
    prefetch_line(s);
    prefetch_line(s + sizeof(Slot) - 1);
  }

  // The value for `k`, default-constructed when new (second: true).
  std::pair<V*, bool> try_emplace(const K& k) {
    assert(!k.empty());
    if ((size_ + 1) * 8 > slots_.size() * 7) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = H{}(k)&mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key.empty()) {
        s.key = k;
        ++size_;
        return {&s.value, true};
      }
      if (s.key == k) return {&s.value, false};
    }
  }

  bool erase(const K& k) {
    if (size_ == 0) return false;
    std::size_t i = H{}(k)&mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key.empty()) return false;
      if (slots_[i].key == k) break;
    }
    // Backward shift: pull later entries of the cluster into the hole unless their home slot
    // lies cyclically in (hole, j].
    for (std::size_t j = i;;) {
      j = (j + 1) & mask_;
      if (slots_[j].key.empty()) break;
      const std::size_t home = H{}(slots_[j].key) & mask_;
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
    if (slots_.size() > 16 && size_ * 8 < slots_.size()) rehash(slots_.size() / 2);
    return true;
  }

  void clear() {
    std::vector<Slot>().swap(slots_);
    size_ = 0;
    mask_ = 0;
  }

  // f(const K&, V&) for every entry, in table order; f must not modify the table.
  template <class F>
  void for_each(F&& f) {
    for (Slot& s : slots_)
      if (!s.key.empty()) f(s.key, s.value);
  }
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (!s.key.empty()) f(s.key, s.value);
  }

 private:
  void rehash(std::size_t n) {
    std::vector<Slot> old(n);
    old.swap(slots_);
    mask_ = n - 1;
    for (Slot& s : old) {
      if (s.key.empty()) continue;
      std::size_t i = H{}(s.key) & mask_;
      while (!slots_[i].key.empty()) i = (i + 1) & mask_;
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

// A prefix as a table key: 24 bytes instead of Prefix's 32, with family 0 as the empty key.
struct PrefixKey {
  uint64_t hi = 0;
  uint64_t lo = 0;
  uint8_t family = 0;  // 0: empty slot
  uint8_t length = 0;
  uint32_t extra = 0;  // free for the user (Adj-RIB-Out: the ADD-PATH path id)

  PrefixKey() = default;
  explicit PrefixKey(const Prefix& p, uint32_t x = 0)
      : hi(p.address().hi()),
        lo(p.address().lo()),
        family(static_cast<uint8_t>(p.family())),
        length(p.length()),
        extra(x) {}
  bool empty() const { return family == 0; }
  Prefix prefix() const {
    if (family == static_cast<uint8_t>(Family::Ipv4))
      return Prefix::from_v4(static_cast<uint32_t>(hi >> 32), length);
    return Prefix(IpAddress::v6(hi, lo), length);
  }
  friend bool operator==(const PrefixKey&, const PrefixKey&) = default;
};
struct PrefixKeyHash {
  std::size_t operator()(const PrefixKey& k) const {
    return mix64(k.hi ^ mix64(k.lo ^ (uint64_t{k.length} | uint64_t{k.family} << 8 |
                                      uint64_t{k.extra} << 16)));
  }
};

}  // namespace rs::rib
