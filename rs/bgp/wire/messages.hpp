// The small messages: NOTIFICATION (RFC 4271 4.5, with RFC 8203/9003 shutdown communication),
// KEEPALIVE (4.4) and ROUTE-REFRESH (RFC 2918, RFC 7313); names of every error code and subcode.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rib/result.hpp"
#include "rs/bgp/wire/bytes.hpp"
#include "rs/bgp/wire/types.hpp"

namespace rs::bgp::wire {

// ---- NOTIFICATION --------------------------------------------------------------------------

struct NotificationMessage {
  ErrorCode code = ErrorCode::Cease;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;
  friend bool operator==(const NotificationMessage&, const NotificationMessage&) = default;
};

struct DecodedNotification {
  NotificationMessage message;
  // False when the body was shorter than code + subcode (a NOTIFICATION of 19 or 20 bytes, N1):
  // what was there is in `message` (missing fields 0). Either way the caller closes the session
  // and never answers with a NOTIFICATION (RFC 4271 6.4).
  bool complete = true;
};

// Never fails: a NOTIFICATION is logged and the session closed whatever it holds.
[[nodiscard]] DecodedNotification decode_notification(Bytes body);

// Appends a whole NOTIFICATION. Data that would not fit `max_size` (4,096 unless extended
// messages were negotiated) is cut.
void encode_notification(const NotificationMessage& m, std::vector<uint8_t>& out,
                         std::size_t max_size = kMaxMessageSize);
void encode_notification(const WireError& e, std::vector<uint8_t>& out,
                         std::size_t max_size = kMaxMessageSize);
NotificationMessage to_notification(const WireError& e);

// RFC 9003 2: Cease subcodes 2 (Administrative Shutdown) and 4 (Administrative Reset) may carry
// a length octet and up to 255 octets of UTF-8.
inline constexpr std::size_t kMaxShutdownCommunication = 255;

struct ShutdownCommunication {
  std::string text;        // printable: invalid UTF-8 and control bytes shown as \xNN
  bool truncated = false;  // the length octet promised more than the data held
  bool valid_utf8 = true;  // the received octets were valid UTF-8 (control bytes are allowed
                           // but escaped in `text` all the same)
  bool trailing = false;   // octets after the communication (not allowed by RFC 9003)
};

// nullopt unless the message is Cease 2 or 4 with a non-empty data field.
[[nodiscard]] std::optional<ShutdownCommunication> shutdown_communication(
    const NotificationMessage& m);

// Cease `subcode` (2 or 4) with `text` cut to 255 octets on a UTF-8 character boundary.
NotificationMessage shutdown_notification(uint8_t subcode, std::string_view text);

// "Cease: Administrative Shutdown", "OPEN Message Error: Role Mismatch", "Cease: subcode 77",
// "error code 42 subcode 1". Covers RFC 4271, 4486, 5492, 6608, 7313, 8538, 9234, 9384, 9687.
std::string describe(ErrorCode code, uint8_t subcode);
std::string_view code_name(ErrorCode code);  // "" for unknown codes
// Empty for subcodes without a name.
std::string_view subcode_name(ErrorCode code, uint8_t subcode);
// describe() plus what the data says, for logs: the shutdown communication, the max-prefix
// family and limit, or else the data in hex (first 64 octets).
std::string describe(const NotificationMessage& m);

// Cease / Maximum Number of Prefixes Reached with AFI, SAFI and the limit (RFC 4486 4).
NotificationMessage max_prefix_notification(AfiSafi family, uint32_t limit);

// ---- KEEPALIVE -----------------------------------------------------------------------------

void encode_keepalive(std::vector<uint8_t>& out);
// A KEEPALIVE has no body (RFC 4271 4.4); anything else is 1/2 with the length field.
[[nodiscard]] Status<WireError> check_keepalive(Bytes body);

// ---- ROUTE-REFRESH -------------------------------------------------------------------------

namespace route_refresh {
inline constexpr uint8_t kNormal = 0;          // RFC 2918
inline constexpr uint8_t kBeginOfRefresh = 1;  // RFC 7313 BoRR
inline constexpr uint8_t kEndOfRefresh = 2;    // RFC 7313 EoRR
}  // namespace route_refresh

struct RouteRefreshMessage {
  AfiSafi afi_safi;
  uint8_t subtype = route_refresh::kNormal;  // raw: unknown values round-trip
  friend bool operator==(const RouteRefreshMessage&, const RouteRefreshMessage&) = default;
};

enum class RouteRefreshDisposition : uint8_t {
  Process,        // act on it
  IgnoreFamily,   // AFI/SAFI not negotiated: ignore (RFC 2918 5)
  IgnoreSubtype,  // subtype other than 0-2, or BoRR/EoRR without enhanced route refresh
                  // (RFC 7313 5: ignore and log)
};

struct DecodedRouteRefresh {
  RouteRefreshMessage message;
  RouteRefreshDisposition disposition = RouteRefreshDisposition::Process;
};

// Body after the header. With enhanced route refresh negotiated, a body shorter than 4 octets or a
// BoRR/EoRR that is not 4 octets is ROUTE-REFRESH Message Error / Invalid Message Length (7/1)
// with the whole message as data (RFC 7313 5); an unknown subtype is ignored whatever its length;
// a longer normal request is 1/2 (ORF, RFC 5291, is not supported). Without enhanced route
// refresh the header check already required 23 octets (1/2).
[[nodiscard]] Result<DecodedRouteRefresh, WireError> decode_route_refresh(Bytes body,
                                                                          const Negotiated& n);
void encode_route_refresh(const RouteRefreshMessage& m, std::vector<uint8_t>& out);

}  // namespace rs::bgp::wire
