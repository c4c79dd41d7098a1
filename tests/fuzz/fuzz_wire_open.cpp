// libFuzzer target for the non-UPDATE codec: framing, OPEN, NOTIFICATION, KEEPALIVE and
// ROUTE-REFRESH. The first input byte picks the limits; the rest is both a receive buffer for the
// framer and an OPEN body. A decoded OPEN must survive encode -> decode unchanged.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/open.hpp"

using namespace rs::bgp::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  HeaderLimits limits;
  limits.extended_message = data[0] & 1;
  limits.enhanced_route_refresh = data[0] & 2;
  limits.accept_route_refresh = !(data[0] & 4);
  Negotiated n;
  n.enhanced_route_refresh = limits.enhanced_route_refresh;
  Bytes input(data + 1, size - 1);

  auto open = decode_open(input);
  if (open.ok()) {
    std::vector<uint8_t> out;
    encode_open(*open, out, data[0] & 8);
    auto again = decode_open(Bytes(out).subspan(kHeaderSize));
    if (!again.ok() || !(*again == *open)) __builtin_trap();
    OpenPolicy policy;
    policy.local_role = Role::RouteServer;
    policy.required_families = {kIpv4Unicast, kIpv6Unicast};
    (void)validate_open(*open, policy);
    (void)negotiate(*open, *open);
  }

  Framer framer(input, limits);
  for (Frame f = framer.next(); f.status == FrameStatus::Message; f = framer.next()) {
    switch (f.header.type) {
      case MessageType::Open:
        (void)decode_open(f.body);
        break;
      case MessageType::Notification:
        (void)describe(decode_notification(f.body).message);
        break;
      case MessageType::Keepalive:
        (void)check_keepalive(f.body);
        break;
      case MessageType::RouteRefresh:
        (void)decode_route_refresh(f.body, n);
        break;
      case MessageType::Update:
        break;
    }
  }
  return 0;
}
