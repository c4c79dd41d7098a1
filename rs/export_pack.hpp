// Pull-based packing: when a session can write, it asks for UPDATEs; withdrawals
// go first, then one bucket (attribute set) at a time, packed to the negotiated message size. A
// slow peer is asked less often and its Adj-RIB-Out coalesces meanwhile; nothing is queued twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rs/bgp/wire/types.hpp"
#include "rs/export.hpp"

namespace rs {

struct PackCounters {
  uint64_t updates = 0;
  uint64_t prefixes_announced = 0;
  uint64_t prefixes_withdrawn = 0;
  // Announcements that cannot be encoded for the peer (RFC 4271 9.2: attributes too large for a
  // message; an IPv4 route with an IPv6 next hop without RFC 8950; no usable next hop). Never
  // recorded as sent: the peer's older path for the prefix is withdrawn instead.
  uint64_t unsendable = 0;
};

// Appends whole UPDATE messages for the pending work of a session's channels (one member per
// family) until about `budget` bytes were added: withdrawals of every channel first, then
// announcements, then End-of-RIB per channel once its initial export is done. True when more
// work remains. `on_unsendable(member, prefix)` is told of each announcement that was dropped.
using UnsendableFn = void (*)(void* ctx, const ExportMember& m, const rib::Prefix& p);
bool pack_updates(std::span<ExportMember* const> members, const bgp::wire::Negotiated& n,
                  std::vector<uint8_t>& out, std::size_t budget, PackCounters& counters,
                  UnsendableFn on_unsendable = nullptr, void* ctx = nullptr);

}  // namespace rs
