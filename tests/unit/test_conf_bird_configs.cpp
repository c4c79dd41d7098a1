// Our own BIRD 2 route-server configs (tests/data/bird-configs, `bird -p` passes on both):
// ixp-rs.conf loads completely (config and every filter compiled, per-family sessions with their
// own filters) and its policy gives the expected verdicts and attributes on sample routes of both
// families; ixp-rs-rpki.conf adds RPKI, which rsd does not implement: exactly those statements are
// rejected, each with its file:line:col. The real BIRD gives the same verdicts and attributes on
// the same routes (tests/interop/test_ixp_policy_bird.py). The arouteserver-generated configs:
// test_arouteserver.cpp.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conf/parser.hpp"
#include "filter_test_util.hpp"
#include "filters/lint.hpp"
#include "filters/vm.hpp"

using namespace rs;
using namespace rs::filters;
using namespace rs::filters::test;
using rs::conf::AddPaths;
using rs::conf::BgpProtocol;
using rs::conf::ChannelSettings;
using rs::conf::LimitAction;
using rs::conf::LoadResult;
using rs::rib::Family;

namespace {

std::string path_of(const char* name) {
  return std::string(RSD_TEST_DATA_DIR) + "/bird-configs/" + name;
}

std::vector<std::string> errors_of(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items())
    if (d.severity == conf::Severity::Error) out.push_back(d.short_string());
  return out;
}

// Runs filters of ixp-rs.conf on routes built from an AS_PATH, a next hop and communities.
struct Policy {
  std::unique_ptr<Loaded> l = load_bird_config(path_of("ixp-rs.conf"));
  rib::AttrTable table;
  Vm vm;
  RunOutput out;

  rib::AttrBuilder attrs(std::vector<uint32_t> path, const char* nh,
                         std::vector<uint32_t> comms = {}) {
    rib::AttrBuilder b;
    b.set_origin(rib::Origin::Igp);
    b.as_path.segments.push_back({rib::AsSegmentType::Sequence, std::move(path)});
    b.set_present(rib::AttrType::AsPath);
    b.set_next_hop(*rib::IpAddress::parse(nh));
    b.set_local_pref(100);
    if (!comms.empty()) {
      b.communities.values = std::move(comms);
      b.set_present(rib::AttrType::Communities);
    }
    return b;
  }
  Verdict run(const char* filter, const char* net, const rib::AttrBuilder& b) {
    auto f = l->syms.filter(filter);
    REQUIRE_MESSAGE(f, filter);
    auto a = table.intern(b);
    out.clear_text();
    return vm.run(*f, route(net), *a, out);
  }
};

constexpr uint32_t std_comm(uint32_t a, uint32_t b) {
  return (a << 16) | b;
}

}  // namespace

TEST_CASE("ixp-rs.conf loads completely: sessions, channels, filters of each family") {
  LoadResult r = conf::load_file(path_of("ixp-rs.conf"));
  REQUIRE_MESSAGE(r.ok(), r.diagnostics.to_string());
  CHECK(r.diagnostics.items().empty());
  const conf::Config& c = r.config;
  CHECK(*c.router_id == *rib::IpAddress::parse("192.0.2.1"));
  CHECK(c.logs.size() == 2);
  CHECK(c.timeformats.size() == 4);
  CHECK(c.debug_protocols == (conf::kDebugAll & ~conf::kDebugPackets));
  CHECK(c.devices.size() == 1);
  CHECK(c.find_table("master4")->sorted);
  CHECK(c.find_table("master6")->sorted);
  REQUIRE(c.bgp.size() == 5);

  const BgpProtocol* v4 = c.find_bgp("AS64501_1");
  REQUIRE(v4);
  CHECK(v4->settings.description == "Member AS64501, IPv4");
  CHECK(*v4->settings.local_address == *rib::IpAddress::parse("192.0.2.1"));
  CHECK(*v4->settings.local_as == 64500);
  CHECK(*v4->settings.neighbor_as == 64501);
  CHECK(v4->settings.rs_client);
  CHECK(v4->settings.passive);
  CHECK_FALSE(v4->settings.ttl_security);
  CHECK_FALSE(v4->settings.interpret_communities);
  CHECK_FALSE(v4->is_internal());
  REQUIRE(v4->channels.size() == 1);
  const ChannelSettings& ch4 = v4->channels[0].settings;
  CHECK(v4->channels[0].family == Family::Ipv4);
  CHECK(ch4.table == "master4");
  CHECK(ch4.secondary);
  CHECK(ch4.import_table);
  CHECK(ch4.import_keep_filtered);
  CHECK_FALSE(ch4.import_limit);
  REQUIRE(ch4.import_filter.compiled);
  REQUIRE(ch4.export_filter.compiled);
  CHECK(ch4.import_filter.compiled->name() == "receive_from_AS64501_1");
  CHECK(ch4.export_filter.compiled->name() == "announce_to_AS64501_1");

  // The same member over IPv6: its own session, table, limit and filters.
  const BgpProtocol* v6 = c.find_bgp("AS64501_2");
  REQUIRE(v6);
  CHECK(*v6->settings.neighbor_address == *rib::IpAddress::parse("2001:db8:ff::11"));
  REQUIRE(v6->channels.size() == 1);
  const ChannelSettings& ch6 = v6->channels[0].settings;
  CHECK(v6->channels[0].family == Family::Ipv6);
  CHECK(ch6.table == "master6");
  REQUIRE(ch6.import_limit);
  CHECK(ch6.import_limit->max == 1000);
  CHECK(ch6.import_limit->action == LimitAction::Block);
  REQUIRE(ch6.import_filter.compiled);
  CHECK(ch6.import_filter.compiled->name() == "receive_from_AS64501_2");
  CHECK(ch6.export_filter.compiled->name() == "announce_to_AS64501_2");

  const BgpProtocol* p = c.find_bgp("AS64502_1");
  REQUIRE(p);
  CHECK(*p->settings.local_role == conf::Role::RsServer);
  CHECK(p->settings.ttl_security);
  CHECK(p->channels[0].settings.add_paths == AddPaths::Tx);
  REQUIRE(p->channels[0].settings.receive_limit);
  CHECK(p->channels[0].settings.receive_limit->max == 100);
  CHECK(p->channels[0].settings.receive_limit->action == LimitAction::Restart);
  CHECK(*c.find_bgp("AS65550_2")->settings.neighbor_as == 65550);

  std::size_t filters = 0;
  for (const auto& f : c.filters) {
    if (f.kind != conf::FilterDecl::Kind::Filter) continue;
    ++filters;
    CHECK_MESSAGE(f.compiled, f.name);
  }
  CHECK(filters == 10);
}

TEST_CASE("ixp-rs-rpki.conf: only the RPKI statements are rejected, each at its line") {
  LoadResult r = conf::load_file(path_of("ixp-rs-rpki.conf"));
  CHECK(errors_of(r) ==
        std::vector<std::string>{
            "9:1: 'roa4 table' (RPKI/ROA) is not supported by rsd",
            "10:1: 'roa6 table' (RPKI/ROA) is not supported by rsd",
            "13:5: 'roa4' channel (RPKI/ROA) is not supported by rsd",
            "19:5: 'roa6' channel (RPKI/ROA) is not supported by rsd",
            "26:39: roa_check is not supported: rsd does not implement RPKI/ROA validation",
        });
  // Everything of the included ixp-rs.conf was still parsed into the model.
  CHECK(r.config.bgp.size() == 5);
  CHECK(r.config.find_bgp("AS64502_1")->settings.ttl_security);
}

TEST_CASE("ixp-rs.conf filters: every function and filter compiles; family lint is silent") {
  Policy p;
  REQUIRE_MESSAGE(!p.l->diags.has_errors(), p.l->diags.to_string());
  CHECK(p.l->syms.filters().size() == 10);
  int tests = 0;
  for (const auto& [name, f] : p.l->syms.filters())
    tests += static_cast<int>(f->program().net_set_tests.size());
  CHECK(tests > 10);
  // Every filter in the family of the channel that runs it: each set test is guarded.
  LoadResult r = conf::load_file(path_of("ixp-rs.conf"));
  REQUIRE(r.ok());
  int linted = 0;
  for (const auto& proto : r.config.bgp)
    for (const auto& ch : proto.channels)
      for (const auto* spec : {&ch.settings.import_filter, &ch.settings.export_filter}) {
        REQUIRE(spec->compiled);
        conf::Diagnostics d;
        lint_channel_family(*spec->compiled, ch.family, proto.name, d);
        CHECK_MESSAGE(d.empty(), d.to_string());
        ++linted;
      }
  CHECK(linted == 10);
}

TEST_CASE("ixp-rs.conf import policy, IPv4 and IPv6 sessions of the same member") {
  Policy p;
  const char* in4 = "receive_from_AS64501_1";
  const char* in6 = "receive_from_AS64501_2";
  auto good4 = p.attrs({64501}, "192.0.2.11");
  CHECK(p.run(in4, "203.0.113.0/24", good4) == Verdict::Accept);
  CHECK(p.out.log.empty());
  // Informational tags: site and result, standard, large and extended.
  CHECK(p.out.attrs.communities.values == std::vector<uint32_t>{std_comm(64499, 1)});
  CHECK(p.out.attrs.large_communities.values ==
        std::vector<rib::LargeCommunity>{{64500, 1000, 1}, {64500, 1001, 1}});
  CHECK(p.out.attrs.ext_communities.values ==
        std::vector<uint64_t>{*make_ec(EcKind::Rt, 0, 64500, 1)});
  CHECK(p.run(in4, "198.51.100.0/25", good4) == Verdict::Reject);  // IRR yes, longer than /24
  CHECK(p.out.log == "prefix length 25: 198.51.100.0/25\n");
  CHECK(p.run(in4, "203.0.113.0/29", good4) == Verdict::Reject);
  CHECK(p.out.log == "no route object for 203.0.113.0/29 from AS64501\n");
  CHECK(p.run(in4, "10.0.0.0/24", good4) == Verdict::Reject);
  CHECK(p.out.log == "bogon prefix: 10.0.0.0/24\n");
  CHECK(p.run(in4, "2001:db8:1::/48", good4) == Verdict::Reject);
  CHECK(p.out.log == "IPv4 only on this session: 2001:db8:1::/48\n");
  CHECK(p.run(in4, "203.0.113.0/24", p.attrs({64501}, "192.0.2.12")) == Verdict::Reject);
  CHECK(p.out.log == "next hop 192.0.2.12 is not the member's: 203.0.113.0/24\n");
  CHECK(p.run(in4, "203.0.113.0/24", p.attrs({64502, 64501}, "192.0.2.11")) == Verdict::Reject);
  CHECK(p.out.log == "left-most ASN 64502 is not 64501: 203.0.113.0/24\n");
  CHECK(p.run(in4, "203.0.113.0/24", p.attrs({64501, 64512, 64501}, "192.0.2.11")) ==
        Verdict::Reject);
  CHECK(p.out.log == "bogon ASN in (path 64501 64512 64501): 203.0.113.0/24\n");
  CHECK(p.run(in4, "203.0.113.0/24", p.attrs({64501, 174, 64511}, "192.0.2.11")) ==
        Verdict::Reject);
  CHECK(p.out.log == "transit-free ASN in (path 64501 174 64511): 203.0.113.0/24\n");
  CHECK(p.run(in4, "203.0.113.0/24", p.attrs({64501, 64511}, "192.0.2.11")) == Verdict::Accept);
  CHECK(p.run(in4, "203.0.113.0/24", p.attrs({64501, 64502}, "192.0.2.11")) == Verdict::Reject);
  CHECK(p.out.log == "no route object for 203.0.113.0/24 from AS64502\n");
  CHECK(p.run(in4, "203.0.113.0/24", p.attrs(std::vector<uint32_t>(33, 64501), "192.0.2.11")) ==
        Verdict::Reject);
  CHECK(p.out.log == "AS_PATH too long (33): 203.0.113.0/24\n");

  // IPv6: other sets, other length bounds.
  auto good6 = p.attrs({64501}, "2001:db8:ff::11");
  CHECK(p.run(in6, "2001:db8:1::/48", good6) == Verdict::Accept);
  CHECK(p.run(in6, "2001:db8:1:100::/56", good6) == Verdict::Reject);  // IRR yes, longer than /48
  CHECK(p.out.log == "prefix length 56: 2001:db8:1:100::/56\n");
  CHECK(p.run(in6, "2001:db8:1::/64", good6) == Verdict::Reject);
  CHECK(p.out.log == "no route object for 2001:db8:1::/64 from AS64501\n");
  CHECK(p.run(in6, "fc00:1::/48", good6) == Verdict::Reject);
  CHECK(p.out.log == "bogon prefix: fc00:1::/48\n");
  CHECK(p.run(in6, "203.0.113.0/24", good6) == Verdict::Reject);
  CHECK(p.out.log == "IPv6 only on this session: 203.0.113.0/24\n");
  CHECK(p.run(in6, "2001:db8:1::/48", p.attrs({64501}, "192.0.2.11")) == Verdict::Reject);
  CHECK(p.out.log == "next hop 192.0.2.11 is not the member's: 2001:db8:1::/48\n");

  // Communities: informational ones from a member are scrubbed, action ones kept; graceful
  // shutdown.
  auto tagged =
      p.attrs({64501}, "192.0.2.11", {std_comm(64499, 9), std_comm(0, 64502), std_comm(65535, 0)});
  tagged.large_communities.values = {{64500, 1000, 9}, {64500, 0, 65550}};
  tagged.set_present(rib::AttrType::LargeCommunities);
  REQUIRE(p.run(in4, "203.0.113.0/24", tagged) == Verdict::Accept);
  CHECK(p.out.attrs.communities.values ==
        std::vector<uint32_t>{std_comm(0, 64502), std_comm(65535, 0), std_comm(64499, 1)});
  CHECK(p.out.attrs.large_communities.values ==
        std::vector<rib::LargeCommunity>{{64500, 0, 65550}, {64500, 1000, 1}, {64500, 1001, 1}});
  CHECK(p.out.attrs.local_pref == 0);

  // Blackhole requests: more specific than the route objects, still the member's space.
  auto bh4 = p.attrs({64501}, "192.0.2.11", {std_comm(65535, 666)});
  CHECK(p.run(in4, "203.0.113.7/32", bh4) == Verdict::Accept);
  CHECK(p.out.log == "blackhole request: 203.0.113.7/32\n");
  CHECK(p.run(in4, "192.0.2.0/32", bh4) == Verdict::Reject);
  auto bh6 = p.attrs({64501}, "2001:db8:ff::11");
  bh6.large_communities.values = {{64500, 666, 0}};
  bh6.set_present(rib::AttrType::LargeCommunities);
  CHECK(p.run(in6, "2001:db8:1::1/128", bh6) == Verdict::Accept);
}

TEST_CASE("ixp-rs.conf export policy: action communities, prepends, blackholes, 32-bit members") {
  Policy p;
  const char* out2 = "announce_to_AS64502_1";
  CHECK(p.run(out2, "203.0.113.0/24", p.attrs({64501}, "192.0.2.11")) == Verdict::Accept);
  CHECK((!p.out.modified || p.out.attrs.communities.values.empty()));
  CHECK(p.run(out2, "203.0.113.0/24", p.attrs({64501}, "192.0.2.11", {std_comm(0, 64502)})) ==
        Verdict::Reject);
  CHECK(p.out.log == "action community: not to AS64502: 203.0.113.0/24\n");
  CHECK(p.run(out2, "203.0.113.0/24", p.attrs({64501}, "192.0.2.11", {std_comm(0, 64500)})) ==
        Verdict::Reject);
  REQUIRE(p.run(out2, "203.0.113.0/24",
                p.attrs({64501}, "192.0.2.11",
                        {std_comm(0, 64500), std_comm(64500, 64502), std_comm(64499, 1)})) ==
          Verdict::Accept);
  CHECK(p.out.attrs.communities.values ==
        std::vector<uint32_t>{std_comm(64499, 1)});  // actions scrubbed
  auto large = p.attrs({64501}, "192.0.2.11");
  large.large_communities.values = {{64500, 0, 64502}};
  large.set_present(rib::AttrType::LargeCommunities);
  CHECK(p.run(out2, "203.0.113.0/24", large) == Verdict::Reject);
  CHECK(p.run("announce_to_AS64501_1", "198.51.100.128/25", large) == Verdict::Accept);

  // Prepends: (65502, peer) twice to that peer only; (65501, 0) once to everyone.
  auto twice = p.attrs({64501}, "192.0.2.11", {std_comm(65502, 64502)});
  REQUIRE(p.run(out2, "203.0.113.0/24", twice) == Verdict::Accept);
  CHECK(p.out.attrs.as_path.to_string() == "64501 64501 64501");
  CHECK(p.out.attrs.communities.values.empty());
  REQUIRE(p.run("announce_to_AS65550_1", "203.0.113.0/24", twice) == Verdict::Accept);
  CHECK(p.out.attrs.as_path.to_string() == "64501");
  auto once = p.attrs({64502}, "192.0.2.12", {std_comm(65501, 0)});
  REQUIRE(p.run("announce_to_AS64501_2", "2001:db8:2::/48", once) == Verdict::Accept);
  CHECK(p.out.attrs.as_path.to_string() == "64502 64502");

  // A 32-bit member is named by its 16-bit alias in standard communities, by its ASN in large ones.
  CHECK(p.run("announce_to_AS65550_1", "203.0.113.0/24",
              p.attrs({64501}, "192.0.2.11", {std_comm(0, 64600)})) == Verdict::Reject);
  CHECK(p.run("announce_to_AS65550_2", "2001:db8:1::/48",
              p.attrs({64501}, "2001:db8:ff::11", {std_comm(0, 64600)})) == Verdict::Reject);
  auto large32 = p.attrs({64501}, "192.0.2.11");
  large32.large_communities.values = {{64500, 0, 65550}};
  large32.set_present(rib::AttrType::LargeCommunities);
  CHECK(p.run("announce_to_AS65550_1", "203.0.113.0/24", large32) == Verdict::Reject);
  CHECK(p.run(out2, "203.0.113.0/24", large32) == Verdict::Accept);

  // Blackholes: the family's blackhole next hop and NO_EXPORT.
  REQUIRE(p.run(out2, "203.0.113.7/32", p.attrs({64501}, "192.0.2.11", {std_comm(65535, 666)})) ==
          Verdict::Accept);
  CHECK(p.out.attrs.next_hop == *rib::IpAddress::parse("192.0.2.66"));
  CHECK(p.out.attrs.communities.contains(std_comm(65535, 65281)));
  REQUIRE(p.run("announce_to_AS65550_2", "2001:db8:1::1/128",
                p.attrs({64501}, "2001:db8:ff::11", {std_comm(65535, 666)})) == Verdict::Accept);
  CHECK(p.out.attrs.next_hop == *rib::IpAddress::parse("2001:db8:ff::66"));
  CHECK(p.out.attrs.communities.contains(std_comm(65535, 65281)));
}
