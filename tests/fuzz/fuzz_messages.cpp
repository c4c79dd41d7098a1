// libFuzzer target for the small BGP messages and the header: NOTIFICATION (with the RFC 9003
// shutdown communication and the texts the log shows), ROUTE-REFRESH (RFC 2918, RFC 7313 subtypes)
// and KEEPALIVE. Input: one options byte (extended messages, enhanced route refresh, which
// families were negotiated), then a receive buffer that is framed message by message as a
// session does. Properties besides "no crash": the framer never reads past the buffer and always
// makes progress; a decoded NOTIFICATION or ROUTE-REFRESH re-encodes to a message that frames and
// decodes to the same value; texts for the log are printable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"

namespace wire = rs::bgp::wire;

namespace {

void check_printable(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') std::abort();
}

void check_notification(wire::Bytes body, const wire::HeaderLimits& limits) {
  const wire::DecodedNotification d = wire::decode_notification(body);
  (void)wire::describe(d.message);
  (void)wire::code_name(d.message.code);
  (void)wire::subcode_name(d.message.code, d.message.subcode);
  if (auto sc = wire::shutdown_communication(d.message)) {
    check_printable(sc->text);
    // What rsd would send back with that text stays a valid communication (RFC 9003 2).
    const auto again = wire::shutdown_notification(d.message.subcode, sc->text);
    if (again.data.empty() || again.data[0] > wire::kMaxShutdownCommunication ||
        again.data.size() != 1u + again.data[0])
      std::abort();
  }
  if (!d.complete) return;
  std::vector<uint8_t> out;
  wire::encode_notification(d.message, out, limits.max_size());
  wire::Frame f = wire::frame(wire::Bytes(out), limits);
  if (f.status != wire::FrameStatus::Message || f.size != out.size()) std::abort();
  // The encoder truncates the data to the message size; anything that fit comes back unchanged.
  if (out.size() == body.size() + wire::kHeaderSize &&
      !(wire::decode_notification(f.body).message == d.message))
    std::abort();
}

void check_route_refresh(wire::Bytes body, const wire::Negotiated& n) {
  auto r = wire::decode_route_refresh(body, n);
  if (!r.ok()) return;
  std::vector<uint8_t> out;
  wire::encode_route_refresh(r->message, out);
  wire::Frame f = wire::frame(wire::Bytes(out), wire::HeaderLimits::from(n));
  if (f.status != wire::FrameStatus::Message) std::abort();
  auto again = wire::decode_route_refresh(f.body, n);
  if (!again.ok() || !(again->message == r->message) || again->disposition != r->disposition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  wire::Negotiated n;
  n.extended_message = data[0] & 0x01;
  n.route_refresh = true;
  n.enhanced_route_refresh = data[0] & 0x02;
  n.ipv4_unicast = !(data[0] & 0x04);
  n.ipv6_unicast = data[0] & 0x08;
  wire::HeaderLimits limits = wire::HeaderLimits::from(n);
  limits.accept_route_refresh = !(data[0] & 0x10);
  const wire::Bytes input(data + 1, size - 1);

  wire::Framer framer(input, limits);
  std::size_t consumed = 0;
  while (true) {
    wire::Frame f = framer.next();
    if (f.status != wire::FrameStatus::Message) {
      if (f.status == wire::FrameStatus::Error) (void)wire::describe(f.error.code, f.error.subcode);
      break;
    }
    if (f.size < wire::kHeaderSize || framer.consumed() != consumed + f.size ||
        framer.consumed() > input.size() || f.body.size() + wire::kHeaderSize != f.size)
      std::abort();
    consumed = framer.consumed();
    switch (f.header.type) {
      case wire::MessageType::Notification:
        check_notification(f.body, limits);
        break;
      case wire::MessageType::RouteRefresh:
        check_route_refresh(f.body, n);
        break;
      case wire::MessageType::Keepalive:
        (void)wire::check_keepalive(f.body);
        break;
      case wire::MessageType::Open:
      case wire::MessageType::Update:
        break;
    }
  }
  return 0;
}
