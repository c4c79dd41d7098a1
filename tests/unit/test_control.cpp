// The control-socket commands without sockets: rs::control::Commands against a RouteServer with
// static routes. Replies are checked as BIRD-framed text; long replies are produced in slices
// whose concatenation equals the one-shot reply.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include "cli/reply.hpp"
#include "conf/parser.hpp"
#include "rs/control/commands.hpp"
#include "rs/route_server.hpp"

using namespace rs;

namespace {

const char* kConfig = R"(
router id 192.0.2.1;
filter high_med { if bgp_med > 5 then accept; reject; }
protocol static st1 {
  ipv4;
  route 203.0.113.0/24 via 192.0.2.2 { bgp_med = 10; accept; };
  route 198.51.100.0/24 via 192.0.2.3;
  route 192.0.2.128/25 via 192.0.2.3;
  route 10.0.0.0/8 via 192.0.2.3;
  route 10.1.0.0/16 via 192.0.2.3;
  route 10.1.2.0/24 via 192.0.2.3;
}
protocol static st6 { ipv6; route 2001:db8::/32 via 2001:db8::1; }
protocol bgp peer1 {
  local 127.0.0.1 port 0 as 65000;
  neighbor 127.0.0.2 as 65001;
  passive;
  disabled;
  ipv4 { import all; export all; };
}
)";

struct Fixture {
  boost::asio::io_context io;
  std::shared_ptr<const conf::Config> config;
  std::unique_ptr<RouteServer> server;
  std::unique_ptr<control::Commands> commands;
  control::SessionState session;

  explicit Fixture(const char* text = kConfig) {
    conf::LoadResult r = conf::load_string(text, "t.conf");
    REQUIRE_MESSAGE(r.ok(), r.diagnostics.to_string());
    config = std::make_shared<const conf::Config>(std::move(r.config));
    server = std::make_unique<RouteServer>(io, config);
    REQUIRE(server->start().empty());
    for (int i = 0; i < 1000 && !server->idle(); ++i) io.poll();
    control::ControlContext ctx{io, *server, "t.conf", config};
    commands = std::make_unique<control::Commands>(ctx);
  }
  ~Fixture() { server->shutdown("test"); }

  // The whole reply, slice by slice with `budget`.
  std::string run(const std::string& line, std::size_t budget = 1 << 20, int* slices = nullptr) {
    auto out = commands->execute(line, session);
    std::string text;
    int n = 0;
    while (true) {
      cli::ReplyWriter w;
      bool more = out->next(w, budget);
      text += w.take();
      ++n;
      if (!more) break;
    }
    if (slices) *slices = n;
    return text;
  }
};

}  // namespace

TEST_CASE("pattern_match") {
  CHECK(control::pattern_match("peer*", "peer1"));
  CHECK(control::pattern_match("*", ""));
  CHECK(control::pattern_match("p?er*1", "peer21"));
  CHECK_FALSE(control::pattern_match("peer?", "peer12"));
  CHECK_FALSE(control::pattern_match("x*", "peer"));
}

TEST_CASE("show route: layout, order, for, count, errors") {
  Fixture f;
  std::string all = f.run("show route");
  CHECK(all.rfind("1007-Table master4:\n 10.0.0.0/8", 0) == 0);
  CHECK(all.find("\n \tvia 192.0.2.3\n") != std::string::npos);
  CHECK(all.find("\n \n Table master6:\n 2001:db8::/32") != std::string::npos);
  CHECK(all.size() > 10);
  CHECK(all.substr(all.size() - 6) == "0000 \n");
  // Sorted by prefix.
  CHECK(all.find("10.0.0.0/8") < all.find("10.1.0.0/16"));
  CHECK(all.find("10.1.2.0/24") < all.find("192.0.2.128/25"));
  // Longest match.
  std::string r = f.run("show route for 10.1.2.3");
  CHECK(r.find("10.1.2.0/24") != std::string::npos);
  CHECK(r.find("10.1.0.0/16") == std::string::npos);
  r = f.run("show route for 10.1.3.3");
  CHECK(r.find("10.1.0.0/16") != std::string::npos);
  CHECK(f.run("show route for 172.16.0.1") == "8001 Network not found\n");
  CHECK(f.run("show route 10.1.0.0/24") == "8001 Network not found\n");
  CHECK(f.run("show route count") ==
        "1007-6 of 6 routes for 6 networks in table master4\n 1 of 1 routes for 1 networks in "
        "table master6\n"
        "0014 Total: 7 of 7 routes for 7 networks in 2 tables\n");
  CHECK(f.run("show route count table master6") ==
        "1007-1 of 1 routes for 1 networks in table master6\n0000 \n");
  CHECK(f.run("sh ro where bgp_med = 10 count") ==
        "1007-1 of 6 routes for 6 networks in table master4\n 0 of 1 routes for 1 networks in "
        "table master6\n"
        "0014 Total: 1 of 7 routes for 7 networks in 2 tables\n");
  CHECK(f.run("show route filter high_med").find("203.0.113.0/24") != std::string::npos);
  CHECK(f.run("show route filter nope").rfind("9001 ", 0) == 0);
  CHECK(f.run("show route table nope").rfind("9001 ", 0) == 0);
  CHECK(f.run("show route where bgp_med ===").rfind("9001 ", 0) == 0);
  CHECK(f.run("show route protocol nope").rfind("9001 ", 0) == 0);
  r = f.run("show route for 203.0.113.1 all");
  CHECK(r.find("1008-\tType: static univ\n \tDecision: best (only path)\n1012-") !=
        std::string::npos);
  CHECK(r.find(" \tBGP.med: 10\n") != std::string::npos);
}

TEST_CASE("show route streams in slices that add up to the whole reply") {
  Fixture f;
  int slices = 0;
  std::string whole = f.run("show route all");
  std::string sliced = f.run("show route all", 64, &slices);
  CHECK(sliced == whole);
  CHECK(slices > 3);
}

TEST_CASE("show protocols, symbols, status, eval") {
  Fixture f;
  std::string p = f.run("show protocols");
  CHECK(p.rfind("2002-Name       Proto      Table      State  Since         Info\n1002-st1        "
                "Static     master4    up",
                0) == 0);
  CHECK(p.find("\n peer1      BGP        ---        down ") != std::string::npos);
  CHECK(f.run("show protocols \"st*\"").find("peer1") == std::string::npos);
  CHECK(f.run("show protocols \"zz*\"") == "8003 No protocols match\n");
  CHECK(f.run("show protocols zz").rfind("9001 ", 0) == 0);
  std::string a = f.run("show protocols all peer1");
  CHECK(a.find("1006-  BGP state:          Idle\n     Neighbor address: 127.0.0.2\n") !=
        std::string::npos);
  CHECK(a.find("    Input filter:   ACCEPT") != std::string::npos);
  std::string s = f.run("show symbols");
  CHECK(s.find("high_med\tfilter") != std::string::npos);
  CHECK(s.find("peer1   \tprotocol") != std::string::npos);
  CHECK(s.find("master4 \trouting table") != std::string::npos);  // implicit tables, as BIRD
  CHECK(f.run("show symbols protocol").find("high_med") == std::string::npos);
  CHECK(f.run("show symbols roa") == "0000 \n");  // no ROA tables: an empty list
  CHECK(f.run("show status").find("1011-Router ID is 192.0.2.1\n") != std::string::npos);
  CHECK(f.run("eval 1 + 2 * 3") == "0023 7\n");
  CHECK(f.run("eval (1,2)") == "0023 (1,2)\n");
  CHECK(f.run("eval 1 +").rfind("9001 ", 0) == 0);
  CHECK(f.run("eval nosuchthing").rfind("9001 ", 0) == 0);
}

TEST_CASE("protocol actions and the restricted mode") {
  Fixture f;
  CHECK(f.run("disable peer1") == "0008-peer1: already disabled\n0000 \n");
  CHECK(f.run("enable peer1") == "0011-peer1: enabled\n0000 \n");
  CHECK(f.run("enable peer1") == "0010-peer1: already enabled\n0000 \n");
  CHECK(f.run("disable \"peer*\" \"maintenance\"") == "0009-peer1: disabled\n0000 \n");
  CHECK(f.run("enable \"zz*\"") == "8003 No protocols match\n");
  CHECK(f.run("enable zz").rfind("9001 ", 0) == 0);
  CHECK(f.run("restart peer1") == "0008-peer1: already disabled\n0000 \n");
  CHECK(f.run("configure confirm") == "0019 Nothing to do\n");
  CHECK(f.run("configure undo") == "0019 Nothing to do\n");
  CHECK(f.run("restrict") == "0016 Access restricted\n");
  CHECK(f.session.restricted);
  CHECK(f.run("enable peer1") == "8007 Access denied\n");
  CHECK(f.run("configure") == "8007 Access denied\n");
  CHECK(f.run("down") == "8007 Access denied\n");
  CHECK(f.run("show route count table master6").rfind("1007-", 0) == 0);
  CHECK(f.run("") == "9001 syntax error, unexpected end\n");
  CHECK(f.run("nonsense") == "9001 syntax error, unknown command 'nonsense'\n");
}

TEST_CASE("show memory: the structures' accounting in BIRD's layout, a Total and the RSS") {
  Fixture f;
  const std::string m = f.run("show memory");
  CHECK(m.rfind("1018-rsd memory usage\n", 0) == 0);
  for (const char* part : {"Routing tables:", "Route attributes:", "Adj-RIB-Out:",
                           "Export buckets:", "Journal:", "Total:", "Resident (RSS):"})
    CHECK_MESSAGE(m.find(part) != std::string::npos, part);
  // The static routes are in the Loc-RIB: the accounting is not zero and matches memory().
  const RouteServer::MemoryReport r = f.server->memory();
  CHECK(r.rib.paths > 0);
  CHECK(r.rib.table > 0);
  CHECK(r.attrs.total() > 0);
  CHECK(r.total() >= r.rib.table + r.rib.paths + r.attrs.total());
}

TEST_CASE("import keep filtered: rejected routes are shown only when kept, per channel") {
  // Two static protocols with the same import filter; only the first keeps what it rejects.
  const char* text = R"(
router id 192.0.2.1;
protocol static kept {
  ipv4 { import where bgp_med > 5; import keep filtered; };
  route 203.0.113.0/24 via 192.0.2.2 { bgp_med = 10; };
  route 203.0.113.128/25 via 192.0.2.2 { bgp_med = 1; };
}
protocol static dropped {
  ipv6 { import where bgp_med > 5; };
  route 2001:db8:1::/48 via 2001:db8::2 { bgp_med = 10; };
  route 2001:db8:2::/48 via 2001:db8::2 { bgp_med = 1; };
}
)";
  Fixture f(text);
  const std::string filtered = f.run("show route filtered");
  CHECK(filtered.find("203.0.113.128/25") != std::string::npos);
  CHECK(filtered.find("2001:db8:2::/48") == std::string::npos);
  const std::string shown = f.run("show route");
  CHECK(shown.find("203.0.113.0/24") != std::string::npos);
  CHECK(shown.find("2001:db8:1::/48") != std::string::npos);
  CHECK(shown.find("203.0.113.128/25") == std::string::npos);
  CHECK(shown.find("2001:db8:2::/48") == std::string::npos);
  const std::string protos = f.run("show protocols all");
  // BIRD's layout: the `filtered` count only where filtered routes are kept.
  CHECK(protos.find("Routes:         1 imported, 1 filtered, 0 exported, 1 preferred") !=
        std::string::npos);
  CHECK(protos.find("Routes:         1 imported, 0 exported, 1 preferred") != std::string::npos);
  CHECK(protos.find("0 filtered") == std::string::npos);
  // A static channel's change statistics, as BIRD 2 shows them for this config: the two routes
  // are the updates received, one filtered, one accepted; nothing exported.
  const std::string updates =
      "      Import updates:              2          0          1          0          1\n";
  const std::string exports =
      "      Export updates:              0          0          0        ---          0\n";
  const auto first = protos.find(updates);
  CHECK(first != std::string::npos);
  CHECK(protos.find(updates, first + 1) != std::string::npos);  // both channels
  CHECK(protos.find(exports) != std::string::npos);
  CHECK(protos.find(
            "      Export withdraws:            0        ---        ---        ---          0\n") !=
        std::string::npos);
}

TEST_CASE("static blackhole, unreachable and prohibit routes are in the table") {
  const char* text = R"(
router id 192.0.2.1;
protocol static sinks { ipv4; route 198.51.100.0/24 blackhole; route 198.51.101.0/24 unreachable; }
protocol static sinks6 { ipv6 { preference 150; }; route 2001:db8:dead::/48 prohibit; }
)";
  Fixture f(text);
  const std::string shown = f.run("show route");
  CHECK(shown.find("198.51.100.0/24") != std::string::npos);
  CHECK(shown.find("198.51.101.0/24") != std::string::npos);
  CHECK(shown.find("2001:db8:dead::/48") != std::string::npos);
  // BIRD's layout: the destination instead of `unicast`, no `via` line.
  CHECK(shown.find("198.51.100.0/24      blackhole [sinks ") != std::string::npos);
  CHECK(shown.find("198.51.101.0/24      unreachable [sinks ") != std::string::npos);
  CHECK(shown.find("prohibited [sinks6 ") != std::string::npos);
  CHECK(shown.find("(150)") != std::string::npos);
  CHECK(shown.find("via 0.0.0.0") == std::string::npos);
}

TEST_CASE("show history arguments: a query, or a syntax error (never an exception)") {
  const int64_t now = 1'800'000'000'000'000;
  auto query = [&](const char* line, std::string& err) {
    auto p = cli::parse_command(line);
    REQUIRE(p.command);
    return control::history_query(*p.command, now, err);
  };
  std::string err;
  auto q = query("show history 10.1.2.3 since -10m until now limit 0", err);
  REQUIRE(q);
  CHECK(q->prefix == "10.1.2.3/32");
  CHECK(q->since_us == now - 600'000'000);
  CHECK(q->until_us == now);
  CHECK(q->limit == 1);
  CHECK_FALSE(q->failovers_only);
  q = query("show failovers limit 9999999999", err);
  REQUIRE(q);
  CHECK(q->limit == 100000);
  CHECK(q->failovers_only);
  // A relative time beyond int64 microseconds (a signed overflow before) is refused.
  CHECK_FALSE(query("show failovers since -999999999w", err));
  CHECK(err.find("since") == 0);
  CHECK(err.find("too far back") != std::string::npos);
  err.clear();
  CHECK_FALSE(query("show history 10.1.2.3/33", err));
  CHECK(err == "'10.1.2.3/33' is not a prefix");
}
