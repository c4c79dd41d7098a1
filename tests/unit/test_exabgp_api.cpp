// The ExaBGP text API parser: every unicast `cmd` line of ExaBGP's encoding vectors
// (tests/data/exabgp-qa, BSD licence: LICENCE.txt there) must yield the route and attributes of the
// `raw` UPDATE ExaBGP sent for it; plus hand-written cases for the selector, attributes nlri, and
// bad lines.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "exabgp_vectors.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/health/exabgp_api.hpp"

namespace wire = rs::bgp::wire;
namespace fs = std::filesystem;
using rs::health::ApiCommand;
using rs::health::parse_api_command;
using rs::rib::AttrType;
using rs::rib::IpAddress;
using rs::rib::Prefix;

namespace {

using exabgp_vectors::from_hex;
using exabgp_vectors::negotiated_for;
using exabgp_vectors::PeerConf;
using exabgp_vectors::read_conf;

// Compares what the parser produced with what ExaBGP put on the wire for the same command.
void compare(const ApiCommand& cmd, const wire::UpdateMessage& u, const wire::Negotiated& n) {
  const auto& want = u.attrs;
  const auto& got = cmd.attrs;
  // ExaBGP sends the AS_PATH as written (its eBGP vector carries the command's path unchanged).
  (void)n;
  CHECK(got.origin == want.origin);
  CHECK(got.as_path == want.as_path);
  CHECK(got.has(AttrType::Med) == want.has(AttrType::Med));
  if (want.has(AttrType::Med)) CHECK(got.med == want.med);
  if (want.has(AttrType::LocalPref)) CHECK(got.local_pref == want.local_pref);
  CHECK(got.communities == want.communities);
  CHECK(got.large_communities == want.large_communities);
  CHECK(got.ext_communities == want.ext_communities);
  CHECK(got.has(AttrType::AtomicAggregate) == want.has(AttrType::AtomicAggregate));
  if (want.has(AttrType::Aggregator)) CHECK(got.aggregator == want.aggregator);
  if (want.has(AttrType::OriginatorId)) CHECK(got.originator_id == want.originator_id);
  for (const auto& a : want.unknown.values) CHECK(got.unknown.contains(a));
  CHECK_FALSE(cmd.next_hop_self);
}

}  // namespace

TEST_CASE(
    "every unicast cmd of ExaBGP's encoding vectors yields the attributes of its raw UPDATE") {
  const fs::path root = fs::path(RSD_TEST_DATA_DIR) / "exabgp-qa";
  REQUIRE(fs::exists(root / "encoding"));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(root / "encoding")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  int cmds = 0, parsed = 0, rejected_other_family = 0, matched_routes = 0, matched_withdraws = 0,
      matched_eor = 0;

  for (const auto& f : files) {
    CAPTURE(f.filename().string());
    std::ifstream in(f);
    std::string line;
    PeerConf conf;
    std::vector<std::pair<std::string, ApiCommand>> pending;  // parsed, waiting for their raw
    while (std::getline(in, line)) {
      if (line.rfind("option:file:", 0) == 0) conf = read_conf(root / "conf" / line.substr(12));
      auto c1 = line.find(':');
      if (c1 == std::string::npos || line[0] == '#') continue;
      auto c2 = line.find(':', c1 + 1);
      const std::string kind = line.substr(c1 + 1, c2 - c1 - 1);
      const std::string value = line.substr(c2 + 1);
      if (kind == "cmd") {
        ++cmds;
        CAPTURE(value);
        auto r = parse_api_command(value);
        const bool other_family = value.find(" rd ") != std::string::npos ||
                                  value.find(" label ") != std::string::npos ||
                                  value.find("mpls-vpn") != std::string::npos;
        if (other_family) {
          CHECK_FALSE(r.ok());
          ++rejected_other_family;
          continue;
        }
        if (!r.ok()) FAIL_CHECK(r.error().message << " at column " << r.error().column);
        if (!r.ok()) continue;
        ++parsed;
        pending.emplace_back(value, std::move(*r));
      } else if (kind == "raw") {
        std::string hex;
        for (char ch : value)
          if (ch != ':') hex += ch;
        auto bytes = from_hex(hex);
        const auto n = negotiated_for(conf);
        auto fr = wire::frame(bytes, wire::HeaderLimits::from(n));
        if (fr.status != wire::FrameStatus::Message || fr.header.type != wire::MessageType::Update)
          continue;
        wire::UpdateMessage u;
        if (!wire::decode_update(fr.body, n, u).ok()) continue;
        CAPTURE(hex);
        if (auto eor = u.end_of_rib()) {
          if (eor->afi != 1 && eor->afi != 2) continue;
          if (eor->safi != 1) continue;
          auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& p) {
            return p.second.kind == ApiCommand::Kind::EndOfRib;
          });
          if (it != pending.end()) {
            CHECK(*it->second.eor_family ==
                  (eor->afi == 1 ? rs::rib::Family::Ipv4 : rs::rib::Family::Ipv6));
            ++matched_eor;
            pending.erase(it);
          }
          continue;
        }
        // Each announced NLRI must come from a pending command for that prefix and path id.
        std::vector<std::pair<wire::Nlri, IpAddress>> ann;
        for (const auto& x : u.nlri) ann.push_back({x, u.attrs.next_hop});
        if (u.mp_reach)
          for (const auto& x : u.mp_reach->nlri) ann.push_back({x, u.mp_reach->next_hop});
        for (const auto& entry : ann) {
          const auto& nl = entry.first;
          const auto& nh = entry.second;
          CAPTURE(nl.prefix.to_string());
          auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& p) {
            if (p.second.kind != ApiCommand::Kind::Announce) return false;
            for (const auto& r : p.second.routes)
              if (r.prefix == nl.prefix && r.path_id == nl.path_id) return true;
            return false;
          });
          if (it == pending.end()) {
            FAIL_CHECK("no command announced this NLRI");
            continue;
          }
          CAPTURE(it->first);
          CHECK(it->second.attrs.next_hop == nh);
          if (!u.treat_as_withdraw) compare(it->second, u, n);
          ++matched_routes;
        }
        std::vector<wire::Nlri> wd = u.withdrawn;
        if (u.mp_unreach) wd.insert(wd.end(), u.mp_unreach->nlri.begin(), u.mp_unreach->nlri.end());
        for (const auto& nl : wd) {
          auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& p) {
            if (p.second.kind != ApiCommand::Kind::Withdraw) return false;
            for (const auto& r : p.second.routes)
              if (r.prefix == nl.prefix) return true;
            return false;
          });
          CHECK(it != pending.end());
          if (it != pending.end()) {
            ++matched_withdraws;
            pending.erase(it);
          }
        }
      }
    }
  }
  MESSAGE("cmd lines: " << cmds << ", parsed: " << parsed << ", other families rejected: "
                        << rejected_other_family << ", NLRI matched: " << matched_routes
                        << ", withdrawals: " << matched_withdraws << ", EoR: " << matched_eor);
  CHECK(parsed >= 80);
  CHECK(matched_routes >= 70);
  CHECK(matched_withdraws >= 3);
  CHECK(matched_eor >= 10);
}

TEST_CASE("selector, attributes nlri, withdraw, eor") {
  auto r = parse_api_command(
      "neighbor 192.0.2.1 local-as 65000, neighbor 2001:db8::1 announce attributes next-hop self "
      "med 50 "
      "as-path [ 65001 ( 65002 65003 ) ] community [no-export 65000:1] nlri 10.0.0.0/24 "
      "10.0.1.0/24");
  REQUIRE(r.ok());
  CHECK(r->kind == ApiCommand::Kind::Announce);
  REQUIRE(r->neighbors.size() == 2);
  CHECK(r->neighbors[1] == *IpAddress::parse("2001:db8::1"));
  CHECK(r->next_hop_self);
  CHECK(r->attrs.med == 50);
  REQUIRE(r->attrs.as_path.segments.size() == 2);
  CHECK(r->attrs.as_path.segments[1].type == rs::rib::AsSegmentType::Set);
  CHECK(r->attrs.communities.values == std::vector<uint32_t>{0xFFFFFF01u, 65000u << 16 | 1});
  REQUIRE(r->routes.size() == 2);
  CHECK(r->routes[1].prefix == *Prefix::parse("10.0.1.0/24"));

  auto w = parse_api_command("withdraw route 203.0.113.10/32 next-hop self");
  REQUIRE(w.ok());
  CHECK(w->kind == ApiCommand::Kind::Withdraw);
  CHECK(w->routes.at(0).prefix == *Prefix::parse("203.0.113.10/32"));
  auto bare = parse_api_command("withdraw route 203.0.113.10");
  REQUIRE(bare.ok());
  CHECK(bare->routes.at(0).prefix.length() == 32);

  auto e = parse_api_command("announce eor ipv6 unicast");
  REQUIRE(e.ok());
  CHECK(e->kind == ApiCommand::Kind::EndOfRib);
  CHECK(*e->eor_family == rs::rib::Family::Ipv6);
  CHECK(parse_api_command("version")->kind == ApiCommand::Kind::Ignored);
}

TEST_CASE("bad lines are errors with the column of the bad word") {
  struct Case {
    const char* line;
    std::size_t col;
    const char* text;
  };
  const Case cases[] = {
      {"", 0, "empty"},
      {"announce route 10.0.0.0/33 next-hop 1.1.1.1", 15, "not a prefix"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1", 35, "next-hop"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 med 4294967296", 47, "not a number"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 med", 46, "expected at the end"},
      {"announce route 10.0.0.0/8", 25, "needs 'next-hop"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 origin bgp", 50, "origin must be"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 community [1:2 65536:1]", 58, "not a community"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 community [1:2", 57, "']'"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 as-path [1 ( 2 ]", 59, "')'"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 frobnicate 1", 43, "unknown attribute"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 rd 1:1", 43, "unicast only"},
      {"announce flow route", 9, "expected"},
      {"neighbor x announce route 10.0.0.0/8 next-hop 1.1.1.1", 9, "not a neighbor"},
      {"anounce route 10.0.0.0/8 next-hop 1.1.1.1", 0, "unknown command"},
      {"announce ipv6 unicast 10.0.0.0/8 next-hop 1.1.1.1", 22, "family does not match"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 extended-community [target:1]", 63, "extended"},
      {"announce route 10.0.0.0/8 next-hop 1.1.1.1 attribute [0x99 0x60 0x1]", 64, "even number"},
  };
  for (const auto& c : cases) {
    const std::string line = c.line;
    CAPTURE(line);
    auto r = parse_api_command(line);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().column == c.col);
    CHECK(r.error().message.find(c.text) != std::string::npos);
  }
  // Binary junk and very long lines never crash.
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 37) & 0xFF);
  CHECK_FALSE(parse_api_command(junk).ok());
  CHECK_FALSE(parse_api_command(std::string(100000, '[')).ok());
}

TEST_CASE("extended communities (RFC 4360, 5668, 5575, 4761)") {
  using rs::health::parse_ext_community;
  CHECK(*parse_ext_community("target:72:1") == 0x0002004800000001ull);
  CHECK(*parse_ext_community("origin:7.7.7.7:7000") == 0x0103070707071b58ull);
  CHECK(*parse_ext_community("target:400000:1") == 0x020200061a800001ull);
  CHECK(*parse_ext_community("redirect:1300:83000") == 0x8008051400014438ull);
  CHECK(*parse_ext_community("l2info:1:2:13398:30864") == 0x800a010234567890ull);
  CHECK_FALSE(parse_ext_community("target:400000:70000"));
  CHECK_FALSE(parse_ext_community("bogus:1:2"));
}
