// InternTable<T>: hash-consing of immutable values. Equal values share one node; a Ref is an
// intrusive, counted handle and two Refs are equal exactly when they point at the same node, so
// comparing interned values is a pointer compare (OpenBGPD path_getcache, Contrail bgp_attr_base).
// Single-threaded by design: everything that interns runs on the event-loop thread.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>

#include "rib/memory.hpp"

namespace rs::rib {

template <class T>
class InternTable;

template <class T>
struct InternNode {
  T value;
  uint64_t hash = 0;
  uint32_t refs = 0;
  InternTable<T>* table = nullptr;  // null once the table is gone (orphaned node)
};

template <class T>
class Ref {
 public:
  Ref() = default;
  Ref(std::nullptr_t) {}
  Ref(const Ref& o) : node_(o.node_) { acquire(); }
  Ref(Ref&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  Ref& operator=(const Ref& o) {
    if (node_ != o.node_) {
      Ref tmp(o);
      std::swap(node_, tmp.node_);
    }
    return *this;
  }
  Ref& operator=(Ref&& o) noexcept {
    if (this != &o) {
      release();
      node_ = std::exchange(o.node_, nullptr);
    }
    return *this;
  }
  ~Ref() { release(); }

  const T& operator*() const { return node_->value; }
  const T* operator->() const { return &node_->value; }
  const T* get() const { return node_ ? &node_->value : nullptr; }
  explicit operator bool() const { return node_ != nullptr; }
  uint64_t hash() const { return node_ ? node_->hash : 0; }
  uint32_t use_count() const { return node_ ? node_->refs : 0; }
  // Identity, not value: interned values are equal iff their nodes are.
  friend bool operator==(const Ref& a, const Ref& b) { return a.node_ == b.node_; }
  friend bool operator==(const Ref& a, std::nullptr_t) { return a.node_ == nullptr; }

 private:
  friend class InternTable<T>;
  explicit Ref(InternNode<T>* n) : node_(n) { acquire(); }
  void acquire() {
    if (node_) ++node_->refs;
  }
  // Inline: a handle is copied and dropped several times per route; only the last drop is a call.
  void release() {
    if (node_) {
      assert(node_->refs > 0);
      if (--node_->refs == 0) destroy();
      node_ = nullptr;
    }
  }
  [[gnu::noinline]] void destroy();
  InternNode<T>* node_ = nullptr;
};

struct InternCounters {
  std::size_t entries = 0;
  uint64_t hits = 0;    // intern() found an equal value
  uint64_t misses = 0;  // intern() stored a new value
};

// T needs `uint64_t hash() const` and `operator==`.
template <class T>
class InternTable {
 public:
  InternTable() = default;
  InternTable(const InternTable&) = delete;
  InternTable& operator=(const InternTable&) = delete;
  ~InternTable() {
    for (auto& [h, node] : map_) node->table = nullptr;
  }

  Ref<T> intern(const T& v) { return intern_impl(v); }
  Ref<T> intern(T&& v) { return intern_impl(std::move(v)); }

  const InternCounters& counters() const { return counters_; }
  std::size_t size() const { return map_.size(); }
  // Heap bytes held: the index (bucket array, a node per entry), the value nodes, and what each
  // value holds on the heap (`value_heap(const T&)`, e.g. a list's vector).
  template <class F>
  std::size_t memory_bytes(F&& value_heap) const {
    std::size_t b = heap_block(map_.bucket_count() * sizeof(void*));
    for (const auto& kv : map_) {
      b += heap_block(sizeof(typename Map::value_type) + sizeof(void*)) +
           heap_block(sizeof(InternNode<T>)) + value_heap(kv.second->value);
    }
    return b;
  }

 private:
  friend class Ref<T>;
  template <class U>
  Ref<T> intern_impl(U&& v) {
    const uint64_t h = v.hash();
    auto [it, end] = map_.equal_range(h);
    for (; it != end; ++it) {
      if (it->second->value == v) {
        ++counters_.hits;
        return Ref<T>(it->second);
      }
    }
    auto* node = new InternNode<T>{std::forward<U>(v), h, 0, this};
    map_.emplace(h, node);
    ++counters_.misses;
    counters_.entries = map_.size();
    return Ref<T>(node);
  }
  void erase(InternNode<T>* node) {
    auto [it, end] = map_.equal_range(node->hash);
    for (; it != end; ++it) {
      if (it->second == node) {
        map_.erase(it);
        break;
      }
    }
    counters_.entries = map_.size();
  }

  using Map = std::unordered_multimap<uint64_t, InternNode<T>*>;
  Map map_;
  InternCounters counters_;
};

template <class T>
void Ref<T>::destroy() {
  if (node_->table) node_->table->erase(node_);
  delete node_;
}

}  // namespace rs::rib
