// Messages captured from real daemons (tests/data/wire, see its README): ExaBGP 4.2, BIRD 2,
// GoBGP 3 and FRR 8, over iBGP and eBGP. Every message frames and decodes cleanly with what the two
// OPENs negotiate, and the routes and attributes are exactly the ones each daemon was told to send.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/open.hpp"
#include "rs/bgp/wire/update.hpp"

namespace wire = rs::bgp::wire;
using rs::rib::AttrType;
using rs::rib::Prefix;

namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

struct Capture {
  std::string name;
  std::vector<uint8_t> recorder_open;  // what the recorder sent (whole message)
  std::vector<std::pair<std::string, std::vector<uint8_t>>> messages;  // what the daemon sent
};

Capture load(const std::filesystem::path& p) {
  Capture c;
  c.name = p.stem().string();
  std::ifstream in(p);
  std::string line;
  const std::string marker = "# recorder OPEN sent: ";
  while (std::getline(in, line)) {
    if (line.rfind(marker, 0) == 0) c.recorder_open = from_hex(line.substr(marker.size()));
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string type, hex;
    ls >> type >> hex;
    c.messages.emplace_back(type, from_hex(hex));
  }
  return c;
}

// What one session delivered: the last state of every prefix (attributes, or withdrawn).
struct Received {
  std::map<Prefix, rs::rib::AttrBuilder> routes;  // of the path with the lowest path id
  std::map<std::pair<Prefix, uint32_t>, rs::rib::AttrBuilder> paths;
  std::map<Prefix, wire::MpReach> v6_next_hop;
  std::set<Prefix> withdrawn;
  std::map<Prefix, std::set<uint32_t>> path_ids;
  std::set<std::string> end_of_rib;
};

void apply(const wire::UpdateMessage& u, Received& r) {
  for (const auto& w : u.withdrawn) r.routes.erase(w.prefix), r.withdrawn.insert(w.prefix);
  if (u.mp_unreach)
    for (const auto& w : u.mp_unreach->nlri) r.routes.erase(w.prefix), r.withdrawn.insert(w.prefix);
  auto add = [&](const wire::Nlri& n) {
    r.paths[{n.prefix, n.path_id}] = u.attrs;
    r.path_ids[n.prefix].insert(n.path_id);
    if (*r.path_ids[n.prefix].begin() == n.path_id) r.routes[n.prefix] = u.attrs;
  };
  for (const auto& n : u.nlri) add(n);
  if (u.mp_reach) {
    for (const auto& n : u.mp_reach->nlri) {
      add(n);
      if (*r.path_ids[n.prefix].begin() == n.path_id) r.v6_next_hop[n.prefix] = *u.mp_reach;
    }
  }
  if (auto eor = u.end_of_rib()) r.end_of_rib.insert(wire::to_string(*eor));
}

Prefix P(const char* s) {
  return *Prefix::parse(s);
}
constexpr uint32_t comm(uint32_t a, uint32_t b) {
  return a << 16 | b;
}

}  // namespace

TEST_CASE("captures from ExaBGP, BIRD, GoBGP and FRR decode to what each daemon was told to send") {
  const std::filesystem::path dir = std::filesystem::path(RSD_TEST_DATA_DIR) / "wire";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".hex") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 8);
  std::set<std::string> daemons;

  for (const auto& f : files) {
    Capture c = load(f);
    CAPTURE(c.name);
    daemons.insert(c.name.substr(0, c.name.find('-')));
    const bool ibgp = c.name.find("ibgp") != std::string::npos;
    const bool addpath = c.name.find("addpath") != std::string::npos;
    REQUIRE(c.recorder_open.size() > wire::kHeaderSize);
    REQUIRE_FALSE(c.messages.empty());
    REQUIRE(c.messages.front().first == "OPEN");

    auto local = wire::decode_open(wire::Bytes(c.recorder_open).subspan(wire::kHeaderSize));
    REQUIRE(local.ok());
    std::optional<wire::OpenMessage> peer;
    wire::NegotiatedSession session;
    Received got;
    wire::UpdateMessage u;
    int updates = 0;

    for (const auto& message : c.messages) {
      const std::string& type = message.first;
      const std::vector<uint8_t>& bytes = message.second;
      CAPTURE(type);
      wire::HeaderLimits limits =
          peer ? wire::HeaderLimits::from(session.negotiated) : wire::HeaderLimits{};
      auto frame = wire::frame(bytes, limits);
      REQUIRE(frame.status == wire::FrameStatus::Message);
      CHECK(frame.size == bytes.size());
      if (type == "OPEN") {
        auto open = wire::decode_open(frame.body);
        REQUIRE(open.ok());
        wire::OpenPolicy policy;
        policy.peer_as = ibgp ? 65000 : 65001;
        policy.local_as = 65000;
        policy.local_bgp_id = 0xC0000215;  // 192.0.2.21, the recorder
        policy.required_families = {wire::kIpv4Unicast, wire::kIpv6Unicast};
        CHECK(wire::validate_open(*open, policy).ok());
        peer = *open;
        session = wire::negotiate(*local, *open);
        CHECK(session.negotiated.four_octet_as);
        CHECK(session.negotiated.ipv6_unicast);
        CHECK(session.peer_as == policy.peer_as);
        CHECK(session.negotiated.add_path_rx_ipv4 == addpath);
        session.negotiated.ebgp = !ibgp;
        session.negotiated.local_as = 65000;
        session.negotiated.peer_as = policy.peer_as;
      } else if (type == "UPDATE") {
        REQUIRE(peer);
        auto st = wire::decode_update(frame.body, session.negotiated, u);
        REQUIRE(st.ok());
        CHECK_FALSE(u.treat_as_withdraw);
        CHECK(u.attr_errors.empty());
        CHECK(u.skipped_families.empty());
        apply(u, got);
        ++updates;
      } else if (type == "KEEPALIVE") {
        CHECK(wire::check_keepalive(frame.body).ok());
      } else if (type == "NOTIFICATION") {
        auto n = wire::decode_notification(frame.body);
        (void)n;
      }
    }
    CHECK(updates >= 5);
    CHECK(got.end_of_rib == std::set<std::string>{"ipv4 unicast", "ipv6 unicast"});

    // The routes that stayed, with the attributes from the README's table.
    CHECK(got.routes.size() == 3);
    CHECK(got.withdrawn.count(P("198.51.100.77/32")));
    CHECK(got.withdrawn.count(P("2001:db8:2::1/128")));
    REQUIRE(got.routes.count(P("198.51.100.0/24")));
    REQUIRE(got.routes.count(P("198.51.101.0/24")));
    REQUIRE(got.routes.count(P("2001:db8:1::/48")));

    const std::string daemon = c.name.substr(0, c.name.find('-'));
    const auto& a = got.routes[P("198.51.100.0/24")];
    // BIRD does not send MED to an eBGP neighbour for routes it did not learn over BGP.
    const bool med_sent = !(daemon == "bird" && !ibgp);
    CHECK(a.has(AttrType::Med) == med_sent);
    if (med_sent) CHECK(a.med == 10);
    CHECK(a.has(AttrType::LocalPref) == ibgp);
    if (ibgp) CHECK(a.local_pref == 200);
    CHECK(a.communities.contains(comm(65000, 1)));
    CHECK(a.communities.contains(comm(65000, 2)));
    CHECK(a.as_path.length() == (ibgp ? 0u : 1u));
    CHECK(a.next_hop.is_v4());

    const auto& b = got.routes[P("198.51.101.0/24")];
    CHECK(b.large_communities.contains({65000, 1, 2}));
    // RT 65000:100, two-octet AS specific (type 0x00, subtype 0x02, RFC 4360 4).
    CHECK(b.ext_communities.contains(0x0002FDE800000064ULL));
    const uint32_t own = ibgp ? 65000 : 65001;
    // Prepended twice; over eBGP the daemon adds its own AS once more, except ExaBGP, which sends
    // a configured as-path as it is.
    CHECK(b.as_path.length() == (ibgp || daemon == "exabgp" ? 2u : 3u));
    CHECK(b.as_path.contains(own));

    const auto& v6 = got.routes[P("2001:db8:1::/48")];
    CHECK(v6.large_communities.contains({65000, 7, 8}));
    CHECK(v6.communities.contains(ibgp ? 0xFFFFFF01u : comm(65000, 3)));
    const auto& mp = got.v6_next_hop[P("2001:db8:1::/48")];
    CHECK(mp.next_hop.is_v6());
    CHECK(mp.next_hop.hi() == 0x20010db800000000ULL);
    if (c.name.rfind("frr", 0) == 0) CHECK(mp.link_local.is_link_local());
    if (addpath) {
      CHECK(got.path_ids[P("198.51.100.0/24")].size() == 2);
      CHECK(got.path_ids[P("2001:db8:1::/48")].size() == 2);
    }
  }
  CHECK(daemons == std::set<std::string>{"bird", "exabgp", "frr", "gobgp"});
}
