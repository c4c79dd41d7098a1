// The control socket's JSON mode without sockets: times, the framing of a document in 1040 lines,
// the generic envelope, a route's attributes, and `show route` in JSON against a RouteServer with
// static routes (sliced or whole, the same document).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <time.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "cli/reply.hpp"
#include "conf/parser.hpp"
#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/control/route_json.hpp"
#include "rs/route_server.hpp"

using namespace rs;
using nlohmann::json;

namespace {

const char* kConfig = R"(
router id 192.0.2.1;
protocol static st1 {
  ipv4;
  route 203.0.113.0/24 via 192.0.2.2 { bgp_med = 10; bgp_community.add((65000, 1)); };
  route 198.51.100.0/24 via 192.0.2.3;
  route 10.0.0.0/8 via 192.0.2.3;
  route 10.1.0.0/16 via 192.0.2.3;
  route 192.0.2.128/25 blackhole;
}
protocol static st6 { ipv6; route 2001:db8::/32 via 2001:db8::1 { bgp_med = 20; }; }
)";

struct Fixture {
  boost::asio::io_context io;
  std::shared_ptr<const conf::Config> config;
  std::unique_ptr<RouteServer> server;
  std::unique_ptr<control::Commands> commands;
  control::SessionState session;

  Fixture() {
    conf::LoadResult r = conf::load_string(kConfig, "t.conf");
    REQUIRE_MESSAGE(r.ok(), r.diagnostics.to_string());
    config = std::make_shared<const conf::Config>(std::move(r.config));
    server = std::make_unique<RouteServer>(io, config);
    REQUIRE(server->start().empty());
    for (int i = 0; i < 1000 && !server->idle(); ++i) io.poll();
    control::ControlContext ctx{io, *server, "t.conf", config};
    commands = std::make_unique<control::Commands>(ctx);
  }
  ~Fixture() { server->shutdown("test"); }

  std::string run(const std::string& line, std::size_t budget = 1 << 20) {
    auto out = commands->execute(line, session);
    std::string text;
    while (true) {
      cli::ReplyWriter w;
      bool more = out->next(w, budget);
      text += w.take();
      if (!more) break;
    }
    return text;
  }
};

// The document of a JSON reply and its last line; every line before the last must be a 1040 one.
struct Parsed {
  json doc;
  std::string last;
};
Parsed parse(const std::string& reply) {
  cli::ReplyParser p;
  p.feed(reply);
  std::string doc, last;
  while (auto l = p.next()) {
    if (l->last) {
      last = cli::format_code(l->code) + " " + l->text;
      break;
    }
    CHECK(l->code == cli::code::kJson);
    doc += l->text + "\n";
  }
  return {json::parse(doc), last};
}

struct Tz {
  explicit Tz(const char* tz) {
    if (const char* old = getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~Tz() {
    if (old_.empty())
      unsetenv("TZ");
    else
      setenv("TZ", old_.c_str(), 1);
    tzset();
  }
  std::string old_;
};

}  // namespace

TEST_CASE("iso_time: local time, milliseconds and the zone's offset") {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796537407123));
  {
    Tz tz("UTC0");
    CHECK(control::iso_time(t) == "2026-12-06T06:10:07.123+00:00");
    CHECK(control::iso_time_us(1796537407123456) == "2026-12-06T06:10:07.123+00:00");
  }
  {
    Tz tz("IST-5:30");  // POSIX: five and a half hours east of UTC
    CHECK(control::iso_time(t) == "2026-12-06T11:40:07.123+05:30");
  }
  {
    Tz tz("PST8");
    CHECK(control::iso_time(t) == "2026-12-05T22:10:07.123-08:00");
  }
  CHECK(control::iso_steady_ms(0).is_null());
}

TEST_CASE("write_json: one member, one array element a line; bad UTF-8 replaced") {
  control::Json doc = control::json_head("show x");
  doc["items"] = {1, 2, 3};
  doc["text"] = std::string("a\xff\nb");
  cli::ReplyWriter w;
  control::write_json(w, doc);
  const std::string text = w.text();
  CHECK(text.rfind("1040-{\"schema\":1\n ,\"command\":\"show x\"\n", 0) == 0);
  CHECK(text.find("\n ,\"items\":[\n 1\n ,2\n ,3\n ]\n") != std::string::npos);
  const Parsed j_r = parse(text);
  const json& j = j_r.doc;
  const std::string& last = j_r.last;
  CHECK(last == "0000 ");
  CHECK(j["items"] == json({1, 2, 3}));
  CHECK(j["text"] == "a\xef\xbf\xbd\nb");  // the newline stays escaped inside the string
  CHECK(j["ok"] == true);
}

TEST_CASE("json mode: show route, sliced or whole, and the envelope of errors and actions") {
  Fixture f;
  CHECK(f.run("json on") == "0000 \n");
  CHECK(f.session.json);
  const Parsed doc_r = parse(f.run("show route all"));
  const json& doc = doc_r.doc;
  const std::string& last = doc_r.last;
  CHECK(last == "0000 ");
  CHECK(doc["schema"] == 1);
  CHECK(doc["command"] == "show route");
  REQUIRE(doc["routes"].size() == 6);
  const json& r0 = doc["routes"][0];
  CHECK(r0["prefix"] == "10.0.0.0/8");
  CHECK(r0["table"] == "master4");
  CHECK(r0["best"] == true);
  CHECK(r0["preference"] == 200);
  CHECK(r0["decision"]["state"] == "best");
  json by;
  for (const auto& r : doc["routes"]) by[r["prefix"].get<std::string>()] = r;
  CHECK(by["203.0.113.0/24"]["attributes"]["med"] == 10);
  CHECK(by["203.0.113.0/24"]["attributes"]["communities"] == json::parse("[[65000,1]]"));
  CHECK(by["192.0.2.128/25"]["type"] == "blackhole");
  CHECK(by["192.0.2.128/25"]["next_hop"].is_null());
  CHECK(by["2001:db8::/32"]["table"] == "master6");
  CHECK(by["2001:db8::/32"]["attributes"]["med"] == 20);
  CHECK(doc["counts"] == json::parse(R"([{"table":"master4","shown":5,"routes":5,"networks":5},
                                         {"table":"master6","shown":1,"routes":1,"networks":1}])"));
  CHECK(doc["total"]["shown"] == 6);
  // In slices of 64 bytes (a 1040 code again at each slice's start): the same document.
  const Parsed sliced_r = parse(f.run("show route all", 64));
  const json& sliced = sliced_r.doc;
  const std::string& sliced_last = sliced_r.last;
  CHECK(sliced == doc);
  CHECK(sliced_last == "0000 ");

  const Parsed err_r = parse(f.run("show route for 172.16.0.1"));
  const json& err = err_r.doc;
  const std::string& err_last = err_r.last;
  CHECK(err_last == "8001 Network not found");
  CHECK(err["ok"] == false);
  CHECK(err["code"] == 8001);
  CHECK(err["command"] == "show route");
  CHECK(err["messages"] == json::parse(R"([{"code":8001,"text":"Network not found"}])"));
  const Parsed bad_r = parse(f.run("frobnicate"));
  const json& bad = bad_r.doc;
  const std::string& bad_last = bad_r.last;
  CHECK(bad["command"].is_null());
  CHECK(bad_last.rfind("9001 syntax error", 0) == 0);
  const Parsed en_r = parse(f.run("enable st1"));
  const json& en = en_r.doc;
  const std::string& en_last = en_r.last;
  CHECK(en["ok"] == true);
  CHECK(en["message"] == "st1: already enabled");
  CHECK(en_last == "0000 ");

  // `json off` answers in JSON (the mode it came in), then the text is BIRD's again.
  const Parsed off_r = parse(f.run("json off"));
  const json& off = off_r.doc;
  const std::string& off_last = off_r.last;
  CHECK(off_last == "0000 ");
  CHECK(off["command"] == "json");
  CHECK_FALSE(f.session.json);
  CHECK(f.run("show route count table master6") ==
        "1007-1 of 1 routes for 1 networks in table master6\n0000 \n");
}

TEST_CASE("json mode: protocols, memory and status carry typed values") {
  Fixture f;
  f.session.json = true;
  const Parsed p_r = parse(f.run("show protocols all st1"));
  const json& p = p_r.doc;
  const std::string& pl = p_r.last;
  CHECK(pl == "0000 ");
  REQUIRE(p["protocols"].size() == 1);
  const json& st1 = p["protocols"][0];
  CHECK(st1["proto"] == "Static");
  CHECK(st1["channels"][0]["routes"]["imported"] == 5);
  CHECK(st1["channels"][0]["import_withdraws"]["filtered"].is_null());
  const Parsed m_r = parse(f.run("show memory"));
  const json& m = m_r.doc;
  const std::string& ml = m_r.last;
  CHECK(ml == "0000 ");
  CHECK(m["memory"]["total"].is_number_unsigned());
  CHECK(m["memory"]["total"].get<uint64_t>() >= m["memory"]["routing_tables"].get<uint64_t>());
  const Parsed s_r = parse(f.run("show status"));
  const json& s = s_r.doc;
  const std::string& sl = s_r.last;
  CHECK(sl == "0000 ");
  CHECK(s["router_id"] == "192.0.2.1");
}

TEST_CASE("attributes_json: every attribute the text prints, typed") {
  rib::AttrTable table;
  rib::AttrBuilder b;
  b.set_origin(rib::Origin::Incomplete);
  b.as_path.segments.push_back({rib::AsSegmentType::Sequence, {65001, 65002}});
  b.as_path.segments.push_back({rib::AsSegmentType::Set, {64500, 64501}});
  b.set_present(rib::AttrType::AsPath);
  b.set_next_hop(*rib::IpAddress::parse("2001:db8::1"));
  b.next_hop_link_local = *rib::IpAddress::parse("fe80::1");
  b.set_med(7);
  b.set_local_pref(150);
  b.set_present(rib::AttrType::AtomicAggregate);
  b.aggregator = {65009, 0xc0000201};
  b.set_present(rib::AttrType::Aggregator);
  b.communities.values = {(65000u << 16) | 1u, (65000u << 16) | 2u};
  b.set_present(rib::AttrType::Communities);
  b.large_communities.values = {{65000, 1, 2}};
  b.set_present(rib::AttrType::LargeCommunities);
  auto a = table.intern(b);
  const json j = json::parse(control::attributes_json(*a).dump());
  CHECK(j["origin"] == "Incomplete");
  CHECK(j["as_path"] == json::parse(R"([{"type":"sequence","asns":[65001,65002]},
                                       {"type":"set","asns":[64500,64501]}])"));
  CHECK(j["next_hop"] == "2001:db8::1");
  CHECK(j["next_hop_link_local"] == "fe80::1");
  CHECK(j["med"] == 7);
  CHECK(j["local_pref"] == 150);
  CHECK(j["atomic_aggregate"] == true);
  CHECK(j["aggregator"] == json::parse(R"({"address":"192.0.2.1","asn":65009})"));
  CHECK(j["communities"] == json::parse("[[65000,1],[65000,2]]"));
  CHECK(j["large_communities"] == json::parse("[[65000,1,2]]"));
  CHECK_FALSE(j.contains("otc"));
  CHECK_FALSE(j.contains("ext_communities"));
}
