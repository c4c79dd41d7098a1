// ExaBGP's own encoding vectors (tests/data/exabgp-qa, BSD licence: LICENCE.txt there): every raw
// message ExaBGP produced for its test configurations is decoded by rsd as the receiving side and
// compared with ExaBGP's JSON rendering of the same message: attributes, next hops, NLRI, path ids,
// withdrawals. Families rsd does not carry (VPN, flow) must be recognised and skipped (RFC 4760 6),
// never fail.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <nlohmann/json.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exabgp_vectors.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/update.hpp"

namespace wire = rs::bgp::wire;
namespace fs = std::filesystem;
using json = nlohmann::json;
using rs::rib::AttrType;
using rs::rib::IpAddress;
using rs::rib::Prefix;

namespace {

using exabgp_vectors::from_hex;
using exabgp_vectors::negotiated_for;
using exabgp_vectors::PeerConf;
using exabgp_vectors::read_conf;

std::string origin_name(rs::rib::Origin o) {
  return o == rs::rib::Origin::Igp ? "igp" : o == rs::rib::Origin::Egp ? "egp" : "incomplete";
}

std::string path_id_text(uint32_t id) {
  return IpAddress::v4(id).to_string();
}

// ExaBGP's JSON of one UPDATE, checked against what rsd decoded.
void check_against_json(const wire::UpdateMessage& u, const json& j) {
  const json& upd = j.at("neighbor").at("message").at("update");
  const json attrs = upd.value("attribute", json::object());
  for (const auto& item : attrs.items()) {
    const std::string k = item.key();
    const json& v = item.value();
    CAPTURE(k);
    if (k == "origin")
      CHECK(origin_name(u.attrs.origin) == v.get<std::string>());
    else if (k == "med")
      CHECK(u.attrs.med == v.get<uint32_t>());
    else if (k == "local-preference")
      CHECK(u.attrs.local_pref == v.get<uint32_t>());
    else if (k == "originator-id")
      CHECK(IpAddress::v4(u.attrs.originator_id).to_string() == v.get<std::string>());
    else if (k == "community") {
      REQUIRE(u.attrs.communities.size() == v.size());
      for (std::size_t i = 0; i < v.size(); ++i)
        CHECK(u.attrs.communities.values[i] ==
              (v[i][0].get<uint32_t>() << 16 | v[i][1].get<uint32_t>()));
    } else if (k == "large-community") {
      REQUIRE(u.attrs.large_communities.size() == v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        const auto& lc = u.attrs.large_communities.values[i];
        CHECK(lc.global == v[i][0].get<uint32_t>());
        CHECK(lc.local1 == v[i][1].get<uint32_t>());
        CHECK(lc.local2 == v[i][2].get<uint32_t>());
      }
    } else if (k == "extended-community") {
      REQUIRE(u.attrs.ext_communities.size() == v.size());
      for (std::size_t i = 0; i < v.size(); ++i)
        CHECK(u.attrs.ext_communities.values[i] == v[i].at("value").get<uint64_t>());
    } else if (k == "as-path") {
      REQUIRE(u.attrs.as_path.segments.size() == v.size());
      std::size_t i = 0;
      for (const auto& [idx, seg] : v.items()) {
        const auto& s = u.attrs.as_path.segments[i++];
        std::vector<uint32_t> asns = seg.at("value").get<std::vector<uint32_t>>();
        CHECK(s.asns == asns);
        const std::string el = seg.at("element");
        CHECK((el == "as-sequence") == (s.type == rs::rib::AsSegmentType::Sequence));
      }
    } else if (k.rfind("attribute-0x", 0) == 0) {
      // Generic attributes: ExaBGP shows them whatever their flags; rsd keeps optional ones.
      unsigned type = std::stoul(k.substr(10, 4), nullptr, 16);
      unsigned flags = std::stoul(k.substr(15, 4), nullptr, 16);
      CAPTURE(type);
      CAPTURE(flags);
      if (flags & wire::attr_flag::kOptional) {
        bool found = false;
        for (const auto& a : u.attrs.unknown.values) found |= a.type == type;
        CHECK(found);
      }
    } else {
      FAIL("attribute not compared: " << k);
    }
  }

  // NLRI announced, per family and next hop.
  std::set<std::string> want, got;
  const json announce = upd.value("announce", json::object());
  for (const auto& [family, by_nh] : announce.items()) {
    if (family != "ipv4 unicast" && family != "ipv6 unicast") continue;  // skipped, checked below
    for (const auto& [nh, list] : by_nh.items())
      for (const auto& n : list)
        want.insert(nh + " " + n.at("nlri").get<std::string>() + " " +
                    n.value("path-information", std::string("0.0.0.0")));
  }
  for (const auto& n : u.nlri)
    got.insert(u.attrs.next_hop.to_string() + " " + n.prefix.to_string() + " " +
               path_id_text(n.path_id));
  if (u.mp_reach)
    for (const auto& n : u.mp_reach->nlri)
      got.insert(u.mp_reach->next_hop.to_string() + " " + n.prefix.to_string() + " " +
                 path_id_text(n.path_id));
  CHECK(got == want);

  std::set<std::string> want_w, got_w;
  const json withdraw = upd.value("withdraw", json::object());
  for (const auto& [family, list] : withdraw.items()) {
    if (family != "ipv4 unicast" && family != "ipv6 unicast") continue;
    for (const auto& n : list) want_w.insert(n.at("nlri").get<std::string>());
  }
  for (const auto& n : u.withdrawn) got_w.insert(n.prefix.to_string());
  if (u.mp_unreach)
    for (const auto& n : u.mp_unreach->nlri) got_w.insert(n.prefix.to_string());
  CHECK(got_w == want_w);
}

bool has_other_family(const json& j) {
  const json& upd = j.at("neighbor").at("message").at("update");
  for (const char* key : {"announce", "withdraw"}) {
    const json part = upd.value(key, json::object());
    for (const auto& [family, _] : part.items())
      if (family != "ipv4 unicast" && family != "ipv6 unicast") return true;
  }
  return false;
}

}  // namespace

TEST_CASE("every ExaBGP encoding vector decodes to what ExaBGP's JSON says") {
  const fs::path root = fs::path(RSD_TEST_DATA_DIR) / "exabgp-qa";
  REQUIRE(fs::exists(root / "encoding"));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(root / "encoding")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  int raw_count = 0, json_checked = 0, skipped_family = 0, treat_as_withdraw = 0;

  for (const auto& f : files) {
    CAPTURE(f.filename().string());
    std::ifstream in(f);
    std::string line;
    PeerConf conf;
    wire::UpdateMessage u;
    bool have_update = false;
    std::string last_raw;
    while (std::getline(in, line)) {
      if (line.rfind("option:file:", 0) == 0) conf = read_conf(root / "conf" / line.substr(12));
      auto c1 = line.find(':');
      if (c1 == std::string::npos) continue;
      auto c2 = line.find(':', c1 + 1);
      const std::string kind = line.substr(c1 + 1, c2 - c1 - 1);
      const std::string value = line.substr(c2 + 1);
      if (kind == "raw") {
        CAPTURE(value);
        std::string hex;
        for (char ch : value)
          if (ch != ':') hex += ch;
        auto bytes = from_hex(hex);
        ++raw_count;
        const auto n = negotiated_for(conf);
        auto fr = wire::frame(bytes, wire::HeaderLimits::from(n));
        REQUIRE(fr.status == wire::FrameStatus::Message);
        have_update = false;
        if (fr.header.type == wire::MessageType::Update) {
          auto st = wire::decode_update(fr.body, n, u);
          CAPTURE(st.ok() ? std::string() : st.error().reason);
          REQUIRE(st.ok());
          have_update = true;
          if (!u.skipped_families.empty()) ++skipped_family;
          if (u.treat_as_withdraw) ++treat_as_withdraw;
          last_raw = hex;
        } else if (fr.header.type == wire::MessageType::Notification) {
          auto note = wire::decode_notification(fr.body);
          CHECK(note.message.code == wire::ErrorCode::MessageHeader);
        }
      } else if (kind == "json" && have_update) {
        CAPTURE(last_raw);
        json j = json::parse(value);
        const json attrs =
            j.at("neighbor").at("message").at("update").value("attribute", json::object());
        bool well_known_unknown = false;
        for (const auto& [k, v] : attrs.items())
          if (k.rfind("attribute-0x", 0) == 0 &&
              !(std::stoul(k.substr(15, 4), nullptr, 16) & wire::attr_flag::kOptional))
            well_known_unknown = true;
        if (well_known_unknown) {
          // An unrecognised attribute flagged well-known: RFC 4271 6.3 / RFC 7606 -> withdraw.
          CHECK(u.treat_as_withdraw);
          continue;
        }
        CHECK_FALSE(u.treat_as_withdraw);
        if (has_other_family(j)) CHECK_FALSE(u.skipped_families.empty());
        check_against_json(u, j);
        ++json_checked;
      }
    }
  }
  MESSAGE("raw messages: " << raw_count << ", compared with JSON: " << json_checked
                           << ", other families skipped: " << skipped_family
                           << ", treat-as-withdraw: " << treat_as_withdraw);
  CHECK(raw_count >= 80);
  CHECK(json_checked >= 55);
  CHECK(skipped_family >= 1);
}
