// Byte cursor helpers for the codec: a bounds-checked reader over untrusted input and an
// appending writer. Reader never reads past its span: every getter first checks `remaining()`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rs::bgp::wire {

using Bytes = std::span<const uint8_t>;

class Reader {
 public:
  explicit Reader(Bytes b) : p_(b.data()), end_(b.data() + b.size()) {}
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  const uint8_t* data() const { return p_; }
  // Callers check remaining() first; these assume enough bytes.
  uint8_t u8() { return *p_++; }
  uint16_t u16() {
    uint16_t v = static_cast<uint16_t>(p_[0] << 8 | p_[1]);
    p_ += 2;
    return v;
  }
  uint32_t u32() {
    uint32_t v = uint32_t{p_[0]} << 24 | uint32_t{p_[1]} << 16 | uint32_t{p_[2]} << 8 | p_[3];
    p_ += 4;
    return v;
  }
  uint64_t u64() {
    uint64_t hi = u32();
    return hi << 32 | u32();
  }
  Bytes take(std::size_t n) {
    Bytes b(p_, n);
    p_ += n;
    return b;
  }
  void skip(std::size_t n) { p_ += n; }
  Bytes rest() const { return Bytes(p_, remaining()); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  std::size_t size() const { return out_.size(); }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  }
  void bytes(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void fill(std::size_t n, uint8_t v) { out_.insert(out_.end(), n, v); }
  // Overwrites a 16-bit value at an earlier offset (lengths written after their content).
  void patch_u16(std::size_t at, uint16_t v) {
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }
  std::vector<uint8_t>& buffer() { return out_; }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace rs::bgp::wire
