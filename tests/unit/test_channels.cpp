// Channels (protocol x family) end to end: everything written inside `ipv4 { }` / `ipv6 { }`
// applies to that family only. The same dual-stack session gets different export filters, next-hop
// policies and preferences per family; `secondary`; static blackhole routes; an announcement that
// cannot be encoded for the edge is withdrawn, never recorded as sent.
#include <doctest/doctest.h>

#include "route_server_lab.hpp"

using namespace lab;

namespace {

const char* kV4[] = {"203.0.113.10/32", "203.0.113.11/32", "203.0.113.12/32"};
const char* kV6[] = {"2001:db8:30::1/128", "2001:db8:30::2/128", "2001:db8:30::3/128"};
const uint32_t kMed[3][3] = {{100, 101, 102}, {101, 100, 102}, {102, 101, 100}};
const char* kNh[] = {"192.0.2.11", "192.0.2.12", "192.0.2.13"};
const char* kNh6[] = {"2001:db8::11", "2001:db8::12", "2001:db8::13"};

// Nodes import every service IP; `edge_v4` / `edge_v6` are the edge's channel options, `node1`
// more statements of node1 only.
std::string config(const std::string& edge_v4, const std::string& edge_v6,
                   const std::string& node1 = "", const std::string& extra = "",
                   const std::string& node_opts = "") {
  return R"(
router id 192.0.2.254;
template bgp node {
  local 127.0.4.1 port 17392 as 65000;
  rr client;
  passive;
  )" + node_opts +
         R"(
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
protocol bgp node1 from node { neighbor 127.0.4.11 as 65000; )" +
         node1 + R"( }
protocol bgp node2 from node { neighbor 127.0.4.12 as 65000; }
protocol bgp node3 from node { neighbor 127.0.4.13 as 65000; }
protocol bgp edge1 {
  local 127.0.4.1 port 17392 as 65000;
  neighbor 127.0.4.21 as 65000;
  rr client;
  passive;
  ipv4 { import none; )" +
         edge_v4 + R"( };
  ipv6 { import none; )" +
         edge_v6 + R"( };
}
)" + extra;
}

struct ChannelLab : Lab {
  explicit ChannelLab(const std::string& text, bool node_extended = false)
      : Lab(text, false, "127.0.4", 17392, node_extended) {
    REQUIRE(run_until([&] {
      return edge.peer->established() && nodes[0].peer->established() &&
             nodes[1].peer->established() && nodes[2].peer->established();
    }));
  }
  void announce_all() {
    for (int n = 0; n < 3; ++n)
      for (int ip = 0; ip < 3; ++ip) {
        nodes[n].announce(*Prefix::parse(kV4[ip]), *IpAddress::parse(kNh[n]), kMed[n][ip]);
        nodes[n].announce(*Prefix::parse(kV6[ip]), *IpAddress::parse(kNh6[n]), kMed[n][ip]);
      }
  }
  bool settle(std::size_t held) {
    return run_until([&] { return edge.held.size() == held && server->idle(); });
  }
  const AttrBuilder* at(const char* p) {
    auto it = edge.held.find(*Prefix::parse(p));
    return it == edge.held.end() ? nullptr : &it->second;
  }
};

}  // namespace

TEST_CASE("dual stack: each family leaves through its own channel's export filter") {
  ChannelLab lab(config("export filter { if net = 203.0.113.10/32 then accept; reject; };",
                        "export filter { if net ~ [ 2001:db8:30::2/128, 2001:db8:30::3/128 ] then "
                        "accept; reject; };"));
  lab.announce_all();
  REQUIRE(lab.settle(3));
  // Settled at 3 routes: give any stray route the time to arrive before checking which ones.
  lab.run_until([] { return false; }, std::chrono::milliseconds(200));
  CHECK(lab.edge.held.size() == 3);
  CHECK(lab.at(kV4[0]));
  CHECK_FALSE(lab.at(kV4[1]));
  CHECK_FALSE(lab.at(kV6[0]));
  CHECK(lab.at(kV6[1]));
  CHECK(lab.at(kV6[2]));
}

TEST_CASE("export route change stats count per channel: accepted, filtered, withdrawn") {
  ChannelLab lab(config("export filter { if net = 203.0.113.10/32 then accept; reject; };",
                        "export filter { if net ~ [ 2001:db8:30::2/128, 2001:db8:30::3/128 ] then "
                        "accept; reject; };"));
  lab.announce_all();
  REQUIRE(lab.settle(3));
  auto stats = [&](rs::rib::Family f) {
    for (const auto& v : lab.server->protocols())
      if (v.name == "edge1") return v.export_stats[f];
    return rs::ExportStats{};
  };
  const rs::ExportStats v4 = stats(rs::rib::Family::Ipv4);
  const rs::ExportStats v6 = stats(rs::rib::Family::Ipv6);
  // Every best route offered is accepted or filtered (the edge announces nothing of its own).
  CHECK(v4.updates_received == v4.updates_accepted + v4.updates_filtered);
  CHECK(v6.updates_received == v6.updates_accepted + v6.updates_filtered);
  CHECK(v4.updates_rejected == 0);
  CHECK(v4.updates_accepted >= 1);
  CHECK(v4.updates_filtered >= 2);  // .11 and .12, by the IPv4 filter only
  CHECK(v6.updates_accepted >= 2);
  CHECK(v6.updates_filtered >= 1);
  CHECK(v4.withdraws_accepted == 0);
  // Every node withdraws 203.0.113.10/32: one withdrawal reaches the edge.
  for (auto& n : lab.nodes) n.withdraw(*Prefix::parse(kV4[0]));
  REQUIRE(lab.settle(2));
  const rs::ExportStats after = stats(rs::rib::Family::Ipv4);
  CHECK(after.withdraws_received == 1);
  CHECK(after.withdraws_accepted == 1);
  CHECK(stats(rs::rib::Family::Ipv6).withdraws_accepted == 0);
}

TEST_CASE("import withdraw stats as BIRD counts them, per family: filtered announcements too") {
  // IPv4 keeps its filtered routes (BIRD puts them in the table, as routes not accepted); IPv6
  // does not. Both reject the first prefix.
  ChannelLab lab(config("export all;", "export all;",
                        "ipv4 { import keep filtered; import filter { if net = 203.0.113.10/32 "
                        "then reject; accept; }; }; ipv6 { import filter { if net = "
                        "2001:db8:30::1/128 then reject; accept; }; };"));
  auto stats = [&](rs::rib::Family f) {
    for (const auto& v : lab.server->protocols())
      if (v.name == "node1") return v.stats[f];
    return rs::ChannelStats{};
  };
  const auto v4 = rs::rib::Family::Ipv4, v6 = rs::rib::Family::Ipv6;
  auto& node1 = lab.nodes[0];
  // node1 first: the rejected IPv6 prefix is nowhere in the table, so BIRD counts nothing for it;
  // the kept IPv4 one goes into the table as a route not accepted: an ignored withdrawal.
  for (int ip = 0; ip < 3; ++ip) {
    node1.announce(*Prefix::parse(kV4[ip]), *IpAddress::parse(kNh[0]), 100);
    node1.announce(*Prefix::parse(kV6[ip]), *IpAddress::parse(kNh6[0]), 100);
  }
  REQUIRE(lab.run_until([&] { return stats(v4).received == 3 && stats(v6).received == 3; }));
  REQUIRE(lab.settle(6 - 2));
  CHECK(stats(v4).withdraws_ignored == 1);
  CHECK(stats(v6).withdraws_ignored == 0);
  // With node2's route of the IPv6 prefix in the table, node1's rejected one counts as well.
  lab.nodes[1].announce(*Prefix::parse(kV6[0]), *IpAddress::parse(kNh6[1]), 100);
  REQUIRE(lab.settle(6 - 1));
  node1.announce(*Prefix::parse(kV6[0]), *IpAddress::parse(kNh6[0]), 90);
  REQUIRE(lab.run_until([&] { return stats(v6).received == 4 && lab.server->idle(); }));
  CHECK(stats(v6).withdraws_ignored == 1);
  // Withdrawals: of a filtered route, ignored; of an accepted one, accepted.
  node1.withdraw(*Prefix::parse(kV4[0]));
  node1.withdraw(*Prefix::parse(kV4[1]));
  REQUIRE(lab.run_until([&] { return stats(v4).withdrawn == 2 && lab.server->idle(); }));
  CHECK(stats(v4).withdraws_ignored == 2);
  CHECK(stats(v4).withdraws_accepted == 1);
  CHECK(stats(v6).withdraws_accepted == 0);
}

TEST_CASE("dual stack: `export none` on one family leaks nothing of it") {
  ChannelLab lab(config("export all;", "export none;"));
  lab.announce_all();
  REQUIRE(lab.settle(3));
  lab.run_until([] { return false; }, std::chrono::milliseconds(200));
  CHECK(lab.edge.held.size() == 3);
  for (const char* p : kV6) CHECK_FALSE(lab.at(p));
  for (const char* p : kV4) CHECK(lab.at(p));
}

TEST_CASE("next hop per channel: self for IPv4, keep for IPv6, address") {
  {
    ChannelLab lab(config("export all; next hop self;", "export all; next hop keep;"));
    lab.announce_all();
    REQUIRE(lab.settle(6));
    for (const char* p : kV4) CHECK(lab.at(p)->next_hop.to_string() == "127.0.4.1");
    CHECK(lab.at(kV6[0])->next_hop.to_string() == kNh6[0]);
    CHECK(lab.at(kV6[1])->next_hop.to_string() == kNh6[1]);
  }
  {
    ChannelLab lab(
        config("export all; next hop keep;", "export all; next hop address 2001:db8::fe;"));
    lab.announce_all();
    REQUIRE(lab.settle(6));
    CHECK(lab.at(kV4[2])->next_hop.to_string() == kNh[2]);
    for (const char* p : kV6) CHECK(lab.at(p)->next_hop.to_string() == "2001:db8::fe");
  }
}

TEST_CASE("channel preference decides before MED, in its own family only") {
  // node1's IPv4 routes have preference 200: it serves every IPv4 service IP; IPv6 follows MEDs.
  ChannelLab lab(config("export all;", "export all;", "ipv4 { preference 200; };"));
  lab.announce_all();
  REQUIRE(lab.settle(6));
  for (const char* p : kV4) CHECK(lab.at(p)->next_hop.to_string() == kNh[0]);
  CHECK(lab.at(kV6[1])->next_hop.to_string() == kNh6[1]);
  CHECK(lab.at(kV6[2])->next_hop.to_string() == kNh6[2]);
}

TEST_CASE("secondary: the best route the export filter accepts") {
  // The filter refuses every path with MED 100 (each IP's primary); with `secondary` the edge gets
  // the next best, without it nothing.
  ChannelLab lab(config("export where bgp_med != 100; secondary;", "export where bgp_med != 100;"));
  lab.announce_all();
  REQUIRE(lab.settle(3));
  lab.run_until([] { return false; }, std::chrono::milliseconds(200));
  CHECK(lab.edge.held.size() == 3);
  const uint32_t second[] = {101, 101, 102};  // the best MED after each IP's primary's 100
  for (int ip = 0; ip < 3; ++ip) {
    REQUIRE(lab.at(kV4[ip]));
    CHECK(lab.at(kV4[ip])->med == second[ip]);
  }
}

TEST_CASE("static blackhole routes are exported with the session's local address") {
  const std::string statics = R"(
protocol static sinks4 { ipv4; route 198.51.100.0/24 blackhole; route 198.51.101.0/24 unreachable; }
protocol static sinks6 { ipv6; route 2001:db8:dead::/48 prohibit; }
)";
  ChannelLab lab(config("export all; next hop keep;", "export all; next hop address 2001:db8::fe;",
                        "", statics));
  REQUIRE(lab.settle(3));
  REQUIRE(lab.at("198.51.100.0/24"));
  CHECK(lab.at("198.51.100.0/24")->next_hop.to_string() == "127.0.4.1");
  REQUIRE(lab.at("198.51.101.0/24"));
  REQUIRE(lab.at("2001:db8:dead::/48"));
  CHECK(lab.at("2001:db8:dead::/48")->next_hop.to_string() == "2001:db8::fe");
}

TEST_CASE("an announcement the edge cannot receive withdraws its older path") {
  // Nodes speak extended messages (RFC 8654), the edge does not: a route with 1,100 communities
  // (4,400 bytes) fits the node's session and not the edge's.
  ChannelLab lab(config("export all;", "export all;", "", "", "enable extended messages;"), true);
  REQUIRE(lab.nodes[0].peer->negotiated()->negotiated.extended_message);
  lab.nodes[0].announce(*Prefix::parse(kV4[0]), *IpAddress::parse(kNh[0]), 100);
  REQUIRE(lab.settle(1));
  lab.nodes[0].announce(*Prefix::parse(kV4[0]), *IpAddress::parse(kNh[0]), 100, 1100);
  REQUIRE(lab.settle(0));
  uint64_t unsendable = 0;
  for (const auto& v : lab.server->protocols())
    if (v.name == "edge1") unsendable = v.packed.unsendable;
  CHECK(unsendable == 1);
  CHECK(lab.server->exported("edge1", *Prefix::parse(kV4[0])) == nullptr);
  // A sendable path again: the edge gets it.
  lab.nodes[0].announce(*Prefix::parse(kV4[0]), *IpAddress::parse(kNh[0]), 150);
  REQUIRE(lab.settle(1));
  CHECK(lab.at(kV4[0])->med == 150);
}
