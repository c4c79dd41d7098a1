// Helpers for the UPDATE codec tests: hex in and out, a baseline session (eBGP, peer AS 65001,
// 4-octet AS, IPv4 + IPv6 unicast, as in ../shared/BGP-ERRORS.md), and message assembly with the
// lengths computed (so each test states only the bytes it is about).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hex_bytes.hpp"
#include "rs/bgp/wire/update.hpp"

namespace wire_test {

using namespace rs::bgp::wire;
using rs::rib::IpAddress;
using rs::rib::Prefix;

inline std::vector<uint8_t> hex(std::string_view s) {
  bool odd = false;
  auto out = rs::test::hex(s, &odd);
  REQUIRE(!odd);
  return out;
}

using rs::test::to_hex;

inline Negotiated baseline() {
  Negotiated n;
  n.local_as = 65000;
  n.peer_as = 65001;
  n.ebgp = true;
  n.four_octet_as = true;
  n.ipv4_unicast = true;
  n.ipv6_unicast = true;
  n.local_address = IpAddress::v4(0x0A000001);  // 10.0.0.1
  // The codec cases check what is kept and re-sent when forwarding is on; the default (off) has
  // cases of its own.
  n.forward_unknown_attributes = true;
  return n;
}

inline Negotiated ibgp(uint32_t as) {
  Negotiated n = baseline();
  n.local_as = n.peer_as = as;
  n.ebgp = false;
  n.local_address.reset();
  return n;
}

// UPDATE body from its three fields (hex), lengths filled in.
inline std::vector<uint8_t> body(std::string_view withdrawn, std::string_view attrs,
                                 std::string_view nlri) {
  auto w = hex(withdrawn), a = hex(attrs), n = hex(nlri);
  std::vector<uint8_t> b;
  b.push_back(static_cast<uint8_t>(w.size() >> 8));
  b.push_back(static_cast<uint8_t>(w.size()));
  b.insert(b.end(), w.begin(), w.end());
  b.push_back(static_cast<uint8_t>(a.size() >> 8));
  b.push_back(static_cast<uint8_t>(a.size()));
  b.insert(b.end(), a.begin(), a.end());
  b.insert(b.end(), n.begin(), n.end());
  return b;
}

// Baseline attributes: ORIGIN IGP, AS_PATH SEQ[65001], NEXT_HOP 10.0.0.2.
inline constexpr std::string_view kOrigin = "40010100";
inline constexpr std::string_view kAsPath = "40020602010000fde9";
inline constexpr std::string_view kNextHop = "4003040a000002";
inline std::string base_attrs() {
  return std::string(kOrigin) + std::string(kAsPath) + std::string(kNextHop);
}
inline constexpr std::string_view kNlri = "180a0101";  // 10.1.1.0/24

struct Outcome {
  bool ok = false;
  WireError error;
  UpdateMessage m;
};

inline Outcome decode(const std::vector<uint8_t>& b, const Negotiated& n = baseline()) {
  Outcome o;
  auto r = decode_update(Bytes(b.data(), b.size()), n, o.m);
  o.ok = r.ok();
  if (!o.ok) o.error = r.error();
  return o;
}

inline bool has_error(const UpdateMessage& m, ErrorAction a, int subcode = -1) {
  for (const auto& e : m.attr_errors)
    if (e.action == a && (subcode < 0 || e.subcode == subcode)) return true;
  return false;
}

inline std::string errors_of(const Outcome& o) {
  if (!o.ok) return "SR " + std::to_string(o.error.subcode) + " " + o.error.reason;
  std::string s;
  for (const auto& e : o.m.attr_errors)
    s += std::string(to_string(e.action)) + " " + std::to_string(e.subcode) + " " + e.reason + "; ";
  return s;
}

// Each macro evaluates its argument once (INFO is lazy: never hand it the expression itself).
#define EXPECT_SR(o, sub)                                \
  do {                                                   \
    const auto& o_ = (o);                                \
    const std::string msg_ = errors_of(o_);              \
    INFO(msg_);                                          \
    REQUIRE_FALSE(o_.ok);                                \
    CHECK(o_.error.action == ErrorAction::SessionReset); \
    CHECK(o_.error.code == ErrorCode::Update);           \
    CHECK(static_cast<int>(o_.error.subcode) == (sub));  \
  } while (0)

#define EXPECT_TAW(o, sub)                                       \
  do {                                                           \
    const auto& o_ = (o);                                        \
    const std::string msg_ = errors_of(o_);                      \
    INFO(msg_);                                                  \
    REQUIRE(o_.ok);                                              \
    CHECK(o_.m.treat_as_withdraw);                               \
    CHECK(has_error(o_.m, ErrorAction::TreatAsWithdraw, (sub))); \
  } while (0)

#define EXPECT_AD(o)                                       \
  do {                                                     \
    const auto& o_ = (o);                                  \
    const std::string msg_ = errors_of(o_);                \
    INFO(msg_);                                            \
    REQUIRE(o_.ok);                                        \
    CHECK_FALSE(o_.m.treat_as_withdraw);                   \
    CHECK(has_error(o_.m, ErrorAction::AttributeDiscard)); \
  } while (0)

#define EXPECT_CLEAN(o)                     \
  do {                                      \
    const auto& o_ = (o);                   \
    const std::string msg_ = errors_of(o_); \
    INFO(msg_);                             \
    REQUIRE(o_.ok);                         \
    CHECK_FALSE(o_.m.treat_as_withdraw);    \
    CHECK(o_.m.attr_errors.empty());        \
  } while (0)

inline Prefix pfx(std::string_view s) {
  return *Prefix::parse(s);
}
inline IpAddress ip(std::string_view s) {
  return *IpAddress::parse(s);
}

}  // namespace wire_test
