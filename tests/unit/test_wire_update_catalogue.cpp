// Every U* and A* row of ../shared/BGP-ERRORS.md: each case built as bytes (lengths computed
// here, not copied) and checked for the exact action and NOTIFICATION subcode rsd chose.
#include "wire_test_util.hpp"

using namespace wire_test;
namespace sub = rs::bgp::wire::subcode;

namespace {
std::string attrs_without(std::string_view skip) {
  std::string s;
  for (auto a : {kOrigin, kAsPath, kNextHop})
    if (a != skip) s += a;
  return s;
}
Outcome with_attr(std::string_view extra, const Negotiated& n = baseline()) {
  return decode(body("", base_attrs() + std::string(extra), kNlri), n);
}
// Replaces one baseline attribute by `repl`.
Outcome replacing(std::string_view which, std::string_view repl, const Negotiated& n = baseline()) {
  std::string a;
  for (auto x : {kOrigin, kAsPath, kNextHop}) a += x == which ? std::string(repl) : std::string(x);
  return decode(body("", a, kNlri), n);
}
}  // namespace

TEST_CASE("baseline UPDATE decodes cleanly") {
  auto o = decode(body("", base_attrs(), kNlri));
  EXPECT_CLEAN(o);
  REQUIRE(o.m.nlri.size() == 1);
  CHECK(o.m.nlri[0].prefix == pfx("10.1.1.0/24"));
  CHECK(o.m.attrs.next_hop == ip("10.0.0.2"));
  CHECK(o.m.attrs.as_path.first_as() == 65001);
}

TEST_CASE("U1 withdrawn length overruns the message: SR 3/1") {
  auto b = hex("01000000");
  auto o = decode(b);
  EXPECT_SR(o, sub::kMalformedAttributeList);
}

TEST_CASE("U2 total attribute length overruns the message: SR 3/1") {
  auto o = decode(hex("000000ff40010100"));
  EXPECT_SR(o, sub::kMalformedAttributeList);
}

TEST_CASE("U3 attribute overruns the attribute field, NLRI present: TaW, NLRI still located") {
  auto o = decode(hex("0000 0004 40012000 180a0101"));
  EXPECT_TAW(o, sub::kMalformedAttributeList);
  REQUIRE(o.m.nlri.size() == 1);
  CHECK(o.m.nlri[0].prefix == pfx("10.1.1.0/24"));
}

TEST_CASE("U4 same without NLRI: SR 3/1 (RFC 7606 5.2)") {
  auto o = decode(hex("0000 0004 40012000"));
  EXPECT_SR(o, sub::kMalformedAttributeList);
}

TEST_CASE("U5 two stray bytes after the last attribute: TaW") {
  auto o = decode(body("", base_attrs() + "4004", kNlri));
  EXPECT_TAW(o, sub::kMalformedAttributeList);
  CHECK(o.m.nlri.size() == 1);
  // One and three stray bytes too (3 only counts as a header without Extended Length).
  EXPECT_TAW(decode(body("", base_attrs() + "40", kNlri)), sub::kMalformedAttributeList);
  EXPECT_TAW(decode(body("", base_attrs() + "500400", kNlri)), sub::kMalformedAttributeList);
}

TEST_CASE("U6 NLRI prefix length 33: SR 3/10") {
  auto o = decode(body("", base_attrs(), "210a01010000"));
  EXPECT_SR(o, sub::kInvalidNetworkField);
}

TEST_CASE("U7 NLRI /24 with two address bytes: SR 3/1") {
  auto o = decode(body("", base_attrs(), "180a01"));
  EXPECT_SR(o, sub::kMalformedAttributeList);
}

TEST_CASE("U8 withdrawn route /33: SR 3/10") {
  auto b = hex("0006 210a01010000 0000");
  CHECK(b == body("210a01010000", "", ""));
  auto o = decode(b);
  EXPECT_SR(o, sub::kInvalidNetworkField);
}

TEST_CASE("U9 ORIGIN missing: TaW 3/3") {
  auto b = body("", attrs_without(kOrigin), kNlri);
  CHECK(to_hex(b) == "0000001040020602010000fde94003040a000002180a0101");
  EXPECT_TAW(decode(b), sub::kMissingWellKnown);
}

TEST_CASE("U10 NEXT_HOP missing with IPv4 NLRI: TaW 3/3") {
  auto b = body("", attrs_without(kNextHop), kNlri);
  CHECK(to_hex(b) == "0000000d4001010040020602010000fde9180a0101");
  EXPECT_TAW(decode(b), sub::kMissingWellKnown);
  // AS_PATH missing too.
  EXPECT_TAW(decode(body("", attrs_without(kAsPath), kNlri)), sub::kMissingWellKnown);
}

TEST_CASE("U11 MED twice: the first is kept, the second discarded") {
  auto o = with_attr("8004040000000a80040400000014");
  EXPECT_AD(o);
  CHECK(o.m.attrs.has(rs::rib::AttrType::Med));
  CHECK(o.m.attrs.med == 10);
}

TEST_CASE("U12 MP_REACH_NLRI twice: SR 3/1") {
  const std::string mp = "800e1e000201 10 20010db8000000000000000000000001 00 40 20010db800010000";
  CHECK(hex(mp).size() == 3 + 0x1e);
  auto o = decode(body("", std::string(kOrigin) + std::string(kAsPath) + mp + mp, ""));
  EXPECT_SR(o, sub::kMalformedAttributeList);
  // MP_UNREACH_NLRI twice too.
  const std::string un = "800f03000201";
  EXPECT_SR(decode(body("", un + un, "")), sub::kMalformedAttributeList);
}

TEST_CASE("U13 End-of-RIB") {
  auto o = decode(hex("00000000"));
  EXPECT_CLEAN(o);
  REQUIRE(o.m.end_of_rib());
  CHECK(*o.m.end_of_rib() == kIpv4Unicast);
}

TEST_CASE("A1 ORIGIN length 2: TaW 3/5") {
  EXPECT_TAW(replacing(kOrigin, "4001020000"), sub::kAttributeLengthError);
}

TEST_CASE("A2 ORIGIN value 3 / flags c0: TaW") {
  EXPECT_TAW(replacing(kOrigin, "40010103"), sub::kInvalidOrigin);
  EXPECT_TAW(replacing(kOrigin, "c0010100"), sub::kAttributeFlagsError);
}

TEST_CASE("A3 AS_PATH malformed: TaW 3/11") {
  EXPECT_TAW(replacing(kAsPath, "40020600010000fde9"), sub::kMalformedAsPath);    // type 0
  EXPECT_TAW(replacing(kAsPath, "4002060501 0000fde9"), sub::kMalformedAsPath);   // type 5
  EXPECT_TAW(replacing(kAsPath, "4002020200"), sub::kMalformedAsPath);            // length 0
  EXPECT_TAW(replacing(kAsPath, "40020602ff0000fde9"), sub::kMalformedAsPath);    // overrun
  EXPECT_TAW(replacing(kAsPath, "40020702010000fde900"), sub::kMalformedAsPath);  // lone byte
  EXPECT_TAW(replacing(kAsPath, "400206020100000000"), sub::kMalformedAsPath);    // AS 0
  // AS 0 later in the path (RFC 7607) is as bad.
  EXPECT_TAW(replacing(kAsPath, "40020a020200 00fde9 00000000"), sub::kMalformedAsPath);
}

TEST_CASE("A4 first AS is not the peer's: TaW; allowed when enforce_first_as is off") {
  EXPECT_TAW(replacing(kAsPath, "40020602010000fdea"), sub::kMalformedAsPath);
  Negotiated n = baseline();
  n.enforce_first_as = false;
  EXPECT_CLEAN(replacing(kAsPath, "40020602010000fdea", n));
  // iBGP peers are not checked.
  EXPECT_CLEAN(replacing(kAsPath, "40020602010000fdea", ibgp(65001)));
}

TEST_CASE("A5 AS_CONFED_SEQUENCE from eBGP: TaW; fine from iBGP") {
  const std::string confed = "40020c 03010000fde8 02010000fde9";
  EXPECT_TAW(replacing(kAsPath, confed), sub::kMalformedAsPath);
  auto o = replacing(kAsPath, confed, ibgp(65001));
  EXPECT_CLEAN(o);
  CHECK(o.m.attrs.as_path.has_confed());
}

TEST_CASE("A7 NEXT_HOP length 3: TaW 3/5") {
  EXPECT_TAW(replacing(kNextHop, "4003030a0000"), sub::kAttributeLengthError);
}

TEST_CASE("A8 NEXT_HOP 0.0.0.0 / 224.0.0.1 / our own address: TaW; 127.0.0.1 accepted") {
  EXPECT_TAW(replacing(kNextHop, "40030400000000"), sub::kInvalidNextHop);
  EXPECT_TAW(replacing(kNextHop, "400304e0000001"), sub::kInvalidNextHop);
  EXPECT_TAW(replacing(kNextHop, "4003040a000001"), sub::kInvalidNextHop);
  auto o = replacing(kNextHop, "4003047f000001");
  EXPECT_CLEAN(o);
  CHECK(o.m.attrs.next_hop == ip("127.0.0.1"));
}

TEST_CASE("A9 MED length 5 / flags c0: TaW") {
  EXPECT_TAW(with_attr("8004050000000064"), sub::kAttributeLengthError);
  EXPECT_TAW(with_attr("c0040400000064"), sub::kAttributeFlagsError);
}

TEST_CASE("A10 LOCAL_PREF from eBGP: AD, route accepted; kept from iBGP") {
  auto o = with_attr("40050400000064");
  EXPECT_AD(o);
  CHECK_FALSE(o.m.attrs.has(rs::rib::AttrType::LocalPref));
  CHECK(o.m.ebgp_local_pref_ignored);  // the route server then adds no default (as BIRD 2.0.12)
  REQUIRE(o.m.nlri.size() == 1);
  auto i = with_attr("40050400000064", ibgp(65001));
  EXPECT_CLEAN(i);
  CHECK(i.m.attrs.local_pref == 100);
  CHECK_FALSE(i.m.ebgp_local_pref_ignored);
  CHECK_FALSE(with_attr("8004040000000a").m.ebgp_local_pref_ignored);  // no LOCAL_PREF at all
  EXPECT_TAW(with_attr("400503000064", ibgp(65001)), sub::kAttributeLengthError);
}

TEST_CASE("A11 ATOMIC_AGGREGATE len 1, AGGREGATOR len 7 / AS 0, AS4_AGGREGATOR len 7: AD") {
  EXPECT_AD(with_attr("40060100"));
  EXPECT_AD(with_attr("c007070000fde90a0000"));
  EXPECT_AD(with_attr("c00708000000000a000001"));
  auto ok = with_attr("c00708 0000fde9 0a000001");
  EXPECT_CLEAN(ok);
  CHECK(ok.m.attrs.aggregator.asn == 65001);
  CHECK(ok.m.attrs.aggregator.address == 0x0A000001);
  Negotiated two = baseline();
  two.four_octet_as = false;
  const std::string a2 = std::string(kOrigin) + "40020402 01fde9" + std::string(kNextHop);
  auto o = decode(body("", a2 + "c01207 0000fde90a0000", kNlri), two);
  EXPECT_AD(o);
  // From a 4-octet session AS4_AGGREGATOR is discarded whatever its shape (RFC 6793 4.1).
  EXPECT_AD(with_attr("c01208 0001000a 0a000001"));
}

TEST_CASE("A12 community list lengths: TaW") {
  EXPECT_TAW(with_attr("c00800"), sub::kOptionalAttributeError);
  EXPECT_TAW(with_attr("c00805ffff000100"), sub::kOptionalAttributeError);
  EXPECT_TAW(with_attr("c01009 000200000000000100"), sub::kOptionalAttributeError);
  EXPECT_TAW(with_attr("c0200d 0000fde9000000010000000200"), sub::kOptionalAttributeError);
  EXPECT_TAW(with_attr("c01915 " + std::string(42, '0')), sub::kOptionalAttributeError);
  EXPECT_TAW(with_attr("800804fde90001"), sub::kAttributeFlagsError);  // COMMUNITIES non-transitive
}

TEST_CASE("A13 ORIGINATOR_ID len 3, CLUSTER_LIST len 5 from eBGP: AD; from iBGP malformed: TaW") {
  EXPECT_AD(with_attr("8009030a0000"));
  EXPECT_AD(with_attr("800a050a00000200"));
  EXPECT_AD(with_attr("8009040a000009"));  // even a valid one from eBGP
  EXPECT_TAW(with_attr("8009030a0000", ibgp(65001)), sub::kAttributeLengthError);
  EXPECT_TAW(with_attr("800a050a00000200", ibgp(65001)), sub::kAttributeLengthError);
  auto o = with_attr("8009040a000009 800a08 0a0000010a000002", ibgp(65001));
  EXPECT_CLEAN(o);
  CHECK(o.m.attrs.originator_id == 0x0A000009);
  CHECK(o.m.attrs.cluster_list.values == std::vector<uint32_t>{0x0A000001, 0x0A000002});
}

TEST_CASE("A14 MP_REACH IPv6 next-hop length 9: SR 3/1") {
  const std::string mp = "800e17 000201 09 20010db80000000000 00 40 20010db800000001";
  CHECK(hex(mp).size() == 3 + 0x17);
  auto o = decode(body("", std::string(kOrigin) + std::string(kAsPath) + mp, ""));
  EXPECT_SR(o, sub::kMalformedAttributeList);
}

TEST_CASE("A15 MP_REACH truncated: SR 3/1; MP_UNREACH /64 with 4 bytes: SR 3/9") {
  auto o = decode(body(
      "", std::string(kOrigin) + std::string(kAsPath) + "800e0c 000201 10 20010db800000000", ""));
  EXPECT_SR(o, sub::kMalformedAttributeList);
  EXPECT_SR(decode(body("", "800e02 0002", "")), sub::kMalformedAttributeList);
  auto u = decode(body("", "800f08 000201 40 20010db8", ""));
  EXPECT_SR(u, sub::kOptionalAttributeError);
}

TEST_CASE("A16 MP_REACH IPv6 prefix length 129: SR 3/9") {
  const std::string mp =
      "800e27 000201 10 20010db8000000000000000000000001 00 81 " + std::string(34, 'a');
  CHECK(hex(mp).size() == 3 + 0x27);
  auto o = decode(body("", std::string(kOrigin) + std::string(kAsPath) + mp, ""));
  EXPECT_SR(o, sub::kOptionalAttributeError);
}

TEST_CASE("A18 OTC length 3 / 5 / value 0: TaW") {
  EXPECT_TAW(with_attr("c023030000fd"), sub::kAttributeLengthError);
  EXPECT_TAW(with_attr("c02305 0000fde900"), sub::kAttributeLengthError);
  EXPECT_TAW(with_attr("c02304 00000000"), sub::kOptionalAttributeError);
}

TEST_CASE("A19 OTC from an RS client or customer is a leak (RFC 9234 5)") {
  Negotiated n = baseline();
  n.peer_role = Role::RouteServerClient;
  EXPECT_TAW(with_attr("c023040000fde9", n), sub::kOptionalAttributeError);
  n.peer_role = Role::Customer;
  EXPECT_TAW(with_attr("c023040000fde9", n), sub::kOptionalAttributeError);
  n.peer_role = Role::Provider;
  auto o = with_attr("c023040000fde9", n);
  EXPECT_CLEAN(o);
  CHECK(o.m.attrs.otc == 65001);
  n.peer_role = Role::Peer;  // lateral peer: OTC must be its own AS
  EXPECT_CLEAN(with_attr("c023040000fde9", n));
  EXPECT_TAW(with_attr("c023040000fdea", n), sub::kOptionalAttributeError);
}

TEST_CASE("A21 Tunnel Encapsulation with a broken sub-TLV: discarded, never re-exported") {
  // Even with `forward unknown attributes` on (baseline()); more in test_wire_policy.cpp.
  auto o = with_attr("c017060007000401ff");
  EXPECT_AD(o);
  CHECK(o.m.attrs.unknown.values.empty());
}

TEST_CASE("A22 unknown optional non-transitive: AD, not kept") {
  auto o = with_attr("80fd04deadbeef");
  EXPECT_AD(o);
  CHECK(o.m.attrs.unknown.values.empty());
}

TEST_CASE("A23 unknown optional transitive: kept byte-exact, re-sent with Partial") {
  auto o = with_attr("c0fe04deadbeef");
  EXPECT_CLEAN(o);
  REQUIRE(o.m.attrs.unknown.values.size() == 1);
  std::vector<uint8_t> out;
  (void)encode_attributes(o.m.attrs, baseline(), out);
  CHECK(to_hex(out).find("e0fe04deadbeef") != std::string::npos);
}

TEST_CASE("A24 unknown type with well-known flags: TaW 3/2") {
  EXPECT_TAW(with_attr("40f00100"), sub::kUnrecognizedWellKnown);
}

TEST_CASE("A25 attribute type 0: AD") {
  auto o = with_attr("c0000100");
  EXPECT_AD(o);
  CHECK(o.m.attrs.unknown.values.empty());
}

TEST_CASE("A26 flags low nibble is ignored") {
  auto o = replacing(kOrigin, "4f010100");
  EXPECT_CLEAN(o);
  CHECK(o.m.attrs.origin == rs::rib::Origin::Igp);
}

TEST_CASE("A27 Extended Length with length 0 on COMMUNITIES: TaW") {
  EXPECT_TAW(with_attr("d0080000"), sub::kOptionalAttributeError);
  // Extended Length with a real value is fine.
  auto o = with_attr("d0080004fde90001");
  EXPECT_CLEAN(o);
  CHECK(o.m.attrs.communities.values == std::vector<uint32_t>{0xFDE90001});
}

TEST_CASE("the most severe outcome wins: TaW then a duplicate MP_REACH still resets") {
  const std::string mp = "800e1e000201 10 20010db8000000000000000000000001 00 40 20010db800010000";
  auto o = decode(body("", "40010103" + std::string(kAsPath) + mp + mp, ""));
  EXPECT_SR(o, sub::kMalformedAttributeList);
}

TEST_CASE("MP_* attributes with wrong flags reset the session with the attribute as data") {
  auto o = decode(body("", "c00f03000201", ""));
  EXPECT_SR(o, sub::kAttributeFlagsError);
  CHECK(o.error.data == hex("c00f03000201"));
}
