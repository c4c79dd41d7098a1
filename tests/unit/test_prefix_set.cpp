// Prefix-set trie: every shorthand and edge case of the BIRD matching rule, and a 100,000-pattern
// set cross-checked against a brute-force matcher.
#include <doctest/doctest.h>

#include <random>

#include "filters/prefix_set.hpp"

using namespace rs;
using rs::filters::PrefixPattern;
using rs::filters::PrefixSet;

namespace {
rib::Prefix P(const char* s) {
  auto p = rib::Prefix::parse(s);
  REQUIRE(p);
  return *p;
}

// The rule from the BIRD user guide, written out literally.
bool brute_match(const PrefixPattern& pat, const rib::Prefix& q) {
  if (pat.prefix.family() != q.family()) return false;
  if (q.length() < pat.low || q.length() > pat.high) return false;
  unsigned k = std::min(q.length(), pat.prefix.length());
  return q.address().masked(k) == pat.prefix.address().masked(k);
}

PrefixSet make(std::initializer_list<PrefixPattern> ps) {
  PrefixSet s;
  for (const auto& p : ps) REQUIRE(s.add(p));
  return s;
}
PrefixPattern exact(const char* s) {
  auto p = P(s);
  return {p, p.length(), p.length()};
}
PrefixPattern plus(const char* s) {
  auto p = P(s);
  return {p, p.length(), rib::max_length(p.family())};
}
PrefixPattern minus(const char* s) {
  auto p = P(s);
  return {p, 0, p.length()};
}
PrefixPattern range(const char* s, uint8_t a, uint8_t b) {
  return {P(s), a, b};
}
}  // namespace

TEST_CASE("BIRD user guide examples") {
  auto s =
      make({exact("1.0.0.0/8"), plus("2.0.0.0/8"), minus("3.0.0.0/8"), range("4.0.0.0/8", 16, 24)});
  CHECK(s.contains(P("1.0.0.0/8")));
  CHECK_FALSE(s.contains(P("1.0.0.0/9")));
  CHECK_FALSE(s.contains(P("0.0.0.0/7")));
  CHECK(s.contains(P("2.0.0.0/8")));
  CHECK(s.contains(P("2.1.2.3/32")));
  CHECK_FALSE(s.contains(P("0.0.0.0/7")));
  CHECK(s.contains(P("3.0.0.0/8")));
  CHECK(s.contains(P("2.0.0.0/7")));  // supernet of 3.0.0.0/8
  CHECK(s.contains(P("0.0.0.0/0")));
  CHECK_FALSE(s.contains(P("3.0.0.0/9")));
  CHECK(s.contains(P("4.5.0.0/16")));
  CHECK(s.contains(P("4.5.6.0/24")));
  CHECK_FALSE(s.contains(P("4.5.6.0/25")));
  CHECK_FALSE(s.contains(P("4.0.0.0/15")));
  CHECK_FALSE(s.contains(P("2001:db8::/32")));

  auto t = make({range("1.0.0.0/8", 15, 17)});
  CHECK(t.contains(P("1.2.0.0/16")));
  auto u = make({minus("1.0.0.0/8")});
  CHECK_FALSE(u.contains(P("1.0.0.0/16")));
  auto any = make({range("0.0.0.0/0", 20, 24)});
  CHECK(any.contains(P("9.9.9.0/24")));
  CHECK_FALSE(any.contains(P("9.9.0.0/16")));
  auto host = make({minus("1.2.3.4/32")});
  CHECK(host.contains(P("1.2.3.0/24")));
  CHECK(host.contains(P("1.2.3.4/32")));
  CHECK_FALSE(host.contains(P("1.2.3.5/32")));
}

TEST_CASE("edges: /0, /32, /128, low below the prefix length, overlapping ranges") {
  auto s = make({exact("0.0.0.0/0"), exact("::/0"), plus("2001:db8:30::/48"), exact("10.1.1.1/32"),
                 plus("::1/128"), range("172.16.0.0/12", 8, 14), range("172.16.0.0/16", 20, 22),
                 range("172.16.0.0/16", 18, 20)});
  CHECK(s.contains(P("0.0.0.0/0")));
  CHECK(s.contains(P("::/0")));
  CHECK_FALSE(s.contains(P("0.0.0.0/1")));
  CHECK(s.contains(P("2001:db8:30::/48")));
  CHECK(s.contains(P("2001:db8:30:ffff::/64")));
  CHECK(s.contains(P("2001:db8:30::1/128")));
  CHECK_FALSE(s.contains(P("2001:db8:31::/48")));
  CHECK_FALSE(s.contains(P("2001:db8::/32")));
  CHECK(s.contains(P("10.1.1.1/32")));
  CHECK_FALSE(s.contains(P("10.1.1.0/32")));
  CHECK(s.contains(P("::1/128")));
  CHECK(s.contains(P("172.0.0.0/8")));  // supernet part of {8,14}
  CHECK(s.contains(P("172.16.0.0/12")));
  CHECK(s.contains(P("172.16.0.0/14")));  // inside part
  CHECK_FALSE(s.contains(P("172.16.0.0/15")));
  CHECK(s.contains(P("172.16.64.0/18")));
  CHECK(s.contains(P("172.16.8.0/21")));
  CHECK_FALSE(s.contains(P("172.16.2.0/23")));
  CHECK_FALSE(s.contains(P("172.17.0.0/18")));
  CHECK_FALSE(s.contains(P("173.0.0.0/8")));
  PrefixSet bad;
  CHECK_FALSE(bad.add(P("10.0.0.0/8"), 20, 10));
  CHECK_FALSE(bad.add(P("10.0.0.0/8"), 8, 33));
  CHECK(bad.empty());
  CHECK(s.to_string().find("2001:db8:30::/48+") != std::string::npos);
  CHECK(s.to_string().find("172.16.0.0/12{8,14}") != std::string::npos);
}

TEST_CASE("100,000 random patterns agree with brute force") {
  std::mt19937_64 rng(42);
  std::vector<PrefixPattern> pats;
  PrefixSet s;
  auto rand_prefix = [&](bool v4, unsigned len) {
    rib::IpAddress a =
        v4 ? rib::IpAddress::v4(static_cast<uint32_t>(rng()) & 0x0F0FFFFFu)
           : rib::IpAddress::v6(0x2001000000000000ULL | (rng() & 0x0000F0FFFF000000ULL), rng());
    return rib::Prefix(a, static_cast<uint8_t>(len));
  };
  for (int i = 0; i < 100000; ++i) {
    bool v4 = i % 2 == 0;
    unsigned max = v4 ? 32 : 128;
    unsigned len = v4 ? 8 + rng() % 17 : 24 + rng() % 41;
    unsigned kind = rng() % 8;
    unsigned lo = len, hi = len;
    if (kind == 1)
      hi = max;
    else if (kind == 2)
      lo = 0;
    else if (kind >= 3) {
      lo = rng() % (max + 1);
      hi = lo + rng() % (max + 1 - lo);
    }
    PrefixPattern p{rand_prefix(v4, len), static_cast<uint8_t>(lo), static_cast<uint8_t>(hi)};
    REQUIRE(s.add(p));
    pats.push_back(p);
  }
  CHECK(s.size() == 100000);
  CHECK(s.node_count() < 200001);
  MESSAGE("100,000 patterns: " << s.node_count() << " nodes, " << s.memory_bytes() / 1024
                               << " KiB");
  CHECK(s.memory_bytes() < 100000 * 200);
  // Queries: near the patterns (to hit), and random.
  int hits = 0;
  for (int i = 0; i < 3000; ++i) {
    rib::Prefix q;
    if (i % 3 == 0) {
      q = rand_prefix(i % 2 == 0, i % 2 == 0 ? rng() % 33 : rng() % 129);
    } else {
      const auto& base = pats[rng() % pats.size()].prefix;
      unsigned max = rib::max_length(base.family());
      q = rib::Prefix(base.address(), static_cast<uint8_t>(rng() % (max + 1)));
    }
    bool expect = false;
    for (const auto& p : pats)
      if (brute_match(p, q)) {
        expect = true;
        break;
      }
    hits += expect;
    CHECK_MESSAGE(s.contains(q) == expect, q.to_string());
  }
  CHECK(hits > 100);
}
