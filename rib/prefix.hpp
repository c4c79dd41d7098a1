// Prefix and IpAddress: the value types every table is keyed by.
// An address is kept as a 128-bit big-endian integer (hi_, lo_); an IPv4 address sits in the top
// 32 bits of hi_, so masking, ordering and trie walks are the same code for both families.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rs::rib {

enum class Family : uint8_t { Ipv4 = 4, Ipv6 = 6 };

constexpr uint8_t max_length(Family f) {
  return f == Family::Ipv4 ? 32 : 128;
}
constexpr std::size_t address_bytes(Family f) {
  return f == Family::Ipv4 ? 4 : 16;
}
std::string_view to_string(Family f);

class IpAddress {
 public:
  constexpr IpAddress() = default;
  static constexpr IpAddress v4(uint32_t host_order) {
    return IpAddress(Family::Ipv4, uint64_t{host_order} << 32, 0);
  }
  static constexpr IpAddress v6(uint64_t hi, uint64_t lo) {
    return IpAddress(Family::Ipv6, hi, lo);
  }
  // Reads 4 (IPv4) or 16 (IPv6) bytes in network order.
  static IpAddress from_bytes(Family f, const uint8_t* bytes);
  // Accepts dotted quads and RFC 4291 text; nullopt on anything else.
  static std::optional<IpAddress> parse(std::string_view text);

  constexpr Family family() const { return family_; }
  constexpr bool is_v4() const { return family_ == Family::Ipv4; }
  constexpr bool is_v6() const { return family_ == Family::Ipv6; }
  constexpr uint32_t v4_value() const { return static_cast<uint32_t>(hi_ >> 32); }
  constexpr uint64_t hi() const { return hi_; }
  constexpr uint64_t lo() const { return lo_; }
  // Bit i counted from the most significant bit (0 = first bit on the wire).
  constexpr bool bit(unsigned i) const {
    return i < 64 ? (hi_ >> (63 - i)) & 1 : (lo_ >> (127 - i)) & 1;
  }
  constexpr bool is_zero() const { return hi_ == 0 && lo_ == 0; }
  bool is_unspecified() const { return is_zero(); }
  bool is_loopback() const;
  bool is_multicast() const;
  bool is_link_local() const;  // IPv6 fe80::/10, IPv4 169.254/16
  // Writes 4 or 16 bytes in network order; returns the count written.
  std::size_t to_bytes(uint8_t* out) const;
  // Keeps the first len bits, zeroes the rest.
  IpAddress masked(unsigned len) const;
  std::string to_string() const;

  friend constexpr bool operator==(const IpAddress&, const IpAddress&) = default;
  friend constexpr std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) {
    if (auto c = a.family_ <=> b.family_; c != 0) return c;
    if (auto c = a.hi_ <=> b.hi_; c != 0) return c;
    return a.lo_ <=> b.lo_;
  }
  std::size_t hash() const;

 private:
  constexpr IpAddress(Family f, uint64_t hi, uint64_t lo) : hi_(hi), lo_(lo), family_(f) {}
  uint64_t hi_ = 0;
  uint64_t lo_ = 0;
  Family family_ = Family::Ipv4;
};

class Prefix {
 public:
  constexpr Prefix() = default;
  // Host bits are zeroed; len is clamped by the caller (asserted in debug builds).
  Prefix(IpAddress addr, uint8_t len);
  // From the wire: len bits taken from ceil(len/8) bytes at `bytes`. The caller checked len and
  // size.
  static Prefix from_wire(Family f, uint8_t len, const uint8_t* bytes);
  // IPv4 fast path for the codec (inline: tens of millions per second): host bits are cleared;
  // the caller checked len <= 32.
  static Prefix from_v4(uint32_t host_order, uint8_t len) {
    Prefix p;
    p.addr_ = IpAddress::v4(len == 0 ? 0 : host_order & (~uint32_t{0} << (32 - len)));
    p.len_ = len;
    return p;
  }
  // "10.0.0.0/8", "2001:db8::/32"; a bare address is a host prefix. Host bits set: nullopt unless
  // `allow_host_bits` (then they are zeroed).
  static std::optional<Prefix> parse(std::string_view text, bool allow_host_bits = false);

  const IpAddress& address() const { return addr_; }
  Family family() const { return addr_.family(); }
  uint8_t length() const { return len_; }
  bool is_v4() const { return addr_.is_v4(); }
  // Bytes this prefix takes on the wire after its length byte.
  std::size_t wire_bytes() const { return (len_ + 7u) / 8u; }
  bool contains(const Prefix& other) const;
  bool contains(const IpAddress& ip) const;
  std::string to_string() const;

  friend bool operator==(const Prefix&, const Prefix&) = default;
  friend std::strong_ordering operator<=>(const Prefix& a, const Prefix& b) {
    if (auto c = a.addr_ <=> b.addr_; c != 0) return c;
    return a.len_ <=> b.len_;
  }
  std::size_t hash() const;

 private:
  IpAddress addr_;
  uint8_t len_ = 0;
};

struct PrefixHash {
  std::size_t operator()(const Prefix& p) const { return p.hash(); }
};
struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const { return a.hash(); }
};

// 64-bit mixer shared by the hashes of this library (splitmix64 finaliser).
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
constexpr uint64_t hash_combine(uint64_t seed, uint64_t v) {
  return mix64(seed ^ (v + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2)));
}

}  // namespace rs::rib

template <>
struct std::hash<rs::rib::Prefix> {
  std::size_t operator()(const rs::rib::Prefix& p) const { return p.hash(); }
};
template <>
struct std::hash<rs::rib::IpAddress> {
  std::size_t operator()(const rs::rib::IpAddress& a) const { return a.hash(); }
};
