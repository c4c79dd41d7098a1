// Path attribute rules of the UPDATE decoder, one case per attribute type, each citing the clause
// it follows. A malformed attribute never resets the session here: it is either discarded
// (RFC 7606 2 "attribute discard") or makes the whole message treat-as-withdraw; the choice per
// attribute is RFC 7606 7.x, refined by ../shared/BGP-ERRORS.md "[ours]" (see update.hpp).
// Flag conflicts on known attributes make the attribute malformed (RFC 7606 3(c)) and get that
// attribute's own malformed handling.
#include <algorithm>
#include <string>

#include "rs/bgp/wire/as_path.hpp"
#include "rs/bgp/wire/update_decode.hpp"

namespace rs::bgp::wire::detail {

namespace {

using rib::AttrType;
namespace sub = subcode;

constexpr uint8_t kWellKnown = attr_flag::kTransitive;                             // 0x40
constexpr uint8_t kOptTransitive = attr_flag::kOptional | attr_flag::kTransitive;  // 0xC0
constexpr uint8_t kOptNonTransitive = attr_flag::kOptional;                        // 0x80
// Subcode recorded for attributes dropped by rule rather than for being malformed.
constexpr uint8_t kPolicy = 0;

bool flags_are(uint8_t flags, uint8_t expected) {
  return (flags & (attr_flag::kOptional | attr_flag::kTransitive)) == expected;
}
uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
std::string name(uint8_t type) {
  switch (type) {
    case 1:
      return "ORIGIN";
    case 2:
      return "AS_PATH";
    case 3:
      return "NEXT_HOP";
    case 4:
      return "MULTI_EXIT_DISC";
    case 5:
      return "LOCAL_PREF";
    case 6:
      return "ATOMIC_AGGREGATE";
    case 7:
      return "AGGREGATOR";
    case 8:
      return "COMMUNITIES";
    case 9:
      return "ORIGINATOR_ID";
    case 10:
      return "CLUSTER_LIST";
    case 16:
      return "EXTENDED_COMMUNITIES";
    case 17:
      return "AS4_PATH";
    case 18:
      return "AS4_AGGREGATOR";
    case 25:
      return "IPv6_EXTENDED_COMMUNITIES";
    case 32:
      return "LARGE_COMMUNITY";
    case 35:
      return "OTC";
    default:
      return "attribute " + std::to_string(type);
  }
}
std::string bad_flags(uint8_t type, uint8_t flags) {
  return name(type) + ": bad flags 0x" + "0123456789abcdef"[flags >> 4] + "0";
}
std::string bad_length(uint8_t type, std::size_t len) {
  return name(type) + ": bad length " + std::to_string(len);
}

const char* as_path_problem(AsPathStatus st) {
  switch (st) {
    case AsPathStatus::BadSegmentType:
      return "bad segment type";
    case AsPathStatus::ZeroLength:
      return "segment of length 0";
    case AsPathStatus::Overrun:
      return "segment overrun";
    case AsPathStatus::Ok:
      break;
  }
  return "ok";
}

// The list attributes: a non-zero multiple of `unit` bytes (RFC 7606 7.8, 7.10, 7.14, 7.15, RFC
// 8092 6).
bool list_length_ok(std::size_t len, std::size_t unit) {
  return len != 0 && len % unit == 0;
}

void keep_unknown(DecodeState& s, uint8_t flags, uint8_t type, Bytes value) {
  auto& list = s.out.attrs.unknown.values;
  // Kept sorted by type; a type occurs once (duplicates were dropped before).
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& r) { return r.type > type; });
  rib::RawAttribute raw;
  raw.flags = flags & (attr_flag::kOptional | attr_flag::kTransitive | attr_flag::kPartial);
  raw.type = type;
  raw.value.assign(value.begin(), value.end());
  list.insert(it, std::move(raw));
}

// RFC 9012 2: TLVs of Tunnel Type (2 octets), Length (2 octets) and sub-TLVs, each sub-TLV a type
// octet and a length of 1 octet (types 0-127) or 2 octets (128-255); every length must land on
// the end of its container exactly.
bool tunnel_encap_well_formed(Bytes v) {
  if (v.empty()) return false;
  std::size_t i = 0;
  while (i < v.size()) {
    if (v.size() - i < 4) return false;
    const std::size_t tlv_len = be16(v.data() + i + 2);
    i += 4;
    if (tlv_len > v.size() - i) return false;
    const std::size_t end = i + tlv_len;
    while (i < end) {
      const uint8_t sub_type = v[i];
      const std::size_t hdr = sub_type < 128 ? 2 : 3;
      if (end - i < hdr) return false;
      const std::size_t sub_len = sub_type < 128 ? v[i + 1] : be16(v.data() + i + 1);
      i += hdr;
      if (sub_len > end - i) return false;
      i += sub_len;
    }
  }
  return true;
}

}  // namespace

void DecodeState::treat_as_withdraw(uint8_t sc, std::string reason) {
  out.treat_as_withdraw = true;
  out.attr_errors.push_back(
      WireError{ErrorAction::TreatAsWithdraw, ErrorCode::Update, sc, {}, std::move(reason)});
}

void DecodeState::discard(uint8_t sc, std::string reason) {
  out.attr_errors.push_back(
      WireError{ErrorAction::AttributeDiscard, ErrorCode::Update, sc, {}, std::move(reason)});
}

WireError session_reset(uint8_t sc, std::string reason, Bytes data) {
  return WireError{ErrorAction::SessionReset, ErrorCode::Update, sc,
                   std::vector<uint8_t>(data.begin(), data.end()), std::move(reason)};
}

void decode_attribute(DecodeState& s, uint8_t flags, uint8_t type, Bytes v) {
  auto& a = s.out.attrs;
  const Negotiated& n = s.n;
  const std::size_t len = v.size();
  switch (type) {
    case 0:  // reserved type code: never valid, never propagated
      s.discard(sub::kMalformedAttributeList, "attribute type 0");
      return;

    case 1:  // ORIGIN, well-known mandatory (RFC 4271 5.1.1; RFC 7606 7.1)
      if (!flags_are(flags, kWellKnown))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 1) return s.treat_as_withdraw(sub::kAttributeLengthError, bad_length(type, len));
      if (v[0] > 2)
        return s.treat_as_withdraw(sub::kInvalidOrigin,
                                   "ORIGIN: bad value " + std::to_string(v[0]));
      a.set_origin(static_cast<rib::Origin>(v[0]));
      return;

    case 2: {  // AS_PATH, well-known mandatory (RFC 4271 5.1.2, RFC 6793 4; RFC 7606 7.2)
      if (!flags_are(flags, kWellKnown))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      const AsPathStatus st = decode_as_path(v, n.four_octet_as, a.as_path);
      if (st != AsPathStatus::Ok) {
        a.as_path.segments.clear();
        return s.treat_as_withdraw(sub::kMalformedAsPath,
                                   std::string("AS_PATH: ") + as_path_problem(st));
      }
      a.set_present(AttrType::AsPath);
      return;
    }

    case 3: {  // NEXT_HOP (RFC 4271 5.1.3; RFC 7606 7.3). RFC 4760 3: without an NLRI field it
               // is ignored, so a broken one is then only discarded.
      auto fail = [&](uint8_t sc, std::string why) {
        if (s.has_ipv4_nlri) return s.treat_as_withdraw(sc, std::move(why));
        s.discard(sc, std::move(why));
      };
      if (!flags_are(flags, kWellKnown))
        return fail(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 4) return fail(sub::kAttributeLengthError, bad_length(type, len));
      a.set_next_hop(rib::IpAddress::v4(be32(v.data())));
      return;  // semantic checks in finish_attributes()
    }

    case 4:  // MULTI_EXIT_DISC, optional non-transitive (RFC 4271 5.1.4; RFC 7606 7.4)
      if (!flags_are(flags, kOptNonTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 4) return s.treat_as_withdraw(sub::kAttributeLengthError, bad_length(type, len));
      a.set_med(be32(v.data()));
      return;

    case 5:  // LOCAL_PREF (RFC 4271 5.1.5: ignored from external peers; RFC 7606 7.5)
      if (n.ebgp) {
        s.out.ebgp_local_pref_ignored = true;
        return s.discard(kPolicy, "LOCAL_PREF from an external peer");
      }
      if (!flags_are(flags, kWellKnown))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 4) return s.treat_as_withdraw(sub::kAttributeLengthError, bad_length(type, len));
      a.set_local_pref(be32(v.data()));
      return;

    case 6:  // ATOMIC_AGGREGATE (RFC 4271 5.1.6; RFC 7606 7.6: attribute discard)
      if (!flags_are(flags, kWellKnown))
        return s.discard(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 0) return s.discard(sub::kAttributeLengthError, bad_length(type, len));
      a.set_present(AttrType::AtomicAggregate);
      return;

    case 7: {  // AGGREGATOR (RFC 4271 5.1.7, RFC 6793 4; RFC 7606 7.7; AS 0: RFC 7607 2)
      if (!flags_are(flags, kOptTransitive))
        return s.discard(sub::kAttributeFlagsError, bad_flags(type, flags));
      const std::size_t want = n.four_octet_as ? 8 : 6;
      if (len != want) return s.discard(sub::kAttributeLengthError, bad_length(type, len));
      const uint32_t as = n.four_octet_as ? be32(v.data()) : (uint32_t{v[0]} << 8 | v[1]);
      if (as == 0) return s.discard(sub::kOptionalAttributeError, "AGGREGATOR: AS 0");
      a.aggregator = rib::Aggregator{as, be32(v.data() + want - 4)};
      a.set_present(AttrType::Aggregator);
      if (flags & attr_flag::kPartial) a.set_partial(AttrType::Aggregator);
      return;
    }

    case 8:  // COMMUNITIES (RFC 1997; RFC 7606 7.8)
      if (!flags_are(flags, kOptTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (!list_length_ok(len, 4))
        return s.treat_as_withdraw(sub::kOptionalAttributeError, bad_length(type, len));
      a.communities.values.resize(len / 4);
      for (std::size_t i = 0; i < len / 4; ++i) a.communities.values[i] = be32(v.data() + 4 * i);
      a.set_present(AttrType::Communities);
      if (flags & attr_flag::kPartial) a.set_partial(AttrType::Communities);
      return;

    case 9:  // ORIGINATOR_ID (RFC 4456 8; RFC 7606 7.9); meaningless from eBGP: discarded
      if (n.ebgp) return s.discard(kPolicy, "ORIGINATOR_ID from an external peer");
      if (!flags_are(flags, kOptNonTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 4) return s.treat_as_withdraw(sub::kAttributeLengthError, bad_length(type, len));
      a.originator_id = be32(v.data());
      a.set_present(AttrType::OriginatorId);
      return;

    case 10:  // CLUSTER_LIST (RFC 4456 8; RFC 7606 7.10); discarded from eBGP
      if (n.ebgp) return s.discard(kPolicy, "CLUSTER_LIST from an external peer");
      if (!flags_are(flags, kOptNonTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (!list_length_ok(len, 4))
        return s.treat_as_withdraw(sub::kAttributeLengthError, bad_length(type, len));
      a.cluster_list.values.resize(len / 4);
      for (std::size_t i = 0; i < len / 4; ++i) a.cluster_list.values[i] = be32(v.data() + 4 * i);
      a.set_present(AttrType::ClusterList);
      return;

    case 16:  // EXTENDED_COMMUNITIES (RFC 4360; RFC 7606 7.14)
      if (!flags_are(flags, kOptTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (!list_length_ok(len, 8))
        return s.treat_as_withdraw(sub::kOptionalAttributeError, bad_length(type, len));
      a.ext_communities.values.resize(len / 8);
      for (std::size_t i = 0; i < len / 8; ++i)
        a.ext_communities.values[i] =
            uint64_t{be32(v.data() + 8 * i)} << 32 | be32(v.data() + 8 * i + 4);
      a.set_present(AttrType::ExtCommunities);
      if (flags & attr_flag::kPartial) a.set_partial(AttrType::ExtCommunities);
      return;

    case 17: {  // AS4_PATH (RFC 6793 4.1: a NEW speaker discards it from a NEW speaker; 6: errors
                // AD)
      if (n.four_octet_as) return s.discard(kPolicy, "AS4_PATH from a 4-octet AS peer");
      if (!flags_are(flags, kOptTransitive))
        return s.discard(sub::kAttributeFlagsError, bad_flags(type, flags));
      const AsPathStatus st = decode_as_path(v, true, s.as4_path);
      if (st != AsPathStatus::Ok)
        return s.discard(sub::kOptionalAttributeError,
                         std::string("AS4_PATH: ") + as_path_problem(st));
      if (s.as4_path.contains(0)) return s.discard(sub::kOptionalAttributeError, "AS4_PATH: AS 0");
      s.as4_path_seen = true;
      return;
    }

    case 18:  // AS4_AGGREGATOR (RFC 6793 4.1, 6; AS 0: RFC 7607 2)
      if (n.four_octet_as) return s.discard(kPolicy, "AS4_AGGREGATOR from a 4-octet AS peer");
      if (!flags_are(flags, kOptTransitive))
        return s.discard(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 8) return s.discard(sub::kAttributeLengthError, bad_length(type, len));
      if (be32(v.data()) == 0)
        return s.discard(sub::kOptionalAttributeError, "AS4_AGGREGATOR: AS 0");
      s.as4_aggregator = rib::Aggregator{be32(v.data()), be32(v.data() + 4)};
      s.as4_aggregator_seen = true;
      return;

    case 25:  // IPv6 Address Specific Extended Community (RFC 5701; RFC 7606 7.15): checked, kept
              // raw
      if (!flags_are(flags, kOptTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (!list_length_ok(len, 20))
        return s.treat_as_withdraw(sub::kOptionalAttributeError, bad_length(type, len));
      keep_unknown(s, flags, type, v);
      return;

    case 32:  // LARGE_COMMUNITY (RFC 8092 5, 6)
      if (!flags_are(flags, kOptTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (!list_length_ok(len, 12))
        return s.treat_as_withdraw(sub::kOptionalAttributeError, bad_length(type, len));
      a.large_communities.values.resize(len / 12);
      for (std::size_t i = 0; i < len / 12; ++i) {
        const uint8_t* p = v.data() + 12 * i;
        a.large_communities.values[i] = rib::LargeCommunity{be32(p), be32(p + 4), be32(p + 8)};
      }
      a.set_present(AttrType::LargeCommunities);
      if (flags & attr_flag::kPartial) a.set_partial(AttrType::LargeCommunities);
      return;

    case 35: {  // Only to Customer (RFC 9234 4, 5, 6)
      if (!flags_are(flags, kOptTransitive))
        return s.treat_as_withdraw(sub::kAttributeFlagsError, bad_flags(type, flags));
      if (len != 4) return s.treat_as_withdraw(sub::kAttributeLengthError, bad_length(type, len));
      const uint32_t otc = be32(v.data());
      // AS 0 is reserved (RFC 7607): an OTC of 0 cannot name the AS that set it.
      if (otc == 0) return s.treat_as_withdraw(sub::kOptionalAttributeError, "OTC: AS 0");
      a.otc = otc;
      a.set_present(AttrType::Otc);
      if (flags & attr_flag::kPartial) a.set_partial(AttrType::Otc);
      // RFC 9234 5 ingress: OTC from a Customer or RS-Client is a leak; from a Peer it must
      // carry the peer's AS.
      if (n.peer_role == Role::Customer || n.peer_role == Role::RouteServerClient)
        return s.treat_as_withdraw(sub::kOptionalAttributeError,
                                   "OTC from a customer / route server client (route leak)");
      if (n.peer_role == Role::Peer && otc != n.peer_as)
        return s.treat_as_withdraw(sub::kOptionalAttributeError,
                                   "OTC from a lateral peer names another AS (route leak)");
      return;
    }

    default:
      break;
  }
  // Unrecognised (RFC 4271 5, 6.3; RFC 7606 3). Well-known flags on a type we do not know cannot
  // be right: treat-as-withdraw. Optional non-transitive ones are quietly dropped; optional
  // transitive ones are kept byte-exact, to be passed on with the Partial bit.
  if (!(flags & attr_flag::kOptional))
    return s.treat_as_withdraw(sub::kUnrecognizedWellKnown,
                               "unrecognised well-known " + name(type));
  if (!(flags & attr_flag::kTransitive))
    return s.discard(kPolicy, "unrecognised optional non-transitive " + name(type));
  // Passing on what we cannot check is the operator's choice (`forward unknown attributes`),
  // off by default: a route server would otherwise carry a malformed attribute to every client.
  if (!n.forward_unknown_attributes)
    return s.discard(kPolicy, "unrecognised optional transitive " + name(type) +
                                  " not forwarded (forward unknown attributes is off)");
  // RFC 9012 2: we do not use Tunnel Encapsulation, but one whose TLV structure is broken is
  // never passed on (the shape of CVE-2023-38802 and CVE-2024-44070).
  if (type == 23 && !tunnel_encap_well_formed(v))
    return s.discard(sub::kOptionalAttributeError,
                     "TUNNEL_ENCAP: a TLV or sub-TLV overruns the attribute, not forwarded");
  keep_unknown(s, flags, type, v);
}

void finish_attributes(DecodeState& s) {
  auto& a = s.out.attrs;
  const Negotiated& n = s.n;

  // RFC 6793 4.2.3: rebuild the 4-octet path from a 2-octet session.
  if (s.as4_aggregator_seen || s.as4_path_seen) {
    bool ignore_as4 = false;
    if (a.has(AttrType::Aggregator)) {
      if (a.aggregator.asn != kAsTrans) {
        ignore_as4 = true;  // the aggregating speaker was 2-octet: AS4_* are stale
        s.discard(sub::kOptionalAttributeError,
                  "AS4_PATH/AS4_AGGREGATOR ignored: AGGREGATOR is not AS_TRANS");
      } else if (s.as4_aggregator_seen) {
        a.aggregator = s.as4_aggregator;
      }
    }
    if (!ignore_as4 && s.as4_path_seen && a.has(AttrType::AsPath)) {
      if (!merge_as4_path(a.as_path, s.as4_path))
        s.discard(sub::kOptionalAttributeError, "AS4_PATH ignored: longer than AS_PATH");
    }
  }

  // RFC 7606 3(d): well-known mandatory attributes for reachable NLRI; NEXT_HOP only for the
  // NLRI field (RFC 4760 3 makes it discretionary otherwise).
  if (s.out.has_reach()) {
    if (!s.seen[1]) s.treat_as_withdraw(sub::kMissingWellKnown, "ORIGIN missing");
    if (!s.seen[2]) s.treat_as_withdraw(sub::kMissingWellKnown, "AS_PATH missing");
    if (s.has_ipv4_nlri && !s.seen[3])
      s.treat_as_withdraw(sub::kMissingWellKnown, "NEXT_HOP missing");
  }

  if (a.has(AttrType::AsPath)) {
    // Policy, not RFC: a path longer than `max as path length` (counted as RFC 4271 9.1.2.2 a
    // does) is treated as withdrawn, whatever the filters say.
    if (n.max_as_path_length && a.as_path.length() > n.max_as_path_length)
      s.treat_as_withdraw(sub::kMalformedAsPath, "AS_PATH length " +
                                                     std::to_string(a.as_path.length()) +
                                                     " exceeds max as path length " +
                                                     std::to_string(n.max_as_path_length));
    // RFC 7607 2: AS 0 makes the AS_PATH malformed.
    if (a.as_path.contains(0)) s.treat_as_withdraw(sub::kMalformedAsPath, "AS_PATH contains AS 0");
    if (n.ebgp) {
      // RFC 5065 5.2 / RFC 7606 7.2: confederation segments never come from outside.
      if (a.as_path.has_confed())
        s.treat_as_withdraw(sub::kMalformedAsPath,
                            "AS_PATH: confederation segment from an external peer");
      // RFC 4271 6.3: the leftmost AS must be the neighbour's (AS_TRANS for a 2-octet
      // neighbour whose AS does not fit, RFC 6793 4.2.3).
      if (n.enforce_first_as) {
        const uint32_t first = a.as_path.segments.empty() || a.as_path.segments.front().type !=
                                                                 rib::AsSegmentType::Sequence
                                   ? 0
                                   : a.as_path.segments.front().asns.front();
        const bool ok =
            first == n.peer_as || (!n.four_octet_as && n.peer_as > 0xFFFF && first == kAsTrans);
        if (!ok)
          s.treat_as_withdraw(sub::kMalformedAsPath, "AS_PATH: first AS " + std::to_string(first) +
                                                         " is not the peer's " +
                                                         std::to_string(n.peer_as));
      }
    }
  }

  // RFC 4271 6.3: a NEXT_HOP that cannot be a neighbour (unspecified, multicast, ourselves). Other
  // 127/8 addresses are accepted so single-host labs work.
  auto bad_next_hop = [&](const rib::IpAddress& nh) {
    return nh.is_zero() || nh.is_multicast() || (n.local_address && *n.local_address == nh);
  };
  if (s.has_ipv4_nlri && a.has(AttrType::NextHop) && bad_next_hop(a.next_hop))
    s.treat_as_withdraw(sub::kInvalidNextHop,
                        "NEXT_HOP " + a.next_hop.to_string() + " is not usable");
  if (s.out.mp_reach && !s.out.mp_reach->nlri.empty()) {
    const auto& mp = *s.out.mp_reach;
    // A zero global next hop is acceptable with a link-local one (RFC 2545 3 style peers).
    const bool unusable =
        mp.next_hop.is_zero() ? mp.link_local.is_zero() : bad_next_hop(mp.next_hop);
    if (unusable)
      s.treat_as_withdraw(sub::kInvalidNextHop,
                          "MP_REACH_NLRI next hop " + mp.next_hop.to_string() + " is not usable");
  }
}

}  // namespace rs::bgp::wire::detail
