// Message header checks (BGP-ERRORS catalogue H1-H7, H9, N1 and R1 at the header level) and the
// framer over buffers holding several messages, split messages and garbage.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hex_bytes.hpp"
#include "rs/bgp/wire/header.hpp"

using namespace rs::bgp::wire;
using rs::test::concat;
using rs::test::hex;
using rs::test::message;

namespace {

const std::string kMarker = "ffffffffffffffffffffffffffffffff";

// Expects decode_header to fail with exactly this code/subcode/data.
void check_header_error(const std::vector<uint8_t>& bytes, const HeaderLimits& limits, uint8_t sub,
                        const std::vector<uint8_t>& data) {
  auto h = decode_header(bytes, limits);
  REQUIRE_FALSE(h.ok());
  CHECK(h.error().code == ErrorCode::MessageHeader);
  CHECK(h.error().subcode == sub);
  CHECK(h.error().data == data);
  CHECK(h.error().action == ErrorAction::SessionReset);
  CHECK_FALSE(h.error().reason.empty());
}

std::vector<uint8_t> keepalive() {
  return hex(kMarker + "0013 04");
}

}  // namespace

TEST_CASE("valid headers of every type decode") {
  HeaderLimits l;
  auto h = decode_header(hex(kMarker + "0013 04"), l);
  REQUIRE(h.ok());
  CHECK(h->length == 19);
  CHECK(h->type == MessageType::Keepalive);
  CHECK(decode_header(hex(kMarker + "001d 01"), l)->type == MessageType::Open);
  CHECK(decode_header(hex(kMarker + "1000 01"), l)->length == 4096);
  CHECK(decode_header(hex(kMarker + "0017 02"), l)->type == MessageType::Update);
  CHECK(decode_header(hex(kMarker + "1000 02"), l)->length == 4096);
  CHECK(decode_header(hex(kMarker + "0015 03"), l)->type == MessageType::Notification);
  CHECK(decode_header(hex(kMarker + "0017 05"), l)->type == MessageType::RouteRefresh);
}

TEST_CASE("H1: a marker byte that is not ff is 1/1 without data") {
  check_header_error(hex("fe" + std::string(30, 'f') + "0013 04"), {},
                     subcode::kConnectionNotSynchronized, {});
  check_header_error(hex(std::string(30, 'f') + "7f" + "0013 04"), {},
                     subcode::kConnectionNotSynchronized, {});
  Frame f = frame(hex("fe" + std::string(30, 'f') + "0013 04"), {});
  CHECK(f.status == FrameStatus::Error);
  CHECK(f.error.subcode == subcode::kConnectionNotSynchronized);
  CHECK(f.reply);
}

TEST_CASE("H2: length 18 is 1/2 with the length field") {
  check_header_error(hex(kMarker + "0012 04"), {}, subcode::kBadMessageLength, hex("0012"));
  check_header_error(hex(kMarker + "0000 02"), {}, subcode::kBadMessageLength, hex("0000"));
}

TEST_CASE("H3: 5,000-byte UPDATE without extended messages is 1/2; accepted with them") {
  check_header_error(hex(kMarker + "1388 02"), {}, subcode::kBadMessageLength, hex("1388"));
  check_header_error(hex(kMarker + "1001 02"), {}, subcode::kBadMessageLength, hex("1001"));
  HeaderLimits ext;
  ext.extended_message = true;
  auto h = decode_header(hex(kMarker + "1388 02"), ext);
  REQUIRE(h.ok());
  CHECK(h->length == 5000);
  // RFC 8654 3: OPEN and KEEPALIVE stay <= 4096 even then; NOTIFICATION may be larger.
  check_header_error(hex(kMarker + "1001 01"), ext, subcode::kBadMessageLength, hex("1001"));
  check_header_error(hex(kMarker + "1388 04"), ext, subcode::kBadMessageLength, hex("1388"));
  CHECK(decode_header(hex(kMarker + "1388 03"), ext).ok());
}

TEST_CASE("H4: unknown type is 1/3 with the type byte") {
  check_header_error(hex(kMarker + "0013 ff"), {}, subcode::kBadMessageType, hex("ff"));
  check_header_error(hex(kMarker + "0013 00"), {}, subcode::kBadMessageType, hex("00"));
  check_header_error(hex(kMarker + "0013 06"), {}, subcode::kBadMessageType, hex("06"));
  HeaderLimits no_rr;
  no_rr.accept_route_refresh = false;
  check_header_error(hex(kMarker + "0017 05"), no_rr, subcode::kBadMessageType, hex("05"));
}

TEST_CASE("H5: KEEPALIVE of 20 bytes is 1/2") {
  check_header_error(hex(kMarker + "0014 04"), {}, subcode::kBadMessageLength, hex("0014"));
}

TEST_CASE("H6: OPEN of 28 bytes is 1/2") {
  check_header_error(hex(kMarker + "001c 01"), {}, subcode::kBadMessageLength, hex("001c"));
  // The same through the framer: a minimal OPEN with its last byte cut.
  auto open = message(1, "04 fde9 005a 0a000002 00");
  REQUIRE(open.size() == 29);
  open.pop_back();
  open[17] = 28;
  Frame f = frame(open, {});
  REQUIRE(f.status == FrameStatus::Error);
  CHECK(f.error.subcode == subcode::kBadMessageLength);
  CHECK(f.error.data == hex("001c"));
}

TEST_CASE("H7: UPDATE of 22 bytes is 1/2") {
  check_header_error(hex(kMarker + "0016 02 000000"), {}, subcode::kBadMessageLength, hex("0016"));
}

TEST_CASE("NOTIFICATION shorter than 21 is a header error, but the framer hands it over (N1)") {
  check_header_error(hex(kMarker + "0014 03 06"), {}, subcode::kBadMessageLength, hex("0014"));
  Frame f = frame(hex(kMarker + "0014 03 06"), {});
  REQUIRE(f.status == FrameStatus::Message);
  CHECK(f.header.type == MessageType::Notification);
  CHECK(f.size == 20);
  CHECK(f.body.size() == 1);
  // A NOTIFICATION too long to frame is an error the caller must not answer.
  Frame g = frame(hex(kMarker + "1388 03"), {});
  REQUIRE(g.status == FrameStatus::Error);
  CHECK(g.error.subcode == subcode::kBadMessageLength);
  CHECK_FALSE(g.reply);
}

TEST_CASE("R1 at the header: ROUTE-REFRESH of 22 bytes is 1/2 unless enhanced route refresh") {
  check_header_error(hex(kMarker + "0016 05 000100"), {}, subcode::kBadMessageLength, hex("0016"));
  check_header_error(hex(kMarker + "0018 05"), {}, subcode::kBadMessageLength, hex("0018"));
  HeaderLimits err;
  err.enhanced_route_refresh = true;
  // RFC 7313 5: the length is then judged by decode_route_refresh (7/1).
  auto h = decode_header(hex(kMarker + "0016 05 000100"), err);
  REQUIRE(h.ok());
  CHECK(h->length == 22);
}

TEST_CASE("fewer than 19 bytes is a length error, not a read past the end") {
  check_header_error(hex(kMarker + "00"), {}, subcode::kBadMessageLength, hex("0011"));
  check_header_error({}, {}, subcode::kBadMessageLength, hex("0000"));
}

TEST_CASE("H9: a 65,535-byte UPDATE is framed when extended messages are negotiated") {
  std::vector<uint8_t> body(65535 - 19, 0);
  // withdrawn length 0, attribute length 0, then /8 NLRI bytes: content does not matter here.
  for (std::size_t i = 4; i + 1 < body.size(); i += 2) {
    body[i] = 8;
    body[i + 1] = 10;
  }
  auto m = message(2, body);
  REQUIRE(m.size() == 65535);
  Negotiated n;
  n.extended_message = true;
  Frame f = frame(m, HeaderLimits::from(n));
  REQUIRE(f.status == FrameStatus::Message);
  CHECK(f.header.length == 65535);
  CHECK(f.body.size() == 65516);
  CHECK(f.size == 65535);
  Frame g = frame(m, HeaderLimits{});
  REQUIRE(g.status == FrameStatus::Error);
  CHECK(g.error.data == hex("ffff"));
}

TEST_CASE("Framer walks several messages in one buffer") {
  auto open = message(1, "04 fde9 005a 0a000002 0e 020c 010400010001 41040000fde9");
  auto update = message(2, "0000 0014 40010100 40020602010000fde9 4003040a000002 180a0101");
  auto notif = message(3, "0602 05 68656c6c6f");
  auto rr = message(5, "0001 00 01");
  auto buf = concat({open, keepalive(), update, rr, notif});
  Framer fr(buf, {});
  std::vector<MessageType> types;
  std::vector<std::size_t> sizes;
  Frame f;
  for (f = fr.next(); f.status == FrameStatus::Message; f = fr.next()) {
    types.push_back(f.header.type);
    sizes.push_back(f.size);
    CHECK(f.body.size() + 19 == f.size);
  }
  CHECK(f.status == FrameStatus::NeedMore);
  CHECK(f.size == 19);
  CHECK(types == std::vector<MessageType>{MessageType::Open, MessageType::Keepalive,
                                          MessageType::Update, MessageType::RouteRefresh,
                                          MessageType::Notification});
  CHECK(sizes == std::vector<std::size_t>{open.size(), 19, update.size(), 23, notif.size()});
  CHECK(fr.consumed() == buf.size());
  CHECK(fr.remaining().empty());
}

TEST_CASE("Framer: a split message needs more, and says how much") {
  auto update = message(2, "0000 0014 40010100 40020602010000fde9 4003040a000002 180a0101");
  auto buf = concat({keepalive(), update});
  // Every cut point: the first message arrives whole or not at all, nothing is misread.
  for (std::size_t cut = 0; cut <= buf.size(); ++cut) {
    rs::bgp::wire::Bytes part(buf.data(), cut);
    Framer fr(part, {});
    std::size_t got = 0;
    Frame f;
    for (f = fr.next(); f.status == FrameStatus::Message; f = fr.next()) ++got;
    REQUIRE(f.status == FrameStatus::NeedMore);
    std::size_t expect = cut >= 19 + update.size() ? 2 : cut >= 19 ? 1 : 0;
    CHECK(got == expect);
    if (got == 0) CHECK(f.size == 19);
    if (got == 1 && cut >= 38) CHECK(f.size == update.size());
    CHECK(fr.consumed() + fr.remaining().size() == cut);
  }
}

TEST_CASE("Framer: garbage after valid messages is 1/1, and stays an error") {
  auto buf = concat({keepalive(), hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 13 04")});
  Framer fr(buf, {});
  Frame a = fr.next();
  CHECK(a.status == FrameStatus::Message);
  Frame b = fr.next();
  REQUIRE(b.status == FrameStatus::Error);
  CHECK(b.error.code == ErrorCode::MessageHeader);
  CHECK(b.error.subcode == subcode::kConnectionNotSynchronized);
  CHECK(b.reply);
  Frame c = fr.next();
  CHECK(c.status == FrameStatus::Error);
  CHECK(fr.consumed() == 19);
  // Garbage is recognised before a whole header is there.
  CHECK(frame(hex("ff ff 00"), {}).status == FrameStatus::Error);
  CHECK(frame(hex("ff ff ff"), {}).status == FrameStatus::NeedMore);
  CHECK(frame({}, {}).status == FrameStatus::NeedMore);
  // A bad length inside a good marker.
  auto bad = concat({keepalive(), hex(kMarker + "0005 04")});
  Framer fr2(bad, {});
  CHECK(fr2.next().status == FrameStatus::Message);
  Frame d = fr2.next();
  REQUIRE(d.status == FrameStatus::Error);
  CHECK(d.error.subcode == subcode::kBadMessageLength);
  CHECK(d.error.data == hex("0005"));
}

TEST_CASE("encode_header and begin/finish_message") {
  std::vector<uint8_t> out;
  encode_header(out, MessageType::Keepalive, 19);
  CHECK(out == keepalive());
  out.clear();
  out.push_back(0xaa);  // messages append; earlier bytes stay
  std::size_t at = begin_message(out, MessageType::Update);
  out.insert(out.end(), {0, 0, 0, 0});
  finish_message(out, at);
  CHECK(out == concat({hex("aa"), message(2, "00000000")}));
  auto h = decode_header(rs::bgp::wire::Bytes(out).subspan(1, 19), {});
  REQUIRE(h.ok());
  CHECK(h->length == 23);
}
