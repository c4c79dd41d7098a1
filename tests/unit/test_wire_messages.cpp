// NOTIFICATION (N1, N2, shutdown communication, names), KEEPALIVE and ROUTE-REFRESH (R1, R2):
// exact bytes, error answers and round trips.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "hex_bytes.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"

using namespace rs::bgp::wire;
using rs::test::hex;
using rs::test::message;
using rs::test::to_hex;

namespace {

const std::string kMarker = "ffffffffffffffffffffffffffffffff";

std::vector<uint8_t> encoded(const NotificationMessage& m) {
  std::vector<uint8_t> out;
  encode_notification(m, out);
  return out;
}

}  // namespace

// ---- NOTIFICATION ----

TEST_CASE("NOTIFICATION decodes code, subcode and data") {
  auto d = decode_notification(hex("0201 0004"));
  CHECK(d.complete);
  CHECK(d.message.code == ErrorCode::Open);
  CHECK(d.message.subcode == 1);
  CHECK(d.message.data == hex("0004"));
  auto e = decode_notification(hex("0400"));
  CHECK(e.complete);
  CHECK(e.message.code == ErrorCode::HoldTimerExpired);
  CHECK(e.message.data.empty());
  // Codes we do not know are kept as they came.
  auto f = decode_notification(hex("2a07 ff"));
  CHECK(static_cast<int>(f.message.code) == 42);
  CHECK(f.message.subcode == 7);
}

TEST_CASE("N1: a 20-byte NOTIFICATION is framed, decoded as far as it goes, never answered") {
  auto bytes = hex(kMarker + "0014 03 06");
  Frame f = frame(bytes, {});
  REQUIRE(f.status == FrameStatus::Message);
  CHECK(f.header.type == MessageType::Notification);
  auto d = decode_notification(f.body);
  CHECK_FALSE(d.complete);
  CHECK(d.message.code == ErrorCode::Cease);
  CHECK(d.message.subcode == 0);
  CHECK(d.message.data.empty());
  CHECK(describe(d.message) == "Cease: Unspecific");
  // 19 bytes: nothing at all.
  Frame g = frame(hex(kMarker + "0013 03"), {});
  REQUIRE(g.status == FrameStatus::Message);
  auto e = decode_notification(g.body);
  CHECK_FALSE(e.complete);
  CHECK(static_cast<int>(e.message.code) == 0);
  CHECK(describe(e.message) == "error code 0 subcode 0");
}

TEST_CASE("N2: shutdown communication with length 200 but 5 bytes is truncated text, no crash") {
  auto d = decode_notification(hex("0602 c8 68656c6c6f"));
  REQUIRE(d.complete);
  auto sc = shutdown_communication(d.message);
  REQUIRE(sc);
  CHECK(sc->text == "hello");
  CHECK(sc->truncated);
  CHECK(sc->valid_utf8);
  CHECK_FALSE(sc->trailing);
  CHECK(describe(d.message) == "Cease: Administrative Shutdown: \"hello\" (truncated)");
  // Length octet only.
  auto only = shutdown_communication(decode_notification(hex("0604 ff")).message);
  REQUIRE(only);
  CHECK(only->text.empty());
  CHECK(only->truncated);
}

TEST_CASE("shutdown communication: UTF-8, invalid bytes, control bytes, trailing data") {
  // "Grüße" is valid UTF-8 and stays as it is.
  auto ok =
      shutdown_communication(NotificationMessage{ErrorCode::Cease, 4, hex("07 4772c3bc c39f65")});
  REQUIRE(ok);
  CHECK(ok->text ==
        "Gr\xc3\xbc\xc3\x9f"
        "e");
  CHECK(ok->valid_utf8);
  CHECK_FALSE(ok->truncated);
  // Invalid sequences: a lone continuation, an overlong, a surrogate, a cut 3-byte sequence.
  auto bad = shutdown_communication(
      NotificationMessage{ErrorCode::Cease, 2, hex("0c 61 80 c0af eda080 e282")});
  REQUIRE(bad);
  CHECK_FALSE(bad->valid_utf8);
  CHECK(bad->text == "a\\x80\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82");
  // Control characters and backslashes are escaped but do not make it invalid UTF-8.
  auto ctl = shutdown_communication(NotificationMessage{ErrorCode::Cease, 2, hex("04 610a5c1b")});
  REQUIRE(ctl);
  CHECK(ctl->valid_utf8);
  CHECK(ctl->text == "a\\x0a\\\\\\x1b");
  auto trail = shutdown_communication(NotificationMessage{ErrorCode::Cease, 2, hex("01 61 62")});
  REQUIRE(trail);
  CHECK(trail->text == "a");
  CHECK(trail->trailing);
  // Only Cease 2 and 4 carry one; empty data is no communication.
  CHECK_FALSE(shutdown_communication(NotificationMessage{ErrorCode::Cease, 3, hex("01 61")}));
  CHECK_FALSE(shutdown_communication(NotificationMessage{ErrorCode::Update, 2, hex("01 61")}));
  CHECK_FALSE(shutdown_communication(NotificationMessage{ErrorCode::Cease, 2, {}}));
}

TEST_CASE("shutdown_notification cuts at 255 octets on a character boundary") {
  auto m = shutdown_notification(subcode::kAdministrativeShutdown, "maintenance, back at 20:00");
  CHECK(to_hex(encoded(m)) ==
        to_hex(message(3, "0602 1a" + to_hex(std::vector<uint8_t>(
                                          {'m', 'a', 'i', 'n', 't', 'e', 'n', 'a', 'n',
                                           'c', 'e', ',', ' ', 'b', 'a', 'c', 'k', ' ',
                                           'a', 't', ' ', '2', '0', ':', '0', '0'})))));
  std::string long_text;
  for (int i = 0; i < 150; ++i) long_text += "\xc3\xa9";  // é, 300 octets
  auto cut = shutdown_notification(subcode::kAdministrativeReset, long_text);
  REQUIRE(cut.data.size() == 255);
  CHECK(cut.data[0] == 254);
  auto sc = shutdown_communication(cut);
  REQUIRE(sc);
  CHECK(sc->valid_utf8);
  CHECK_FALSE(sc->truncated);
  CHECK(sc->text == long_text.substr(0, 254));
  std::string ascii(300, 'x');
  CHECK(shutdown_notification(2, ascii).data[0] == 255);
}

TEST_CASE("encode_notification from a WireError gives exact bytes") {
  WireError e{ErrorAction::SessionReset, ErrorCode::Open, subcode::kUnsupportedVersion, hex("0004"),
              "version 3"};
  std::vector<uint8_t> out;
  encode_notification(e, out);
  CHECK(to_hex(out) == kMarker + "0017030201" + "0004");
  CHECK(to_notification(e) == NotificationMessage{ErrorCode::Open, 1, hex("0004")});
  out.clear();
  encode_notification(NotificationMessage{ErrorCode::HoldTimerExpired, 0, {}}, out);
  CHECK(to_hex(out) == kMarker + "0015030400");
}

TEST_CASE("encode_notification cuts data that would not fit the message size") {
  NotificationMessage big{ErrorCode::RouteRefresh, 1, std::vector<uint8_t>(5000, 0xab)};
  std::vector<uint8_t> out;
  encode_notification(big, out);
  CHECK(out.size() == 4096);
  auto h = decode_header(rs::bgp::wire::Bytes(out).first(19), {});
  REQUIRE(h.ok());
  CHECK(h->length == 4096);
  out.clear();
  encode_notification(big, out, kMaxExtendedMessageSize);
  CHECK(out.size() == 5021);
}

TEST_CASE("round trip: decode(encode(m)) == m for NOTIFICATIONs") {
  std::mt19937 rng(3);
  for (int i = 0; i < 500; ++i) {
    NotificationMessage m{static_cast<ErrorCode>(rng() % 10), static_cast<uint8_t>(rng() % 256),
                          std::vector<uint8_t>(rng() % 300)};
    for (auto& b : m.data) b = static_cast<uint8_t>(rng());
    auto bytes = encoded(m);
    Frame f = frame(bytes, {});
    REQUIRE(f.status == FrameStatus::Message);
    REQUIRE(f.size == bytes.size());
    auto d = decode_notification(f.body);
    CHECK(d.complete);
    CHECK(d.message == m);
    (void)describe(d.message);  // never fails on any code/subcode/data
  }
}

TEST_CASE("describe names every code and subcode of RFC 4271, 4486, 6608, 7313, 9234, 9687") {
  struct Row {
    uint8_t code, sub;
    const char* text;
  };
  const Row rows[] = {
      {1, 1, "Message Header Error: Connection Not Synchronized"},
      {1, 2, "Message Header Error: Bad Message Length"},
      {1, 3, "Message Header Error: Bad Message Type"},
      {2, 0, "OPEN Message Error: Unspecific"},
      {2, 1, "OPEN Message Error: Unsupported Version Number"},
      {2, 2, "OPEN Message Error: Bad Peer AS"},
      {2, 3, "OPEN Message Error: Bad BGP Identifier"},
      {2, 4, "OPEN Message Error: Unsupported Optional Parameter"},
      {2, 5, "OPEN Message Error: Authentication Failure (deprecated)"},
      {2, 6, "OPEN Message Error: Unacceptable Hold Time"},
      {2, 7, "OPEN Message Error: Unsupported Capability"},
      {2, 11, "OPEN Message Error: Role Mismatch"},
      {3, 1, "UPDATE Message Error: Malformed Attribute List"},
      {3, 2, "UPDATE Message Error: Unrecognized Well-known Attribute"},
      {3, 3, "UPDATE Message Error: Missing Well-known Attribute"},
      {3, 4, "UPDATE Message Error: Attribute Flags Error"},
      {3, 5, "UPDATE Message Error: Attribute Length Error"},
      {3, 6, "UPDATE Message Error: Invalid ORIGIN Attribute"},
      {3, 7, "UPDATE Message Error: AS Routing Loop (deprecated)"},
      {3, 8, "UPDATE Message Error: Invalid NEXT_HOP Attribute"},
      {3, 9, "UPDATE Message Error: Optional Attribute Error"},
      {3, 10, "UPDATE Message Error: Invalid Network Field"},
      {3, 11, "UPDATE Message Error: Malformed AS_PATH"},
      {4, 0, "Hold Timer Expired"},
      {5, 0, "Finite State Machine Error: Unspecified Error"},
      {5, 1, "Finite State Machine Error: Receive Unexpected Message in OpenSent State"},
      {5, 2, "Finite State Machine Error: Receive Unexpected Message in OpenConfirm State"},
      {5, 3, "Finite State Machine Error: Receive Unexpected Message in Established State"},
      {6, 1, "Cease: Maximum Number of Prefixes Reached"},
      {6, 2, "Cease: Administrative Shutdown"},
      {6, 3, "Cease: Peer De-configured"},
      {6, 4, "Cease: Administrative Reset"},
      {6, 5, "Cease: Connection Rejected"},
      {6, 6, "Cease: Other Configuration Change"},
      {6, 7, "Cease: Connection Collision Resolution"},
      {6, 8, "Cease: Out of Resources"},
      {6, 9, "Cease: Hard Reset"},
      {6, 10, "Cease: BFD Down"},
      {7, 1, "ROUTE-REFRESH Message Error: Invalid Message Length"},
      {8, 0, "Send Hold Timer Expired"},
      // Unknown subcodes and codes still say what they are.
      {6, 77, "Cease: subcode 77"},
      {4, 3, "Hold Timer Expired: subcode 3"},
      {9, 1, "error code 9 subcode 1"},
  };
  for (const Row& r : rows) {
    CAPTURE(int(r.code));
    CAPTURE(int(r.sub));
    CHECK(describe(static_cast<ErrorCode>(r.code), r.sub) == r.text);
  }
  CHECK(describe(max_prefix_notification(kIpv6Unicast, 1000)) ==
        "Cease: Maximum Number of Prefixes Reached (ipv6 unicast, limit 1000)");
  CHECK(to_hex(max_prefix_notification(kIpv4Unicast, 1000).data) == "000101000003e8");
  CHECK(describe(NotificationMessage{ErrorCode::Open, 2, hex("0000fdea")}) ==
        "OPEN Message Error: Bad Peer AS (data 0000fdea)");
  std::string shown;
  for (int i = 0; i < 64; ++i) shown += "ab";
  CHECK(describe(NotificationMessage{ErrorCode::Update, 1, std::vector<uint8_t>(100, 0xab)}) ==
        "UPDATE Message Error: Malformed Attribute List (data " + shown + "...)");
  CHECK(describe(NotificationMessage{ErrorCode::Cease, 4, hex("03 627965")}) ==
        "Cease: Administrative Reset: \"bye\"");
  CHECK(describe(NotificationMessage{ErrorCode::Cease, 2, hex("02 ff61")}) ==
        "Cease: Administrative Shutdown: \"\\xffa\" (invalid UTF-8)");
}

// ---- KEEPALIVE ----

TEST_CASE("KEEPALIVE encodes to 19 bytes and has no body") {
  std::vector<uint8_t> out;
  encode_keepalive(out);
  CHECK(to_hex(out) == kMarker + "001304");
  Frame f = frame(out, {});
  REQUIRE(f.status == FrameStatus::Message);
  CHECK(f.header.type == MessageType::Keepalive);
  CHECK(check_keepalive(f.body).ok());
  auto bad = check_keepalive(hex("00"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::MessageHeader);
  CHECK(bad.error().subcode == subcode::kBadMessageLength);
  CHECK(bad.error().data == hex("0014"));
}

// ---- ROUTE-REFRESH ----

TEST_CASE("ROUTE-REFRESH encodes and decodes") {
  std::vector<uint8_t> out;
  encode_route_refresh(RouteRefreshMessage{kIpv6Unicast, route_refresh::kNormal}, out);
  CHECK(to_hex(out) == kMarker + "001705" + "00020001");
  Negotiated n;
  n.ipv6_unicast = true;
  Frame f = frame(out, HeaderLimits::from(n));
  REQUIRE(f.status == FrameStatus::Message);
  auto d = decode_route_refresh(f.body, n);
  REQUIRE(d.ok());
  CHECK(d->message == RouteRefreshMessage{kIpv6Unicast, 0});
  CHECK(d->disposition == RouteRefreshDisposition::Process);
}

TEST_CASE("R1: ROUTE-REFRESH of 22 bytes is 7/1 with the message under enhanced route refresh") {
  auto bytes = hex(kMarker + "0016 05 000100");
  Negotiated n;
  n.route_refresh = true;
  n.enhanced_route_refresh = true;
  Frame f = frame(bytes, HeaderLimits::from(n));
  REQUIRE(f.status == FrameStatus::Message);
  auto d = decode_route_refresh(f.body, n);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == ErrorCode::RouteRefresh);
  CHECK(d.error().subcode == subcode::kInvalidMessageLength);
  CHECK(to_hex(d.error().data) == to_hex(bytes));  // RFC 7313 5: the complete message
  // Longer BoRR too.
  auto longer = hex(kMarker + "0018 05 0001010100");
  auto e = decode_route_refresh(frame(longer, HeaderLimits::from(n)).body, n);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().subcode == subcode::kInvalidMessageLength);
  CHECK(to_hex(e.error().data) == to_hex(longer));
  // Unknown subtypes are ignored whatever their length; a long normal request is 1/2.
  auto odd = decode_route_refresh(hex("0001 07 01 00"), n);
  REQUIRE(odd.ok());
  CHECK(odd->disposition == RouteRefreshDisposition::IgnoreSubtype);
  auto orf = decode_route_refresh(hex("0001 00 01 0140"), n);
  REQUIRE_FALSE(orf.ok());
  CHECK(orf.error().code == ErrorCode::MessageHeader);
  CHECK(orf.error().subcode == subcode::kBadMessageLength);
  CHECK(orf.error().data == hex("0019"));
  // Without enhanced route refresh, the header answers 1/2 with the length.
  Negotiated plain;
  plain.route_refresh = true;
  Frame g = frame(bytes, HeaderLimits::from(plain));
  REQUIRE(g.status == FrameStatus::Error);
  CHECK(g.error.code == ErrorCode::MessageHeader);
  CHECK(g.error.subcode == subcode::kBadMessageLength);
  CHECK(g.error.data == hex("0016"));
  // And decode_route_refresh says the same if handed such a body.
  auto h = decode_route_refresh(hex("000100"), plain);
  REQUIRE_FALSE(h.ok());
  CHECK(h.error().code == ErrorCode::MessageHeader);
  CHECK(h.error().data == hex("0016"));
}

TEST_CASE("R2: ROUTE-REFRESH for a family not negotiated is ignorable, not an error") {
  Negotiated n;  // IPv4 unicast only
  auto d = decode_route_refresh(hex("00020001"), n);
  REQUIRE(d.ok());
  CHECK(d->message.afi_safi == kIpv6Unicast);
  CHECK(d->disposition == RouteRefreshDisposition::IgnoreFamily);
  auto v4 = decode_route_refresh(hex("00010001"), n);
  REQUIRE(v4.ok());
  CHECK(v4->disposition == RouteRefreshDisposition::Process);
  auto other = decode_route_refresh(hex("00010080"), n);  // afi 1 safi 128
  REQUIRE(other.ok());
  CHECK(other->disposition == RouteRefreshDisposition::IgnoreFamily);
}

TEST_CASE("BoRR/EoRR need enhanced route refresh; unknown subtypes are ignored (RFC 7313 5)") {
  Negotiated n;
  n.enhanced_route_refresh = true;
  auto borr = decode_route_refresh(hex("00010101"), n);
  REQUIRE(borr.ok());
  CHECK(borr->message.subtype == route_refresh::kBeginOfRefresh);
  CHECK(borr->disposition == RouteRefreshDisposition::Process);
  auto eorr = decode_route_refresh(hex("00010201"), n);
  REQUIRE(eorr.ok());
  CHECK(eorr->message.subtype == route_refresh::kEndOfRefresh);
  CHECK(eorr->disposition == RouteRefreshDisposition::Process);
  auto unknown = decode_route_refresh(hex("00010301"), n);
  REQUIRE(unknown.ok());
  CHECK(unknown->disposition == RouteRefreshDisposition::IgnoreSubtype);
  Negotiated plain;
  auto borr_plain = decode_route_refresh(hex("00010101"), plain);
  REQUIRE(borr_plain.ok());
  CHECK(borr_plain->disposition == RouteRefreshDisposition::IgnoreSubtype);
}

TEST_CASE("round trip: decode(encode(m)) == m for ROUTE-REFRESHes") {
  Negotiated n;
  n.enhanced_route_refresh = true;
  for (unsigned afi : {0u, 1u, 2u, 25u, 65535u})
    for (unsigned safi : {0u, 1u, 2u, 128u, 255u})
      for (unsigned sub = 0; sub < 256; sub += 51) {
        RouteRefreshMessage m{AfiSafi{static_cast<uint16_t>(afi), static_cast<uint8_t>(safi)},
                              static_cast<uint8_t>(sub)};
        std::vector<uint8_t> out;
        encode_route_refresh(m, out);
        Frame f = frame(out, HeaderLimits::from(n));
        REQUIRE(f.status == FrameStatus::Message);
        auto d = decode_route_refresh(f.body, n);
        REQUIRE(d.ok());
        CHECK(d->message == m);
      }
}
