// Internal helpers shared by the UPDATE encoder and the UpdateBuilder; not part of the API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rib/prefix.hpp"

namespace rs::bgp::wire::detail {

// Reserves an attribute header with a 2-byte length; end_attribute() writes flags/type/length and
// drops to a 1-byte length (clearing Extended Length) when the value fits in 255 bytes.
std::size_t begin_attribute(std::vector<uint8_t>& out);
void end_attribute(std::vector<uint8_t>& out, std::size_t at, uint8_t flags, uint8_t type);

// Header of an UPDATE with the length left zero; finish_message() fills it in.
std::size_t begin_update(std::vector<uint8_t>& out);
void finish_message(std::vector<uint8_t>& out, std::size_t at);

// MP_REACH_NLRI next hop: length byte, then 4, 16 or 32 bytes (RFC 4760 3, RFC 2545 3).
void put_mp_next_hop(const rib::IpAddress& nh, const rib::IpAddress& link_local,
                     std::vector<uint8_t>& out);

}  // namespace rs::bgp::wire::detail
