// Health logic without processes: the state machine under a fake clock (rise/fall, disable,
// flap hold-down), score -> MED mapping, argv splitting, URL parsing, the process API applied to a
// recording sink (next-hop self, acks counted, malformed lines), and the operator state store.
#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <map>

#include "rs/health/checks.hpp"
#include "rs/health/child.hpp"
#include "rs/health/health_state.hpp"
#include "rs/health/operator_state.hpp"
#include "rs/health/process.hpp"

using namespace rs::health;
using rs::conf::is_dns_name;
using rs::rib::IpAddress;
using rs::rib::Prefix;

namespace {

struct RecordingSink : RouteSink {
  std::map<std::pair<Prefix, uint32_t>, rs::rib::AttrBuilder> routes;
  int announces = 0, withdraws = 0, sources = 0;
  Source add_source(const std::string&) override {
    ++sources;
    return &sources;
  }
  void announce(Source, const Prefix& p, const rs::rib::AttrBuilder& a, uint32_t id) override {
    routes[{p, id}] = a;
    ++announces;
  }
  void withdraw(Source, const Prefix& p, uint32_t id) override {
    routes.erase({p, id});
    ++withdraws;
  }
  void remove_source(Source) override { routes.clear(); }
};

}  // namespace

TEST_CASE("state machine: INIT -> RISING -> UP -> FALLING -> DOWN with rise 3, fall 3") {
  StateMachine sm(StateParams{3, 3, 0, 0, 0});
  uint64_t t = 0;
  CHECK(sm.state() == HealthState::Init);
  CHECK(sm.phase(t) == Phase::None);
  CHECK(sm.fast());
  sm.handle(HealthEvent::Success, t += 1000);
  CHECK(sm.state() == HealthState::Rising);
  CHECK(sm.phase(t) == Phase::None);  // nothing announced while rising from INIT
  CHECK_FALSE(sm.settled());
  sm.handle(HealthEvent::Success, t += 1000);
  CHECK(sm.state() == HealthState::Rising);
  CHECK(sm.counter() == 2);
  sm.handle(HealthEvent::Success, t += 1000);
  CHECK(sm.state() == HealthState::Up);
  CHECK(sm.phase(t) == Phase::Up);
  CHECK(sm.settled());
  CHECK_FALSE(sm.fast());
  sm.handle(HealthEvent::Failure, t += 5000);
  CHECK(sm.state() == HealthState::Falling);
  CHECK(sm.phase(t) == Phase::Up);  // still announced up while falling
  sm.handle(HealthEvent::Success, t += 1000);
  CHECK(sm.state() == HealthState::Up);  // one success cancels the fall
  for (int i = 0; i < 3; ++i) sm.handle(HealthEvent::Failure, t += 1000);
  CHECK(sm.state() == HealthState::Down);
  CHECK(sm.phase(t) == Phase::Down);
  sm.handle(HealthEvent::Success, t += 1000);
  CHECK(sm.state() == HealthState::Rising);
  CHECK(sm.phase(t) == Phase::Down);  // rising keeps the down announcement
  sm.handle(HealthEvent::Failure, t += 1000);
  CHECK(sm.state() == HealthState::Down);
}

TEST_CASE("state machine: a first failure is DOWN at once; rise 1 / fall 1; disable and enable") {
  StateMachine sm(StateParams{1, 1, 0, 0, 0});
  sm.handle(HealthEvent::Failure, 1);
  CHECK(sm.state() == HealthState::Down);
  CHECK(sm.settled());
  sm.handle(HealthEvent::Success, 2);
  CHECK(sm.state() == HealthState::Up);
  sm.handle(HealthEvent::Disable, 3);
  CHECK(sm.state() == HealthState::Disabled);
  CHECK(sm.phase(3) == Phase::Disabled);
  sm.handle(HealthEvent::Failure, 4);  // ignored while disabled
  sm.handle(HealthEvent::Success, 5);
  CHECK(sm.state() == HealthState::Disabled);
  sm.handle(HealthEvent::Enable, 6);
  CHECK(sm.state() == HealthState::Init);
  CHECK(sm.phase(6) == Phase::Disabled);  // announced disabled until the next settled state
  sm.handle(HealthEvent::Failure, 7);
  CHECK(sm.phase(7) == Phase::Down);
}

TEST_CASE("flap hold-down: more than N up/down changes in the window hold the phase down") {
  // 2 transitions allowed in 10 s; the hold lasts 30 s.
  StateMachine sm(StateParams{1, 1, 2, 10000, 30000});
  uint64_t t = 1000;
  sm.handle(HealthEvent::Success, t);          // INIT -> UP (not a flap: nothing before)
  sm.handle(HealthEvent::Failure, t += 1000);  // flap 1
  sm.handle(HealthEvent::Success, t += 1000);  // flap 2
  CHECK_FALSE(sm.held_down(t));
  CHECK(sm.phase(t) == Phase::Up);
  sm.handle(HealthEvent::Failure, t += 1000);  // flap 3 > 2
  sm.handle(HealthEvent::Success, t += 1000);
  CHECK(sm.state() == HealthState::Up);
  CHECK(sm.held_down(t));
  CHECK(sm.phase(t) == Phase::Down);  // held down although up
  CHECK(sm.phase(sm.hold_until_ms() + 1) == Phase::Up);
  // Slow flaps (outside the window) never trigger it.
  StateMachine slow(StateParams{1, 1, 2, 10000, 30000});
  uint64_t u = 0;
  for (int i = 0; i < 10; ++i) {
    slow.handle(i % 2 ? HealthEvent::Failure : HealthEvent::Success, u += 20000);
    CHECK_FALSE(slow.held_down(u));
  }
}

TEST_CASE("every (state, event) pair is handled and stays in the enum") {
  const HealthEvent events[] = {HealthEvent::Success, HealthEvent::Failure, HealthEvent::Disable,
                                HealthEvent::Enable};
  for (auto a : events)
    for (auto b : events)
      for (auto c : events)
        for (auto d : events) {
          StateMachine sm(StateParams{2, 2, 1, 1000, 1000});
          uint64_t t = 0;
          for (auto e : {a, b, c, d}) {
            sm.handle(e, t += 100);
            CHECK(to_string(sm.state()) != "?");
          }
        }
}

TEST_CASE("score and MED: full = base, partial = base + 50, low = down; increase per extra route") {
  CHECK(score_of(3, 3) == Score::Full);
  CHECK(score_of(2, 3) == Score::Partial);
  CHECK(score_of(1, 2) == Score::Partial);
  CHECK(score_of(1, 3) == Score::Low);
  CHECK(score_of(0, 1) == Score::Low);
  CHECK(score_of(0, 0) == Score::Low);
  MedParams p;  // ExaBGP defaults: down 1000, disabled 500, increase 1
  CHECK(med_for(Phase::Up, Score::Full, 100, 0, p) == 100);
  CHECK(med_for(Phase::Up, Score::Partial, 100, 0, p) == 150);
  CHECK(med_for(Phase::Down, Score::Low, 100, 0, p) == 1000);
  CHECK(med_for(Phase::Disabled, Score::Full, 100, 0, p) == 500);
  CHECK(med_for(Phase::Up, Score::Full, 100, 2, p) == 102);
  CHECK(med_for(Phase::Down, Score::Low, 100, 3, p) == 1003);
  p.increase = 10;
  CHECK(med_for(Phase::Up, Score::Partial, 100, 1, p) == 160);
  CHECK(med_for(Phase::Up, Score::Full, 0xFFFFFFF0u, 5, p) == 0xFFFFFFFFu);  // saturates
}

TEST_CASE("argv splitting never interprets shell syntax") {
  CHECK(split_argv("/bin/echo a b") == std::vector<std::string>{"/bin/echo", "a", "b"});
  CHECK(split_argv("x 'a b' \"c d\"") == std::vector<std::string>{"x", "a b", "c d"});
  CHECK(split_argv("x ; $(rm) `id` a|b > f") ==
        std::vector<std::string>{"x", ";", "$(rm)", "`id`", "a|b", ">", "f"});
  CHECK(split_argv("x\nnewline") == std::vector<std::string>{"x\nnewline"});
  CHECK(split_argv("x 'open").empty());
  CHECK(split_argv("   ").empty());
}

TEST_CASE("http URLs: IP literal hosts, ports, paths; no header injection") {
  auto u = parse_http_url("http://192.0.2.11/health");
  REQUIRE(u);
  CHECK(u->address == *IpAddress::parse("192.0.2.11"));
  CHECK(u->port == 80);
  CHECK(u->path == "/health");
  auto v = parse_http_url("http://[2001:db8::1]:8080/x?y=1");
  REQUIRE(v);
  CHECK(v->port == 8080);
  CHECK(v->address == *IpAddress::parse("2001:db8::1"));
  CHECK(parse_http_url("http://127.0.0.1:81")->path == "/");
  CHECK(parse_http_url("http://localhost:8000/")->address == IpAddress::v4(0x7f000001));
  CHECK_FALSE(parse_http_url("http://127.0.0.1:99999/"));
  CHECK_FALSE(parse_http_url("http://127.0.0.1/a b"));
  CHECK_FALSE(parse_http_url("http://127.0.0.1/a\r\nX: y"));
}

TEST_CASE("https URLs and host names: default ports, authority, what is refused and why") {
  auto s = parse_http_url("https://192.0.2.11/health");
  REQUIRE(s);
  CHECK(s->https);
  CHECK(s->port == 443);
  CHECK(s->authority() == "192.0.2.11");
  auto n = parse_http_url("https://web.example:8443/h");
  REQUIRE(n);
  CHECK_FALSE(n->address);  // a name: the check must say where to connect
  CHECK(n->host == "web.example");
  CHECK(n->authority() == "web.example:8443");
  CHECK(parse_http_url("http://[2001:db8::1]:8080/")->authority() == "[2001:db8::1]:8080");
  CHECK(parse_http_url("https://[2001:db8::1]:443/")->authority() == "[2001:db8::1]");
  CHECK(parse_http_url("http://web.example:80/")->authority() == "web.example");
  std::string why;
  CHECK_FALSE(parse_http_url("ftp://192.0.2.1/", &why));
  CHECK(why == "the scheme is not http:// or https://");
  CHECK_FALSE(parse_http_url("https://web..example/", &why));
  CHECK(why == "\"web..example\" is neither an address nor a host name");
  CHECK_FALSE(parse_http_url("https://-web.example/", &why));
  CHECK_FALSE(parse_http_url("https://192.0.2.256/", &why));  // a bad address, not a name
  CHECK_FALSE(parse_http_url("https://[192.0.2.1]/", &why));
  CHECK_FALSE(parse_http_url("https://[2001:db8::1/", &why));
  CHECK(why == "the '[' of an IPv6 address is not closed");
  CHECK_FALSE(parse_http_url("https://a@192.0.2.1/", &why));
  CHECK_FALSE(parse_http_url("https://192.0.2.1/x#frag", &why));
  CHECK_FALSE(parse_http_url("https:///x", &why));
  CHECK(why == "the host is empty");
  CHECK_FALSE(parse_http_url("https://192.0.2.1:/", &why));
  CHECK(is_dns_name("a-b.c1.example"));
  CHECK_FALSE(is_dns_name(std::string(64, 'a') + ".example"));
  CHECK_FALSE(is_dns_name("1.2.3.4"));
}

namespace {
// Feeds `response` in reads of `step` bytes (0: at once), then the end of the stream.
HttpResponseReader read_response(std::string_view response, std::size_t step, bool want_body,
                                 bool eof = true) {
  HttpResponseReader r(want_body);
  if (step == 0) step = response.size() + 1;
  for (std::size_t at = 0; at < response.size() && !r.finished(); at += step)
    r.feed(response.substr(at, step));
  if (eof) r.end_of_stream();
  return r;
}
}  // namespace

TEST_CASE("http response reader: Content-Length, chunked, to the close, any split") {
  const std::string length = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloXXXX";
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nTrailer: x\r\n\r\n";
  const std::string closed = "HTTP/1.0 200 OK\nServer: t\n\nhello";
  for (std::size_t step : {0, 1, 2, 7}) {
    CAPTURE(step);
    auto a = read_response(length, step, true, false);  // done without the close
    CHECK(a.ok());
    CHECK(a.body() == "hello");
    auto b = read_response(chunked, step, true, false);
    CHECK(b.ok());
    CHECK(b.body() == "hello");
    auto c = read_response(closed, step, true, false);
    CHECK_FALSE(c.finished());  // runs to the close
    c.end_of_stream();
    CHECK(c.ok());
    CHECK(c.body() == "hello");
    auto d = read_response(length, step, false, false);  // status only: the status line suffices
    CHECK(d.ok());
    CHECK(d.status().code == 200);
    CHECK(d.body().empty());
  }
  // Transfer-Encoding chunked wins over Content-Length (RFC 9112 6.3).
  auto both = read_response(
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n",
      3, true, false);
  CHECK(both.ok());
  CHECK(both.body() == "ok");
  // No body: 204 and 304 end at the blank line.
  CHECK(read_response("HTTP/1.1 204 No Content\r\n\r\n", 0, true, false).ok());
}

TEST_CASE("http response reader: bounds and broken framing") {
  // A body beyond kMaxHttpBody is read up to the bound and no further.
  const std::string big(kMaxHttpBody + 10, 'x');
  auto capped = read_response("HTTP/1.1 200 OK\r\n\r\n" + big + "OK", 4096, true, false);
  CHECK(capped.ok());
  CHECK(capped.body_capped());
  CHECK(capped.body().size() == kMaxHttpBody);
  CHECK(capped.body().find("OK") == std::string::npos);
  auto exact = read_response("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kMaxHttpBody) +
                                 "\r\n\r\n" + std::string(kMaxHttpBody, 'y'),
                             1000, true, false);
  CHECK(exact.ok());
  CHECK_FALSE(exact.body_capped());
  // Headers beyond kMaxHttpHeaders, at once or byte by byte: the same error.
  const std::string flood = "HTTP/1.1 200 OK\r\nX: " + std::string(kMaxHttpHeaders, 'a') + "\r\n";
  for (std::size_t step : {0, 1, 100}) {
    auto r = read_response(flood, step, true);
    CHECK_FALSE(r.ok());
    CHECK(r.error() == "the header section is over 16384 bytes");
  }
  auto truncated = read_response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, true);
  CHECK_FALSE(truncated.ok());
  CHECK(truncated.error() == "connection closed 7 bytes before the end of the body");
  CHECK(read_response("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", 0, true).error() ==
        "conflicting Content-Length values");
  CHECK(read_response("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nab", 0, true).ok());
  CHECK(read_response("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, true).error() ==
        "Content-Length \"-1\" is not a number");
  CHECK(read_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, true)
            .error() == "a chunk size is not hexadecimal");
  CHECK(read_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 0, true)
            .error() == "a chunk's data does not end with CRLF");
  CHECK(read_response("HTTP/1.1 200 OK\r\n folded\r\n\r\n", 0, true).error() ==
        "obsolete line folding in a header field");
  CHECK(read_response("SSH-2.0-OpenSSH_9.2\r\n", 0, true).error() ==
        "not an HTTP response: SSH-2.0-OpenSSH_9.2");
  CHECK(read_response("", 0, true).error() == "connection closed without a response");
  // A status line that never ends: judged at the bound when only the status counts.
  auto st = read_response("HTTP/1.1 503 " + std::string(5000, 'z'), 512, false, false);
  CHECK(st.ok());
  CHECK(st.status().code == 503);
  auto stb = read_response("HTTP/1.1 503 " + std::string(5000, 'z'), 512, true, false);
  CHECK_FALSE(stb.ok());
  CHECK(stb.error() == "the status line is over 1024 bytes");
}

TEST_CASE("http status line: RFC 9112 form only, three digits, printable") {
  CHECK_FALSE(http_status_line_complete("HTTP/1.1 200"));
  CHECK(http_status_line_complete("HTTP/1.1 200 OK\r\n"));
  CHECK(http_status_line_complete(std::string(kMaxHttpStatusRead, 'x')));
  CHECK(parse_http_status("HTTP/1.1 200 OK\r\nServer: x\r\n").code == 200);
  CHECK(parse_http_status("HTTP/1.1 200 OK\r\n").line == "HTTP/1.1 200 OK");
  CHECK(parse_http_status("HTTP/1.0 503").code == 503);
  CHECK(parse_http_status("HTTP/2 204 No Content\n").code == 204);
  // A code of four digits, or two, is not a status (it read as 200 / 20 before).
  CHECK(parse_http_status("HTTP/1.1 2000 OK\r\n").code == 0);
  CHECK(parse_http_status("HTTP/1.1 20 OK\r\n").code == 0);
  CHECK(parse_http_status("HTTP/1.1 +20 OK\r\n").code == 0);
  CHECK(parse_http_status("SSH-2.0-OpenSSH\r\n").code == 0);
  CHECK(parse_http_status("HTTP/2 004\r\n").code == 0);  // not a status class (RFC 9110 15)
  CHECK(parse_http_status("HTTP/1.1 600 X\r\n").code == 0);
  CHECK(parse_http_status("").code == 0);
  // Control bytes from the server never reach `show health` raw.
  constexpr char kRaw[] = "HTTP/1.1 200 O\x1b[2J\0K\rX\n";
  const std::string raw(kRaw, sizeof kRaw - 1);
  CHECK(parse_http_status(raw).line == "HTTP/1.1 200 O\\x1b[2J\\x00K\\x0dX");
  CHECK(parse_http_status(raw).code == 200);
}

TEST_CASE("process API lines applied to a route source: next-hop self, withdraw, malformed") {
  boost::asio::io_context io;
  rs::conf::ProcessConfig pc;
  pc.name = "p";
  pc.run = "/bin/true";
  pc.next_hop = *IpAddress::parse("192.0.2.7");
  RecordingSink sink;
  Process p(io, pc, sink, *IpAddress::parse("10.255.0.1"));
  CHECK(p.apply_line("announce route 203.0.113.10/32 next-hop self med 100"));
  REQUIRE(sink.routes.size() == 1);
  const auto& a = sink.routes.begin()->second;
  CHECK(a.next_hop == *IpAddress::parse("192.0.2.7"));
  CHECK(a.med == 100);
  CHECK(a.has(rs::rib::AttrType::Origin));
  CHECK(p.apply_line("announce route 203.0.113.10/32 next-hop self med 100"));
  CHECK(sink.announces == 1);  // unchanged: not re-announced
  CHECK(p.apply_line("announce route 203.0.113.10/32 next-hop self med 1000"));
  CHECK(sink.announces == 2);
  CHECK_FALSE(p.apply_line("announce route 203.0.113.10/32 nexthop self"));
  CHECK_FALSE(p.apply_line("\x01\x02 garbage"));
  CHECK(p.view().malformed == 2);
  CHECK(p.view().last_error.find("garbage") != std::string::npos);
  CHECK(p.view().last_error.find("\\x01\\x02") != std::string::npos);  // escaped in logs
  CHECK(p.apply_line("neighbor 192.0.2.1 withdraw route 203.0.113.10/32 next-hop self"));
  CHECK(sink.routes.empty());
  CHECK(p.view().commands == 4);

  // Without `next hop`, self is the router id.
  rs::conf::ProcessConfig pc2 = pc;
  pc2.next_hop.reset();
  Process q(io, pc2, sink, *IpAddress::parse("10.255.0.1"));
  CHECK(q.apply_line("announce route 203.0.113.11/32 next-hop self"));
  CHECK(sink.routes.at({*Prefix::parse("203.0.113.11/32"), 0}).next_hop ==
        *IpAddress::parse("10.255.0.1"));
}

TEST_CASE("restart backoff doubles from 1 s to 60 s") {
  CHECK(Process::backoff_ms(1) == 1000);
  CHECK(Process::backoff_ms(2) == 2000);
  CHECK(Process::backoff_ms(4) == 8000);
  CHECK(Process::backoff_ms(7) == 60000);
  CHECK(Process::backoff_ms(1000) == 60000);
}

TEST_CASE("operator state store: set, replace, clear, survive reopening") {
  char tmpl[] = "/tmp/rsd_opstate_XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  const std::string path = (dir / "state.db").string();
  {
    std::string err;
    auto s = OperatorStateStore::open(path, err);
    REQUIRE(s);
    CHECK(s->set("web", "maintenance", "on").empty());
    CHECK(s->set("web", "drain", "300000 10").empty());
    CHECK(s->set("web", "drain", "60000 5").empty());
    CHECK(s->set("dns", "disabled", "on").empty());
    CHECK(s->clear("dns", "disabled").empty());
  }
  std::string err;
  auto s = OperatorStateStore::open(path, err);
  REQUIRE(s);
  auto recs = s->load(err);
  CHECK(err.empty());
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].name == "web");
  CHECK(recs[0].kind == "drain");
  CHECK(recs[0].value == "60000 5");
  CHECK(recs[1].kind == "maintenance");
  CHECK(recs[1].since > 0);
  std::string err2;
  CHECK_FALSE(OperatorStateStore::open((dir / "no/such/dir/x.db").string(), err2));
  CHECK_FALSE(err2.empty());
  std::filesystem::remove_all(dir);
}
