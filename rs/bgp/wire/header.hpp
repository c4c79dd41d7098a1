// The 19-byte BGP message header (RFC 4271 4.1) and framing of a receive buffer into messages.
// Pure functions over byte spans: the session reads into one large buffer and frames the messages
// in place; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rib/result.hpp"
#include "rs/bgp/wire/bytes.hpp"
#include "rs/bgp/wire/types.hpp"

namespace rs::bgp::wire {

// Smallest message of each type, header included (RFC 4271 4.2-4.5, RFC 2918 3).
inline constexpr std::size_t kMinOpenSize = 29;
inline constexpr std::size_t kMinUpdateSize = 23;
inline constexpr std::size_t kKeepaliveSize = 19;
inline constexpr std::size_t kMinNotificationSize = 21;
inline constexpr std::size_t kRouteRefreshSize = 23;

struct Header {
  uint16_t length = 0;  // whole message, header included
  MessageType type = MessageType::Keepalive;
  friend bool operator==(const Header&, const Header&) = default;
};

// What the receiving side accepts; derived from what was negotiated (defaults: before OPEN).
struct HeaderLimits {
  // We advertised the Extended Message capability (RFC 8654): accept up to 65,535 octets,
  // except OPEN and KEEPALIVE which stay <= 4,096.
  bool extended_message = false;
  // ROUTE-REFRESH (type 5) accepted; false makes it a Bad Message Type (1/3).
  bool accept_route_refresh = true;
  // Enhanced Route Refresh negotiated (RFC 7313 5): a ROUTE-REFRESH of the wrong length is
  // reported by decode_route_refresh as 7/1 with the whole message, not by the header as 1/2.
  bool enhanced_route_refresh = false;

  // accept_route_refresh stays true: rsd always advertises route refresh (RFC 2918 2).
  static HeaderLimits from(const Negotiated& n) {
    return HeaderLimits{n.extended_message, true, n.enhanced_route_refresh};
  }
  std::size_t max_size() const {
    return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize;
  }
};

// Checks marker (1/1), length bounds (1/2, data = the 2-byte length field) and type (1/3, data =
// the type byte), in this order (RFC 4271 6.1 lists them). `first19` must hold at least 19 bytes;
// fewer is reported as 1/2. A NOTIFICATION shorter than 21 bytes is a 1/2 here; frame() lets it
// through instead, because a NOTIFICATION is never answered with one (RFC 4271 6.4).
[[nodiscard]] Result<Header, WireError> decode_header(Bytes first19, const HeaderLimits& limits);

// ---- Framing -------------------------------------------------------------------------------

enum class FrameStatus : uint8_t {
  NeedMore,  // the buffer does not hold a whole message yet
  Message,   // one message: header, body, size
  Error,     // the header is bad: send error (unless !reply) and close
};

struct Frame {
  FrameStatus status = FrameStatus::NeedMore;
  Header header{};
  Bytes body;            // Message: the bytes after the header
  std::size_t size = 0;  // Message: bytes consumed; NeedMore: bytes needed in total (>= 19)
  WireError error;       // Error
  // Error: false when the broken message is itself a NOTIFICATION (RFC 4271 6.4: the receiver
  // cannot use a NOTIFICATION to report an error in one); close and log only.
  bool reply = true;
};

// Looks at the start of `buffer`. A NOTIFICATION of 19 or 20 bytes comes back as a Message
// (decode_notification marks it incomplete) so the caller logs it and closes without a reply.
[[nodiscard]] Frame frame(Bytes buffer, const HeaderLimits& limits);

// Walks one receive buffer message by message:
//   Framer f(buf, limits);
//   for (Frame m = f.next(); m.status == FrameStatus::Message; m = f.next()) handle(m);
//   keep f.remaining() for the next read.
// After an Error, next() keeps returning the same error.
class Framer {
 public:
  Framer(Bytes buffer, const HeaderLimits& limits) : buffer_(buffer), limits_(limits) {}
  [[nodiscard]] Frame next();
  std::size_t consumed() const { return consumed_; }
  Bytes remaining() const { return buffer_.subspan(consumed_); }

 private:
  Bytes buffer_;
  HeaderLimits limits_;
  std::size_t consumed_ = 0;
  bool failed_ = false;
  Frame error_;
};

// ---- Encoding ------------------------------------------------------------------------------

// Appends marker, length and type.
void encode_header(std::vector<uint8_t>& out, MessageType type, uint16_t length);
// Appends a header with a zero length and returns its offset; finish_message() patches the
// length once the body is written (asserts the message fits 65,535 octets).
std::size_t begin_message(std::vector<uint8_t>& out, MessageType type);
void finish_message(std::vector<uint8_t>& out, std::size_t start);

}  // namespace rs::bgp::wire
