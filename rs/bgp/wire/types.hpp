// Shared vocabulary of the BGP codec: message types, families, the error every decoder returns
// (NOTIFICATION code/subcode/data plus the RFC 7606 action), and the negotiated session facts a
// decoder needs. The codec is the only module that knows byte layouts (docs/architecture.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rib/prefix.hpp"

namespace rs::bgp::wire {

inline constexpr std::size_t kHeaderSize = 19;
inline constexpr std::size_t kMarkerSize = 16;
inline constexpr std::size_t kMaxMessageSize = 4096;           // RFC 4271 4.1
inline constexpr std::size_t kMaxExtendedMessageSize = 65535;  // RFC 8654
inline constexpr uint16_t kAsTrans = 23456;                    // RFC 6793 9

enum class MessageType : uint8_t {
  Open = 1,
  Update = 2,
  Notification = 3,
  Keepalive = 4,
  RouteRefresh = 5,
};

// Raw AFI/SAFI numbers: unknown families must be recognised and skipped, not rejected.
inline constexpr uint16_t kAfiIpv4 = 1;
inline constexpr uint16_t kAfiIpv6 = 2;
inline constexpr uint8_t kSafiUnicast = 1;

struct AfiSafi {
  uint16_t afi = kAfiIpv4;
  uint8_t safi = kSafiUnicast;
  friend bool operator==(const AfiSafi&, const AfiSafi&) = default;
  bool is_unicast() const { return safi == kSafiUnicast && (afi == kAfiIpv4 || afi == kAfiIpv6); }
  rib::Family family() const { return afi == kAfiIpv6 ? rib::Family::Ipv6 : rib::Family::Ipv4; }
};
inline constexpr AfiSafi kIpv4Unicast{kAfiIpv4, kSafiUnicast};
inline constexpr AfiSafi kIpv6Unicast{kAfiIpv6, kSafiUnicast};
inline AfiSafi unicast(rib::Family f) {
  return f == rib::Family::Ipv6 ? kIpv6Unicast : kIpv4Unicast;
}
std::string to_string(AfiSafi f);  // "ipv4 unicast", "afi 25 safi 70"

// NOTIFICATION error codes (RFC 4271 4.5, RFC 7313, RFC 9687).
enum class ErrorCode : uint8_t {
  MessageHeader = 1,
  Open = 2,
  Update = 3,
  HoldTimerExpired = 4,
  Fsm = 5,
  Cease = 6,
  RouteRefresh = 7,
  SendHoldTimerExpired = 8,
};

namespace subcode {
// Message Header Error
inline constexpr uint8_t kConnectionNotSynchronized = 1;
inline constexpr uint8_t kBadMessageLength = 2;
inline constexpr uint8_t kBadMessageType = 3;
// OPEN Message Error
inline constexpr uint8_t kOpenUnspecific = 0;
inline constexpr uint8_t kUnsupportedVersion = 1;
inline constexpr uint8_t kBadPeerAs = 2;
inline constexpr uint8_t kBadBgpIdentifier = 3;
inline constexpr uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr uint8_t kUnacceptableHoldTime = 6;
inline constexpr uint8_t kUnsupportedCapability = 7;
inline constexpr uint8_t kRoleMismatch = 11;  // RFC 9234
// UPDATE Message Error
inline constexpr uint8_t kMalformedAttributeList = 1;
inline constexpr uint8_t kUnrecognizedWellKnown = 2;
inline constexpr uint8_t kMissingWellKnown = 3;
inline constexpr uint8_t kAttributeFlagsError = 4;
inline constexpr uint8_t kAttributeLengthError = 5;
inline constexpr uint8_t kInvalidOrigin = 6;
inline constexpr uint8_t kInvalidNextHop = 8;
inline constexpr uint8_t kOptionalAttributeError = 9;
inline constexpr uint8_t kInvalidNetworkField = 10;
inline constexpr uint8_t kMalformedAsPath = 11;
// FSM Error (RFC 6608)
inline constexpr uint8_t kFsmUnspecific = 0;
inline constexpr uint8_t kFsmUnexpectedInOpenSent = 1;
inline constexpr uint8_t kFsmUnexpectedInOpenConfirm = 2;
inline constexpr uint8_t kFsmUnexpectedInEstablished = 3;
// Cease (RFC 4486, RFC 8203/9003)
inline constexpr uint8_t kMaxPrefixReached = 1;
inline constexpr uint8_t kAdministrativeShutdown = 2;
inline constexpr uint8_t kPeerDeconfigured = 3;
inline constexpr uint8_t kAdministrativeReset = 4;
inline constexpr uint8_t kConnectionRejected = 5;
inline constexpr uint8_t kOtherConfigurationChange = 6;
inline constexpr uint8_t kConnectionCollisionResolution = 7;
inline constexpr uint8_t kOutOfResources = 8;
inline constexpr uint8_t kHardReset = 9;
inline constexpr uint8_t kBfdDown = 10;
// ROUTE-REFRESH Message Error (RFC 7313)
inline constexpr uint8_t kInvalidMessageLength = 1;
}  // namespace subcode

// What the receiver does about a malformed message (RFC 7606 2).
enum class ErrorAction : uint8_t {
  SessionReset,      // send the NOTIFICATION, close the session
  AfiSafiDisable,    // RFC 7606 / RFC 4760 7: stop the family (rsd resets the session)
  TreatAsWithdraw,   // the UPDATE's NLRI become withdrawals
  AttributeDiscard,  // drop the attribute, keep the route
};
std::string_view to_string(ErrorAction a);

struct WireError {
  ErrorAction action = ErrorAction::SessionReset;
  ErrorCode code = ErrorCode::Update;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;  // NOTIFICATION data field
  std::string reason;         // for the log: what was wrong, in words
};

// BGP roles (RFC 9234 4.1).
enum class Role : uint8_t {
  Provider = 0,
  RouteServer = 1,
  RouteServerClient = 2,
  Customer = 3,
  Peer = 4
};

// What the session negotiated; the decoders read it, they never change it.
struct Negotiated {
  uint32_t local_as = 0;
  uint32_t peer_as = 0;
  bool ebgp = true;
  bool four_octet_as = true;      // RFC 6793, both sides advertised it
  bool extended_message = false;  // RFC 8654, both sides advertised it
  bool ipv4_unicast = true;       // families both sides advertised (RFC 4760)
  bool ipv6_unicast = false;
  bool add_path_rx_ipv4 = false;  // RFC 7911: we receive path identifiers
  bool add_path_rx_ipv6 = false;
  bool add_path_tx_ipv4 = false;  // RFC 7911: we send path identifiers
  bool add_path_tx_ipv6 = false;
  bool extended_next_hop_ipv4 = false;  // RFC 8950: IPv4 NLRI with IPv6 next hop
  bool extended_next_hop_ipv6 = false;  // extended next hop capability for IPv6 NLRI with an
                                        // IPv4 next hop (4-byte, as ExaBGP sends it)
  bool route_refresh = false;
  bool enhanced_route_refresh = false;
  bool enforce_first_as = true;                 // eBGP: first AS of AS_PATH must be the peer's
  bool forward_unknown_attributes = false;      // keep unrecognised optional transitive attributes
  uint32_t max_as_path_length = 0;              // AS_PATH longer (RFC 4271 9.1.2.2 a): TaW; 0: none
  std::optional<Role> peer_role;                // RFC 9234, for OTC leak checks
  std::optional<rib::IpAddress> local_address;  // a NEXT_HOP equal to it is invalid (RFC 4271 6.3)

  std::size_t max_message_size() const {
    return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize;
  }
  bool family_negotiated(AfiSafi f) const {
    return (f == kIpv4Unicast && ipv4_unicast) || (f == kIpv6Unicast && ipv6_unicast);
  }
  bool add_path_rx(rib::Family f) const {
    return f == rib::Family::Ipv4 ? add_path_rx_ipv4 : add_path_rx_ipv6;
  }
  bool add_path_tx(rib::Family f) const {
    return f == rib::Family::Ipv4 ? add_path_tx_ipv4 : add_path_tx_ipv6;
  }
};

}  // namespace rs::bgp::wire
