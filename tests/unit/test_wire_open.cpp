// OPEN: decoding (catalogue O1-O12), capabilities, RFC 9072 extended parameters, validation
// against policy, negotiation, ExaBGP's software-version OPEN, and decode(encode(m)) == m for
// generated OPENs with every capability kind.
#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "hex_bytes.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/open.hpp"

using namespace rs::bgp::wire;
using rs::test::hex;
using rs::test::message;
using rs::test::to_hex;

namespace {

// BGP-ERRORS baseline OPEN body: AS 65001, hold 90, id 10.0.0.2, IPv4 unicast, AS4 65001.
const char* kBaseline = "04 fde9 005a 0a000002 0e 020c 010400010001 41040000fde9";

OpenPolicy baseline_policy() {
  OpenPolicy p;
  p.peer_as = 65001;
  p.local_as = 65000;
  p.local_bgp_id = 0x0a000001;
  return p;
}

void check_open_error(const WireError& e, uint8_t sub, const std::vector<uint8_t>& data) {
  CHECK(e.code == ErrorCode::Open);
  CHECK(e.subcode == sub);
  CHECK(to_hex(e.data) == to_hex(data));
  CHECK(e.action == ErrorAction::SessionReset);
  CHECK_FALSE(e.reason.empty());
}

void check_decode_error(const std::string& body, uint8_t sub, const std::vector<uint8_t>& data) {
  auto r = decode_open(hex(body));
  REQUIRE_FALSE(r.ok());
  check_open_error(r.error(), sub, data);
}

void check_validate_error(const std::string& body, const OpenPolicy& p, uint8_t sub,
                          const std::vector<uint8_t>& data) {
  auto r = decode_open(hex(body));
  REQUIRE(r.ok());
  auto v = validate_open(*r, p);
  REQUIRE_FALSE(v.ok());
  check_open_error(v.error(), sub, data);
}

OpenMessage decode_ok(const std::string& body) {
  auto r = decode_open(hex(body));
  if (!r.ok()) FAIL("decode failed: " << r.error().reason);
  return *r;
}

}  // namespace

TEST_CASE("baseline OPEN decodes and validates") {
  OpenMessage m = decode_ok(kBaseline);
  CHECK(m.version == 4);
  CHECK(m.my_as == 65001);
  CHECK(m.hold_time == 90);
  CHECK(m.bgp_id == 0x0a000002);
  CHECK(m.caps.multiprotocol == std::vector<AfiSafi>{kIpv4Unicast});
  CHECK(m.caps.four_octet_as == 65001u);
  CHECK(m.effective_as() == 65001);
  CHECK(m.caps.unknown.empty());
  CHECK(validate_open(m, baseline_policy()).ok());
  // And encodes back to the same bytes.
  std::vector<uint8_t> out;
  encode_open(m, out);
  CHECK(to_hex(out) == to_hex(message(1, kBaseline)));
}

TEST_CASE("O1: version 3 is 2/1 with data 0004") {
  check_decode_error("03 fde9 005a 0a000002 0e 020c 010400010001 41040000fde9",
                     subcode::kUnsupportedVersion, hex("0004"));
  check_decode_error("05 fde9 005a 0a000002 00", subcode::kUnsupportedVersion, hex("0004"));
}

TEST_CASE("O2: hold time 1 or 2 is 2/6 with the hold field; 0 and 3 are fine") {
  check_decode_error("04 fde9 0001 0a000002 0e 020c 010400010001 41040000fde9",
                     subcode::kUnacceptableHoldTime, hex("0001"));
  check_decode_error("04 fde9 0002 0a000002 00", subcode::kUnacceptableHoldTime, hex("0002"));
  CHECK(decode_ok("04 fde9 0000 0a000002 00").hold_time == 0);
  CHECK(decode_ok("04 fde9 0003 0a000002 00").hold_time == 3);
}

TEST_CASE("O3: hold time 0 below a configured minimum is 2/6") {
  OpenPolicy p = baseline_policy();
  p.min_hold_time = 9;
  check_validate_error("04 fde9 0000 0a000002 0e 020c 010400010001 41040000fde9", p,
                       subcode::kUnacceptableHoldTime, hex("0000"));
  check_validate_error("04 fde9 0008 0a000002 0e 020c 010400010001 41040000fde9", p,
                       subcode::kUnacceptableHoldTime, hex("0008"));
  CHECK(
      validate_open(decode_ok("04 fde9 0009 0a000002 0e 020c 010400010001 41040000fde9"), p).ok());
  // Without a minimum, 0 is a valid hold time (RFC 4271 4.2).
  CHECK(validate_open(decode_ok("04 fde9 0000 0a000002 0e 020c 010400010001 41040000fde9"),
                      baseline_policy())
            .ok());
}

TEST_CASE("O4: BGP identifier 0 is 2/3 with the identifier") {
  check_decode_error("04 fde9 005a 00000000 0e 020c 010400010001 41040000fde9",
                     subcode::kBadBgpIdentifier, hex("00000000"));
}

TEST_CASE("iBGP peer with our identifier is 2/3 (RFC 6286 2.2); eBGP may share it") {
  OpenPolicy p = baseline_policy();
  p.local_as = 65001;
  p.local_bgp_id = 0x0a000002;
  check_validate_error(kBaseline, p, subcode::kBadBgpIdentifier, hex("0a000002"));
  OpenPolicy e = baseline_policy();
  e.local_bgp_id = 0x0a000002;
  CHECK(validate_open(decode_ok(kBaseline), e).ok());
}

TEST_CASE("O5: peer AS 65002 is 2/2") {
  check_validate_error("04 fdea 005a 0a000002 0e 020c 010400010001 41040000fdea", baseline_policy(),
                       subcode::kBadPeerAs, hex("0000fdea"));
  // Without the AS4 capability the 2-octet field is the AS and the data.
  check_validate_error("04 fdea 005a 0a000002 08 0206 010400010001", baseline_policy(),
                       subcode::kBadPeerAs, hex("fdea"));
}

TEST_CASE("O6: My-AS AS_TRANS with AS4 capability 65002 is 2/2: the capability counts") {
  check_validate_error("04 5ba0 005a 0a000002 0e 020c 010400010001 41040000fdea", baseline_policy(),
                       subcode::kBadPeerAs, hex("0000fdea"));
  OpenMessage ok = decode_ok("04 5ba0 005a 0a000002 0e 020c 010400010001 41040000fde9");
  CHECK(ok.my_as == kAsTrans);
  CHECK(ok.effective_as() == 65001);
  CHECK(validate_open(ok, baseline_policy()).ok());
  // A 4-octet AS that needs the capability.
  OpenPolicy p = baseline_policy();
  p.peer_as = 4200000001u;
  OpenMessage big = decode_ok("04 5ba0 005a 0a000002 0e 020c 010400010001 4104fa56ea01");
  CHECK(big.effective_as() == 4200000001u);
  CHECK(validate_open(big, p).ok());
}

TEST_CASE("peer AS modes for dynamic neighbours, and AS 0 is always refused (RFC 7607)") {
  OpenMessage m = decode_ok(kBaseline);  // AS 65001
  OpenPolicy p = baseline_policy();
  p.peer_as_mode = PeerAsMode::Any;
  p.peer_as = 1;
  CHECK(validate_open(m, p).ok());
  p.peer_as_mode = PeerAsMode::External;  // local 65000
  CHECK(validate_open(m, p).ok());
  p.peer_as_mode = PeerAsMode::Internal;
  auto v = validate_open(m, p);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().subcode == subcode::kBadPeerAs);
  p.local_as = 65001;
  CHECK(validate_open(m, p).ok());
  p.peer_as_mode = PeerAsMode::External;
  CHECK_FALSE(validate_open(m, p).ok());

  OpenPolicy any = baseline_policy();
  any.peer_as_mode = PeerAsMode::Any;
  check_validate_error("04 0000 005a 0a000002 00", any, subcode::kBadPeerAs, hex("0000"));
  check_validate_error("04 5ba0 005a 0a000002 08 0206 410400000000", any, subcode::kBadPeerAs,
                       hex("00000000"));
}

TEST_CASE("O7: unknown optional parameter type is 2/4 with the parameter") {
  check_decode_error("04 fde9 005a 0a000002 0e 070c 010400010001 41040000fde9",
                     subcode::kUnsupportedOptionalParameter, hex("070c 010400010001 41040000fde9"));
  // Authentication (type 1) is deprecated (RFC 5492): unsupported too.
  check_decode_error("04 fde9 005a 0a000002 03 0101 00", subcode::kUnsupportedOptionalParameter,
                     hex("010100"));
}

TEST_CASE("O8: optional parameters length beyond the message is 2/0") {
  check_decode_error("04 fde9 005a 0a000002 20 020c 010400010001 41040000fde9",
                     subcode::kOpenUnspecific, {});
  // Shorter than what follows is as bad.
  check_decode_error("04 fde9 005a 0a000002 08 020c 010400010001 41040000fde9",
                     subcode::kOpenUnspecific, {});
  // A parameter that overruns the optional parameters.
  check_decode_error("04 fde9 005a 0a000002 04 020c 0104", subcode::kOpenUnspecific, {});
  // One byte left: no room for a parameter header.
  check_decode_error("04 fde9 005a 0a000002 01 02", subcode::kOpenUnspecific, {});
}

TEST_CASE("O9: capability length 10 inside a 6-byte parameter is 2/0") {
  check_decode_error("04 fde9 005a 0a000002 08 0206 410a0000fde9", subcode::kOpenUnspecific, {});
  // One byte left inside a parameter: no room for a capability header.
  check_decode_error("04 fde9 005a 0a000002 03 0201 41", subcode::kOpenUnspecific, {});
}

TEST_CASE("known capabilities with malformed values are 2/0") {
  for (const char* cap : {"0103 000100",       // MP length 3
                          "4102 fde9",         // AS4 length 2
                          "0201 00",           // route refresh with a value
                          "0601 00",           // extended message with a value
                          "0900",              // role without a value
                          "4003 000000",       // graceful restart: 2 + 4n
                          "4503 000101",       // ADD-PATH: 4n
                          "0504 00010001"}) {  // extended next hop: 6n
    std::vector<uint8_t> c = hex(cap);
    std::string body = "04 fde9 005a 0a000002 " + to_hex({static_cast<uint8_t>(c.size() + 2)}) +
                       "02" + to_hex({static_cast<uint8_t>(c.size())}) + cap;
    CAPTURE(cap);
    check_decode_error(body, subcode::kOpenUnspecific, {});
  }
}

TEST_CASE("O10: role Provider while we are a route server is 2/11 with the role byte") {
  OpenPolicy p = baseline_policy();
  p.local_role = Role::RouteServer;
  const std::string prefix = "04 fde9 005a 0a000002 13 020c 010400010001 41040000fde9 ";
  check_validate_error(prefix + "0203 090100", p, subcode::kRoleMismatch, hex("00"));
  OpenMessage client = decode_ok(prefix + "0203 090102");
  CHECK(client.caps.role == Role::RouteServerClient);
  CHECK(validate_open(client, p).ok());
  // No role from the peer: fine unless strict.
  CHECK(validate_open(decode_ok(kBaseline), p).ok());
  p.role_strict = true;
  check_validate_error(kBaseline, p, subcode::kRoleMismatch, {});
  // Unknown role values never match.
  check_validate_error(prefix + "0203 090107", p, subcode::kRoleMismatch, hex("07"));
  // Without a local role, the peer's is not checked.
  CHECK(validate_open(decode_ok(prefix + "0203 090100"), baseline_policy()).ok());
}

TEST_CASE("RFC 9234 role pairs") {
  const Role all[] = {Role::Provider, Role::RouteServer, Role::RouteServerClient, Role::Customer,
                      Role::Peer};
  int allowed = 0;
  for (Role a : all)
    for (Role b : all) allowed += roles_compatible(a, b);
  CHECK(allowed == 5);
  CHECK(roles_compatible(Role::Provider, Role::Customer));
  CHECK(roles_compatible(Role::Customer, Role::Provider));
  CHECK(roles_compatible(Role::RouteServer, Role::RouteServerClient));
  CHECK(roles_compatible(Role::RouteServerClient, Role::RouteServer));
  CHECK(roles_compatible(Role::Peer, Role::Peer));
  CHECK_FALSE(roles_compatible(Role::RouteServer, Role::RouteServer));
  CHECK_FALSE(roles_compatible(static_cast<Role>(9), Role::Peer));
}

TEST_CASE("conflicting Role capabilities are 2/11 (RFC 9234 4.2); repeats of one value are fine") {
  check_decode_error("04 fde9 005a 0a000002 0a 0203 090102 0203 090103", subcode::kRoleMismatch,
                     hex("03"));
  OpenMessage m = decode_ok("04 fde9 005a 0a000002 0a 0203 090102 0203 090102");
  CHECK(m.caps.role == Role::RouteServerClient);
}

TEST_CASE("O11: RFC 9072 extended optional parameters are accepted") {
  const std::string ext = "04 fde9 005a 0a000002 ff ff 000f 02 000c 010400010001 41040000fde9";
  OpenMessage m = decode_ok(ext);
  CHECK(m == decode_ok(kBaseline));
  CHECK(validate_open(m, baseline_policy()).ok());
  // Non-Ext OP Len is ignored once Non-Ext OP Type says 255 (RFC 9072 2).
  CHECK(decode_ok("04 fde9 005a 0a000002 01 ff 000f 02 000c 010400010001 41040000fde9") == m);
  // Two parameters in extended form.
  CHECK(decode_ok("04 fde9 005a 0a000002 ff ff 0012 02 0006 010400010001 02 0006 41040000fde9") ==
        m);
  // Our encoder produces exactly this form when forced.
  std::vector<uint8_t> out;
  encode_open(m, out, true);
  CHECK(to_hex(out) == to_hex(message(1, ext)));
  // Framing errors in the extended form are 2/0.
  check_decode_error("04 fde9 005a 0a000002 ff ff 0010 02 000c 010400010001 41040000fde9",
                     subcode::kOpenUnspecific, {});
  check_decode_error("04 fde9 005a 0a000002 ff ff 000f 02 000d 010400010001 41040000fde9",
                     subcode::kOpenUnspecific, {});
  check_decode_error("04 fde9 005a 0a000002 ff ff 00", subcode::kOpenUnspecific, {});
  check_decode_error("04 fde9 005a 0a000002 ff ff 0002 0200", subcode::kOpenUnspecific, {});
  check_decode_error("04 fde9 005a 0a000002 ff ff 0003 070000",
                     subcode::kUnsupportedOptionalParameter, hex("070000"));
}

TEST_CASE("capabilities longer than 255 octets use the RFC 9072 form, and only then") {
  OpenMessage m;
  m.set_as(65001);
  m.bgp_id = 0x0a000002;
  m.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  std::vector<uint8_t> small;
  encode_open(m, small);
  CHECK(small[29] != 0xff);  // first parameter type after the 1-byte length
  m.caps.software_version = std::string(200, 'v');
  m.caps.fqdn = Fqdn{std::string(60, 'h'), std::string(40, 'd')};
  std::vector<uint8_t> big;
  encode_open(m, big);
  CHECK(big[28] == 0xff);
  CHECK(big[29] == 0xff);
  auto h = decode_header(rs::bgp::wire::Bytes(big).first(19), {});
  REQUIRE(h.ok());
  CHECK(h->length == big.size());
  auto d = decode_open(rs::bgp::wire::Bytes(big).subspan(19));
  REQUIRE(d.ok());
  CHECK(*d == m);
}

TEST_CASE("O12: a required family the peer did not advertise is 2/7 with that capability") {
  OpenPolicy p = baseline_policy();
  p.required_families = {kIpv4Unicast, kIpv6Unicast};
  check_validate_error(kBaseline, p, subcode::kUnsupportedCapability, hex("0104 0002 00 01"));
  CHECK(validate_open(
            decode_ok("04 fde9 005a 0a000002 14 0212 010400010001 010400020001 41040000fde9"), p)
            .ok());
  // No Multiprotocol capability at all means IPv4 unicast only (RFC 4760).
  OpenPolicy v4 = baseline_policy();
  v4.required_families = {kIpv4Unicast};
  CHECK(validate_open(decode_ok("04 fde9 005a 0a000002 08 0206 41040000fde9"), v4).ok());
  p.required_families = {kIpv6Unicast, AfiSafi{1, 4}};
  check_validate_error(kBaseline, p, subcode::kUnsupportedCapability,
                       hex("0104 0002 00 01 0104 0001 00 04"));
}

TEST_CASE("several capabilities per parameter and several parameters") {
  // One parameter per capability, as FRR sends them.
  OpenMessage a = decode_ok(
      "04 fde9 00b4 0a000002 20 0206 010400010001 0206 010400020001 0202 0200 0202 4600 "
      "0206 41040000fde9");
  // All in one parameter, as BIRD sends them.
  OpenMessage b =
      decode_ok("04 fde9 00b4 0a000002 18 0216 010400010001 010400020001 0200 4600 41040000fde9");
  CHECK(a == b);
  CHECK(a.caps.multiprotocol == std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast});
  CHECK(a.caps.route_refresh);
  CHECK(a.caps.enhanced_route_refresh);
  CHECK_FALSE(a.caps.route_refresh_cisco);
  // Empty Capabilities parameter and no parameters at all.
  CHECK(decode_ok("04 fde9 00b4 0a000002 02 0200").caps == Capabilities{});
  CHECK(decode_ok("04 fde9 00b4 0a000002 00").caps == Capabilities{});
}

TEST_CASE("every capability kind decodes to its fields") {
  const std::string caps =
      "010400010001"                 // MP ipv4 unicast
      "010400020001"                 // MP ipv6 unicast
      "0200"                         // route refresh
      "8000"                         // Cisco route refresh
      "4600"                         // enhanced route refresh
      "0506 0001 0001 0002"          // extended next hop: ipv4 unicast over ipv6
      "0600"                         // extended message
      "0901 01"                      // role: route server
      "400a 8078 00010180 00020100"  // GR: R bit, 120 s; v4 F bit, v6 not
      "4104 fa56ea01"                // AS4 4200000001
      "4508 00010103 00020101"       // ADD-PATH v4 both, v6 receive
      "490a 0472733031 0478797a30"   // FQDN rs01 / xyz0
      "4b04 03312e30"                // software version "1.0"
      "fe03 abcdef";                 // unknown 254
  std::vector<uint8_t> cb = hex(caps);
  std::string body = "04 5ba0 00b4 c0000201 " + to_hex({static_cast<uint8_t>(cb.size() + 2)}) +
                     "02" + to_hex({static_cast<uint8_t>(cb.size())}) + caps;
  OpenMessage m = decode_ok(body);
  const Capabilities& c = m.caps;
  CHECK(c.multiprotocol == std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast});
  CHECK(c.route_refresh);
  CHECK(c.route_refresh_cisco);
  CHECK(c.any_route_refresh());
  CHECK(c.enhanced_route_refresh);
  REQUIRE(c.extended_next_hop.size() == 1);
  CHECK(c.extended_next_hop[0] == ExtendedNextHop{1, 1, 2});
  CHECK(c.extended_message);
  CHECK(c.role == Role::RouteServer);
  REQUIRE(c.graceful_restart);
  CHECK(c.graceful_restart->restart_state);
  CHECK_FALSE(c.graceful_restart->notification);
  CHECK(c.graceful_restart->restart_time == 120);
  CHECK(c.graceful_restart->families ==
        std::vector<GracefulRestart::Family>{{kIpv4Unicast, true}, {kIpv6Unicast, false}});
  CHECK(c.four_octet_as == 4200000001u);
  CHECK(m.effective_as() == 4200000001u);
  REQUIRE(c.add_path.size() == 2);
  CHECK(c.add_path_for(kIpv4Unicast)->can_send());
  CHECK(c.add_path_for(kIpv4Unicast)->can_receive());
  CHECK(c.add_path_for(kIpv6Unicast)->can_receive());
  CHECK_FALSE(c.add_path_for(kIpv6Unicast)->can_send());
  CHECK(c.fqdn == Fqdn{"rs01", "xyz0"});
  CHECK(c.software_version == "1.0");
  CHECK(c.unknown == std::vector<RawCapability>{{254, {0xab, 0xcd, 0xef}}});
  // Re-encoding gives the same message (our order matches this test's order).
  std::vector<uint8_t> out;
  encode_open(m, out);
  CHECK(to_hex(out) == to_hex(message(1, body)));
}

TEST_CASE("informational capabilities that do not parse are kept raw") {
  OpenMessage m = decode_ok("04 fde9 005a 0a000002 0b 0209 4903 094142 4b02 0561");
  CHECK_FALSE(m.caps.fqdn);
  CHECK_FALSE(m.caps.software_version);
  CHECK(m.caps.unknown == std::vector<RawCapability>{{73, hex("094142")}, {75, hex("0561")}});
  // An FQDN without the domain part reads as an empty domain.
  OpenMessage h = decode_ok("04 fde9 005a 0a000002 07 0205 4903 026869");
  CHECK(h.caps.fqdn == Fqdn{"hi", ""});
}

TEST_CASE("ExaBGP's OPEN with a software-version capability decodes") {
  std::ifstream in(std::string(RSD_TEST_DATA_DIR) + "/exabgp-qa/decoding/bgp-open-sofware-version");
  REQUIRE(in.good());
  std::string line;
  while (std::getline(in, line) && line.rfind("FFFF", 0) != 0) {
  }
  auto bytes = hex(line);
  REQUIRE(bytes.size() == 0x51);
  auto h = decode_header(rs::bgp::wire::Bytes(bytes).first(19), {});
  REQUIRE(h.ok());
  CHECK(h->type == MessageType::Open);
  auto m = decode_open(rs::bgp::wire::Bytes(bytes).subspan(19));
  REQUIRE(m.ok());
  CHECK(m->version == 4);
  CHECK(m->effective_as() == 65533);
  CHECK(m->hold_time == 180);
  CHECK(m->bgp_id == 0x0a000002);
  CHECK(m->caps.multiprotocol == std::vector<AfiSafi>{kIpv4Unicast});
  CHECK(m->caps.four_octet_as == 65533u);
  CHECK(m->caps.software_version == "ExaBGP/main-c2a2ea8ebd-20240715");
  CHECK(m->caps.unknown.empty());
  OpenPolicy p;
  p.peer_as = 65533;
  p.local_as = 65533;
  p.local_bgp_id = 0x7f000001;
  CHECK(validate_open(*m, p).ok());
  // Three parameters in the original; we re-encode as one, which decodes to the same.
  std::vector<uint8_t> out;
  encode_open(*m, out);
  auto again = decode_open(rs::bgp::wire::Bytes(out).subspan(19));
  REQUIRE(again.ok());
  CHECK(*again == *m);
}

namespace {

OpenMessage real_open(const std::string& name) {
  std::ifstream in(std::string(RSD_TEST_DATA_DIR) + "/wire/open/" + name);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);
  auto bytes = hex(line);
  REQUIRE(bytes.size() >= 29);
  auto h = decode_header(rs::bgp::wire::Bytes(bytes).first(19), {});
  REQUIRE(h.ok());
  REQUIRE(h->type == MessageType::Open);
  REQUIRE(h->length == bytes.size());
  auto m = decode_open(rs::bgp::wire::Bytes(bytes).subspan(19));
  if (!m.ok()) FAIL(name << ": " << m.error().reason);
  // Whatever the sender's parameter layout, our encoding decodes to the same message.
  std::vector<uint8_t> out;
  encode_open(*m, out);
  auto again = decode_open(rs::bgp::wire::Bytes(out).subspan(19));
  REQUIRE(again.ok());
  CHECK(*again == *m);
  return *m;
}

}  // namespace

TEST_CASE("real OPEN from BIRD 2.0.12 decodes") {
  OpenMessage m = real_open("bird-2.0.12.hex");
  CHECK(m.my_as == kAsTrans);
  CHECK(m.effective_as() == 4200000009u);
  CHECK(m.hold_time == 90);
  CHECK(m.bgp_id == 0x0a000009);
  CHECK(m.caps.multiprotocol == std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast});
  CHECK(m.caps.route_refresh);
  CHECK(m.caps.enhanced_route_refresh);
  CHECK(m.caps.extended_message);
  CHECK(m.caps.role == Role::RouteServerClient);
  REQUIRE(m.caps.graceful_restart);
  CHECK(m.caps.graceful_restart->restart_time == 120);
  CHECK(m.caps.graceful_restart->families.size() == 2);
  CHECK(m.caps.add_path == std::vector<AddPathFamily>{{kIpv4Unicast, AddPathFamily::kReceive}});
  REQUIRE(m.caps.unknown.size() == 1);
  CHECK(m.caps.unknown[0].code == 71);  // long-lived graceful restart

  // As a route server with BIRD as our client.
  OpenPolicy p;
  p.peer_as = 4200000009u;
  p.local_as = 65000;
  p.local_bgp_id = 0x0a000001;
  p.local_role = Role::RouteServer;
  p.role_strict = true;
  p.required_families = {kIpv4Unicast, kIpv6Unicast};
  CHECK(validate_open(m, p).ok());
  OpenMessage local;
  local.set_as(65000);
  local.bgp_id = 0x0a000001;
  local.hold_time = 240;
  local.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  local.caps.add_path = {{kIpv4Unicast, AddPathFamily::kBoth},
                         {kIpv6Unicast, AddPathFamily::kBoth}};
  local.caps.extended_message = true;
  local.caps.role = Role::RouteServer;
  auto s = negotiate(local, m);
  CHECK(s.hold_time == 90);
  CHECK(s.negotiated.extended_message);
  CHECK(s.negotiated.add_path_tx_ipv4);  // BIRD receives, we send
  CHECK_FALSE(s.negotiated.add_path_rx_ipv4);
  CHECK_FALSE(s.negotiated.add_path_tx_ipv6);
  CHECK(s.negotiated.peer_role == Role::RouteServerClient);
}

TEST_CASE("real OPEN from GoBGP 3.10.0 decodes") {
  OpenMessage m = real_open("gobgp-3.10.0.hex");
  CHECK(m.effective_as() == 65010);
  CHECK(m.hold_time == 90);
  CHECK(m.bgp_id == 0x0a00000a);
  CHECK(m.caps.multiprotocol == std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast});
  CHECK(m.caps.route_refresh);
  CHECK_FALSE(m.caps.enhanced_route_refresh);
  CHECK(m.caps.fqdn == Fqdn{"vm", ""});
  REQUIRE(m.caps.graceful_restart);
  CHECK(m.caps.graceful_restart->restart_time == 120);
  CHECK(m.caps.graceful_restart->families.empty());
  CHECK(m.caps.extended_next_hop == std::vector<ExtendedNextHop>{{1, 1, 2}});
  CHECK(m.caps.add_path == std::vector<AddPathFamily>{{kIpv4Unicast, AddPathFamily::kBoth}});
  CHECK(m.caps.unknown.empty());
}

TEST_CASE("real OPEN from ExaBGP 4.2.21 decodes") {
  OpenMessage m = real_open("exabgp-4.2.21.hex");
  CHECK(m.effective_as() == 65011);
  CHECK(m.hold_time == 180);
  CHECK(m.bgp_id == 0x0a00000b);
  CHECK(m.caps.multiprotocol == std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast});
  CHECK(m.caps.add_path == std::vector<AddPathFamily>{{kIpv4Unicast, AddPathFamily::kBoth},
                                                      {kIpv6Unicast, AddPathFamily::kBoth}});
  REQUIRE(m.caps.graceful_restart);
  CHECK(m.caps.graceful_restart->restart_state);
  CHECK(m.caps.graceful_restart->restart_time == 120);
  CHECK(m.caps.graceful_restart->families ==
        std::vector<GracefulRestart::Family>{{kIpv4Unicast, true}, {kIpv6Unicast, true}});
  CHECK(m.caps.route_refresh);
  CHECK(m.caps.enhanced_route_refresh);
  CHECK(m.caps.extended_message);
  CHECK(m.caps.unknown.empty());
}

TEST_CASE("a too-short OPEN body is a length error") {
  auto r = decode_open(hex("04 fde9 005a 0a000002"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::MessageHeader);
  CHECK(r.error().subcode == subcode::kBadMessageLength);
  CHECK(r.error().data == hex("001c"));
  // And so is one longer than 4,096 octets with its header (RFC 8654 3).
  std::vector<uint8_t> big = hex("04 fde9 005a 0a000002 00");
  big.resize(4096 - 19 + 1);
  auto b = decode_open(big);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().subcode == subcode::kBadMessageLength);
  CHECK(b.error().data == hex("1001"));
}

// ---- negotiation ----

TEST_CASE("negotiate: families, AS4, extended message, hold time, route refresh") {
  OpenMessage local;
  local.set_as(65000);
  local.bgp_id = 0x0a000001;
  local.hold_time = 90;
  local.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast, AfiSafi{1, 4}};
  local.caps.route_refresh = true;
  local.caps.enhanced_route_refresh = true;
  local.caps.extended_message = true;

  OpenMessage peer = decode_ok(
      "04 fde9 00b4 0a000002 20 0206 010400020001 0206 010400010004 0202 8000 0202 0600 "
      "0206 41040000fde9");
  auto s = negotiate(local, peer);
  const Negotiated& n = s.negotiated;
  CHECK(n.local_as == 65000);
  CHECK(n.peer_as == 65001);
  CHECK(n.ebgp);
  CHECK(n.enforce_first_as);
  CHECK(n.four_octet_as);
  CHECK(n.extended_message);
  CHECK(n.max_message_size() == 65535);
  CHECK_FALSE(n.ipv4_unicast);
  CHECK(n.ipv6_unicast);
  CHECK(s.families == std::vector<AfiSafi>{kIpv6Unicast, AfiSafi{1, 4}});
  CHECK(n.route_refresh);  // Cisco code counts
  CHECK_FALSE(n.enhanced_route_refresh);
  CHECK_FALSE(n.peer_role);
  CHECK(s.hold_time == 90);
  CHECK(s.keepalive_time == 30);
  CHECK(s.peer_bgp_id == 0x0a000002);
  CHECK(s.peer_as == 65001);

  peer.hold_time = 9;
  CHECK(negotiate(local, peer).hold_time == 9);
  CHECK(negotiate(local, peer).keepalive_time == 3);
  peer.hold_time = 0;
  CHECK(negotiate(local, peer).hold_time == 0);
  CHECK(negotiate(local, peer).keepalive_time == 0);

  // One side without AS4 or extended messages turns them off.
  peer.caps.four_octet_as.reset();
  peer.caps.extended_message = false;
  auto s2 = negotiate(local, peer);
  CHECK_FALSE(s2.negotiated.four_octet_as);
  CHECK_FALSE(s2.negotiated.extended_message);
  CHECK(s2.negotiated.max_message_size() == 4096);
  CHECK(HeaderLimits::from(s2.negotiated).max_size() == 4096);
}

TEST_CASE("negotiate: no Multiprotocol capability means IPv4 unicast; iBGP") {
  OpenMessage a;
  a.set_as(65001);
  a.bgp_id = 1;
  OpenMessage b = decode_ok("04 fde9 00b4 0a000002 08 0206 41040000fde9");
  auto s = negotiate(a, b);
  CHECK(s.negotiated.ipv4_unicast);
  CHECK_FALSE(s.negotiated.ipv6_unicast);
  CHECK_FALSE(s.negotiated.ebgp);
  CHECK_FALSE(s.negotiated.enforce_first_as);
  CHECK(s.families == std::vector<AfiSafi>{kIpv4Unicast});
}

TEST_CASE("negotiate: ADD-PATH directions per family (RFC 7911 5)") {
  OpenMessage local;
  local.set_as(65000);
  local.bgp_id = 1;
  local.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  OpenMessage peer = local;
  peer.set_as(65001);
  peer.bgp_id = 2;

  local.caps.add_path = {{kIpv4Unicast, AddPathFamily::kReceive},
                         {kIpv6Unicast, AddPathFamily::kBoth}};
  peer.caps.add_path = {{kIpv4Unicast, AddPathFamily::kBoth}, {kIpv6Unicast, AddPathFamily::kSend}};
  Negotiated n = negotiate(local, peer).negotiated;
  CHECK(n.add_path_rx_ipv4);        // we receive, they send
  CHECK_FALSE(n.add_path_tx_ipv4);  // we do not send
  CHECK(n.add_path_rx_ipv6);
  CHECK_FALSE(n.add_path_tx_ipv6);  // they do not receive
  CHECK(n.add_path_rx(rs::rib::Family::Ipv4));

  peer.caps.add_path = {{kIpv4Unicast, AddPathFamily::kReceive},
                        {kIpv6Unicast, AddPathFamily::kReceive}};
  n = negotiate(local, peer).negotiated;
  CHECK_FALSE(n.add_path_rx_ipv4);
  CHECK_FALSE(n.add_path_tx_ipv4);
  CHECK_FALSE(n.add_path_rx_ipv6);
  CHECK(n.add_path_tx_ipv6);

  // Invalid send/receive values, or a family not negotiated, give nothing.
  peer.caps.add_path = {{kIpv4Unicast, 7}, {kIpv6Unicast, AddPathFamily::kBoth}};
  peer.caps.multiprotocol = {kIpv4Unicast};
  n = negotiate(local, peer).negotiated;
  CHECK_FALSE(n.add_path_rx_ipv4);
  CHECK_FALSE(n.add_path_rx_ipv6);
  CHECK_FALSE(n.add_path_tx_ipv6);
}

TEST_CASE("negotiate: extended next hop, enhanced route refresh, role, local address, GR") {
  OpenMessage local;
  local.set_as(65000);
  local.bgp_id = 1;
  local.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  local.caps.extended_next_hop = {{1, 1, 2}};
  local.caps.route_refresh = true;
  local.caps.enhanced_route_refresh = true;
  local.caps.role = Role::RouteServer;
  OpenMessage peer = local;
  peer.set_as(4200000001u);
  peer.bgp_id = 2;
  peer.caps.role = Role::RouteServerClient;
  peer.caps.graceful_restart = GracefulRestart{false, true, 120, {{kIpv4Unicast, true}}};
  peer.caps.fqdn = Fqdn{"node1", "example.net"};
  auto addr = rs::rib::IpAddress::parse("192.0.2.1");
  auto s = negotiate(local, peer, addr);
  CHECK(peer.my_as == kAsTrans);
  CHECK(s.peer_as == 4200000001u);
  CHECK(s.negotiated.extended_next_hop_ipv4);
  CHECK(s.negotiated.route_refresh);
  CHECK(s.negotiated.enhanced_route_refresh);
  CHECK(HeaderLimits::from(s.negotiated).enhanced_route_refresh);
  CHECK(s.negotiated.peer_role == Role::RouteServerClient);
  CHECK(s.negotiated.local_address == addr);
  CHECK(s.peer_graceful_restart == peer.caps.graceful_restart);
  CHECK(s.peer_fqdn == Fqdn{"node1", "example.net"});
  peer.caps.extended_next_hop = {{1, 1, 1}};
  peer.caps.enhanced_route_refresh = false;
  s = negotiate(local, peer);
  CHECK_FALSE(s.negotiated.extended_next_hop_ipv4);
  CHECK_FALSE(s.negotiated.enhanced_route_refresh);
  CHECK(s.negotiated.route_refresh);
}

// ---- round trip ----

namespace {

OpenMessage random_open(std::mt19937& rng) {
  auto u = [&](uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  };
  auto coin = [&] { return u(0, 1) == 1; };
  auto family = [&] {
    return AfiSafi{static_cast<uint16_t>(u(0, 3) == 0 ? u(0, 65535) : u(1, 2)),
                   static_cast<uint8_t>(u(0, 3) == 0 ? u(0, 255) : 1)};
  };
  auto text = [&](std::size_t max) {
    std::string s(u(0, static_cast<uint32_t>(max)), ' ');
    for (char& c : s) c = static_cast<char>(u(0, 255));
    return s;
  };
  OpenMessage m;
  m.my_as = static_cast<uint16_t>(u(0, 65535));
  m.hold_time = static_cast<uint16_t>(u(0, 3) == 0 ? 0 : u(3, 65535));
  m.bgp_id = u(1, 0xffffffffu);
  Capabilities& c = m.caps;
  for (uint32_t i = u(0, 4); i > 0; --i) c.multiprotocol.push_back(family());
  c.route_refresh = coin();
  c.route_refresh_cisco = coin();
  c.enhanced_route_refresh = coin();
  if (coin()) c.four_octet_as = u(0, 0xffffffffu);
  if (coin()) {
    GracefulRestart gr;
    gr.restart_state = coin();
    gr.notification = coin();
    gr.restart_time = static_cast<uint16_t>(u(0, 4095));
    for (uint32_t i = u(0, 3); i > 0; --i) gr.families.push_back({family(), coin()});
    c.graceful_restart = gr;
  }
  for (uint32_t i = u(0, 70); i > 0 && coin(); --i)  // sometimes more than one instance holds
    c.add_path.push_back({family(), static_cast<uint8_t>(u(0, 4))});
  c.extended_message = coin();
  for (uint32_t i = u(0, 3); i > 0; --i) {
    c.extended_next_hop.push_back({static_cast<uint16_t>(u(1, 2)),
                                   static_cast<uint16_t>(u(0, 65535)),
                                   static_cast<uint16_t>(u(1, 2))});
  }
  if (coin()) c.role = static_cast<Role>(u(0, 255));
  if (coin()) c.fqdn = Fqdn{text(100), text(100)};
  if (coin()) c.software_version = text(254);
  for (uint32_t i = u(0, 3); i > 0; --i) {
    // Codes no typed capability uses, so they stay raw.
    uint8_t code = static_cast<uint8_t>(coin() ? u(10, 63) : u(129, 254));
    std::vector<uint8_t> v(u(0, 40));
    for (auto& b : v) b = static_cast<uint8_t>(u(0, 255));
    c.unknown.push_back({code, v});
  }
  return m;
}

}  // namespace

TEST_CASE("round trip: decode(encode(m)) == m for generated OPENs") {
  std::mt19937 rng(20261125);
  int extended = 0;
  for (int i = 0; i < 2000; ++i) {
    OpenMessage m = random_open(rng);
    std::vector<uint8_t> out;
    bool force = i % 7 == 0;
    encode_open(m, out, force);
    REQUIRE(out.size() <= 4096);
    auto h = decode_header(rs::bgp::wire::Bytes(out).first(19), {});
    REQUIRE(h.ok());
    REQUIRE(h->length == out.size());
    REQUIRE(h->type == MessageType::Open);
    extended += out[28] == 0xff && out[29] == 0xff;
    auto d = decode_open(rs::bgp::wire::Bytes(out).subspan(19));
    if (!d.ok()) FAIL("decode failed: " << d.error().reason);
    CHECK(*d == m);
  }
  CHECK(extended > 300);  // both forms exercised
}

TEST_CASE("decode never reads past the end: every truncation and every byte flipped") {
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    OpenMessage m = random_open(rng);
    std::vector<uint8_t> out;
    encode_open(m, out, i % 2 == 0);
    std::vector<uint8_t> body(out.begin() + 19, out.end());
    for (std::size_t n = 0; n < body.size(); ++n) {
      std::vector<uint8_t> cut(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = decode_open(cut);         // must not crash; ASan checks the reads
      if (n >= 10) CHECK_FALSE(r.ok());  // lengths no longer match
    }
    for (std::size_t k = 0; k < body.size(); ++k) {
      auto copy = body;
      copy[k] ^= static_cast<uint8_t>(1 + rng() % 255);
      (void)decode_open(copy);
    }
  }
}
