// OPEN message codec, validation and capability negotiation.
//
// decode_open does what needs no configuration (RFC 4271 6.2: version, hold time 1 or 2,
// identifier 0, optional parameter framing; RFC 5492 capability framing; RFC 9072 extended
// optional parameters). validate_open does what depends on our configuration (peer AS, own
// identifier, minimum hold time, RFC 9234 roles, required families). negotiate combines both
// OPENs into the session facts every other decoder reads.
//
// Capability values are checked for their fixed sizes: a malformed known capability is an
// unspecific OPEN error (2/0), as BIRD does; informational ones (FQDN, software version) that
// do not parse are kept raw instead, so a cosmetic extension never costs a session.
#include "rs/bgp/wire/open.hpp"

#include <algorithm>
#include <cassert>
#include <string>

#include "rs/bgp/wire/header.hpp"

namespace rs::bgp::wire {
namespace {

WireError open_error(uint8_t sub, std::vector<uint8_t> data, std::string reason) {
  return WireError{ErrorAction::SessionReset, ErrorCode::Open, sub, std::move(data),
                   std::move(reason)};
}

WireError framing_error(std::string reason) {
  return open_error(subcode::kOpenUnspecific, {}, std::move(reason));
}

std::vector<uint8_t> be16(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
std::vector<uint8_t> be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

std::string cap_name(uint8_t code) {
  return "capability " + std::to_string(code);
}

WireError bad_cap_length(uint8_t code, std::size_t len) {
  return framing_error(cap_name(code) + " has invalid length " + std::to_string(len));
}

// Decodes one capability value into `caps`.
Status<WireError> decode_capability(uint8_t code, Bytes v, Capabilities& caps) {
  Reader r(v);
  switch (code) {
    case capability::kMultiprotocol: {  // RFC 4760 8: AFI, reserved, SAFI
      if (v.size() != 4) return Err(bad_cap_length(code, v.size()));
      AfiSafi f;
      f.afi = r.u16();
      r.skip(1);
      f.safi = r.u8();
      caps.multiprotocol.push_back(f);
      return Ok{};
    }
    case capability::kRouteRefresh:
    case capability::kRouteRefreshCisco:
    case capability::kEnhancedRouteRefresh:
    case capability::kExtendedMessage:
      if (!v.empty()) return Err(bad_cap_length(code, v.size()));
      if (code == capability::kRouteRefresh) caps.route_refresh = true;
      if (code == capability::kRouteRefreshCisco) caps.route_refresh_cisco = true;
      if (code == capability::kEnhancedRouteRefresh) caps.enhanced_route_refresh = true;
      if (code == capability::kExtendedMessage) caps.extended_message = true;
      return Ok{};
    case capability::kExtendedNextHop:  // RFC 8950 3: tuples of 6 octets
      if (v.empty() || v.size() % 6 != 0) return Err(bad_cap_length(code, v.size()));
      while (!r.empty()) {
        ExtendedNextHop e;
        e.nlri_afi = r.u16();
        e.nlri_safi = r.u16();
        e.next_hop_afi = r.u16();
        caps.extended_next_hop.push_back(e);
      }
      return Ok{};
    case capability::kRole: {  // RFC 9234 4.1
      if (v.size() != 1) return Err(bad_cap_length(code, v.size()));
      auto role = static_cast<Role>(v[0]);
      if (caps.role && *caps.role != role) {
        // RFC 9234 4.2: several Role capabilities with different values.
        return Err(open_error(subcode::kRoleMismatch, {v[0]}, "conflicting Role capabilities"));
      }
      caps.role = role;
      return Ok{};
    }
    case capability::kGracefulRestart: {  // RFC 4724 3
      if (v.size() < 2 || (v.size() - 2) % 4 != 0) return Err(bad_cap_length(code, v.size()));
      GracefulRestart gr;
      uint16_t head = r.u16();
      gr.restart_state = head & 0x8000;
      gr.notification = head & 0x4000;
      gr.restart_time = head & 0x0fff;
      while (!r.empty()) {
        GracefulRestart::Family f;
        f.afi_safi.afi = r.u16();
        f.afi_safi.safi = r.u8();
        f.forwarding_preserved = r.u8() & 0x80;
        gr.families.push_back(f);
      }
      caps.graceful_restart = std::move(gr);
      return Ok{};
    }
    case capability::kFourOctetAs:  // RFC 6793 3
      if (v.size() != 4) return Err(bad_cap_length(code, v.size()));
      caps.four_octet_as = r.u32();
      return Ok{};
    case capability::kAddPath:  // RFC 7911 4: AFI, SAFI, send/receive
      if (v.empty() || v.size() % 4 != 0) return Err(bad_cap_length(code, v.size()));
      while (!r.empty()) {
        AddPathFamily a;
        a.afi_safi.afi = r.u16();
        a.afi_safi.safi = r.u8();
        a.send_receive = r.u8();
        caps.add_path.push_back(a);
      }
      return Ok{};
    case capability::kFqdn: {
      // length, hostname, length, domain; a missing domain is read as empty.
      if (v.size() >= 1 && std::size_t{v[0]} + 1 <= v.size()) {
        std::size_t hl = v[0];
        std::size_t rest = v.size() - 1 - hl;
        std::size_t dl = rest >= 1 ? v[1 + hl] : 0;
        if (rest == 0 || rest == 1 + dl) {
          Fqdn f;
          f.hostname.assign(reinterpret_cast<const char*>(v.data()) + 1, hl);
          if (rest) f.domain.assign(reinterpret_cast<const char*>(v.data()) + 2 + hl, dl);
          caps.fqdn = std::move(f);
          return Ok{};
        }
      }
      break;  // kept raw
    }
    case capability::kSoftwareVersion:
      if (v.size() >= 1 && std::size_t{v[0]} + 1 == v.size()) {
        caps.software_version.emplace(reinterpret_cast<const char*>(v.data()) + 1, v[0]);
        return Ok{};
      }
      break;  // kept raw
    default:
      break;
  }
  caps.unknown.push_back(RawCapability{code, std::vector<uint8_t>(v.begin(), v.end())});
  return Ok{};
}

// RFC 5492 4: a Capabilities parameter holds one or more code/length/value triples.
Status<WireError> decode_capabilities(Bytes value, Capabilities& caps) {
  Reader r(value);
  while (!r.empty()) {
    if (r.remaining() < 2) return Err(framing_error("truncated capability header"));
    uint8_t code = r.u8();
    uint8_t len = r.u8();
    if (len > r.remaining()) {
      return Err(framing_error(cap_name(code) + " length " + std::to_string(len) +
                               " overruns its parameter"));
    }
    auto st = decode_capability(code, r.take(len), caps);
    if (!st) return st;
  }
  return Ok{};
}

Status<WireError> decode_parameter(uint8_t type, Bytes whole, Bytes value, Capabilities& caps) {
  if (type == kParamCapabilities) return decode_capabilities(value, caps);
  // RFC 4271 6.2; the Authentication parameter (1) is deprecated by RFC 5492.
  return Err(open_error(subcode::kUnsupportedOptionalParameter,
                        std::vector<uint8_t>(whole.begin(), whole.end()),
                        "unsupported optional parameter " + std::to_string(type)));
}

// ---- encoding ----

void put_cap(Writer& w, uint8_t code, Bytes value) {
  assert(value.size() <= 255);
  w.u8(code);
  w.u8(static_cast<uint8_t>(value.size()));
  w.bytes(value);
}

template <class Fn>
void put_cap_with(Writer& w, uint8_t code, Fn fill) {
  w.u8(code);
  std::size_t at = w.size();
  w.u8(0);
  fill();
  std::size_t len = w.size() - at - 1;
  assert(len <= 255);
  w.buffer()[at] = static_cast<uint8_t>(len);
}

void encode_capabilities(const Capabilities& c, Writer& w) {
  for (AfiSafi f : c.multiprotocol) {
    put_cap_with(w, capability::kMultiprotocol, [&] {
      w.u16(f.afi);
      w.u8(0);
      w.u8(f.safi);
    });
  }
  if (c.route_refresh) put_cap(w, capability::kRouteRefresh, {});
  if (c.route_refresh_cisco) put_cap(w, capability::kRouteRefreshCisco, {});
  if (c.enhanced_route_refresh) put_cap(w, capability::kEnhancedRouteRefresh, {});
  // Lists longer than one capability value holds are split into instances (RFC 5492 4).
  for (std::size_t i = 0; i < c.extended_next_hop.size(); i += 42) {
    put_cap_with(w, capability::kExtendedNextHop, [&] {
      for (std::size_t j = i; j < std::min(i + 42, c.extended_next_hop.size()); ++j) {
        w.u16(c.extended_next_hop[j].nlri_afi);
        w.u16(c.extended_next_hop[j].nlri_safi);
        w.u16(c.extended_next_hop[j].next_hop_afi);
      }
    });
  }
  if (c.extended_message) put_cap(w, capability::kExtendedMessage, {});
  if (c.role) {
    uint8_t v = static_cast<uint8_t>(*c.role);
    put_cap(w, capability::kRole, Bytes(&v, 1));
  }
  if (c.graceful_restart) {
    const GracefulRestart& gr = *c.graceful_restart;
    assert(gr.families.size() <= 63);
    put_cap_with(w, capability::kGracefulRestart, [&] {
      uint16_t head =
          static_cast<uint16_t>((gr.restart_state ? 0x8000 : 0) | (gr.notification ? 0x4000 : 0) |
                                (gr.restart_time & 0x0fff));
      w.u16(head);
      for (const auto& f : gr.families) {
        w.u16(f.afi_safi.afi);
        w.u8(f.afi_safi.safi);
        w.u8(f.forwarding_preserved ? 0x80 : 0);
      }
    });
  }
  if (c.four_octet_as) put_cap_with(w, capability::kFourOctetAs, [&] { w.u32(*c.four_octet_as); });
  for (std::size_t i = 0; i < c.add_path.size(); i += 63) {
    put_cap_with(w, capability::kAddPath, [&] {
      for (std::size_t j = i; j < std::min(i + 63, c.add_path.size()); ++j) {
        w.u16(c.add_path[j].afi_safi.afi);
        w.u8(c.add_path[j].afi_safi.safi);
        w.u8(c.add_path[j].send_receive);
      }
    });
  }
  if (c.fqdn) {
    // A capability value is at most 255 octets: long names are cut to fit.
    std::size_t hl = std::min<std::size_t>(c.fqdn->hostname.size(), 253);
    std::size_t dl = std::min<std::size_t>(c.fqdn->domain.size(), 253 - hl);
    put_cap_with(w, capability::kFqdn, [&] {
      w.u8(static_cast<uint8_t>(hl));
      w.bytes(Bytes(reinterpret_cast<const uint8_t*>(c.fqdn->hostname.data()), hl));
      w.u8(static_cast<uint8_t>(dl));
      w.bytes(Bytes(reinterpret_cast<const uint8_t*>(c.fqdn->domain.data()), dl));
    });
  }
  if (c.software_version) {
    std::size_t n = std::min<std::size_t>(c.software_version->size(), 254);
    put_cap_with(w, capability::kSoftwareVersion, [&] {
      w.u8(static_cast<uint8_t>(n));
      w.bytes(Bytes(reinterpret_cast<const uint8_t*>(c.software_version->data()), n));
    });
  }
  for (const auto& u : c.unknown) put_cap(w, u.code, u.value);
}

void push_unique(std::vector<AfiSafi>& v, AfiSafi f) {
  if (std::find(v.begin(), v.end(), f) == v.end()) v.push_back(f);
}

}  // namespace

// ---- Capabilities / OpenMessage helpers ----------------------------------------------------

std::vector<AfiSafi> Capabilities::families() const {
  if (multiprotocol.empty()) return {kIpv4Unicast};
  std::vector<AfiSafi> out;
  for (AfiSafi f : multiprotocol) push_unique(out, f);
  return out;
}

bool Capabilities::supports(AfiSafi f) const {
  if (multiprotocol.empty()) return f == kIpv4Unicast;
  return std::find(multiprotocol.begin(), multiprotocol.end(), f) != multiprotocol.end();
}

const AddPathFamily* Capabilities::add_path_for(AfiSafi f) const {
  for (const auto& a : add_path)
    if (a.afi_safi == f) return &a;
  return nullptr;
}

void OpenMessage::set_as(uint32_t as) {
  my_as = as > 0xffff ? kAsTrans : static_cast<uint16_t>(as);
  caps.four_octet_as = as;
}

// ---- decode / encode -----------------------------------------------------------------------

Result<OpenMessage, WireError> decode_open(Bytes body) {
  // RFC 8654 3: an OPEN never exceeds 4,096 octets (the header check already says so).
  if (body.size() < kMinOpenSize - kHeaderSize || body.size() > kMaxMessageSize - kHeaderSize) {
    auto len = static_cast<uint16_t>(std::min<std::size_t>(body.size() + kHeaderSize, 0xffff));
    return Err(WireError{ErrorAction::SessionReset, ErrorCode::MessageHeader,
                         subcode::kBadMessageLength, be16(len), "OPEN length outside 29..4096"});
  }
  Reader r(body);
  OpenMessage m;
  m.version = r.u8();
  if (m.version != kBgpVersion) {
    // RFC 4271 6.2: data = the largest supported version below the bid, else the smallest
    // supported one; we support only 4 either way.
    return Err(open_error(subcode::kUnsupportedVersion, {0, kBgpVersion},
                          "unsupported BGP version " + std::to_string(m.version)));
  }
  m.my_as = r.u16();
  m.hold_time = r.u16();
  if (m.hold_time == 1 || m.hold_time == 2) {
    return Err(open_error(subcode::kUnacceptableHoldTime, be16(m.hold_time),
                          "hold time " + std::to_string(m.hold_time) + " (must be 0 or >= 3)"));
  }
  m.bgp_id = r.u32();
  if (m.bgp_id == 0)  // RFC 6286 2.1: a non-zero 4-octet integer
    return Err(open_error(subcode::kBadBgpIdentifier, be32(0), "BGP identifier 0"));

  uint8_t opt_len = r.u8();
  if (opt_len != 0 && !r.empty() && r.data()[0] == kParamExtendedLength) {
    // RFC 9072 2: Non-Ext OP Type 255 announces 2-octet lengths; Non-Ext OP Len is ignored.
    r.skip(1);
    if (r.remaining() < 2) return Err(framing_error("truncated extended parameters length"));
    uint16_t ext_len = r.u16();
    if (ext_len != r.remaining()) {
      return Err(framing_error("extended optional parameters length " + std::to_string(ext_len) +
                               " but " + std::to_string(r.remaining()) + " octets follow"));
    }
    while (!r.empty()) {
      const uint8_t* start = r.data();
      if (r.remaining() < 3) return Err(framing_error("truncated optional parameter header"));
      uint8_t type = r.u8();
      uint16_t len = r.u16();
      if (len > r.remaining()) return Err(framing_error("optional parameter overruns the OPEN"));
      Bytes value = r.take(len);
      auto st = decode_parameter(type, Bytes(start, 3 + len), value, m.caps);
      if (!st) return Err(std::move(st.error()));
    }
    return m;
  }
  if (opt_len != r.remaining()) {
    return Err(framing_error("optional parameters length " + std::to_string(opt_len) + " but " +
                             std::to_string(r.remaining()) + " octets follow"));
  }
  while (!r.empty()) {
    const uint8_t* start = r.data();
    if (r.remaining() < 2) return Err(framing_error("truncated optional parameter header"));
    uint8_t type = r.u8();
    uint8_t len = r.u8();
    if (len > r.remaining()) return Err(framing_error("optional parameter overruns the OPEN"));
    Bytes value = r.take(len);
    auto st = decode_parameter(type, Bytes(start, 2 + std::size_t{len}), value, m.caps);
    if (!st) return Err(std::move(st.error()));
  }
  return m;
}

void encode_open(const OpenMessage& m, std::vector<uint8_t>& out, bool force_extended) {
  std::vector<uint8_t> caps;
  Writer cw(caps);
  encode_capabilities(m.caps, cw);

  std::size_t start = begin_message(out, MessageType::Open);
  Writer w(out);
  w.u8(m.version);
  w.u16(m.my_as);
  w.u16(m.hold_time);
  w.u32(m.bgp_id);
  bool extended = force_extended || caps.size() + 2 > 255;
  if (!extended) {
    if (caps.empty()) {
      w.u8(0);
    } else {
      w.u8(static_cast<uint8_t>(caps.size() + 2));
      w.u8(kParamCapabilities);
      w.u8(static_cast<uint8_t>(caps.size()));
      w.bytes(caps);
    }
  } else {
    // RFC 9072 2: 255, 255, 2-octet total length, parameters with 2-octet lengths.
    w.u8(255);
    w.u8(kParamExtendedLength);
    w.u16(static_cast<uint16_t>(caps.empty() ? 0 : caps.size() + 3));
    if (!caps.empty()) {
      w.u8(kParamCapabilities);
      w.u16(static_cast<uint16_t>(caps.size()));
      w.bytes(caps);
    }
  }
  finish_message(out, start);
  assert(out.size() - start <= kMaxMessageSize);  // RFC 8654 3: OPEN stays within 4,096
}

// ---- validation ----------------------------------------------------------------------------

bool roles_compatible(Role local, Role peer) {
  switch (local) {
    case Role::Provider:
      return peer == Role::Customer;
    case Role::Customer:
      return peer == Role::Provider;
    case Role::RouteServer:
      return peer == Role::RouteServerClient;
    case Role::RouteServerClient:
      return peer == Role::RouteServer;
    case Role::Peer:
      return peer == Role::Peer;
  }
  return false;  // a local role outside the table never matches
}

Status<WireError> validate_open(const OpenMessage& peer, const OpenPolicy& policy) {
  uint32_t as = peer.effective_as();
  bool as_ok = as != 0;  // RFC 7607 2: AS 0 in an OPEN is a Bad Peer AS
  switch (policy.peer_as_mode) {
    case PeerAsMode::Exact:
      as_ok = as_ok && as == policy.peer_as;
      break;
    case PeerAsMode::Any:
      break;
    case PeerAsMode::Internal:
      as_ok = as_ok && as == policy.local_as;
      break;
    case PeerAsMode::External:
      as_ok = as_ok && as != policy.local_as;
      break;
  }
  if (!as_ok) {
    // Data: the AS as the peer sent it, 4 octets when it came in the capability.
    auto data = peer.caps.four_octet_as ? be32(as) : be16(peer.my_as);
    return Err(open_error(subcode::kBadPeerAs, std::move(data),
                          "peer AS " + std::to_string(as) + " is not acceptable"));
  }
  if (as == policy.local_as && peer.bgp_id == policy.local_bgp_id) {
    // RFC 6286 2.2: within an AS the identifiers must differ.
    return Err(open_error(subcode::kBadBgpIdentifier, be32(peer.bgp_id),
                          "iBGP peer uses our BGP identifier"));
  }
  if (policy.min_hold_time != 0 && peer.hold_time < policy.min_hold_time) {
    return Err(open_error(subcode::kUnacceptableHoldTime, be16(peer.hold_time),
                          "hold time " + std::to_string(peer.hold_time) + " below minimum " +
                              std::to_string(policy.min_hold_time)));
  }
  if (policy.local_role) {
    if (peer.caps.role) {
      if (!roles_compatible(*policy.local_role, *peer.caps.role)) {
        auto r = static_cast<uint8_t>(*peer.caps.role);
        return Err(open_error(subcode::kRoleMismatch, {r},
                              "peer role " + std::to_string(r) + " does not match ours"));
      }
    } else if (policy.role_strict) {
      return Err(open_error(subcode::kRoleMismatch, {}, "peer advertised no role (strict mode)"));
    }
  }
  std::vector<uint8_t> missing;  // RFC 5492 5: the data holds the missing capabilities
  std::string names;
  for (AfiSafi f : policy.required_families) {
    if (peer.caps.supports(f)) continue;
    missing.insert(missing.end(), {capability::kMultiprotocol, 4, static_cast<uint8_t>(f.afi >> 8),
                                   static_cast<uint8_t>(f.afi), 0, f.safi});
    names += (names.empty() ? "" : ", ") + to_string(f);
  }
  if (!missing.empty()) {
    return Err(open_error(subcode::kUnsupportedCapability, std::move(missing),
                          "required families not advertised: " + names));
  }
  return Ok{};
}

// ---- negotiation ---------------------------------------------------------------------------

NegotiatedSession negotiate(const OpenMessage& local, const OpenMessage& peer,
                            std::optional<rib::IpAddress> local_address) {
  NegotiatedSession s;
  Negotiated& n = s.negotiated;
  n.local_as = local.effective_as();
  n.peer_as = peer.effective_as();
  n.ebgp = n.local_as != n.peer_as;
  n.enforce_first_as = n.ebgp;
  n.four_octet_as = local.caps.four_octet_as.has_value() && peer.caps.four_octet_as.has_value();
  n.extended_message = local.caps.extended_message && peer.caps.extended_message;
  for (AfiSafi f : local.caps.families())
    if (peer.caps.supports(f)) s.families.push_back(f);
  auto has = [&](AfiSafi f) {
    return std::find(s.families.begin(), s.families.end(), f) != s.families.end();
  };
  n.ipv4_unicast = has(kIpv4Unicast);
  n.ipv6_unicast = has(kIpv6Unicast);
  auto add_path = [&](AfiSafi f, bool& rx, bool& tx) {
    const AddPathFamily* ours = local.caps.add_path_for(f);
    const AddPathFamily* theirs = peer.caps.add_path_for(f);
    rx = has(f) && ours && theirs && ours->can_receive() && theirs->can_send();
    tx = has(f) && ours && theirs && ours->can_send() && theirs->can_receive();
  };
  add_path(kIpv4Unicast, n.add_path_rx_ipv4, n.add_path_tx_ipv4);
  add_path(kIpv6Unicast, n.add_path_rx_ipv6, n.add_path_tx_ipv6);
  auto enh = [](const Capabilities& c) {
    ExtendedNextHop want{kAfiIpv4, kSafiUnicast, kAfiIpv6};
    return std::find(c.extended_next_hop.begin(), c.extended_next_hop.end(), want) !=
           c.extended_next_hop.end();
  };
  n.extended_next_hop_ipv4 = n.ipv4_unicast && enh(local.caps) && enh(peer.caps);
  n.route_refresh = local.caps.any_route_refresh() && peer.caps.any_route_refresh();
  n.enhanced_route_refresh = local.caps.enhanced_route_refresh && peer.caps.enhanced_route_refresh;
  n.peer_role = peer.caps.role;
  n.local_address = local_address;

  s.hold_time = std::min(local.hold_time, peer.hold_time);
  s.keepalive_time = static_cast<uint16_t>(s.hold_time / 3);
  s.peer_bgp_id = peer.bgp_id;
  s.peer_as = n.peer_as;
  s.peer_graceful_restart = peer.caps.graceful_restart;
  s.peer_fqdn = peer.caps.fqdn;
  s.peer_software_version = peer.caps.software_version;
  return s;
}

}  // namespace rs::bgp::wire
