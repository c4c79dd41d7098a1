// OPEN message (RFC 4271 4.2) with its optional parameters (RFC 5492, RFC 9072) and typed
// capabilities; the semantic checks of a peer's OPEN against our policy; negotiation of what
// both sides support.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rib/result.hpp"
#include "rs/bgp/wire/bytes.hpp"
#include "rs/bgp/wire/types.hpp"

namespace rs::bgp::wire {

inline constexpr uint8_t kBgpVersion = 4;

// Capability codes (IANA "Capability Codes").
namespace capability {
inline constexpr uint8_t kMultiprotocol = 1;          // RFC 4760
inline constexpr uint8_t kRouteRefresh = 2;           // RFC 2918
inline constexpr uint8_t kExtendedNextHop = 5;        // RFC 8950
inline constexpr uint8_t kExtendedMessage = 6;        // RFC 8654
inline constexpr uint8_t kRole = 9;                   // RFC 9234
inline constexpr uint8_t kGracefulRestart = 64;       // RFC 4724
inline constexpr uint8_t kFourOctetAs = 65;           // RFC 6793
inline constexpr uint8_t kAddPath = 69;               // RFC 7911
inline constexpr uint8_t kEnhancedRouteRefresh = 70;  // RFC 7313
inline constexpr uint8_t kFqdn = 73;                  // draft-walton-bgp-hostname-capability
inline constexpr uint8_t kSoftwareVersion = 75;       // draft-abraitis-bgp-version-capability
inline constexpr uint8_t kRouteRefreshCisco = 128;    // pre-standard route refresh
}  // namespace capability

// Optional parameter types (RFC 5492, RFC 9072).
inline constexpr uint8_t kParamCapabilities = 2;
inline constexpr uint8_t kParamExtendedLength = 255;

struct GracefulRestart {  // RFC 4724 3, RFC 8538 (N bit)
  struct Family {
    AfiSafi afi_safi;
    bool forwarding_preserved = false;  // F bit
    friend bool operator==(const Family&, const Family&) = default;
  };
  bool restart_state = false;  // R bit
  bool notification = false;   // N bit (RFC 8538)
  uint16_t restart_time = 0;   // seconds, 12 bits
  std::vector<Family> families;
  friend bool operator==(const GracefulRestart&, const GracefulRestart&) = default;
};

struct AddPathFamily {  // RFC 7911 4
  static constexpr uint8_t kReceive = 1;
  static constexpr uint8_t kSend = 2;
  static constexpr uint8_t kBoth = 3;
  AfiSafi afi_safi;
  uint8_t send_receive = kBoth;  // raw; values other than 1-3 are ignored by negotiate()
  bool can_receive() const { return send_receive >= 1 && send_receive <= 3 && (send_receive & 1); }
  bool can_send() const { return send_receive >= 1 && send_receive <= 3 && (send_receive & 2); }
  friend bool operator==(const AddPathFamily&, const AddPathFamily&) = default;
};

struct ExtendedNextHop {  // RFC 8950 3: NLRI AFI, NLRI SAFI (2 octets), next-hop AFI
  uint16_t nlri_afi = kAfiIpv4;
  uint16_t nlri_safi = kSafiUnicast;
  uint16_t next_hop_afi = kAfiIpv6;
  friend bool operator==(const ExtendedNextHop&, const ExtendedNextHop&) = default;
};

struct Fqdn {  // hostname capability as FRR and ExaBGP send it: len, host, len, domain
  std::string hostname;
  std::string domain;
  friend bool operator==(const Fqdn&, const Fqdn&) = default;
};

struct RawCapability {
  uint8_t code = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const RawCapability&, const RawCapability&) = default;
};

// Several instances of one capability are merged: lists are concatenated, single values keep
// the last instance (RFC 5492 leaves it to each capability). A known capability whose value is
// malformed is an OPEN error 2/0, except the informational FQDN and software-version ones,
// which are then kept as raw bytes.
struct Capabilities {
  std::vector<AfiSafi> multiprotocol;  // empty: none advertised
  bool route_refresh = false;          // code 2
  bool route_refresh_cisco = false;    // code 128
  bool enhanced_route_refresh = false;
  std::optional<uint32_t> four_octet_as;
  std::optional<GracefulRestart> graceful_restart;
  std::vector<AddPathFamily> add_path;
  bool extended_message = false;
  std::vector<ExtendedNextHop> extended_next_hop;
  std::optional<Role> role;  // raw value; may be outside the enum's names
  std::optional<Fqdn> fqdn;
  std::optional<std::string> software_version;
  std::vector<RawCapability> unknown;  // in the order received
  friend bool operator==(const Capabilities&, const Capabilities&) = default;

  bool any_route_refresh() const { return route_refresh || route_refresh_cisco; }
  // RFC 4760: a speaker that advertises no Multiprotocol capability does IPv4 unicast only.
  std::vector<AfiSafi> families() const;
  bool supports(AfiSafi f) const;
  const AddPathFamily* add_path_for(AfiSafi f) const;
};

struct OpenMessage {
  uint8_t version = kBgpVersion;
  uint16_t my_as = 0;  // the 2-octet field: AS_TRANS when the AS does not fit
  uint16_t hold_time = 90;
  uint32_t bgp_id = 0;
  Capabilities caps;
  friend bool operator==(const OpenMessage&, const OpenMessage&) = default;

  // The AS the speaker claims: the 4-octet capability when present (RFC 6793 4.1).
  uint32_t effective_as() const { return caps.four_octet_as.value_or(my_as); }
  // Sets my_as and the 4-octet capability for `as` (AS_TRANS in my_as when it does not fit).
  void set_as(uint32_t as);
};

// Decodes an OPEN body (after the 19-byte header). Structural checks only (RFC 4271 6.2):
// version (2/1, data 0x0004), hold time 1 or 2 (2/6, data = hold field), BGP identifier 0 (2/3,
// data = identifier), unknown optional parameter (2/4, data = the parameter), parameter or
// capability framing (2/0), conflicting roles (2/11, RFC 9234 4.2).
[[nodiscard]] Result<OpenMessage, WireError> decode_open(Bytes body);

// Appends a whole OPEN message, header included. Capabilities go in one Capabilities parameter;
// the RFC 9072 extended form is used only when they exceed 255 octets (or when forced).
void encode_open(const OpenMessage& m, std::vector<uint8_t>& out, bool force_extended = false);

// ---- Semantic checks of a peer's OPEN ------------------------------------------------------

enum class PeerAsMode : uint8_t {
  Exact,     // the peer must be OpenPolicy::peer_as
  Any,       // dynamic neighbours: any AS
  Internal,  // any, but equal to our AS
  External,  // any, but not our AS
};

struct OpenPolicy {
  PeerAsMode peer_as_mode = PeerAsMode::Exact;
  uint32_t peer_as = 0;
  uint32_t local_as = 0;
  uint32_t local_bgp_id = 0;
  uint16_t min_hold_time = 0;      // 0: no minimum; otherwise a lower hold time (0 too) is 2/6
  std::optional<Role> local_role;  // RFC 9234: checked only when set
  bool role_strict = false;        // the peer must advertise a role (2/11 otherwise)
  std::vector<AfiSafi> required_families;  // missing ones give 2/7 (RFC 5492 5)
};

// Checks in order: peer AS (2/2; AS 0 always, RFC 7607 2), BGP identifier equal to ours on an
// iBGP session (2/3, RFC 6286 2.2), minimum hold time (2/6), role pair (2/11, RFC 9234 4.2),
// required families (2/7 with the missing Multiprotocol capabilities as data).
[[nodiscard]] Status<WireError> validate_open(const OpenMessage& peer, const OpenPolicy& policy);

// True when the role pair is allowed by RFC 9234 4.2 (table 2).
bool roles_compatible(Role local, Role peer);

// ---- Negotiation ---------------------------------------------------------------------------

struct NegotiatedSession {
  Negotiated negotiated;
  uint16_t hold_time = 0;       // min of both (RFC 4271 4.2); 0: no hold timer, no keepalives
  uint16_t keepalive_time = 0;  // hold_time / 3 (RFC 4271 10)
  uint32_t peer_bgp_id = 0;
  uint32_t peer_as = 0;
  std::vector<AfiSafi> families;  // advertised by both, any AFI/SAFI, in our order
  std::optional<GracefulRestart> peer_graceful_restart;
  std::optional<Fqdn> peer_fqdn;
  std::optional<std::string> peer_software_version;
};

// What both OPENs together allow. Families: advertised by both. ADD-PATH: we receive path ids for
// a family when we said receive and the peer said send; we send when we said send and the peer
// said receive (RFC 7911 5). Extended next hop and (enhanced) route refresh: both advertised.
[[nodiscard]] NegotiatedSession negotiate(const OpenMessage& local, const OpenMessage& peer,
                                          std::optional<rib::IpAddress> local_address = {});

}  // namespace rs::bgp::wire
