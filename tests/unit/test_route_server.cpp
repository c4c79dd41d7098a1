// The route server end to end, in one process over loopback TCP: rsd's own sessions as the three
// service nodes of the ExaBGP HA wiki and as an edge router. The edge's best path for each service
// IP follows the MED table; a node that raises its MEDs or goes away loses its IPs; a filter change
// applied by reconfigure re-evaluates routes without resetting any session.
#include <doctest/doctest.h>

#include <algorithm>

#include "route_server_lab.hpp"

using namespace lab;

namespace {

std::string rsd_config(const std::string& import_set, const std::string& edge_channel = "") {
  return R"(
router id 192.0.2.254;
filter services {
  if net ~ )" +
         import_set + R"( then accept;
  reject;
}
template bgp node {
  local 127.0.3.1 port 17391 as 65000;
  rr client;
  passive;
  ipv4 { import filter services; export none; };
  ipv6 { import filter services; export none; };
}
protocol bgp node1 from node { neighbor 127.0.3.11 as 65000; }
protocol bgp node2 from node { neighbor 127.0.3.12 as 65000; }
protocol bgp node3 from node { neighbor 127.0.3.13 as 65000; }
protocol bgp edge1 {
  local 127.0.3.1 port 17391 as 65000;
  neighbor 127.0.3.21 as 65000;
  rr client;
  passive;
  ipv4 { import none; export all; )" +
         edge_channel + R"( };
  ipv6 { import none; export all; )" +
         edge_channel + R"( };
}
)";
}

const char* kIps[] = {"203.0.113.10/32", "203.0.113.11/32", "203.0.113.12/32"};
const char* kIps6[] = {"2001:db8:30::1/128", "2001:db8:30::2/128", "2001:db8:30::3/128"};
const uint32_t kMed[3][3] = {{100, 101, 102}, {101, 100, 102}, {102, 101, 100}};
const char* kNh[] = {"192.0.2.11", "192.0.2.12", "192.0.2.13"};
const char* kNh6[] = {"2001:db8::11", "2001:db8::12", "2001:db8::13"};

void announce_all(Lab& lab, int node, uint32_t extra) {
  for (int ip = 0; ip < 3; ++ip) {
    lab.nodes[node].announce(*Prefix::parse(kIps[ip]), *IpAddress::parse(kNh[node]),
                             kMed[node][ip] + extra);
    lab.nodes[node].announce(*Prefix::parse(kIps6[ip]), *IpAddress::parse(kNh6[node]),
                             kMed[node][ip] + extra);
  }
}

}  // namespace

TEST_CASE(
    "the wiki's MED table: each service IP is served by its primary node, failover moves it") {
  Lab lab(rsd_config("[ 203.0.113.0/24{32,32} ] || net ~ [ 2001:db8:30::/48{128,128} ]"));
  REQUIRE(lab.run_until([&] {
    return lab.edge.peer->established() && lab.nodes[0].peer->established() &&
           lab.nodes[1].peer->established() && lab.nodes[2].peer->established();
  }));
  for (int n = 0; n < 3; ++n) announce_all(lab, n, 0);
  // Something outside the import filter never reaches the edge.
  lab.nodes[0].announce(*Prefix::parse("198.51.100.0/24"), *IpAddress::parse(kNh[0]), 1);
  REQUIRE(lab.run_until([&] {
    return lab.at_edge(kIps[0]) == kNh[0] && lab.at_edge(kIps[1]) == kNh[1] &&
           lab.at_edge(kIps[2]) == kNh[2] && lab.at_edge(kIps6[2]) == kNh6[2] && lab.server->idle();
  }));
  CHECK(lab.at_edge("198.51.100.0/24").empty());
  CHECK(lab.edge.held.size() == 6);
  CHECK(lab.edge.held[*Prefix::parse(kIps[1])].med == 100);

  // node2 fails its health check: MEDs + 1000; 203.0.113.11 moves to node3 (101 < 1100, node1 101:
  // tie on MED between node1 and node3 is broken by router id, node1 wins).
  announce_all(lab, 1, 1000);
  REQUIRE(lab.run_until([&] { return lab.at_edge(kIps[1]) == kNh[0] && lab.server->idle(); }));
  CHECK(lab.at_edge(kIps[0]) == kNh[0]);
  CHECK(lab.at_edge(kIps[2]) == kNh[2]);

  // node3 dies (session goes down): 203.0.113.12 moves to node1 (MED 102 < 1102).
  lab.nodes[2].peer->stop(wire::subcode::kAdministrativeShutdown, "test");
  REQUIRE(lab.run_until([&] { return lab.at_edge(kIps[2]) == kNh[0] && lab.server->idle(); }));
  CHECK(lab.at_edge(kIps6[2]) == kNh6[0]);
  CHECK(lab.edge.establishments == 1);
}

TEST_CASE("a filter change is applied softly: routes re-evaluated, no session reset") {
  Lab lab(rsd_config("[ 203.0.113.0/24{32,32} ] || net ~ [ 2001:db8:30::/48{128,128} ]"));
  REQUIRE(lab.run_until(
      [&] { return lab.edge.peer->established() && lab.nodes[0].peer->established(); }));
  announce_all(lab, 0, 0);
  REQUIRE(lab.run_until([&] { return lab.edge.held.size() == 6 && lab.server->idle(); }));

  auto next = rs::conf::load_string(
      rsd_config("[ 203.0.113.10/32 ] || net ~ [ 2001:db8:30::1/128 ]"), "test.conf");
  REQUIRE(next.ok());
  auto plan = lab.server->reconfigure(std::make_shared<rs::conf::Config>(std::move(next.config)));
  CHECK(plan.find("node1")->action == rs::conf::ReconfigAction::SoftReload);
  REQUIRE(lab.run_until([&] { return lab.edge.held.size() == 2 && lab.server->idle(); }));
  CHECK(lab.at_edge(kIps[0]) == kNh[0]);
  CHECK(lab.at_edge(kIps6[0]) == kNh6[0]);
  // Nobody's session was reset.
  CHECK(lab.edge.establishments == 1);
  CHECK(lab.nodes[0].establishments == 1);
  CHECK(lab.nodes[0].peer->established());
}

TEST_CASE("ADD-PATH send (RFC 7911): an edge with `add paths tx` holds every node's path") {
  Lab lab(rsd_config("[ 203.0.113.0/24{32,32} ] || net ~ [ 2001:db8:30::/48{128,128} ]",
                     "add paths tx;"),
          true);
  REQUIRE(lab.run_until([&] {
    return lab.edge.peer->established() && lab.nodes[0].peer->established() &&
           lab.nodes[1].peer->established() && lab.nodes[2].peer->established();
  }));
  REQUIRE(lab.edge.peer->negotiated()->negotiated.add_path_rx_ipv4);
  for (int n = 0; n < 3; ++n) announce_all(lab, n, 0);
  REQUIRE(lab.run_until([&] { return lab.edge.paths.size() == 18 && lab.server->idle(); }));
  // Three distinct path ids per prefix, carrying each node's MED.
  for (int ip = 0; ip < 3; ++ip) {
    std::vector<uint32_t> ids, meds;
    for (const auto& [k, med] : lab.edge.paths)
      if (k.first == *Prefix::parse(kIps[ip])) ids.push_back(k.second), meds.push_back(med);
    REQUIRE(ids.size() == 3);
    CHECK(ids[0] != ids[1]);
    CHECK(ids[1] != ids[2]);
    CHECK(ids[0] != ids[2]);
    std::sort(meds.begin(), meds.end());
    std::vector<uint32_t> want{kMed[0][ip], kMed[1][ip], kMed[2][ip]};
    std::sort(want.begin(), want.end());
    CHECK(meds == want);
  }
  // A change to a path that is not the best still reaches the edge.
  lab.nodes[2].announce(*Prefix::parse(kIps[0]), *IpAddress::parse(kNh[2]), 5000);
  auto has_med = [&](uint32_t m) {
    for (const auto& [k, med] : lab.edge.paths)
      if (med == m) return true;
    return false;
  };
  REQUIRE(lab.run_until([&] { return has_med(5000) && lab.server->idle(); }));
  CHECK(lab.edge.paths.size() == 18);
  // node3 goes away: exactly its six paths are withdrawn.
  lab.nodes[2].peer->stop(wire::subcode::kAdministrativeShutdown, "test");
  REQUIRE(lab.run_until([&] { return lab.edge.paths.size() == 12 && lab.server->idle(); }));
  CHECK_FALSE(has_med(5000));
  CHECK(lab.edge.establishments == 1);
}
