// libFuzzer target for the BGP message decoders. Input: one options byte (what the session
// negotiated) followed by a byte stream that is framed and decoded message by message, as a session
// would. Besides "never crash", it checks a property: a message that decodes cleanly re-encodes to
// bytes that decode to the same message (round trip), for OPEN and UPDATE.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/open.hpp"
#include "rs/bgp/wire/update.hpp"

namespace wire = rs::bgp::wire;

namespace {

wire::Negotiated from_options(uint8_t o) {
  wire::Negotiated n;
  n.ebgp = o & 0x01;
  n.local_as = 65000;
  n.peer_as = n.ebgp ? 65001 : 65000;
  n.four_octet_as = !(o & 0x02);
  n.extended_message = o & 0x04;
  n.add_path_rx_ipv4 = n.add_path_tx_ipv4 = o & 0x08;
  n.add_path_rx_ipv6 = n.add_path_tx_ipv6 = o & 0x10;
  n.ipv6_unicast = !(o & 0x20);
  n.enhanced_route_refresh = n.route_refresh = o & 0x40;
  n.extended_next_hop_ipv4 = o & 0x80;
  if (o & 0x80) n.peer_role = wire::Role::RouteServerClient;
  return n;
}

// Partial bits differ after a re-encode (RFC 4271 5: set when passing unknown transitive ones on).
void clear_partial(wire::UpdateMessage& u) {
  for (auto& a : u.attrs.unknown.values)
    a.flags &= static_cast<uint8_t>(~wire::attr_flag::kPartial);
}

void check_update_round_trip(const wire::UpdateMessage& u, const wire::Negotiated& n) {
  // Families rsd does not carry are recognised and skipped (RFC 4760 6): they are not re-encoded.
  if (u.treat_as_withdraw || !u.attr_errors.empty() || !u.skipped_families.empty()) return;
  std::vector<uint8_t> buf;
  if (wire::encode_update(u, n, buf) != wire::EncodeResult::Ok) return;
  wire::UpdateMessage again;
  auto st = wire::decode_update(wire::Bytes(buf).subspan(wire::kHeaderSize), n, again);
  if (!st.ok()) std::abort();
  wire::UpdateMessage a = u;
  clear_partial(a);
  clear_partial(again);
  if (!(a == again)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const wire::Negotiated n = from_options(data[0]);
  wire::Framer framer(wire::Bytes(data + 1, size - 1), wire::HeaderLimits::from(n));
  wire::UpdateMessage update;
  for (auto m = framer.next(); m.status == wire::FrameStatus::Message; m = framer.next()) {
    switch (m.header.type) {
      case wire::MessageType::Open: {
        auto open = wire::decode_open(m.body);
        if (open.ok()) {
          std::vector<uint8_t> buf;
          wire::encode_open(*open, buf);
          auto again = wire::decode_open(wire::Bytes(buf).subspan(wire::kHeaderSize));
          if (!again.ok() || !(*again == *open)) std::abort();
        }
        break;
      }
      case wire::MessageType::Update:
        if (wire::decode_update(m.body, n, update).ok()) check_update_round_trip(update, n);
        break;
      case wire::MessageType::Notification: {
        auto note = wire::decode_notification(m.body);
        (void)note;
        break;
      }
      case wire::MessageType::Keepalive:
        (void)wire::check_keepalive(m.body);
        break;
      case wire::MessageType::RouteRefresh:
        (void)wire::decode_route_refresh(m.body, n);
        break;
    }
  }
  return 0;
}
