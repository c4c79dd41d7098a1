// Sessions between two rsd Peers over real loopback TCP: establishment over IPv4 and IPv6 with
// negotiation, UPDATE pull through fill(), route refresh, administrative shutdown, collision
// detection, hold timer expiry with reconnect, TCP-MD5, and graceful restart as helper.
#include <spdlog/spdlog.h>

#include "session_test_util.hpp"

using namespace rs;
using namespace rs::bgp;
using namespace rs::bgp::test;

namespace {

struct Quiet {
  Quiet() { spdlog::set_level(spdlog::level::warn); }
} quiet;

// Appends one UPDATE announcing `p` (with `path_id`) and an End-of-RIB marker.
bool announce_once(Peer& peer, std::vector<uint8_t>& out, rib::Prefix p, uint32_t path_id,
                   rib::IpAddress next_hop) {
  const auto* n = peer.negotiated();
  REQUIRE(n != nullptr);
  wire::UpdateBuilder b(n->negotiated);
  rib::AttrBuilder a;
  a.set_origin(rib::Origin::Igp);
  a.as_path.prepend(peer.config().local_as);
  a.set_present(rib::AttrType::AsPath);
  b.set_attributes(a, next_hop);
  wire::Nlri nlri{p, path_id};
  CHECK(b.announce(p.family(), std::span<const wire::Nlri>(&nlri, 1), out) == 1);
  wire::encode_end_of_rib(wire::unicast(p.family()), out);
  return false;
}

struct Pair {
  asio::io_context io;
  Listener listener{io};
  RecordingHandler ha, hb;
  std::unique_ptr<Peer> a, b;

  // a: passive, listening on la; b: connects from lb.
  void make(rib::IpAddress la, rib::IpAddress lb,
            std::function<void(PeerConfig&, PeerConfig&)> tweak = {}) {
    REQUIRE(!listener.listen(la, 0));
    PeerConfig ca = test_config("a", 65000, 0x01010101, lb, 179, 4200000001u);
    ca.passive = true;
    ca.local_address = la;
    PeerConfig cb = test_config("b", 4200000001u, 0x02020202, la, listener.port(), 65000);
    cb.local_address = lb;
    if (tweak) tweak(ca, cb);
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

TEST_CASE("two peers establish over IPv4, negotiate, and exchange an UPDATE") {
  Pair t;
  t.make(ip("127.0.0.2"), ip("127.0.0.3"), [](PeerConfig& a, PeerConfig& b) {
    a.families = {{wire::kIpv4Unicast, false, true, false}, {wire::kIpv6Unicast}};
    b.families = {{wire::kIpv4Unicast, true, false, false}, {wire::kIpv6Unicast}};
  });
  t.ha.filler = [](Peer& p, std::vector<uint8_t>& out, std::size_t) {
    return announce_once(p, out, pfx("10.1.0.0/24"), 7, ip("127.0.0.2"));
  };
  REQUIRE(run_until(t.io, [&] { return t.a->established() && t.b->established(); }));
  CHECK(t.ha.established == 1);
  CHECK(t.hb.established == 1);
  CHECK(t.a->state() == State::Established);
  CHECK(t.a->phase() == Peer::Phase::Up);

  const auto* na = t.a->negotiated();
  const auto* nb = t.b->negotiated();
  REQUIRE(na);
  REQUIRE(nb);
  CHECK(na->peer_as == 4200000001u);
  CHECK(nb->peer_as == 65000);
  CHECK(na->negotiated.four_octet_as);
  CHECK(na->negotiated.ipv4_unicast);
  CHECK(na->negotiated.ipv6_unicast);
  CHECK(na->negotiated.add_path_tx_ipv4);
  CHECK_FALSE(na->negotiated.add_path_rx_ipv4);
  CHECK(nb->negotiated.add_path_rx_ipv4);
  CHECK(na->negotiated.route_refresh);
  CHECK(na->negotiated.enhanced_route_refresh);
  CHECK(na->hold_time == 30);
  CHECK(na->peer_bgp_id == 0x02020202);
  REQUIRE(t.a->remote_endpoint());
  CHECK(t.a->remote_endpoint()->address().to_string() == "127.0.0.3");
  CHECK(na->negotiated.local_address == ip("127.0.0.2"));

  // The UPDATE pulled from a's handler arrives at b, with its path identifier.
  REQUIRE(run_until(t.io, [&] { return !t.hb.end_of_ribs.empty(); }));
  REQUIRE(t.hb.announced.size() == 1);
  CHECK(t.hb.announced[0].prefix == pfx("10.1.0.0/24"));
  CHECK(t.hb.announced[0].path_id == 7);
  CHECK(t.hb.end_of_ribs[0] == wire::kIpv4Unicast);
  CHECK(t.a->counters().messages.out_of(wire::MessageType::Update) == 2);
  CHECK(t.b->counters().messages.in_of(wire::MessageType::Update) == 2);
  CHECK(t.a->counters().messages.out_of(wire::MessageType::Open) == 1);

  // Route refresh: b asks, a's handler hears it.
  CHECK(t.b->request_refresh(wire::kIpv4Unicast) == RefreshResult::Sent);
  CHECK(t.b->request_refresh(wire::AfiSafi{25, 70}) == RefreshResult::NotNegotiated);
  REQUIRE(run_until(t.io, [&] { return !t.ha.refreshes.empty(); }));
  CHECK(t.ha.refreshes[0].first == wire::kIpv4Unicast);
  CHECK(t.ha.refreshes[0].second == wire::route_refresh::kNormal);

  // Administrative shutdown with an RFC 9003 message.
  t.a->stop(wire::subcode::kAdministrativeShutdown, "maintenance window");
  CHECK(t.ha.downs == 1);
  REQUIRE(run_until(t.io, [&] { return t.hb.downs == 1; }));
  REQUIRE(t.hb.down_infos[0].notification_received);
  auto text = wire::shutdown_communication(*t.hb.down_infos[0].notification_received);
  REQUIRE(text);
  CHECK(text->text == "maintenance window");
  CHECK_FALSE(t.hb.down_infos[0].keep_stale);
  CHECK(t.b->phase() == Peer::Phase::ErrorWait);
  CHECK(t.a->phase() == Peer::Phase::Down);
  CHECK(t.a->state() == State::Idle);
  // A stopped protocol refuses b's reconnection attempts.
  REQUIRE(run_until(t.io, [&] { return t.a->counters().connections_rejected > 0; }));
  CHECK_FALSE(t.b->established());

  // And accepts them again once started.
  t.a->start();
  REQUIRE(run_until(t.io, [&] { return t.a->established() && t.b->established(); }));
  CHECK(t.ha.established == 2);
}

TEST_CASE("two peers establish over ::1") {
  Pair t;
  t.make(ip("::1"), ip("::1"), [](PeerConfig& a, PeerConfig& b) {
    a.families = {{wire::kIpv6Unicast}};
    b.families = {{wire::kIpv4Unicast}, {wire::kIpv6Unicast}};
    a.extended_messages = b.extended_messages = true;
  });
  t.ha.filler = [](Peer& p, std::vector<uint8_t>& out, std::size_t) {
    return announce_once(p, out, pfx("2001:db8:30::1/128"), 0, ip("2001:db8::1"));
  };
  REQUIRE(run_until(t.io, [&] { return t.a->established() && t.b->established(); }));
  const auto* n = t.b->negotiated();
  REQUIRE(n);
  CHECK(n->negotiated.ipv6_unicast);
  CHECK_FALSE(n->negotiated.ipv4_unicast);  // a did not offer it
  CHECK(n->negotiated.extended_message);
  REQUIRE(run_until(t.io, [&] { return !t.hb.end_of_ribs.empty(); }));
  REQUIRE(t.hb.announced.size() == 1);
  CHECK(t.hb.announced[0].prefix == pfx("2001:db8:30::1/128"));
  CHECK(t.hb.end_of_ribs[0] == wire::kIpv6Unicast);
}

TEST_CASE("collision: both peers connect, one session survives on both sides") {
  asio::io_context io;
  Listener la(io), lb(io);
  REQUIRE(!la.listen(ip("127.0.0.2"), 0));
  REQUIRE(!lb.listen(ip("127.0.0.3"), 0));
  RecordingHandler ha, hb;
  PeerConfig ca = test_config("a", 65000, 0x01010101, ip("127.0.0.3"), lb.port(), 65001);
  ca.local_address = ip("127.0.0.2");
  PeerConfig cb = test_config("b", 65001, 0x02020202, ip("127.0.0.2"), la.port(), 65000);
  cb.local_address = ip("127.0.0.3");
  Peer a(io, ca, ha), b(io, cb, hb);
  la.add_peer(a);
  lb.add_peer(b);
  a.start();
  b.start();
  REQUIRE(run_until(io, [&] {
    return a.established() && b.established() && a.session_count() == 1 && b.session_count() == 1;
  }));
  // Both sides use the same connection.
  CHECK(a.local_endpoint()->port() == b.remote_endpoint()->port());
  CHECK(a.remote_endpoint()->port() == b.local_endpoint()->port());
  // Stable: nothing goes down afterwards.
  run_for(io, 300ms);
  CHECK(a.established());
  CHECK(b.established());
  CHECK(ha.downs == 0);
  CHECK(hb.downs == 0);
  CHECK(ha.established == 1);
  la.remove_peer(a);
  lb.remove_peer(b);
}

TEST_CASE("collision: the connection initiated by the higher BGP identifier survives") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
  RawListener raw_listener(io, ip("127.0.0.4"));
  RecordingHandler h;
  // Our id 1.1.1.1 < the raw peer's 9.9.9.9: our outgoing connection must go.
  PeerConfig c = test_config("a", 65000, 0x01010101, ip("127.0.0.4"), raw_listener.port(), 65004);
  c.local_address = ip("127.0.0.2");
  Peer a(io, c, h);
  listener.add_peer(a);
  a.start();

  auto accepted = raw_listener.accept();
  REQUIRE(accepted);
  RawPeer out(io);  // our outgoing connection, seen from the raw side
  out.adopt(std::move(*accepted));
  RawPeer in(io);  // the raw side's own connection to us
  REQUIRE(in.connect(ip("127.0.0.2"), listener.port(), ip("127.0.0.4")));

  auto open = raw_open(65004, 0x09090909);
  std::vector<uint8_t> bytes;
  wire::encode_open(open, bytes);
  REQUIRE(out.read_type(wire::MessageType::Open));
  REQUIRE(in.read_type(wire::MessageType::Open));
  REQUIRE(out.send(bytes));
  REQUIRE(out.read_type(wire::MessageType::Keepalive));  // outgoing session in OpenConfirm
  REQUIRE(in.send(bytes));
  // The OPEN on the incoming connection collides: the outgoing one gets Cease 7.
  auto n = out.notification();
  REQUIRE(n);
  CHECK(n->code == wire::ErrorCode::Cease);
  CHECK(n->subcode == wire::subcode::kConnectionCollisionResolution);
  REQUIRE(in.read_type(wire::MessageType::Keepalive));
  std::vector<uint8_t> ka;
  wire::encode_keepalive(ka);
  REQUIRE(in.send(ka));
  REQUIRE(run_until(io, [&] { return a.established(); }));
  CHECK(a.session_count() == 1);
  CHECK(a.counters().collisions == 1);
  CHECK(a.remote_endpoint()->address().to_string() == "127.0.0.4");
  CHECK(a.remote_endpoint()->port() != raw_listener.port());  // the incoming connection
  listener.remove_peer(a);
}

TEST_CASE("hold timer expiry sends 4/0 and the peer reconnects after the error wait") {
  asio::io_context io;
  RawListener raw_listener(io, ip("127.0.0.5"));
  RecordingHandler h;
  PeerConfig c = test_config("a", 65000, 0x01010101, ip("127.0.0.5"), raw_listener.port(), 65005);
  c.hold_time = 3;  // the smallest legal hold time
  c.error_wait_min = 200ms;
  Peer a(io, c, h);
  a.start();
  auto s = raw_listener.accept();
  REQUIRE(s);
  RawPeer raw(io);
  raw.adopt(std::move(*s));
  REQUIRE(raw.handshake(raw_open(65005, 0x05050505, 3)));
  REQUIRE(run_until(io, [&] { return a.established(); }));
  // The raw peer stays silent: no KEEPALIVE for 3 seconds. Ours keep coming meanwhile.
  auto start = Clock::now();
  auto n = raw.notification(5000ms);
  REQUIRE(n);
  CHECK(n->code == wire::ErrorCode::HoldTimerExpired);
  CHECK(n->subcode == 0);
  CHECK(Clock::now() - start >= 2500ms);
  REQUIRE(run_until(io, [&] { return h.downs == 1; }));
  CHECK(h.down_infos[0].notification_sent->code == wire::ErrorCode::HoldTimerExpired);
  CHECK(a.last_error().sent->code == wire::ErrorCode::HoldTimerExpired);
  CHECK(a.phase() == Peer::Phase::ErrorWait);
  CHECK(a.current_error_wait() == 200ms);
  // Reconnects after the error wait.
  auto down_at = Clock::now();
  auto again = raw_listener.accept(3000ms);
  REQUIRE(again);
  CHECK(Clock::now() - down_at >= 150ms);
}

TEST_CASE("TCP-MD5: matching keys establish, a wrong or missing key never does") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
  RecordingHandler ha, hb, hc, hd, hx, hy;
  auto server = [&](const char* name, rib::IpAddress nb, RecordingHandler& h) {
    PeerConfig c = test_config(name, 65000, 0x01010101, nb, 179, 65001);
    c.passive = true;
    c.password = "s3cret";
    return std::make_unique<Peer>(io, c, h);
  };
  auto client = [&](const char* name, rib::IpAddress from, std::string key, RecordingHandler& h) {
    PeerConfig c = test_config(name, 65001, 0x02020202, ip("127.0.0.2"), listener.port(), 65000);
    c.local_address = from;
    c.password = std::move(key);
    c.connect_retry_time = 300ms;
    return std::make_unique<Peer>(io, c, h);
  };
  auto good_srv = server("srv-good", ip("127.0.0.6"), ha);
  auto wrong_srv = server("srv-wrong", ip("127.0.0.7"), hb);
  auto none_srv = server("srv-none", ip("127.0.0.8"), hc);
  auto good = client("good", ip("127.0.0.6"), "s3cret", hd);
  auto wrong = client("wrong", ip("127.0.0.7"), "other", hx);
  auto none = client("none", ip("127.0.0.8"), "", hy);
  for (auto* p : {good_srv.get(), wrong_srv.get(), none_srv.get()}) {
    listener.add_peer(*p);
    p->start();
  }
  for (auto* p : {good.get(), wrong.get(), none.get()}) p->start();
  REQUIRE(run_until(io, [&] { return good->established() && good_srv->established(); }));
  run_for(io, 1500ms);
  CHECK_FALSE(wrong->established());
  CHECK_FALSE(none->established());
  CHECK_FALSE(wrong_srv->established());
  CHECK_FALSE(none_srv->established());
  CHECK(hb.established == 0);
  CHECK(hc.established == 0);
  for (auto* p : {good_srv.get(), wrong_srv.get(), none_srv.get()}) listener.remove_peer(*p);
}

TEST_CASE("graceful restart: a dropped session of a restart-capable peer keeps routes stale") {
  asio::io_context io;
  RawListener raw_listener(io, ip("127.0.0.9"));
  RecordingHandler h;
  PeerConfig c = test_config("a", 65000, 0x01010101, ip("127.0.0.9"), raw_listener.port(), 65009);
  c.graceful_restart = GracefulRestartMode::On;
  c.families = {{wire::kIpv4Unicast}, {wire::kIpv6Unicast}};
  Peer a(io, c, h);
  a.set_restarting(true);
  a.start();
  auto s = raw_listener.accept();
  REQUIRE(s);
  RawPeer raw(io);
  raw.adopt(std::move(*s));
  auto open = raw_open(65009, 0x09090909);
  open.caps.multiprotocol = {wire::kIpv4Unicast, wire::kIpv6Unicast};
  open.caps.graceful_restart =
      wire::GracefulRestart{false, false, 90, {{wire::kIpv4Unicast, true}}};
  auto ours = raw.handshake(open);
  REQUIRE(ours);
  // Our OPEN: restarting (R bit), both families with the F bit (RFC 4724 3).
  REQUIRE(ours->caps.graceful_restart);
  CHECK(ours->caps.graceful_restart->restart_state);
  CHECK(ours->caps.graceful_restart->restart_time == 120);
  CHECK(ours->caps.graceful_restart->families.size() == 2);
  REQUIRE(run_until(io, [&] { return a.established(); }));
  raw.close();  // TCP failure without NOTIFICATION
  REQUIRE(run_until(io, [&] { return h.downs == 1; }));
  const auto& d = h.down_infos[0];
  CHECK(d.keep_stale);
  CHECK(d.stale_time == std::chrono::seconds(90));
  REQUIRE(d.stale_families.size() == 1);
  CHECK(d.stale_families[0] == wire::kIpv4Unicast);
  // No error wait for a restarting peer: it connects again right away.
  CHECK(a.phase() == Peer::Phase::Start);
  REQUIRE(raw_listener.accept(2000ms));
}

TEST_CASE("listener: dynamic neighbours from a range are spawned; unknown addresses are closed") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
  RecordingHandler hs;  // shared by the spawned peers
  std::vector<std::unique_ptr<Peer>> spawned;
  listener.add_range(pfx("127.0.1.0/24"), [&](const rib::IpAddress& remote) -> Peer* {
    PeerConfig c =
        test_config("dyn" + std::to_string(spawned.size() + 1), 65000, 0x01010101, remote, 179, 0);
    c.peer_as_mode = wire::PeerAsMode::Any;
    c.passive = true;
    spawned.push_back(std::make_unique<Peer>(io, c, hs));
    spawned.back()->start();
    return spawned.back().get();
  });
  RecordingHandler h1, h2;
  PeerConfig c1 = test_config("n1", 65101, 0x0b0b0b01, ip("127.0.0.2"), listener.port(), 65000);
  c1.local_address = ip("127.0.1.1");
  PeerConfig c2 = test_config("n2", 65102, 0x0b0b0b02, ip("127.0.0.2"), listener.port(), 65000);
  c2.local_address = ip("127.0.1.2");
  Peer n1(io, c1, h1), n2(io, c2, h2);
  n1.start();
  n2.start();
  REQUIRE(run_until(io, [&] { return n1.established() && n2.established(); }));
  REQUIRE(spawned.size() == 2);
  CHECK(hs.established == 2);
  for (auto& p : spawned) {
    REQUIRE(p->negotiated());
    uint32_t as = p->negotiated()->peer_as;
    CHECK((as == 65101 || as == 65102));
    CHECK(p->config().neighbor_address == (as == 65101 ? ip("127.0.1.1") : ip("127.0.1.2")));
  }
  CHECK(listener.accepted() == 2);

  // Outside every range: closed without a word (as BIRD), or with Cease 5 when asked.
  RawPeer stranger(io);
  REQUIRE(stranger.connect(ip("127.0.0.2"), listener.port(), ip("127.0.2.1")));
  std::vector<std::vector<uint8_t>> seen;
  CHECK(stranger.wait_closed(2000ms, &seen));
  CHECK(seen.empty());
  CHECK(listener.rejected() == 1);
  listener.set_reject_with_cease(true);
  RawPeer stranger2(io);
  REQUIRE(stranger2.connect(ip("127.0.0.2"), listener.port(), ip("127.0.2.1")));
  auto n = stranger2.notification();
  REQUIRE(n);
  CHECK(n->code == wire::ErrorCode::Cease);
  CHECK(n->subcode == wire::subcode::kConnectionRejected);
  for (auto& p : spawned) listener.remove_peer(*p);
}

TEST_CASE("GTSM: only TTL 255 packets are accepted, and ours carry TTL 255") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
  RecordingHandler h1, h2;
  auto make = [&](const char* name, rib::IpAddress nb, RecordingHandler& h) {
    PeerConfig c = test_config(name, 65000, 0x01010101, nb, 179, 65001);
    c.passive = true;
    c.ttl_security = true;
    auto p = std::make_unique<Peer>(io, c, h);
    listener.add_peer(*p);
    p->start();
    return p;
  };
  auto p_plain = make("plain", ip("127.0.0.20"), h1);
  auto p_gtsm = make("gtsm", ip("127.0.0.21"), h2);
  auto open = raw_open(65001, 0x0a000002);

  // A speaker sending TTL 64: its OPEN is dropped by IP_MINTTL.
  RawPeer plain(io);
  REQUIRE(plain.connect(ip("127.0.0.2"), listener.port(), ip("127.0.0.20")));
  REQUIRE(plain.read_type(wire::MessageType::Open));
  std::vector<uint8_t> bytes;
  wire::encode_open(open, bytes);
  REQUIRE(plain.send(bytes));
  CHECK_FALSE(plain.read_type(wire::MessageType::Keepalive, 800ms));
  CHECK(p_plain->state() == State::OpenSent);

  // A speaker sending TTL 255 and itself requiring 255 from us.
  RawPeer gtsm(io);
  REQUIRE(gtsm.connect(ip("127.0.0.2"), listener.port(), ip("127.0.0.21")));
  int fd = gtsm.socket().native_handle();
  REQUIRE(!set_ttl(fd, rib::Family::Ipv4, 255));
  REQUIRE(!set_min_ttl(fd, rib::Family::Ipv4, 255));
  REQUIRE(gtsm.handshake(open));
  REQUIRE(run_until(io, [&] { return p_gtsm->established(); }));
  listener.remove_peer(*p_plain);
  listener.remove_peer(*p_gtsm);
}

TEST_CASE("a large export is pulled in budget-sized pieces and arrives whole") {
  Pair t;
  t.make(ip("127.0.0.2"), ip("127.0.0.3"));
  constexpr uint32_t kCount = 30000;
  std::vector<wire::Nlri> all;
  for (uint32_t i = 0; i < kCount; ++i)
    all.push_back({rib::Prefix(rib::IpAddress::v4(0x0b000000 + i), 32), 0});
  std::size_t next = 0;
  std::size_t max_chunk = 0;
  bool eor_sent = false;
  t.ha.filler = [&](Peer& p, std::vector<uint8_t>& out, std::size_t budget) {
    wire::UpdateBuilder b(p.negotiated()->negotiated);
    rib::AttrBuilder a;
    a.set_origin(rib::Origin::Igp);
    a.as_path.prepend(65000);
    a.set_present(rib::AttrType::AsPath);
    b.set_attributes(a, ip("127.0.0.2"));
    std::size_t start = out.size();
    while (next < all.size() && out.size() - start + wire::kMaxMessageSize <= budget)
      next += b.announce(rib::Family::Ipv4, std::span(all).subspan(next), out);
    if (next == all.size() && !eor_sent) {
      wire::encode_end_of_rib(wire::kIpv4Unicast, out);
      eor_sent = true;
    }
    max_chunk = std::max(max_chunk, out.size() - start);
    return next < all.size();
  };
  REQUIRE(run_until(t.io, [&] { return !t.hb.end_of_ribs.empty(); }));
  CHECK(t.hb.announced.size() == kCount);
  CHECK(t.hb.announced.front().prefix == all.front().prefix);
  CHECK(t.hb.announced.back().prefix == all.back().prefix);
  // 30,000 /32s are about 150 kB of NLRI: at most 64 KiB per pull, so at least three pulls.
  CHECK(t.ha.fill_calls >= 3);
  run_for(t.io, 50ms);
  CHECK(t.hb.end_of_ribs.size() == 1);
  CHECK(max_chunk <= Session::kMaxInFlight);
  CHECK(t.b->established());
}

TEST_CASE("graceful restart: a new connection while Established means the peer restarted") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
  RecordingHandler h;
  PeerConfig c = test_config("a", 65000, 0x01010101, ip("127.0.0.22"), 179, 65022);
  c.passive = true;
  Peer a(io, c, h);
  listener.add_peer(a);
  a.start();
  auto open = raw_open(65022, 0x16161616);
  open.caps.graceful_restart =
      wire::GracefulRestart{false, false, 60, {{wire::kIpv4Unicast, true}}};
  RawPeer first(io);
  REQUIRE(first.connect(ip("127.0.0.2"), listener.port(), ip("127.0.0.22")));
  REQUIRE(first.handshake(open));
  REQUIRE(run_until(io, [&] { return a.established(); }));
  // The peer restarted; its old connection is still open on our side (RFC 4724 4.2).
  open.caps.graceful_restart->restart_state = true;
  RawPeer second(io);
  REQUIRE(second.connect(ip("127.0.0.2"), listener.port(), ip("127.0.0.22")));
  REQUIRE(second.handshake(open));
  REQUIRE(run_until(io, [&] { return h.established == 2 && a.established(); }));
  REQUIRE(h.downs == 1);
  CHECK(h.down_infos[0].keep_stale);
  CHECK(h.down_infos[0].stale_time == std::chrono::seconds(60));
  CHECK_FALSE(h.down_infos[0].notification_sent);  // closed without a NOTIFICATION
  CHECK(first.wait_closed());
  CHECK(a.negotiated()->peer_graceful_restart->restart_state);
  listener.remove_peer(a);
}

TEST_CASE("RFC 9234: a role mismatch is 2/11") {
  asio::io_context io;
  RawListener raw_listener(io, ip("127.0.0.23"));
  RecordingHandler h;
  PeerConfig c = test_config("a", 65000, 0x01010101, ip("127.0.0.23"), raw_listener.port(), 65023);
  c.local_role = wire::Role::RouteServer;
  Peer a(io, c, h);
  a.start();
  auto s = raw_listener.accept();
  REQUIRE(s);
  RawPeer raw(io);
  raw.adopt(std::move(*s));
  auto ours = raw.read_type(wire::MessageType::Open);
  REQUIRE(ours);
  auto decoded = wire::decode_open(wire::Bytes(*ours).subspan(wire::kHeaderSize));
  REQUIRE(decoded);
  CHECK(decoded->caps.role == wire::Role::RouteServer);
  auto open = raw_open(65023, 0x17171717);
  open.caps.role = wire::Role::Provider;  // O10
  std::vector<uint8_t> bytes;
  wire::encode_open(open, bytes);
  REQUIRE(raw.send(bytes));
  auto n = raw.notification();
  REQUIRE(n);
  CHECK(n->code == wire::ErrorCode::Open);
  CHECK(n->subcode == wire::subcode::kRoleMismatch);
}

TEST_CASE("a Peer destroyed with sessions in every state leaves nothing dangling") {
  asio::io_context io;
  Listener listener(io);
  REQUIRE(!listener.listen(ip("127.0.0.2"), 0));
  RawListener raw_listener(io, ip("127.0.0.24"));
  RecordingHandler h1, h2, h3;
  // Established, with an export in flight.
  PeerConfig c1 = test_config("est", 65000, 0x01010101, ip("127.0.0.25"), 179, 65001);
  c1.passive = true;
  auto est = std::make_unique<Peer>(io, c1, h1);
  listener.add_peer(*est);
  est->start();
  RawPeer raw(io);
  REQUIRE(raw.connect(ip("127.0.0.2"), listener.port(), ip("127.0.0.25")));
  REQUIRE(raw.handshake(raw_open(65001, 0x0a000002)));
  REQUIRE(run_until(io, [&] { return est->established(); }));
  // Connect: its SYNs carry a TCP-MD5 signature the raw listener has no key for, so the kernel
  // drops them and the connect hangs.
  PeerConfig c2 =
      test_config("connecting", 65000, 0x01010101, ip("127.0.0.24"), raw_listener.port(), 65001);
  c2.password = "nobody knows";
  auto connecting = std::make_unique<Peer>(io, c2, h2);
  connecting->start();
  // OpenSent: the raw listener accepts and stays silent.
  PeerConfig c3 = c2;
  c3.name = "opensent";
  c3.password.clear();
  auto opensent = std::make_unique<Peer>(io, c3, h3);
  opensent->start();
  REQUIRE(raw_listener.accept());
  REQUIRE(run_until(io, [&] { return opensent->state() == State::OpenSent; }));
  CHECK(connecting->state() == State::Connect);
  listener.remove_peer(*est);
  est.reset();
  connecting.reset();
  opensent.reset();
  run_for(io, 100ms);  // pending handlers run against live Sessions only
  CHECK(raw.wait_closed());
  CHECK(h1.downs == 0);  // no callbacks after destruction
}

TEST_CASE("PeerConfig defaults and our OPEN") {
  PeerConfig c;
  c.local_as = 65000;
  c.peer_as = 65001;
  c.router_id = 0x01020304;
  CHECK(c.hold_time == 240);
  CHECK(c.neighbor_port == 179);
  CHECK(c.ttl() == 1);  // direct eBGP
  c.multihop = 8;
  CHECK(c.ttl() == 8);
  c.ttl_security = true;
  CHECK(c.ttl() == 255);
  PeerConfig ibgp = c;
  ibgp.peer_as = 65000;
  ibgp.multihop.reset();
  ibgp.ttl_security = false;
  CHECK(ibgp.is_internal());
  CHECK(ibgp.ttl() == 64);
  // RFC 9687 4: max(8 minutes, 2 x hold time) unless configured.
  CHECK(c.effective_send_hold_time(90) == std::chrono::minutes(8));
  CHECK(c.effective_send_hold_time(600) == std::chrono::seconds(1200));
  c.send_hold_time = 1500ms;
  CHECK(c.effective_send_hold_time(600) == 1500ms);
  CHECK(c.error_wait_min == std::chrono::seconds(60));
  CHECK(c.error_wait_max == std::chrono::seconds(300));

  c.families = {{wire::kIpv4Unicast, true, true, true}, {wire::kIpv6Unicast, false, true, false}};
  c.graceful_restart = GracefulRestartMode::On;
  c.extended_messages = true;
  c.local_role = wire::Role::RouteServer;
  c.advertise_hostname = true;
  c.hostname = "rs1";
  auto o = make_local_open(c, false);
  CHECK(o.hold_time == 240);
  CHECK(o.bgp_id == 0x01020304);
  CHECK(o.effective_as() == 65000);
  CHECK(o.caps.multiprotocol == std::vector<wire::AfiSafi>{wire::kIpv4Unicast, wire::kIpv6Unicast});
  CHECK(o.caps.route_refresh);
  CHECK(o.caps.enhanced_route_refresh);
  REQUIRE(o.caps.add_path.size() == 2);
  CHECK(o.caps.add_path[0].send_receive == wire::AddPathFamily::kBoth);
  CHECK(o.caps.add_path[1].send_receive == wire::AddPathFamily::kSend);
  REQUIRE(o.caps.extended_next_hop.size() == 1);
  CHECK(o.caps.extended_next_hop[0].next_hop_afi == wire::kAfiIpv6);
  REQUIRE(o.caps.graceful_restart);
  CHECK_FALSE(o.caps.graceful_restart->restart_state);
  CHECK(o.caps.graceful_restart->families.size() == 2);
  CHECK_FALSE(o.caps.graceful_restart->families[0].forwarding_preserved);
  CHECK(o.caps.extended_message);
  CHECK(o.caps.role == wire::Role::RouteServer);
  REQUIRE(o.caps.fqdn);
  CHECK(o.caps.fqdn->hostname == "rs1");
  c.graceful_restart = GracefulRestartMode::Aware;
  auto aware = make_local_open(c, false);
  REQUIRE(aware.caps.graceful_restart);
  CHECK(aware.caps.graceful_restart->families.empty());
  c.graceful_restart = GracefulRestartMode::Off;
  CHECK_FALSE(make_local_open(c, false).caps.graceful_restart);
  c.local_as = 4200000000u;
  CHECK(make_local_open(c, false).my_as == wire::kAsTrans);
}
