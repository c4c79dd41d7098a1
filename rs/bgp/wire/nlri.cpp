// NLRI field codec (RFC 4271 4.3, RFC 4760 5, RFC 7911 3). The decoder is the hot path of the whole
// daemon (a full table is tens of millions of these): a tight pointer loop per family with no
// per-entry allocation and no virtual calls; IPv4 prefixes are built straight from a 32-bit value.
#include "rs/bgp/wire/nlri.hpp"

#include <cstring>

namespace rs::bgp::wire {

namespace {

inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// One loop for both families; IPv4 builds the prefix from a 32-bit value (the hot case).
template <bool AddPath, bool V4>
NlriStatus decode(const uint8_t* p, const uint8_t* end, std::vector<Nlri>& out) {
  constexpr unsigned kMaxLen = V4 ? 32 : 128;
  while (p < end) {
    uint32_t path_id = 0;
    if constexpr (AddPath) {
      if (end - p < 5) return NlriStatus::Truncated;
      path_id = load_be32(p);
      p += 4;
    }
    const unsigned len = *p++;
    if (len > kMaxLen) return NlriStatus::BadPrefixLength;
    const unsigned nbytes = (len + 7) / 8;
    if (static_cast<std::size_t>(end - p) < nbytes) return NlriStatus::Truncated;
    if constexpr (V4) {
      uint32_t v = 0;
      switch (nbytes) {
        case 4:
          v |= uint32_t{p[3]};
          [[fallthrough]];
        case 3:
          v |= uint32_t{p[2]} << 8;
          [[fallthrough]];
        case 2:
          v |= uint32_t{p[1]} << 16;
          [[fallthrough]];
        case 1:
          v |= uint32_t{p[0]} << 24;
          [[fallthrough]];
        default:
          break;
      }
      // Host bits the sender left set are cleared.
      out.push_back(Nlri{rib::Prefix::from_v4(v, static_cast<uint8_t>(len)), path_id});
    } else {
      out.push_back(
          Nlri{rib::Prefix::from_wire(rib::Family::Ipv6, static_cast<uint8_t>(len), p), path_id});
    }
    p += nbytes;
  }
  return NlriStatus::Ok;
}

}  // namespace

NlriStatus decode_nlri(Bytes field, rib::Family family, bool add_path, std::vector<Nlri>& out) {
  const uint8_t* p = field.data();
  const uint8_t* end = p + field.size();
  if (family == rib::Family::Ipv4)
    return add_path ? decode<true, true>(p, end, out) : decode<false, true>(p, end, out);
  return add_path ? decode<true, false>(p, end, out) : decode<false, false>(p, end, out);
}

uint8_t* encode_nlri_to(const Nlri& n, bool add_path, uint8_t* p) {
  if (add_path) {
    p[0] = static_cast<uint8_t>(n.path_id >> 24);
    p[1] = static_cast<uint8_t>(n.path_id >> 16);
    p[2] = static_cast<uint8_t>(n.path_id >> 8);
    p[3] = static_cast<uint8_t>(n.path_id);
    p += 4;
  }
  *p++ = n.prefix.length();
  uint8_t addr[16];
  n.prefix.address().to_bytes(addr);
  const std::size_t nbytes = n.prefix.wire_bytes();
  std::memcpy(p, addr, nbytes);
  return p + nbytes;
}

void encode_nlri(const Nlri& n, bool add_path, std::vector<uint8_t>& out) {
  const std::size_t at = out.size();
  out.resize(at + nlri_wire_size(n, add_path));
  encode_nlri_to(n, add_path, out.data() + at);
}

namespace {
// The IPv4 rule on a (non-zero) address.
bool bogus_v4(uint32_t a) {
  const uint32_t top = a >> 24;
  return top == 0 || top == 127 || (top >= 224 && top <= 239) || a == 0xFFFFFFFF;
}
}  // namespace

bool is_bogus_route(const rib::Prefix& p) {
  const rib::IpAddress& a = p.address();
  if (a.is_zero()) return false;  // default routes and 0.0.0.0/N, ::/N
  if (a.is_v4()) return bogus_v4(a.v4_value());
  const uint64_t hi = a.hi(), lo = a.lo();
  if (hi == 0 && (lo >> 32) == 0) return bogus_v4(static_cast<uint32_t>(lo));  // ::a.b.c.d
  if (hi == 0 && (lo >> 32) == 0xFFFF) {                                       // ::ffff:a.b.c.d
    const auto v4 = static_cast<uint32_t>(lo);
    return v4 == 0 || bogus_v4(v4);
  }
  if ((hi >> 54) == (0xFE80ULL >> 6)) return true;  // fe80::/10 link-local
  return (hi >> 56) == 0xFF;                        // ff00::/8 multicast
}

}  // namespace rs::bgp::wire
