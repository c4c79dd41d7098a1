// Prefix / IpAddress: parse, format, canonical form, order, hash, containment, wire form.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "rib/prefix.hpp"

using rs::rib::Family;
using rs::rib::IpAddress;
using rs::rib::Prefix;

TEST_CASE("IpAddress parses and formats both families") {
  auto a = IpAddress::parse("192.0.2.1");
  REQUIRE(a);
  CHECK(a->is_v4());
  CHECK(a->v4_value() == 0xC0000201u);
  CHECK(a->to_string() == "192.0.2.1");
  auto b = IpAddress::parse("2001:db8::1");
  REQUIRE(b);
  CHECK(b->is_v6());
  CHECK(b->hi() == 0x20010db800000000ULL);
  CHECK(b->lo() == 1);
  CHECK(b->to_string() == "2001:db8::1");
  CHECK_FALSE(IpAddress::parse(""));
  CHECK_FALSE(IpAddress::parse("1.2.3"));
  CHECK_FALSE(IpAddress::parse("1.2.3.256"));
  CHECK_FALSE(IpAddress::parse("2001:db8:::1"));
  CHECK_FALSE(IpAddress::parse("hello"));
}

TEST_CASE("IpAddress rejects a NUL inside the text (inet_pton would stop there)") {
  using namespace std::string_view_literals;
  CHECK_FALSE(IpAddress::parse("192.0.2.1\0\r\nX: y"sv));
  CHECK_FALSE(IpAddress::parse("2001:db8::1\0junk"sv));
  CHECK_FALSE(IpAddress::parse("\0"sv));
  CHECK_FALSE(Prefix::parse("10.0.0.0\0/8"sv));
  CHECK(IpAddress::parse("192.0.2.1"sv));
}

TEST_CASE("IpAddress classifies special ranges") {
  CHECK(IpAddress::parse("127.0.0.1")->is_loopback());
  CHECK(IpAddress::parse("::1")->is_loopback());
  CHECK(IpAddress::parse("224.0.0.1")->is_multicast());
  CHECK(IpAddress::parse("ff02::1")->is_multicast());
  CHECK(IpAddress::parse("fe80::1")->is_link_local());
  CHECK_FALSE(IpAddress::parse("fec0::1")->is_link_local());
  CHECK(IpAddress::parse("0.0.0.0")->is_unspecified());
}

TEST_CASE("Prefix parse rejects host bits unless asked, and zeroes them") {
  CHECK(Prefix::parse("10.0.0.0/8")->to_string() == "10.0.0.0/8");
  CHECK_FALSE(Prefix::parse("10.1.0.0/8"));
  CHECK(Prefix::parse("10.1.0.0/8", true)->to_string() == "10.0.0.0/8");
  CHECK(Prefix::parse("2001:db8:30::/48")->length() == 48);
  CHECK(Prefix::parse("203.0.113.10")->length() == 32);
  CHECK(Prefix::parse("::/0")->length() == 0);
  CHECK_FALSE(Prefix::parse("10.0.0.0/33"));
  CHECK_FALSE(Prefix::parse("2001:db8::/129"));
  CHECK_FALSE(Prefix::parse("10.0.0.0/"));
  CHECK_FALSE(Prefix::parse("10.0.0.0/8x"));
  CHECK_FALSE(Prefix::parse("10.0.0.0/-1"));
}

TEST_CASE("Prefix from the wire masks trailing bits") {
  const uint8_t bytes[] = {10, 1, 1, 0xff};
  auto p = Prefix::from_wire(Family::Ipv4, 25, bytes);
  CHECK(p.to_string() == "10.1.1.128/25");
  CHECK(p.wire_bytes() == 4);
  const uint8_t v6[] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x30};
  auto q = Prefix::from_wire(Family::Ipv6, 44, v6);
  CHECK(q.to_string() == "2001:db8:30::/44");
  CHECK(Prefix::from_wire(Family::Ipv6, 36, v6).to_string() == "2001:db8::/36");
  auto z = Prefix::from_wire(Family::Ipv4, 0, bytes);
  CHECK(z.to_string() == "0.0.0.0/0");
}

TEST_CASE("Prefix containment, order and hash") {
  auto p8 = *Prefix::parse("10.0.0.0/8");
  auto p24 = *Prefix::parse("10.1.2.0/24");
  CHECK(p8.contains(p24));
  CHECK_FALSE(p24.contains(p8));
  CHECK(p8.contains(*IpAddress::parse("10.255.0.1")));
  CHECK_FALSE(p8.contains(*IpAddress::parse("11.0.0.1")));
  CHECK_FALSE(p8.contains(*Prefix::parse("::/0")));
  std::set<Prefix> ordered{p24, p8, *Prefix::parse("::/0"), *Prefix::parse("10.0.0.0/16")};
  std::vector<std::string> got;
  for (auto& p : ordered) got.push_back(p.to_string());
  CHECK(got == std::vector<std::string>{"10.0.0.0/8", "10.0.0.0/16", "10.1.2.0/24", "::/0"});
  std::unordered_set<Prefix> hs;
  for (int i = 0; i < 1000; ++i) hs.insert(Prefix(IpAddress::v4(uint32_t(i) << 8), 24));
  hs.insert(Prefix(IpAddress::v4(0), 24));
  CHECK(hs.size() == 1000);
  // The same bits in different families are different prefixes.
  CHECK(*Prefix::parse("0.0.0.0/0") != *Prefix::parse("::/0"));
}
