// `configure check`'s computation (rs/reconfigure_preview.hpp) against the reload itself: three
// service nodes and an edge over loopback TCP (route_server_lab.hpp); for every prefix the
// preview says what the edge would hold after a new configuration, then RouteServer::reconfigure
// applies it and the edge must hold exactly that: each path (ADD-PATH) with its MED, or the one
// path `secondary` picks, IPv4 and IPv6 under different filters, and a removed node.
#include <doctest/doctest.h>

#include "route_server_lab.hpp"
#include "rs/reconfigure_preview.hpp"

using namespace lab;

namespace {

std::string config(const std::string& import4, const std::string& edge4, const std::string& edge6,
                   bool node3 = true) {
  return R"(
router id 192.0.2.254;
filter services4 { )" +
         import4 + R"( if net ~ [ 203.0.113.0/24{32,32} ] then accept; reject; }
filter services6 { if net ~ [ 2001:db8:30::/48{128,128} ] then accept; reject; }
template bgp node {
  local 127.0.5.1 port 17393 as 65000;
  rr client;
  passive;
  ipv4 { import filter services4; export none; };
  ipv6 { import filter services6; export none; };
}
protocol bgp node1 from node { neighbor 127.0.5.11 as 65000; }
protocol bgp node2 from node { neighbor 127.0.5.12 as 65000; }
)" + std::string(node3 ? "protocol bgp node3 from node { neighbor 127.0.5.13 as 65000; }\n" : "") +
         R"(
protocol bgp edge1 {
  local 127.0.5.1 port 17393 as 65000;
  neighbor 127.0.5.21 as 65000;
  rr client;
  passive;
  ipv4 { import none; )" +
         edge4 + R"( };
  ipv6 { import none; )" +
         edge6 + R"( };
}
)";
}

const char* kIps[] = {"203.0.113.10/32", "203.0.113.11/32", "203.0.113.12/32"};
const char* kIps6[] = {"2001:db8:30::1/128", "2001:db8:30::2/128", "2001:db8:30::3/128"};
const char* kNh[] = {"192.0.2.11", "192.0.2.12", "192.0.2.13"};
const char* kNh6[] = {"2001:db8::11", "2001:db8::12", "2001:db8::13"};

using Held = std::map<std::pair<Prefix, uint32_t>, uint32_t>;  // (prefix, path id) -> MED

void start(Lab& lab) {
  REQUIRE(lab.run_until([&] {
    return lab.edge.peer->established() && lab.nodes[0].peer->established() &&
           lab.nodes[1].peer->established() && lab.nodes[2].peer->established();
  }));
  for (int n = 0; n < 3; ++n)
    for (int ip = 0; ip < 3; ++ip) {
      const uint32_t med = 100 + static_cast<uint32_t>((n + 3 - ip) % 3);
      lab.nodes[n].announce(*Prefix::parse(kIps[ip]), *IpAddress::parse(kNh[n]), med);
      lab.nodes[n].announce(*Prefix::parse(kIps6[ip]), *IpAddress::parse(kNh6[n]), med);
    }
}

// What the preview says the edge holds after the reload, from what it holds now.
std::shared_ptr<rs::conf::Config> load(const std::string& text) {
  auto next = rs::conf::load_string(text, "test.conf");
  REQUIRE_MESSAGE(next.ok(), next.diagnostics.to_string());
  return std::make_shared<rs::conf::Config>(std::move(next.config));
}

Held predicted(Lab& lab, const std::string& next_text,
               std::unique_ptr<rs::ReconfigurePreview>& keep) {
  keep = std::make_unique<rs::ReconfigurePreview>(*lab.server, load(next_text));
  Held held = lab.edge.paths;
  for (const Prefix& p : keep->prefixes()) {
    const rs::PrefixPreview pp = keep->preview(p);
    for (const rs::EdgeChange& e : pp.edges) {
      if (e.protocol != "edge1") continue;
      // What it holds now is what the preview says it holds now.
      Held now;
      for (const rs::EdgeRoute& r : e.now) now[{p, r.path_id}] = r.attrs->med;
      for (auto it = held.lower_bound({p, 0}); it != held.end() && it->first.first == p;)
        it = held.erase(it);
      Held actual_now;
      for (const auto& [k, med] : lab.edge.paths)
        if (k.first == p) actual_now[k] = med;
      CHECK_MESSAGE(now == actual_now, p.to_string());
      for (const rs::EdgeRoute& r : e.after) held[{p, r.path_id}] = r.attrs->med;
    }
  }
  return held;
}

void apply(Lab& lab, const std::string& next_text) {
  (void)lab.server->reconfigure(load(next_text));
}

}  // namespace

TEST_CASE("ADD-PATH edge: the preview of an import (IPv4) and export (IPv6) change is the reload") {
  Lab lab(config("", "export all; add paths tx;", "export all; add paths tx;"), true, "127.0.5",
          17393);
  start(lab);
  REQUIRE(lab.run_until([&] { return lab.edge.paths.size() == 18 && lab.server->idle(); }));
  const std::string next = config(
      "if net = 203.0.113.11/32 then reject; if net = 203.0.113.12/32 then bgp_med = bgp_med + 50;",
      "export all; add paths tx;", "export where bgp_med < 102; add paths tx;");
  std::unique_ptr<rs::ReconfigurePreview> owned;
  const Held expected = predicted(lab, next, owned);
  CHECK(expected.size() == 3 + 3 + 6);  // .10 all, .11 none, .12 all (MED +50); IPv6 two each
  CHECK(expected.count({*Prefix::parse(kIps[1]), 0}) == 0);
  CHECK(owned->sessions().size() == 4);
  for (const auto& s : owned->sessions()) CHECK(s.fate == rs::SessionFate::SoftReload);
  apply(lab, next);
  CHECK(lab.run_until([&] { return lab.edge.paths == expected && lab.server->idle(); }));
  CHECK(lab.edge.paths == expected);
  CHECK(lab.edge.establishments == 1);
}

TEST_CASE("secondary edge and a removed node: the preview is the reload") {
  Lab lab(config("", "export where bgp_med != 100; secondary;", "export all;"), false, "127.0.5",
          17393);
  start(lab);
  REQUIRE(lab.run_until([&] { return lab.edge.paths.size() == 6 && lab.server->idle(); }));
  // Each IPv4 IP's best (MED 100) is refused: the edge holds the MED 101 path.
  for (const char* ip : kIps) CHECK(lab.edge.paths[{*Prefix::parse(ip), 0}] == 101);
  const std::string next =
      config("", "export where bgp_med != 101; secondary;", "export all;", /*node3=*/false);
  std::unique_ptr<rs::ReconfigurePreview> owned;
  const Held expected = predicted(lab, next, owned);
  bool closed = false;
  for (const auto& s : owned->sessions())
    if (s.name == "node3") closed = s.fate == rs::SessionFate::Close;
  CHECK(closed);
  // node3 was the best for 203.0.113.12/32 (MED 100): without it node1's 101 is the best, which
  // the new filter refuses, so the edge gets node2's 102; the others get their best (100) again.
  CHECK(expected.at({*Prefix::parse(kIps[2]), 0}) == 102);
  CHECK(expected.at({*Prefix::parse(kIps[0]), 0}) == 100);
  apply(lab, next);
  CHECK(lab.run_until([&] { return lab.edge.paths == expected && lab.server->idle(); }));
  CHECK(lab.edge.paths == expected);
}

namespace {
std::string range_config(const std::string& import4) {
  return R"(
router id 192.0.2.254;
protocol bgp nodes {
  local 127.0.5.1 port 17393 as 65000;
  neighbor range 127.0.5.8/29 as 65000;
  rr client;
  ipv4 { import filter { )" +
         import4 + R"( accept; }; export none; };
  ipv6 { import all; export none; };
}
protocol bgp edge1 {
  local 127.0.5.1 port 17393 as 65000;
  neighbor 127.0.5.21 as 65000;
  rr client;
  passive;
  ipv4 { import none; export all; };
  ipv6 { import none; export all; };
}
)";
}
}  // namespace

TEST_CASE("dynamic neighbours re-run their range's new import filter, as the preview says") {
  Lab lab(range_config(""), false, "127.0.5", 17393);
  start(lab);
  REQUIRE(lab.run_until([&] { return lab.edge.paths.size() == 6 && lab.server->idle(); }));
  const std::string next = range_config("if net = 203.0.113.11/32 then reject;");
  std::unique_ptr<rs::ReconfigurePreview> owned;
  const Held expected = predicted(lab, next, owned);
  CHECK(expected.size() == 5);
  CHECK(expected.count({*Prefix::parse(kIps[1]), 0}) == 0);
  int children = 0;
  for (const auto& s : owned->sessions())
    if (s.parent == "nodes") {
      ++children;
      CHECK(s.fate == rs::SessionFate::SoftReload);
      CHECK(s.import_reload);
    }
  CHECK(children == 3);
  apply(lab, next);
  CHECK(lab.run_until([&] { return lab.edge.paths == expected && lab.server->idle(); }));
  CHECK(lab.edge.paths == expected);
  CHECK(lab.nodes[0].establishments == 1);
}
