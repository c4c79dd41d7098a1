// The receive policies of the codec that are rsd's choice rather than an RFC's: unknown optional
// transitive attributes (dropped unless `forward unknown attributes`, never forwarded when their
// structure is visibly broken), the AS path length limit (`max as path length`, treat-as-withdraw)
// and the prefixes BIRD calls bogus (ignored: neither imported nor withdrawn).
#include "wire_test_util.hpp"

using namespace wire_test;
namespace sub = rs::bgp::wire::subcode;

namespace {
Negotiated strip() {
  Negotiated n = baseline();
  n.forward_unknown_attributes = false;
  return n;
}
Outcome with_attr(std::string_view extra, const Negotiated& n) {
  return decode(body("", base_attrs() + std::string(extra), kNlri), n);
}
// AS_PATH of one AS_SEQUENCE: the peer's AS 65001 then `more` times AS 7.
std::string as_path_of(unsigned more) {
  std::string v = "02" + to_hex(std::vector<uint8_t>{static_cast<uint8_t>(1 + more)}) + "0000fde9";
  for (unsigned i = 0; i < more; ++i) v += "00000007";
  const std::size_t len = v.size() / 2;
  return "4002" + to_hex(std::vector<uint8_t>{static_cast<uint8_t>(len)}) + v;
}
Outcome with_path(unsigned more, const Negotiated& n) {
  return decode(body("", std::string(kOrigin) + as_path_of(more) + std::string(kNextHop), kNlri),
                n);
}
}  // namespace

TEST_CASE("unknown optional transitive: dropped by default, kept when forwarding is on") {
  auto off = with_attr("c0f004deadbeef", strip());
  EXPECT_AD(off);
  CHECK(off.m.attrs.unknown.values.empty());
  auto on = with_attr("c0f004deadbeef", baseline());
  EXPECT_CLEAN(on);
  REQUIRE(on.m.attrs.unknown.values.size() == 1);
  CHECK(on.m.attrs.unknown.values[0].type == 0xf0);
  // Unknown optional non-transitive: dropped either way (RFC 4271 5).
  EXPECT_AD(with_attr("80f104deadbeef", baseline()));
}

TEST_CASE("Tunnel Encapsulation: forwarded when well formed, never when a length overruns") {
  // One TLV: tunnel type 7, length 6, sub-TLV type 1 length 4 (1 octet length), then a sub-TLV
  // type 128 with a 2-octet length of 0.
  auto good = with_attr("c0170a 0007 0006 0104 0a000001", baseline());
  EXPECT_CLEAN(good);
  REQUIRE(good.m.attrs.unknown.values.size() == 1);
  auto good2 = with_attr("c0170a 0007 0006 0101 ff 800000", baseline());
  EXPECT_CLEAN(good2);
  // The catalogue's A21: the sub-TLV says 255 bytes where 1 is left.
  auto bad = with_attr("c017060007000401ff", baseline());
  EXPECT_AD(bad);
  CHECK(bad.m.attrs.unknown.values.empty());
  // TLV length past the attribute; a truncated TLV header; an empty attribute.
  EXPECT_AD(with_attr("c01706 0007 0010 0101", baseline()));
  EXPECT_AD(with_attr("c01707 0007 0002 0101 00", baseline()));
  EXPECT_AD(with_attr("c01700", baseline()));
  // A 2-octet sub-TLV length that overruns.
  EXPECT_AD(with_attr("c01708 0007 0004 80 00ff 00", baseline()));
  // With forwarding off it is dropped like any other unknown attribute.
  EXPECT_AD(with_attr("c0170a 0007 0006 0104 0a000001", strip()));
}

TEST_CASE("max as path length: longer paths are treated as withdrawn; 0 is no limit") {
  Negotiated n = baseline();
  n.max_as_path_length = 4;
  EXPECT_CLEAN(with_path(3, n));  // length 4
  EXPECT_TAW(with_path(4, n), sub::kMalformedAsPath);
  n.max_as_path_length = 0;
  EXPECT_CLEAN(with_path(60, n));
  // An AS_SET counts one (RFC 4271 9.1.2.2 a), as in BIRD's bgp_path.len.
  n.max_as_path_length = 2;
  auto set = decode(body("",
                         std::string(kOrigin) + "400210 02010000fde9 0102000000070000000b" +
                             std::string(kNextHop),
                         kNlri),
                    n);
  EXPECT_CLEAN(set);
}

TEST_CASE("bogus prefixes are ignored, the others of the UPDATE kept") {
  // 127.1.0.0/16, 10.1.1.0/24, 0.1.0.0/16, 224.1.0.0/16, 0.0.0.0/0, 240.0.0.0/4
  auto o = decode(body("", base_attrs(), "107f01 180a0101 100001 10e001 00 04f0"));
  EXPECT_CLEAN(o);
  REQUIRE(o.m.nlri.size() == 3);
  CHECK(o.m.nlri[0].prefix == pfx("10.1.1.0/24"));
  CHECK(o.m.nlri[1].prefix == pfx("0.0.0.0/0"));
  CHECK(o.m.nlri[2].prefix == pfx("240.0.0.0/4"));
  CHECK(o.m.bogus.size() == 3);
  for (const auto& [text, expected] :
       std::initializer_list<std::pair<const char*, bool>>{{"fe80::/10", true},
                                                           {"ff02::/16", true},
                                                           {"::1/128", true},
                                                           {"::ffff:0:0/96", true},
                                                           {"::ffff:7f00:0/104", true},
                                                           {"::ffff:a00:0/104", false},
                                                           {"::/0", false},
                                                           {"::/128", false},
                                                           {"fec0::/10", false},
                                                           {"2001:db8::/32", false},
                                                           {"255.255.255.255/32", true},
                                                           {"0.0.0.0/8", false}}) {
    // Copies: clang 15 cannot capture structured bindings in doctest's message lambda.
    const char* p = text;
    const bool bogus = expected;
    CHECK_MESSAGE(rs::bgp::wire::is_bogus_route(pfx(p)) == bogus, p);
  }
}

TEST_CASE("the Partial bit of a recognised optional transitive attribute is passed on") {
  using rs::rib::AttrType;
  // RFC 4271 5: set by some speaker upstream, it stays set (BIRD 2 keeps it too).
  for (const auto& [hex, attr_type] : std::initializer_list<std::pair<const char*, AttrType>>{
           {"e00804fde90001", AttrType::Communities},
           {"e010080002fde900000064", AttrType::ExtCommunities},
           {"e0200c0000fde90000000100000002", AttrType::LargeCommunities},
           {"e007080000fde9c0000201", AttrType::Aggregator}}) {
    // Copies: clang 15 cannot capture structured bindings in doctest's CAPTURE lambda.
    const char* attr = hex;
    const AttrType type = attr_type;
    CAPTURE(attr);
    auto o = with_attr(attr, baseline());
    EXPECT_CLEAN(o);
    CHECK(o.m.attrs.is_partial(type));
    std::vector<uint8_t> out;
    (void)encode_attributes(o.m.attrs, baseline(), out);
    CHECK(to_hex(out).find(attr) != std::string::npos);
  }
  auto plain = with_attr("c00804fde90001", baseline());
  CHECK_FALSE(plain.m.attrs.is_partial(AttrType::Communities));
  std::vector<uint8_t> out;
  (void)encode_attributes(plain.m.attrs, baseline(), out);
  CHECK(to_hex(out).find("c00804fde90001") != std::string::npos);
}
