// NOTIFICATION, KEEPALIVE and ROUTE-REFRESH codecs and the names of all error codes.
//
// A received NOTIFICATION is never rejected: whatever it holds is logged and the session closes
// (RFC 4271 6.4 forbids answering it). Shutdown communications (RFC 9003) are untrusted text: they
// are decoded as far as the octets go and made printable (invalid UTF-8 and control bytes become
// \xNN), with flags for a length octet that overruns the data or invalid UTF-8 (RFC 9003 4).
// ROUTE-REFRESH follows RFC 2918 5 (ignore families not negotiated) and RFC 7313 5 (ignore unknown
// subtypes; a wrong length is 7/1 carrying the message).
#include "rs/bgp/wire/messages.hpp"

#include <algorithm>
#include <string>

#include "rs/bgp/wire/header.hpp"

namespace rs::bgp::wire {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629 4: no overlongs, no surrogates,
// nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<uint8_t>(s[i + k]); };
  uint8_t c = b(0);
  std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k) { return k < left && (b(k) & 0xc0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void append_escaped(std::string& out, uint8_t c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// Printable copy of untrusted text; returns whether it was valid UTF-8.
bool printable(std::string_view in, std::string& out) {
  bool valid = true;
  for (std::size_t i = 0; i < in.size();) {
    std::size_t n = utf8_sequence(in, i);
    auto c = static_cast<uint8_t>(in[i]);
    if (n == 0) {
      valid = false;
      append_escaped(out, c);
      ++i;
    } else if (n == 1 && (c < 0x20 || c == 0x7f || c == '\\')) {
      if (c == '\\') {
        out += "\\\\";
      } else {
        append_escaped(out, c);
      }
      ++i;
    } else {
      out.append(in.substr(i, n));
      i += n;
    }
  }
  return valid;
}

}  // namespace

// ---- NOTIFICATION --------------------------------------------------------------------------

DecodedNotification decode_notification(Bytes body) {
  DecodedNotification d;
  d.message.code = static_cast<ErrorCode>(body.size() >= 1 ? body[0] : 0);
  d.message.subcode = body.size() >= 2 ? body[1] : 0;
  if (body.size() > 2) d.message.data.assign(body.begin() + 2, body.end());
  d.complete = body.size() >= 2;
  return d;
}

void encode_notification(const NotificationMessage& m, std::vector<uint8_t>& out,
                         std::size_t max_size) {
  std::size_t start = begin_message(out, MessageType::Notification);
  out.push_back(static_cast<uint8_t>(m.code));
  out.push_back(m.subcode);
  std::size_t room = std::min(max_size, kMaxExtendedMessageSize) - kMinNotificationSize;
  std::size_t n = std::min(m.data.size(), room);
  out.insert(out.end(), m.data.begin(), m.data.begin() + static_cast<std::ptrdiff_t>(n));
  finish_message(out, start);
}

NotificationMessage to_notification(const WireError& e) {
  return NotificationMessage{e.code, e.subcode, e.data};
}

void encode_notification(const WireError& e, std::vector<uint8_t>& out, std::size_t max_size) {
  encode_notification(to_notification(e), out, max_size);
}

std::optional<ShutdownCommunication> shutdown_communication(const NotificationMessage& m) {
  if (m.code != ErrorCode::Cease || m.data.empty()) return std::nullopt;
  if (m.subcode != subcode::kAdministrativeShutdown && m.subcode != subcode::kAdministrativeReset)
    return std::nullopt;
  ShutdownCommunication sc;
  std::size_t declared = m.data[0];
  std::size_t have = m.data.size() - 1;
  std::size_t take = std::min(declared, have);
  sc.truncated = declared > have;
  sc.trailing = have > declared;
  std::string_view raw(reinterpret_cast<const char*>(m.data.data()) + 1, take);
  sc.valid_utf8 = printable(raw, sc.text);
  return sc;
}

NotificationMessage shutdown_notification(uint8_t sub, std::string_view text) {
  std::size_t n = std::min(text.size(), kMaxShutdownCommunication);
  // Never cut inside a character: back up over continuation octets.
  if (n < text.size())
    while (n > 0 && (static_cast<uint8_t>(text[n]) & 0xc0) == 0x80) --n;
  NotificationMessage m{ErrorCode::Cease, sub, {}};
  m.data.reserve(n + 1);
  m.data.push_back(static_cast<uint8_t>(n));
  m.data.insert(m.data.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
  return m;
}

namespace {

// Names from the IANA "BGP Error (Notification) Codes" and subcode registries, indexed by value.
constexpr std::string_view kCodeNames[] = {
    {},
    "Message Header Error",
    "OPEN Message Error",
    "UPDATE Message Error",
    "Hold Timer Expired",
    "Finite State Machine Error",
    "Cease",
    "ROUTE-REFRESH Message Error",
    "Send Hold Timer Expired",  // RFC 9687
};

constexpr std::string_view kHeaderSubcodes[] = {  // RFC 4271 6.1
    "Unspecific", "Connection Not Synchronized", "Bad Message Length", "Bad Message Type"};

constexpr std::string_view kOpenSubcodes[] = {  // RFC 4271 6.2, RFC 5492, RFC 9234
    "Unspecific",
    "Unsupported Version Number",
    "Bad Peer AS",
    "Bad BGP Identifier",
    "Unsupported Optional Parameter",
    "Authentication Failure (deprecated)",
    "Unacceptable Hold Time",
    "Unsupported Capability",
    "Deprecated",
    "Deprecated",
    "Deprecated",
    "Role Mismatch"};

constexpr std::string_view kUpdateSubcodes[] = {  // RFC 4271 6.3
    "Unspecific",
    "Malformed Attribute List",
    "Unrecognized Well-known Attribute",
    "Missing Well-known Attribute",
    "Attribute Flags Error",
    "Attribute Length Error",
    "Invalid ORIGIN Attribute",
    "AS Routing Loop (deprecated)",
    "Invalid NEXT_HOP Attribute",
    "Optional Attribute Error",
    "Invalid Network Field",
    "Malformed AS_PATH"};

constexpr std::string_view kTimerSubcodes[] = {"Unspecific"};

constexpr std::string_view kFsmSubcodes[] = {  // RFC 6608 4
    "Unspecified Error", "Receive Unexpected Message in OpenSent State",
    "Receive Unexpected Message in OpenConfirm State",
    "Receive Unexpected Message in Established State"};

constexpr std::string_view kCeaseSubcodes[] = {  // RFC 4486 4, RFC 8538 (9), RFC 9384 (10)
    "Unspecific",
    "Maximum Number of Prefixes Reached",
    "Administrative Shutdown",
    "Peer De-configured",
    "Administrative Reset",
    "Connection Rejected",
    "Other Configuration Change",
    "Connection Collision Resolution",
    "Out of Resources",
    "Hard Reset",
    "BFD Down"};

constexpr std::string_view kRouteRefreshSubcodes[] = {"Reserved",
                                                      "Invalid Message Length"};  // RFC 7313 5

template <std::size_t N>
std::string_view pick(const std::string_view (&table)[N], unsigned i) {
  return i < N ? table[i] : std::string_view{};
}

}  // namespace

std::string_view code_name(ErrorCode code) {
  return pick(kCodeNames, static_cast<unsigned>(code));
}

std::string_view subcode_name(ErrorCode code, uint8_t sub) {
  switch (code) {
    case ErrorCode::MessageHeader:
      return pick(kHeaderSubcodes, sub);
    case ErrorCode::Open:
      return pick(kOpenSubcodes, sub);
    case ErrorCode::Update:
      return pick(kUpdateSubcodes, sub);
    case ErrorCode::HoldTimerExpired:
    case ErrorCode::SendHoldTimerExpired:
      return pick(kTimerSubcodes, sub);
    case ErrorCode::Fsm:
      return pick(kFsmSubcodes, sub);
    case ErrorCode::Cease:
      return pick(kCeaseSubcodes, sub);
    case ErrorCode::RouteRefresh:
      return pick(kRouteRefreshSubcodes, sub);
  }
  return {};
}

std::string describe(ErrorCode code, uint8_t sub) {
  std::string_view c = code_name(code);
  if (c.empty()) {
    return "error code " + std::to_string(static_cast<unsigned>(code)) + " subcode " +
           std::to_string(sub);
  }
  std::string out(c);
  bool timer = code == ErrorCode::HoldTimerExpired || code == ErrorCode::SendHoldTimerExpired;
  if (timer && sub == 0) return out;  // no subcodes defined
  std::string_view s = subcode_name(code, sub);
  out += ": ";
  if (s.empty()) {
    out += "subcode " + std::to_string(sub);
  } else {
    out += s;
  }
  return out;
}

NotificationMessage max_prefix_notification(AfiSafi family, uint32_t limit) {
  NotificationMessage m{ErrorCode::Cease, subcode::kMaxPrefixReached, {}};
  Writer w(m.data);
  w.u16(family.afi);
  w.u8(family.safi);
  w.u32(limit);
  return m;
}

std::string describe(const NotificationMessage& m) {
  std::string out = describe(m.code, m.subcode);
  if (auto sc = shutdown_communication(m)) {
    out += ": \"" + sc->text + "\"";
    if (sc->truncated) out += " (truncated)";
    if (!sc->valid_utf8) out += " (invalid UTF-8)";
    return out;
  }
  if (m.code == ErrorCode::Cease && m.subcode == subcode::kMaxPrefixReached && m.data.size() == 7) {
    // RFC 4486 4: AFI, SAFI, upper bound.
    Reader r(m.data);
    AfiSafi f;
    f.afi = r.u16();
    f.safi = r.u8();
    out += " (" + to_string(f) + ", limit " + std::to_string(r.u32()) + ")";
    return out;
  }
  if (!m.data.empty()) {
    static constexpr char kHex[] = "0123456789abcdef";
    static constexpr std::size_t kMaxShown = 64;
    out += " (data ";
    for (std::size_t i = 0; i < m.data.size() && i < kMaxShown; ++i) {
      out += kHex[m.data[i] >> 4];
      out += kHex[m.data[i] & 15];
    }
    if (m.data.size() > kMaxShown) out += "...";
    out += ")";
  }
  return out;
}

// ---- KEEPALIVE -----------------------------------------------------------------------------

void encode_keepalive(std::vector<uint8_t>& out) {
  encode_header(out, MessageType::Keepalive, kKeepaliveSize);
}

Status<WireError> check_keepalive(Bytes body) {
  if (body.empty()) return Ok{};
  auto len = static_cast<uint16_t>(std::min<std::size_t>(body.size() + kHeaderSize, 0xffff));
  return Err(WireError{ErrorAction::SessionReset,
                       ErrorCode::MessageHeader,
                       subcode::kBadMessageLength,
                       {static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)},
                       "KEEPALIVE length is not 19"});
}

// ---- ROUTE-REFRESH -------------------------------------------------------------------------

Result<DecodedRouteRefresh, WireError> decode_route_refresh(Bytes body, const Negotiated& n) {
  auto len = static_cast<uint16_t>(std::min<std::size_t>(body.size() + kHeaderSize, 0xffff));
  auto bad_length = [&] {
    return WireError{ErrorAction::SessionReset,
                     ErrorCode::MessageHeader,
                     subcode::kBadMessageLength,
                     {static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)},
                     "ROUTE-REFRESH length is not 23"};
  };
  auto invalid_length = [&] {
    // RFC 7313 5: the data field carries the complete ROUTE-REFRESH message.
    std::vector<uint8_t> whole;
    whole.reserve(len);
    encode_header(whole, MessageType::RouteRefresh, len);
    whole.insert(whole.end(), body.begin(), body.end());
    return WireError{ErrorAction::SessionReset, ErrorCode::RouteRefresh,
                     subcode::kInvalidMessageLength, std::move(whole),
                     "ROUTE-REFRESH length " + std::to_string(len) + " (RFC 7313 5)"};
  };
  if (body.size() < 4) {
    // Too short for any subtype.
    return Err(n.enhanced_route_refresh ? invalid_length() : bad_length());
  }
  Reader r(body);
  DecodedRouteRefresh d;
  d.message.afi_safi.afi = r.u16();
  d.message.subtype = r.u8();
  d.message.afi_safi.safi = r.u8();
  uint8_t st = d.message.subtype;
  bool demarcation = st == route_refresh::kBeginOfRefresh || st == route_refresh::kEndOfRefresh;
  if (body.size() != 4) {
    // RFC 7313 5: 7/1 is for BoRR/EoRR of the wrong length; unknown subtypes are ignored
    // whatever their length; a normal request longer than 23 octets would carry ORF entries
    // (RFC 5291), which rsd does not negotiate: the RFC 2918 length rule applies.
    if (!n.enhanced_route_refresh) return Err(bad_length());
    if (demarcation) return Err(invalid_length());
    if (st != route_refresh::kNormal) {
      d.disposition = RouteRefreshDisposition::IgnoreSubtype;
      return d;
    }
    return Err(bad_length());
  }
  bool known = st == route_refresh::kNormal || (n.enhanced_route_refresh && demarcation);
  if (!known) {
    d.disposition = RouteRefreshDisposition::IgnoreSubtype;
  } else if (!n.family_negotiated(d.message.afi_safi)) {
    d.disposition = RouteRefreshDisposition::IgnoreFamily;
  }
  return d;
}

void encode_route_refresh(const RouteRefreshMessage& m, std::vector<uint8_t>& out) {
  encode_header(out, MessageType::RouteRefresh, kRouteRefreshSize);
  Writer w(out);
  w.u16(m.afi_safi.afi);
  w.u8(m.subtype);
  w.u8(m.afi_safi.safi);
}

}  // namespace rs::bgp::wire
