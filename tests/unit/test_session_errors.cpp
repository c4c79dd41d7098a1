// A raw TCP speaker sends the bad inputs of ../shared/BGP-ERRORS.md (H1, H2, H4, H5, H10, O1, O2,
// O4, O5, U1, N1) to a Peer and gets exactly the NOTIFICATION code/subcode/data; a NOTIFICATION is
// never answered; the Peer recovers after its error wait, which doubles per error up to the
// maximum; a peer that stops reading bounds what rsd buffers, and the send hold timer (RFC 9687)
// closes it.
#include <spdlog/spdlog.h>

#include "session_test_util.hpp"

using namespace rs;
using namespace rs::bgp;
using namespace rs::bgp::test;

namespace {

struct Quiet {
  Quiet() { spdlog::set_level(spdlog::level::err); }
} quiet;

const std::string kMarker = "ffffffffffffffffffffffffffffffff";
// Baseline OPEN (AS 65001, hold 90, id 10.0.0.2, IPv4 unicast, AS4 65001) and UPDATE bodies.
const std::string kOpenBody = "04 fde9 005a 0a000002 0e 020c 010400010001 41040000fde9";
const std::string kUpdateBody = "0000 0014 40010100 40020602010000fde9 4003040a000002 180a0101";

struct Target {
  asio::io_context io;
  Listener listener{io};
  RecordingHandler h;
  std::unique_ptr<Peer> peer;
  rib::IpAddress remote = ip("127.0.0.10");

  Target() {
    REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
    PeerConfig c = test_config("target", 65000, 0x01010101, remote, 179, 65001);
    c.passive = true;
    c.error_wait_min = 20ms;
    c.error_wait_max = 40ms;
    peer = std::make_unique<Peer>(io, c, h);
    listener.add_peer(*peer);
    peer->start();
  }
  ~Target() { listener.remove_peer(*peer); }

  // Connects until the Peer accepts (it refuses during its error wait) and sends its OPEN.
  std::unique_ptr<RawPeer> connect() {
    auto deadline = Clock::now() + 3000ms;
    while (Clock::now() < deadline) {
      auto raw = std::make_unique<RawPeer>(io);
      if (raw->connect(ip("127.0.0.2"), listener.port(), remote) &&
          raw->read_type(wire::MessageType::Open, 500ms))
        return raw;
      run_for(io, 10ms);
    }
    FAIL("the peer never accepted a connection");
    return nullptr;
  }
};

struct Case {
  const char* id;
  bool after_handshake;
  std::string bytes;  // hex, whole messages
  wire::ErrorCode code;
  uint8_t subcode;
  std::string data;  // hex; "-" = not checked
};

}  // namespace

TEST_CASE("catalogue: each bad input gets its NOTIFICATION and the peer recovers") {
  Target t;
  const std::vector<Case> cases = {
      {"H1", false, "fe" + kMarker.substr(2) + "001304", wire::ErrorCode::MessageHeader, 1, ""},
      {"H2", false, kMarker + "001204", wire::ErrorCode::MessageHeader, 2, "0012"},
      {"H4", false, kMarker + "0013ff", wire::ErrorCode::MessageHeader, 3, "ff"},
      {"H5", false, kMarker + "00140400", wire::ErrorCode::MessageHeader, 2, "0014"},
      {"H10", false, kMarker + "002f02" + kUpdateBody, wire::ErrorCode::Fsm, 1, ""},
      {"O1", false, kMarker + "002b01" + "03 fde9 005a 0a000002 0e 020c 010400010001 41040000fde9",
       wire::ErrorCode::Open, 1, "0004"},
      {"O2", false, kMarker + "002b01" + "04 fde9 0001 0a000002 0e 020c 010400010001 41040000fde9",
       wire::ErrorCode::Open, 6, "-"},
      {"O4", false, kMarker + "002b01" + "04 fde9 005a 00000000 0e 020c 010400010001 41040000fde9",
       wire::ErrorCode::Open, 3, "-"},
      {"O5", false, kMarker + "002b01" + "04 fdea 005a 0a000002 0e 020c 010400010001 41040000fdea",
       wire::ErrorCode::Open, 2, "-"},
      {"U1", true, kMarker + "001702" + "01000000", wire::ErrorCode::Update, 1, "-"},
      {"open-in-established", true, kMarker + "002b01" + kOpenBody, wire::ErrorCode::Fsm, 3, ""},
  };
  for (const auto& c : cases) {
    std::string id = c.id;
    CAPTURE(id);
    auto raw = t.connect();
    REQUIRE(raw);
    if (c.after_handshake) {
      REQUIRE(raw->send(message(wire::MessageType::Open, hex(kOpenBody))));
      REQUIRE(raw->read_type(wire::MessageType::Keepalive));
      REQUIRE(raw->send(hex(kMarker + "001304")));
      REQUIRE(run_until(t.io, [&] { return t.peer->established(); }));
    }
    REQUIRE(raw->send(hex(c.bytes)));
    auto n = raw->notification();
    REQUIRE(n);
    CHECK(n->code == c.code);
    CHECK(n->subcode == c.subcode);
    if (c.data != "-") CHECK(n->data == hex(c.data));
    CHECK(raw->wait_closed());
    REQUIRE(run_until(t.io, [&] { return t.peer->last_error().sent.has_value(); }));
    INFO(t.peer->last_error().reason);
    CHECK(t.peer->last_error().sent->code == c.code);
    CHECK(t.peer->last_error().sent->subcode == c.subcode);
  }
  // Recovery: a well-behaved speaker establishes after all that.
  auto raw = t.connect();
  REQUIRE(raw);
  REQUIRE(raw->send(message(wire::MessageType::Open, hex(kOpenBody))));
  REQUIRE(raw->read_type(wire::MessageType::Keepalive));
  REQUIRE(raw->send(hex(kMarker + "001304")));
  REQUIRE(run_until(t.io, [&] { return t.peer->established(); }));
  // The sentinel UPDATE is processed.
  REQUIRE(raw->send(message(wire::MessageType::Update, hex(kUpdateBody))));
  REQUIRE(run_until(t.io, [&] { return !t.h.announced.empty(); }));
  CHECK(t.h.announced[0].prefix == pfx("10.1.1.0/24"));
  CHECK(t.peer->counters().notifications_sent >= 11);
}

TEST_CASE("a NOTIFICATION is logged and never answered, even a malformed one (N1)") {
  Target t;
  for (const std::string& notification :
       {kMarker + "001d03" + "0602" + "08" + "6d61696e74656e", kMarker + "00140306"}) {
    CAPTURE(notification);
    auto raw = t.connect();
    REQUIRE(raw);
    REQUIRE(raw->send(message(wire::MessageType::Open, hex(kOpenBody))));
    REQUIRE(raw->read_type(wire::MessageType::Keepalive));
    REQUIRE(raw->send(hex(kMarker + "001304")));
    REQUIRE(run_until(t.io, [&] { return t.peer->established(); }));
    auto received_before = t.peer->counters().notifications_received;
    REQUIRE(raw->send(hex(notification)));
    std::vector<std::vector<uint8_t>> seen;
    CHECK(raw->wait_closed(3000ms, &seen));
    for (const auto& m : seen)
      CHECK(m[18] != static_cast<uint8_t>(wire::MessageType::Notification));
    REQUIRE(run_until(t.io,
                      [&] { return t.peer->counters().notifications_received > received_before; }));
    REQUIRE(t.peer->last_error().received);
    CHECK(t.peer->last_error().received->code == wire::ErrorCode::Cease);
    CHECK_FALSE(t.peer->last_error().sent);
  }
  // RFC 9003: the shutdown communication was kept (length byte 8, 7 bytes present).
  REQUIRE(t.h.down_infos.size() == 2);
  auto comm = wire::shutdown_communication(*t.h.down_infos[0].notification_received);
  REQUIRE(comm);
  CHECK(comm->text == "mainten");
  CHECK(comm->truncated);
}

TEST_CASE("error wait doubles per error up to the maximum") {
  asio::io_context io;
  RawListener raw_listener(io, ip("127.0.0.12"));
  RecordingHandler h;
  PeerConfig c =
      test_config("backoff", 65000, 0x01010101, ip("127.0.0.12"), raw_listener.port(), 65001);
  c.error_wait_min = 100ms;
  c.error_wait_max = 300ms;
  Peer a(io, c, h);
  a.start();
  std::vector<Duration> waits;
  std::vector<Clock::duration> gaps;
  Clock::time_point last_error{};
  for (int i = 0; i < 4; ++i) {
    auto s = raw_listener.accept(3000ms);
    REQUIRE(s);
    if (i > 0) gaps.push_back(Clock::now() - last_error);
    RawPeer raw(io);
    raw.adopt(std::move(*s));
    REQUIRE(raw.read_type(wire::MessageType::Open));
    REQUIRE(raw.send(message(wire::MessageType::Open,
                             hex("03 fde9 005a 0a000002 0e 020c 010400010001 41040000fde9"))));
    auto n = raw.notification();
    REQUIRE(n);
    CHECK(n->code == wire::ErrorCode::Open);
    REQUIRE(run_until(io, [&] { return a.phase() == Peer::Phase::ErrorWait; }));
    last_error = Clock::now();
    waits.push_back(a.current_error_wait());
  }
  CHECK(waits == std::vector<Duration>{100ms, 200ms, 300ms, 300ms});
  REQUIRE(gaps.size() == 3);
  CHECK(gaps[0] >= 80ms);
  CHECK(gaps[1] >= 160ms);
  CHECK(gaps[2] >= 240ms);
  CHECK(h.established == 0);
}

TEST_CASE("a peer that stops reading: fill() stops, memory stays bounded, send hold fires 8/0") {
  Target t;
  // An UPDATE of about 4 KB (many /32s), appended over and over: the export never runs dry.
  std::vector<uint8_t> update;
  {
    wire::Negotiated n;
    n.peer_as = 65001;
    n.local_as = 65000;
    wire::UpdateBuilder b(n);
    rib::AttrBuilder a;
    a.set_origin(rib::Origin::Igp);
    a.as_path.prepend(65000);
    a.set_present(rib::AttrType::AsPath);
    b.set_attributes(a, ip("127.0.0.2"));
    std::vector<wire::Nlri> v;
    for (uint32_t i = 0; i < 2000; ++i)
      v.push_back({rib::Prefix(rib::IpAddress::v4(0x0a000000 + i), 32), 0});
    REQUIRE(b.announce(rib::Family::Ipv4, v, update) > 100);
  }
  std::size_t max_budget_seen = 0;
  t.h.filler = [&](Peer&, std::vector<uint8_t>& out, std::size_t budget) {
    max_budget_seen = std::max(max_budget_seen, budget);
    std::size_t start = out.size();
    while (out.size() - start + update.size() <= budget)
      out.insert(out.end(), update.begin(), update.end());
    return true;
  };
  // Reconfigure: small send hold time, hold time 0 so nothing else times out.
  t.listener.remove_peer(*t.peer);
  PeerConfig c = t.peer->config();
  c.send_hold_time = 2000ms;
  t.peer = std::make_unique<Peer>(t.io, c, t.h);
  t.listener.add_peer(*t.peer);
  t.peer->start();

  auto raw = std::make_unique<RawPeer>(t.io);
  REQUIRE(raw->connect(ip("127.0.0.2"), t.listener.port(), t.remote, 4096));
  auto open = raw_open(65001, 0x0a000002, 0);
  REQUIRE(raw->handshake(open));
  REQUIRE(run_until(t.io, [&] { return t.peer->established(); }));
  // The raw peer never reads again. Wait until fill() is no longer called.
  uint64_t calls = 0;
  REQUIRE(run_until(
      t.io,
      [&] {
        uint64_t now = t.h.fill_calls;
        bool stable = now == calls && now > 0;
        calls = now;
        if (!stable) run_for(t.io, 300ms);
        return stable;
      },
      5000ms));
  CHECK(t.peer->established());
  CHECK(max_budget_seen <= Session::kMaxInFlight);
  CHECK(t.peer->send_queue_bytes() <= Session::kMaxInFlight);
  // Bounded by the kernel's socket buffers, not by the (endless) export.
  CHECK(t.h.fill_bytes < 64u * 1024 * 1024);
  run_for(t.io, 500ms);
  CHECK(t.h.fill_calls == calls);  // still not called
  // RFC 9687: nothing could be written for the send hold time.
  REQUIRE(run_until(
      t.io, [&] { return t.h.downs == 1; }, 5000ms));
  REQUIRE(t.h.down_infos[0].notification_sent);
  CHECK(t.h.down_infos[0].notification_sent->code == wire::ErrorCode::SendHoldTimerExpired);
  CHECK(t.peer->last_error().sent->code == wire::ErrorCode::SendHoldTimerExpired);
}

TEST_CASE(
    "UPDATE in OpenConfirm is 5/2; enhanced route refresh: BoRR/EoRR reach the handler, R1 is "
    "7/1") {
  Target t;
  {
    auto raw = t.connect();
    REQUIRE(raw);
    REQUIRE(raw->send(message(wire::MessageType::Open, hex(kOpenBody))));
    REQUIRE(raw->read_type(wire::MessageType::Keepalive));  // the session is in OpenConfirm
    REQUIRE(raw->send(message(wire::MessageType::Update, hex(kUpdateBody))));
    auto n = raw->notification();
    REQUIRE(n);
    CHECK(n->code == wire::ErrorCode::Fsm);
    CHECK(n->subcode == wire::subcode::kFsmUnexpectedInOpenConfirm);
  }
  auto open = raw_open(65001, 0x0a000002);
  open.caps.enhanced_route_refresh = true;
  auto established = [&] {
    auto raw = t.connect();
    REQUIRE(raw);
    std::vector<uint8_t> out;
    wire::encode_open(open, out);
    wire::encode_keepalive(out);
    REQUIRE(raw->send(out));
    REQUIRE(raw->read_type(wire::MessageType::Keepalive));
    REQUIRE(run_until(t.io, [&] { return t.peer->established(); }));
    return raw;
  };
  {
    auto raw = established();
    CHECK(t.peer->negotiated()->negotiated.enhanced_route_refresh);
    REQUIRE(raw->send(hex(kMarker + "001705" + "00010101")));  // BoRR IPv4
    REQUIRE(raw->send(hex(kMarker + "001705" + "00010201")));  // EoRR IPv4
    REQUIRE(raw->send(hex(kMarker + "001705" + "00020001")));  // IPv6: not negotiated (R2)
    REQUIRE(run_until(t.io, [&] { return t.h.refreshes.size() >= 2; }));
    run_for(t.io, 50ms);
    REQUIRE(t.h.refreshes.size() == 2);
    CHECK(t.h.refreshes[0].second == wire::route_refresh::kBeginOfRefresh);
    CHECK(t.h.refreshes[1].second == wire::route_refresh::kEndOfRefresh);
    REQUIRE(raw->send(hex(kMarker + "001605" + "000100")));  // R1
    auto n = raw->notification();
    REQUIRE(n);
    CHECK(n->code == wire::ErrorCode::RouteRefresh);
    CHECK(n->subcode == wire::subcode::kInvalidMessageLength);
  }
  {
    // A route limit: Cease 1 with AFI, SAFI and the limit (RFC 4486 4).
    auto raw = established();
    t.peer->stop_max_prefix(wire::kIpv4Unicast, 1000);
    auto n = raw->notification();
    REQUIRE(n);
    CHECK(n->code == wire::ErrorCode::Cease);
    CHECK(n->subcode == wire::subcode::kMaxPrefixReached);
    CHECK(n->data == hex("0001 01 000003e8"));
    CHECK(t.peer->phase() == Peer::Phase::Down);
  }
}
