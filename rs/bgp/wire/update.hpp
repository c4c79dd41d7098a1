// The UPDATE message (RFC 4271 4.3) as the codec hands it to the RIB: withdrawals, one attribute
// builder and NLRI for IPv4 and IPv6 unicast, with MP_REACH/MP_UNREACH (RFC 4760), ADD-PATH
// (RFC 7911), extended next hops (RFC 8950) and End-of-RIB (RFC 4724 2).
//
// decode_update() returns an error only when the session must be reset (the NOTIFICATION to send);
// the milder RFC 7606 outcomes are recorded in the message: `treat_as_withdraw` (every NLRI of the
// message, IPv4 field and MP_REACH alike, is to be handled as withdrawn) and `attr_errors` (each
// treat-as-withdraw cause and each discarded attribute, for logs and counters).
//
// Error decisions (the "[ours]" column of ../shared/BGP-ERRORS.md; SR = session reset, TaW, AD):
//   withdrawn / total attribute length overrun the message ........ SR 3/1 (RFC 4271 6.3)
//   IPv4 withdrawn or NLRI field: prefix length > 32 ............... SR 3/10; truncated: SR 3/1
//   attribute overruns the attribute field / stray 1-3 bytes ....... TaW, NLRI located by the
//     total attribute length (RFC 7606 4, 5.1); SR 3/1 when the message has no NLRI to withdraw
//   duplicate MP_REACH / MP_UNREACH ................................ SR 3/1 (RFC 7606 3(g))
//   other duplicates ................................................ first kept, rest AD (3(g))
//   MP_REACH / MP_UNREACH header short, next-hop length invalid ..... SR 3/1 (RFC 7606 7.11)
//   MP_REACH / MP_UNREACH NLRI syntax error ......................... SR 3/9 (RFC 4760 7)
//   MP_* flags not optional non-transitive .......................... SR 3/4
//   family not negotiated / not unicast ............................. skipped (RFC 4760 6)
//   missing ORIGIN / AS_PATH (any NLRI), NEXT_HOP (IPv4 NLRI field) .. TaW (RFC 7606 3(d))
//   ORIGIN, AS_PATH, NEXT_HOP, MED, COMMUNITIES, EXT/IPv6-EXT/LARGE COMMUNITIES, OTC malformed,
//     known attribute with wrong optional/transitive flags ......... TaW (RFC 7606 3(c), 7.x)
//   LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST from eBGP .............. AD; malformed from iBGP TaW
//   ATOMIC_AGGREGATE, AGGREGATOR, AS4_PATH, AS4_AGGREGATOR malformed AD (RFC 7606 7.6/7.7, 6793 6)
//   AS 0 in AS_PATH (RFC 7607), confederation segments or first AS not the peer's from eBGP,
//     NEXT_HOP 0.0.0.0 / multicast / our own address, OTC leak (RFC 9234 5) .... TaW
//   attribute type 0, unknown optional non-transitive ............... AD
//   unknown attribute with well-known flags ......................... TaW
//   unknown optional transitive ........ kept byte-exact in attrs.unknown (the allow-list is
//   policy) AS4_PATH / AS4_AGGREGATOR from a 4-octet session ................ AD (RFC 6793 4.1)
// A message whose NLRI field is empty ignores NEXT_HOP (RFC 4760 3): a broken one is only AD.
// Discards by rule (eBGP LOCAL_PREF, ...) are recorded with subcode 0.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "rib/attrs.hpp"
#include "rib/result.hpp"
#include "rs/bgp/wire/bytes.hpp"
#include "rs/bgp/wire/nlri.hpp"
#include "rs/bgp/wire/types.hpp"

namespace rs::bgp::wire {

// Attribute flag bits (RFC 4271 4.3).
namespace attr_flag {
inline constexpr uint8_t kOptional = 0x80;
inline constexpr uint8_t kTransitive = 0x40;
inline constexpr uint8_t kPartial = 0x20;
inline constexpr uint8_t kExtendedLength = 0x10;
}  // namespace attr_flag

struct MpReach {
  AfiSafi family;
  rib::IpAddress next_hop;    // global (or the only) next hop: IPv6, or IPv4 (RFC 4760 / 8950)
  rib::IpAddress link_local;  // RFC 2545 second IPv6 next hop; zero when absent
  std::vector<Nlri> nlri;
  friend bool operator==(const MpReach&, const MpReach&) = default;
};

struct MpUnreach {
  AfiSafi family;
  std::vector<Nlri> nlri;
  friend bool operator==(const MpUnreach&, const MpUnreach&) = default;
};

struct UpdateMessage {
  std::vector<Nlri> withdrawn;  // IPv4 Withdrawn Routes field
  rib::AttrBuilder attrs;       // NEXT_HOP is the attribute only; MP next hops are in mp_reach
  std::vector<Nlri> nlri;       // IPv4 NLRI field
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  bool treat_as_withdraw = false;         // RFC 7606 2: all NLRI of this message are withdrawn
  std::vector<WireError> attr_errors;     // TaW causes and discarded attributes (logs, counters)
  std::vector<AfiSafi> skipped_families;  // MP_* attributes of families not negotiated
  std::vector<rib::Prefix> bogus;         // announcements ignored (is_bogus_route), for the log
  // A LOCAL_PREF from an external peer was ignored (RFC 4271 5.1.5): the route server then adds
  // no default LOCAL_PREF either (BIRD 2.0.12 does the same, measured).
  bool ebgp_local_pref_ignored = false;

  // Empties the message, keeping vector capacity (one message object is reused per session).
  void clear();
  // RFC 4724 2: an UPDATE with nothing but an empty withdrawn field (IPv4) or an empty
  // MP_UNREACH_NLRI (other families) is an End-of-RIB marker.
  std::optional<AfiSafi> end_of_rib() const;
  bool has_reach() const { return !nlri.empty() || (mp_reach && !mp_reach->nlri.empty()); }

  // Capacity kept for the MP NLRI lists while mp_reach / mp_unreach are empty (not compared).
  std::vector<Nlri> spare_reach_nlri_;
  std::vector<Nlri> spare_unreach_nlri_;

  // attr_errors compare by action and code/subcode only (the reason text is for humans).
  friend bool operator==(const UpdateMessage& a, const UpdateMessage& b);
};

// Decodes an UPDATE body (the bytes after the 19-byte header) into `out`, reusing its capacity.
// An error means: send this NOTIFICATION and reset the session.
[[nodiscard]] Status<WireError> decode_update(Bytes body, const Negotiated& n, UpdateMessage& out);

enum class EncodeResult : uint8_t { Ok, TooBig };

// Appends one whole UPDATE (header included). Attributes go in canonical order: MP_UNREACH and
// MP_REACH first (RFC 7606 5.1), then ascending type codes (RFC 4271 5). A message larger than
// n.max_message_size() is not written (TooBig, `out` unchanged).
[[nodiscard]] EncodeResult encode_update(const UpdateMessage& m, const Negotiated& n,
                                         std::vector<uint8_t>& out);

// Path attributes (no MP_*), canonical order, for both the builder and the interned form. Known
// attributes get their canonical flags; unknown ones are re-sent with the Partial bit set
// (RFC 4271 5, except IPv6 extended communities, which rsd recognises); to a 2-octet peer
// AS_PATH/AGGREGATOR carry AS_TRANS plus AS4_PATH/AS4_AGGREGATOR (RFC 6793 4.2.2).
// NEXT_HOP is written when present and IPv4 unless `with_next_hop` is false. Returns the offset
// in `out` where NEXT_HOP belongs (after ORIGIN and AS_PATH), so a caller can splice one in.
std::size_t encode_attributes(const rib::AttrBuilder& a, const Negotiated& n,
                              std::vector<uint8_t>& out, bool with_next_hop = true);
std::size_t encode_attributes(const rib::PathAttributes& a, const Negotiated& n,
                              std::vector<uint8_t>& out, bool with_next_hop = true);

// Appends a path attribute header + value (Extended Length when the value exceeds 255 bytes).
void encode_attribute(uint8_t flags, uint8_t type, Bytes value, std::vector<uint8_t>& out);

// End-of-RIB markers (RFC 4724 2): IPv4 unicast is an empty UPDATE, other families an UPDATE with
// only an empty MP_UNREACH_NLRI.
void encode_end_of_rib(AfiSafi family, std::vector<uint8_t>& out);

}  // namespace rs::bgp::wire
