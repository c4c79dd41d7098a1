// UPDATE decoder: framing of the three fields (RFC 4271 4.3), the attribute walk with RFC 7606
// 3(g)/4/5.1 framing rules, MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 3, 4; RFC 8950 3; RFC 2545
// 3 link-local next hops), and the UpdateMessage helpers. Per-attribute rules are in
// attributes.cpp. The NLRI fields are decoded before the attributes so that the attribute rules
// know whether the message carries IPv4 NLRI (RFC 7606 5.2, RFC 4760 3).
#include <algorithm>

#include "rs/bgp/wire/update.hpp"
#include "rs/bgp/wire/update_decode.hpp"

namespace rs::bgp::wire {

using detail::DecodeState;
using detail::session_reset;
namespace sub = subcode;

namespace {

constexpr uint8_t kTypeMpReach = 14;
constexpr uint8_t kTypeMpUnreach = 15;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

void note_skipped(UpdateMessage& out, AfiSafi f) {
  if (std::find(out.skipped_families.begin(), out.skipped_families.end(), f) ==
      out.skipped_families.end())
    out.skipped_families.push_back(f);
}

// RFC 4760 3 next-hop lengths: IPv4 4; IPv6 16 or 32 (global + link-local, RFC 2545 3);
// IPv4 NLRI with an IPv6 next hop when RFC 8950 was negotiated; IPv6 NLRI with a 4-byte IPv4 next
// hop when the peer's extended next hop capability says so (as ExaBGP encodes it).
bool next_hop_length_ok(const Negotiated& n, AfiSafi f, std::size_t len) {
  if (f.afi == kAfiIpv4) return len == 4 || (n.extended_next_hop_ipv4 && (len == 16 || len == 32));
  return len == 16 || len == 32 || (n.extended_next_hop_ipv6 && len == 4);
}

std::optional<WireError> decode_mp_reach(DecodeState& s, Bytes v) {
  s.reach_seen = true;
  if (v.size() < 3) return session_reset(sub::kMalformedAttributeList, "MP_REACH_NLRI: too short");
  const AfiSafi fam{be16(v.data()), v[2]};
  if (!s.n.family_negotiated(fam)) {  // RFC 4760 6: not negotiated, ignored
    note_skipped(s.out, fam);
    return std::nullopt;
  }
  if (v.size() < 4) return session_reset(sub::kMalformedAttributeList, "MP_REACH_NLRI: too short");
  const std::size_t nh_len = v[3];
  if (!next_hop_length_ok(s.n, fam, nh_len))
    return session_reset(
        sub::kMalformedAttributeList,
        "MP_REACH_NLRI: next hop length " + std::to_string(nh_len) + " for " + to_string(fam));
  if (v.size() < 4 + nh_len + 1)
    return session_reset(sub::kMalformedAttributeList, "MP_REACH_NLRI: truncated next hop");
  auto& mp = s.out.mp_reach.emplace();
  mp.nlri = std::move(s.out.spare_reach_nlri_);
  mp.nlri.clear();
  mp.family = fam;
  const uint8_t* nh = v.data() + 4;
  if (nh_len == 4) {
    mp.next_hop = rib::IpAddress::from_bytes(rib::Family::Ipv4, nh);
  } else {
    mp.next_hop = rib::IpAddress::from_bytes(rib::Family::Ipv6, nh);
    // An all-zero second address is no link-local next hop: kept as absent, the one form the
    // encoder (which then sends 16 octets) and the rest of rsd know.
    if (nh_len == 32) {
      const auto ll = rib::IpAddress::from_bytes(rib::Family::Ipv6, nh + 16);
      if (!ll.is_zero()) mp.link_local = ll;
    }
  }
  // One reserved octet (the old SNPA count), ignored on receipt (RFC 4760 3).
  const Bytes field = v.subspan(4 + nh_len + 1);
  const NlriStatus st = decode_nlri(field, fam.family(), s.n.add_path_rx(fam.family()), mp.nlri);
  if (st != NlriStatus::Ok)
    return session_reset(sub::kOptionalAttributeError, st == NlriStatus::BadPrefixLength
                                                           ? "MP_REACH_NLRI: prefix length too long"
                                                           : "MP_REACH_NLRI: truncated NLRI");
  return std::nullopt;
}

std::optional<WireError> decode_mp_unreach(DecodeState& s, Bytes v) {
  if (v.size() < 3)
    return session_reset(sub::kMalformedAttributeList, "MP_UNREACH_NLRI: too short");
  const AfiSafi fam{be16(v.data()), v[2]};
  if (!s.n.family_negotiated(fam)) {
    note_skipped(s.out, fam);
    return std::nullopt;
  }
  auto& mp = s.out.mp_unreach.emplace();
  mp.nlri = std::move(s.out.spare_unreach_nlri_);
  mp.nlri.clear();
  mp.family = fam;
  const NlriStatus st =
      decode_nlri(v.subspan(3), fam.family(), s.n.add_path_rx(fam.family()), mp.nlri);
  if (st != NlriStatus::Ok)
    return session_reset(sub::kOptionalAttributeError,
                         st == NlriStatus::BadPrefixLength
                             ? "MP_UNREACH_NLRI: prefix length too long"
                             : "MP_UNREACH_NLRI: truncated NLRI");
  return std::nullopt;
}

std::optional<WireError> check_field(NlriStatus st, const char* field) {
  if (st == NlriStatus::Ok) return std::nullopt;
  // RFC 4271 6.3 / RFC 7606 5.3: a syntactically wrong NLRI field cannot be treated as withdraw.
  if (st == NlriStatus::BadPrefixLength)
    return session_reset(sub::kInvalidNetworkField,
                         std::string(field) + ": prefix length above 32");
  return session_reset(sub::kMalformedAttributeList, std::string(field) + ": truncated prefix");
}

}  // namespace

Status<WireError> decode_update(Bytes body, const Negotiated& n, UpdateMessage& out) {
  out.clear();
  const std::size_t size = body.size();
  const uint8_t* b = body.data();
  // RFC 4271 6.3: both length fields must fit the message.
  if (size < 4)
    return Err{session_reset(sub::kMalformedAttributeList, "UPDATE shorter than 4 bytes")};
  const std::size_t withdrawn_len = be16(b);
  if (withdrawn_len + 4 > size)
    return Err{session_reset(sub::kMalformedAttributeList,
                             "withdrawn routes length overruns the message")};
  const std::size_t attrs_len = be16(b + 2 + withdrawn_len);
  if (withdrawn_len + attrs_len + 4 > size)
    return Err{session_reset(sub::kMalformedAttributeList,
                             "total path attribute length overruns the message")};
  const Bytes withdrawn = body.subspan(2, withdrawn_len);
  const Bytes attrs = body.subspan(4 + withdrawn_len, attrs_len);
  const Bytes nlri = body.subspan(4 + withdrawn_len + attrs_len);

  if (n.ipv4_unicast) {
    if (auto e = check_field(
            decode_nlri(withdrawn, rib::Family::Ipv4, n.add_path_rx_ipv4, out.withdrawn),
            "withdrawn routes"))
      return Err{std::move(*e)};
    if (auto e =
            check_field(decode_nlri(nlri, rib::Family::Ipv4, n.add_path_rx_ipv4, out.nlri), "NLRI"))
      return Err{std::move(*e)};
  } else if (!withdrawn.empty() || !nlri.empty()) {
    note_skipped(out, kIpv4Unicast);
  }

  DecodeState s{n, out};
  s.has_ipv4_nlri = !out.nlri.empty();

  const uint8_t* p = attrs.data();
  const uint8_t* const end = p + attrs.size();
  bool framing_error = false;
  while (p < end) {
    // RFC 7606 4: fewer bytes than an attribute header, or a length past the attribute field.
    const std::size_t left = static_cast<std::size_t>(end - p);
    if (left < 3) {
      framing_error = true;
      break;
    }
    const uint8_t flags = p[0];
    const uint8_t type = p[1];
    const bool ext = flags & attr_flag::kExtendedLength;
    const std::size_t hdr = ext ? 4 : 3;
    if (left < hdr) {
      framing_error = true;
      break;
    }
    const std::size_t len = ext ? be16(p + 2) : p[2];
    if (len > left - hdr) {
      framing_error = true;
      break;
    }
    const Bytes whole(p, hdr + len);
    const Bytes value(p + hdr, len);
    p += hdr + len;

    if (s.seen[type]) {  // RFC 7606 3(g)
      if (type == kTypeMpReach || type == kTypeMpUnreach)
        return Err{session_reset(sub::kMalformedAttributeList, type == kTypeMpReach
                                                                   ? "duplicate MP_REACH_NLRI"
                                                                   : "duplicate MP_UNREACH_NLRI")};
      s.discard(sub::kMalformedAttributeList, "duplicate attribute " + std::to_string(type));
      continue;
    }
    s.seen[type] = true;
    if (type == kTypeMpReach || type == kTypeMpUnreach) {
      // RFC 7606 7.11: errors in these reset the session; their flags are optional non-transitive.
      if ((flags & (attr_flag::kOptional | attr_flag::kTransitive)) != attr_flag::kOptional)
        return Err{session_reset(
            sub::kAttributeFlagsError,
            type == kTypeMpReach ? "MP_REACH_NLRI: bad flags" : "MP_UNREACH_NLRI: bad flags",
            whole)};
      auto e = type == kTypeMpReach ? decode_mp_reach(s, value) : decode_mp_unreach(s, value);
      if (e) return Err{std::move(*e)};
      continue;
    }
    detail::decode_attribute(s, flags, type, value);
  }

  if (framing_error) {
    // RFC 7606 4 + 5.1: the total attribute length still locates the NLRI, so the message can be
    // treated as withdraw; with nothing to withdraw that is impossible and the session resets.
    if (!s.has_ipv4_nlri && !s.reach_seen)
      return Err{session_reset(sub::kMalformedAttributeList,
                               "malformed attribute list in an UPDATE without NLRI")};
    s.treat_as_withdraw(sub::kMalformedAttributeList, "attribute overruns the attribute field");
  }
  detail::finish_attributes(s);
  // Announcements of prefixes that cannot be routed are ignored, not withdrawn (as BIRD does).
  auto drop_bogus = [&out](std::vector<Nlri>& v) {
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&out](const Nlri& x) {
                             if (!is_bogus_route(x.prefix)) return false;
                             out.bogus.push_back(x.prefix);
                             return true;
                           }),
            v.end());
  };
  drop_bogus(out.nlri);
  if (out.mp_reach) drop_bogus(out.mp_reach->nlri);
  return Ok{};
}

void UpdateMessage::clear() {
  withdrawn.clear();
  attrs.reset();
  nlri.clear();
  if (mp_reach) {
    spare_reach_nlri_ = std::move(mp_reach->nlri);
    mp_reach.reset();
  }
  if (mp_unreach) {
    spare_unreach_nlri_ = std::move(mp_unreach->nlri);
    mp_unreach.reset();
  }
  treat_as_withdraw = false;
  attr_errors.clear();
  ebgp_local_pref_ignored = false;
  bogus.clear();
  skipped_families.clear();
}

std::optional<AfiSafi> UpdateMessage::end_of_rib() const {
  if (!withdrawn.empty() || !nlri.empty() || mp_reach || attrs.present != 0 ||
      !attrs.unknown.empty() || !attr_errors.empty() || !skipped_families.empty())
    return std::nullopt;
  if (!mp_unreach) return kIpv4Unicast;
  if (mp_unreach->nlri.empty()) return mp_unreach->family;
  return std::nullopt;
}

bool operator==(const UpdateMessage& a, const UpdateMessage& b) {
  if (a.withdrawn != b.withdrawn || !(a.attrs == b.attrs) || a.nlri != b.nlri ||
      a.mp_reach != b.mp_reach || a.mp_unreach != b.mp_unreach ||
      a.treat_as_withdraw != b.treat_as_withdraw || a.skipped_families != b.skipped_families ||
      a.attr_errors.size() != b.attr_errors.size())
    return false;
  for (std::size_t i = 0; i < a.attr_errors.size(); ++i) {
    const auto& x = a.attr_errors[i];
    const auto& y = b.attr_errors[i];
    if (x.action != y.action || x.code != y.code || x.subcode != y.subcode) return false;
  }
  return true;
}

}  // namespace rs::bgp::wire
