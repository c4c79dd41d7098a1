// NLRI as carried in the UPDATE withdrawn/NLRI fields and in MP_REACH/MP_UNREACH (RFC 4271 4.3,
// RFC 4760 5): <length, prefix> tuples, each optionally preceded by an ADD-PATH path identifier
// (RFC 7911 3). Only the unicast encodings of IPv4 and IPv6 are known here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rib/prefix.hpp"
#include "rs/bgp/wire/bytes.hpp"

namespace rs::bgp::wire {

struct Nlri {
  rib::Prefix prefix;
  uint32_t path_id = 0;  // RFC 7911; 0 when ADD-PATH is not in use for the family
  friend bool operator==(const Nlri&, const Nlri&) = default;
};

enum class NlriStatus : uint8_t {
  Ok,
  BadPrefixLength,  // length above 32 / 128 (RFC 4271 6.3 "Invalid Network Field")
  Truncated,        // a prefix or path id runs past the field
};

// Decodes a whole field, appending to `out` (which keeps its capacity across calls). On error `out`
// holds the entries decoded before the bad one. No allocation once `out` has grown.
[[nodiscard]] NlriStatus decode_nlri(Bytes field, rib::Family family, bool add_path,
                                     std::vector<Nlri>& out);

// A prefix whose network address cannot name a unicast destination beyond this host: 0.x.x.x
// other than 0.0.0.0, 127/8, multicast, 255.255.255.255, and in IPv6 the same inside
// IPv4-compatible / IPv4-mapped addresses (::0.0.0.0 is the unspecified address and stays valid,
// ::ffff:0.0.0.0 does not), fe80::/10 and ff00::/8. BIRD 2 ignores such announcements ("Ignoring
// bogus route"): neither imported nor a withdrawal. rsd does the same, so both export the same set.
bool is_bogus_route(const rib::Prefix& p);

// Bytes one entry takes on the wire.
inline std::size_t nlri_wire_size(const Nlri& n, bool add_path) {
  return (add_path ? 5u : 1u) + n.prefix.wire_bytes();
}
// Appends one entry.
void encode_nlri(const Nlri& n, bool add_path, std::vector<uint8_t>& out);
// Writes one entry at `p` (which has room for nlri_wire_size bytes); returns the end.
uint8_t* encode_nlri_to(const Nlri& n, bool add_path, uint8_t* p);

}  // namespace rs::bgp::wire
