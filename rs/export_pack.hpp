// Pull-based packing (design step 8): when a session can write, it asks for UPDATEs; withdrawals
// go first, then one bucket (attribute set) at a time, packed to the negotiated message size. A
// slow peer is asked less often and its Adj-RIB-Out coalesces meanwhile; nothing is queued twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rs/bgp/wire/types.hpp"
#include "rs/export.hpp"

namespace rs {

struct PackCounters {
  uint64_t updates = 0;
  uint64_t prefixes_announced = 0;
  uint64_t prefixes_withdrawn = 0;
  uint64_t unsendable = 0;  // announcements whose attributes do not fit a message (RFC 4271 9.2)
};

// Appends whole UPDATE messages for m's pending work until about `budget` bytes were added, then
// End-of-RIB per family once the initial export is done. True when more work remains.
bool pack_updates(ExportMember& m, const bgp::wire::Negotiated& n, std::vector<uint8_t>& out,
                  std::size_t budget, PackCounters& counters);

}  // namespace rs
