// BIRD's session options as the session layer applies them: `startup hold time` (the hold timer
// before the OPEN), `capabilities off` (no optional parameters), `enable as4 off` (AS_TRANS, no
// 4-octet capability), channel `mandatory` (2/7 for a peer without the family), and the listener
// matching the local address of incoming connections (a wildcard socket without `strict bind`).
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <utility>

#include "session_test_util.hpp"

using namespace rs::bgp;
using namespace rs::bgp::test;

namespace {
// a: passive behind a listener on la; b: connects from lb.
struct Pair {
  asio::io_context io;
  Listener listener{io};
  RecordingHandler ha, hb;
  std::unique_ptr<Peer> a, b;
  void make(rs::rib::IpAddress la, rs::rib::IpAddress lb,
            const std::function<void(PeerConfig&, PeerConfig&)>& tweak) {
    REQUIRE(!listener.listen(la, 0));
    PeerConfig ca = test_config("a", 65000, 0x01010101, lb, 179, 65001);
    ca.passive = true;
    ca.local_address = la;
    PeerConfig cb = test_config("b", 65001, 0x02020202, la, listener.port(), 65000);
    cb.local_address = lb;
    tweak(ca, cb);
    a = std::make_unique<Peer>(io, ca, ha);
    b = std::make_unique<Peer>(io, cb, hb);
    listener.add_peer(*a);
    a->start();
    b->start();
  }
  ~Pair() {
    if (a) listener.remove_peer(*a);
  }
};
}  // namespace

TEST_CASE("startup hold time: a peer that never sends its OPEN gets 4/0 after it") {
  asio::io_context io;
  RawListener raw_listener(io, ip("127.0.0.31"));
  RecordingHandler h;
  PeerConfig c = test_config("a", 65000, 0x01010101, ip("127.0.0.31"), raw_listener.port(), 65031);
  c.hold_time = 90;  // not used before the OPEN
  c.open_hold_time = 600ms;
  Peer a(io, c, h);
  a.start();
  auto s = raw_listener.accept();
  REQUIRE(s);
  RawPeer p(io);
  p.adopt(std::move(*s));
  REQUIRE(p.read_type(wire::MessageType::Open));
  const auto t0 = Clock::now();
  auto n = p.notification(3000ms);
  REQUIRE(n);
  CHECK(n->code == wire::ErrorCode::HoldTimerExpired);
  CHECK(Clock::now() - t0 >= 400ms);
  CHECK(Clock::now() - t0 < 2000ms);
  a.stop(wire::subcode::kAdministrativeShutdown);
}

TEST_CASE("capabilities off: an OPEN without optional parameters, IPv4 unicast, 2-octet AS") {
  PeerConfig c = test_config("a", 4200000000u, 0x01020304, ip("127.0.0.1"), 179, 65001);
  c.families = {{wire::kIpv4Unicast}, {wire::kIpv6Unicast}};
  c.capabilities = false;
  auto o = make_local_open(c, false);
  CHECK(o.my_as == wire::kAsTrans);
  CHECK(o.caps == wire::Capabilities{});
  std::vector<uint8_t> bytes;
  wire::encode_open(o, bytes);
  CHECK(bytes.size() == 29);  // RFC 4271 4.2: the minimum OPEN, Opt Parm Len 0
  CHECK(bytes.back() == 0);
  wire::OpenMessage peer = raw_open(65001, 0x05060708);
  peer.caps.multiprotocol = {wire::kIpv4Unicast, wire::kIpv6Unicast};
  auto n = wire::negotiate(o, peer);
  CHECK(n.negotiated.ipv4_unicast);
  CHECK_FALSE(n.negotiated.ipv6_unicast);
  CHECK_FALSE(n.negotiated.four_octet_as);
  CHECK_FALSE(n.negotiated.route_refresh);
}

TEST_CASE("enable as4 off: AS_TRANS in the OPEN and no 4-octet AS capability") {
  PeerConfig c = test_config("a", 4200000000u, 0x01020304, ip("127.0.0.1"), 179, 65001);
  c.four_octet_as = false;
  auto o = make_local_open(c, false);
  CHECK(o.my_as == wire::kAsTrans);
  CHECK_FALSE(o.caps.four_octet_as);
  CHECK(o.caps.route_refresh);
  c.local_as = 65000;
  CHECK(make_local_open(c, false).my_as == 65000);
  c.four_octet_as = true;
  CHECK(make_local_open(c, false).caps.four_octet_as == 65000u);
}

TEST_CASE("enable as4 off: the session's AS is still ours, and paths go out as 2-octet") {
  Pair t;
  t.make(ip("127.0.0.32"), ip("127.0.0.33"), [](PeerConfig& a, PeerConfig& b) {
    a.local_as = 4200000000u;
    a.four_octet_as = false;
    b.peer_as = wire::kAsTrans;  // what a 2-octet speaker with a larger AS is (RFC 6793 4.2.1)
  });
  REQUIRE(run_until(t.io, [&] { return t.a->established() && t.b->established(); }));
  const auto* n = t.a->negotiated();
  REQUIRE(n);
  CHECK_FALSE(n->negotiated.four_octet_as);
  CHECK(n->negotiated.local_as == 4200000000u);
  CHECK(n->negotiated.ebgp);
}

TEST_CASE("mandatory family: a peer without it is refused with 2/7 naming it") {
  Pair t;
  t.make(ip("127.0.0.34"), ip("127.0.0.35"), [](PeerConfig& a, PeerConfig& b) {
    a.families = {{wire::kIpv4Unicast}, {wire::kIpv6Unicast}};
    a.families[1].mandatory = true;
    b.families = {{wire::kIpv4Unicast}};
  });
  REQUIRE(run_until(t.io,
                    [&] { return t.hb.downs > 0 || t.b->counters().notifications_received > 0; }));
  CHECK_FALSE(t.a->established());
  REQUIRE(t.b->counters().last_notification_received);
  const auto& n = *t.b->counters().last_notification_received;
  CHECK(n.code == wire::ErrorCode::Open);
  CHECK(n.subcode == wire::subcode::kUnsupportedCapability);
  // RFC 5492 5: the data lists the missing capability (Multiprotocol, IPv6 unicast).
  CHECK(n.data == std::vector<uint8_t>{1, 4, 0, 2, 0, 1});
}

TEST_CASE("no family in common: refused with 2/7 listing ours") {
  Pair t;
  t.make(ip("127.0.0.44"), ip("127.0.0.45"), [](PeerConfig& a, PeerConfig& b) {
    a.families = {{wire::kIpv6Unicast}};
    b.families = {{wire::kIpv4Unicast}};
  });
  // Both sides find it at once: what a sent is what counts.
  REQUIRE(run_until(t.io, [&] { return t.a->counters().notifications_sent > 0; }));
  CHECK_FALSE(t.a->established());
  const auto& n = *t.a->counters().last_notification_sent;
  CHECK(n.code == wire::ErrorCode::Open);
  CHECK(n.subcode == wire::subcode::kUnsupportedCapability);
  CHECK(n.data == std::vector<uint8_t>{1, 4, 0, 2, 0, 1});
}

TEST_CASE("family not mandatory: the session comes up without it") {
  Pair t;
  t.make(ip("127.0.0.36"), ip("127.0.0.37"), [](PeerConfig& a, PeerConfig& b) {
    a.families = {{wire::kIpv4Unicast}, {wire::kIpv6Unicast}};
    b.families = {{wire::kIpv4Unicast}};
  });
  REQUIRE(run_until(t.io, [&] { return t.a->established() && t.b->established(); }));
  CHECK(t.a->negotiated()->negotiated.ipv4_unicast);
  CHECK_FALSE(t.a->negotiated()->negotiated.ipv6_unicast);
}

TEST_CASE("a wildcard listener matches the local address of each connection") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(rs::rib::IpAddress::v4(0), 0));
  RecordingHandler h1, h2;
  // Two protocols for one neighbour, told apart by the local address it connects to.
  PeerConfig c1 = test_config("one", 65000, 0x01010101, ip("127.0.0.38"), 179, 65038);
  c1.passive = true;
  c1.local_address = ip("127.0.0.39");
  PeerConfig c2 = c1;
  c2.name = "two";
  c2.local_address = ip("127.0.0.40");
  Peer one(io, c1, h1), two(io, c2, h2);
  listener.add_peer(one);
  listener.add_peer(two);
  one.start();
  two.start();
  RawPeer p(io);
  REQUIRE(p.connect(ip("127.0.0.40"), listener.port(), ip("127.0.0.38")));
  REQUIRE(p.handshake(raw_open(65038, 0x26262626)));
  REQUIRE(run_until(io, [&] { return two.established(); }));
  CHECK_FALSE(one.established());
  // A local address no protocol uses: refused.
  RawPeer q(io);
  REQUIRE(q.connect(ip("127.0.0.41"), listener.port(), ip("127.0.0.38")));
  CHECK(q.wait_closed());
  CHECK(listener.rejected() == 1);
  listener.remove_peer(one);
  listener.remove_peer(two);
}

TEST_CASE("a range with a local address takes only connections to that address") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(rs::rib::IpAddress::v4(0), 0));
  int spawned = 0;
  listener.add_range(
      pfx("127.0.2.0/24"),
      [&](const rs::rib::IpAddress&) -> Peer* {
        ++spawned;
        return nullptr;
      },
      "", ip("127.0.0.42"));
  RawPeer q(io);
  REQUIRE(q.connect(ip("127.0.0.43"), listener.port(), ip("127.0.2.5")));
  CHECK(q.wait_closed());
  CHECK(spawned == 0);
  RawPeer p(io);
  REQUIRE(p.connect(ip("127.0.0.42"), listener.port(), ip("127.0.2.5")));
  CHECK(p.wait_closed());  // the callback refused it, but it was asked
  CHECK(spawned == 1);
}
