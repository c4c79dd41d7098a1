// Prefix and IpAddress implementation: parsing and formatting go through inet_pton/inet_ntop,
// the hot paths (from_wire, masking, hashing) are plain integer arithmetic.
#include "rib/prefix.hpp"

#include <arpa/inet.h>

#include <cassert>
#include <charconv>
#include <cstring>

namespace rs::rib {

std::string_view to_string(Family f) {
  return f == Family::Ipv4 ? "ipv4" : "ipv6";
}

namespace {
uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
void store_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}
constexpr uint64_t mask64(unsigned bits) {
  return bits == 0 ? 0 : bits >= 64 ? ~0ULL : ~0ULL << (64 - bits);
}
}  // namespace

IpAddress IpAddress::from_bytes(Family f, const uint8_t* b) {
  if (f == Family::Ipv4) {
    return v4((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3]);
  }
  return v6(load_be64(b), load_be64(b + 8));
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  // inet_pton reads a C string: a NUL inside the text would end it early and let whatever follows
  // (a CR LF into an HTTP Host header, garbage after an address on the control socket) through.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t bytes[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, bytes) != 1) return std::nullopt;
    return from_bytes(Family::Ipv4, bytes);
  }
  if (inet_pton(AF_INET6, buf, bytes) != 1) return std::nullopt;
  return from_bytes(Family::Ipv6, bytes);
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return (v4_value() >> 24) == 127;
  return hi_ == 0 && lo_ == 1;
}

bool IpAddress::is_multicast() const {
  if (is_v4()) return (v4_value() >> 28) == 0xE;
  return (hi_ >> 56) == 0xFF;
}

bool IpAddress::is_link_local() const {
  if (is_v4()) return (v4_value() >> 16) == 0xA9FE;
  return (hi_ >> 54) == (0xFE80ULL >> 6);
}

std::size_t IpAddress::to_bytes(uint8_t* out) const {
  if (is_v4()) {
    uint32_t v = v4_value();
    out[0] = static_cast<uint8_t>(v >> 24);
    out[1] = static_cast<uint8_t>(v >> 16);
    out[2] = static_cast<uint8_t>(v >> 8);
    out[3] = static_cast<uint8_t>(v);
    return 4;
  }
  store_be64(out, hi_);
  store_be64(out + 8, lo_);
  return 16;
}

IpAddress IpAddress::masked(unsigned len) const {
  IpAddress r = *this;
  r.hi_ &= mask64(len);
  r.lo_ &= len <= 64 ? 0 : mask64(len - 64);
  return r;
}

std::string IpAddress::to_string() const {
  uint8_t bytes[16];
  to_bytes(bytes);
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes, buf, sizeof buf);
  return buf;
}

std::size_t IpAddress::hash() const {
  return hash_combine(hash_combine(static_cast<uint64_t>(family_), hi_), lo_);
}

Prefix::Prefix(IpAddress addr, uint8_t len) : addr_(addr.masked(len)), len_(len) {
  assert(len <= max_length(addr.family()));
}

Prefix Prefix::from_wire(Family f, uint8_t len, const uint8_t* bytes) {
  uint8_t buf[16] = {};
  std::memcpy(buf, bytes, (len + 7u) / 8u);
  Prefix p;
  p.addr_ = IpAddress::from_bytes(f, buf).masked(len);
  p.len_ = len;
  return p;
}

std::optional<Prefix> Prefix::parse(std::string_view text, bool allow_host_bits) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  unsigned len = max_length(addr->family());
  if (slash != std::string_view::npos) {
    auto num = text.substr(slash + 1);
    if (num.empty() || num.size() > 3) return std::nullopt;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), len);
    if (ec != std::errc() || ptr != num.data() + num.size()) return std::nullopt;
    if (len > max_length(addr->family())) return std::nullopt;
  }
  if (!allow_host_bits && addr->masked(len) != *addr) return std::nullopt;
  return Prefix(*addr, static_cast<uint8_t>(len));
}

bool Prefix::contains(const Prefix& other) const {
  return other.family() == family() && other.len_ >= len_ && other.addr_.masked(len_) == addr_;
}

bool Prefix::contains(const IpAddress& ip) const {
  return ip.family() == family() && ip.masked(len_) == addr_;
}

std::string Prefix::to_string() const {
  return addr_.to_string() + "/" + std::to_string(len_);
}

std::size_t Prefix::hash() const {
  return hash_combine(addr_.hash(), len_);
}

}  // namespace rs::rib
