// Internal to the UPDATE decoder: the state shared by the framing loop (update.cpp) and the
// per-attribute rules (attributes.cpp). Not part of the codec's API.
#pragma once

#include <bitset>
#include <string>

#include "rs/bgp/wire/update.hpp"

namespace rs::bgp::wire::detail {

struct DecodeState {
  const Negotiated& n;
  UpdateMessage& out;
  bool has_ipv4_nlri = false;  // the NLRI field is not empty
  bool reach_seen = false;     // an MP_REACH_NLRI of any family was present
  std::bitset<256> seen;       // attribute types met so far (RFC 7606 3(g))
  bool as4_path_seen = false;  // 2-octet sessions: AS4_PATH / AS4_AGGREGATOR to merge
  rib::AsPath as4_path;
  bool as4_aggregator_seen = false;
  rib::Aggregator as4_aggregator;

  // Records a treat-as-withdraw cause (RFC 7606 2).
  void treat_as_withdraw(uint8_t subcode, std::string reason);
  // Records a discarded attribute (RFC 7606 2).
  void discard(uint8_t subcode, std::string reason);
};

WireError session_reset(uint8_t subcode, std::string reason, Bytes data = {});

// One path attribute other than MP_REACH/MP_UNREACH. Never resets the session.
void decode_attribute(DecodeState& s, uint8_t flags, uint8_t type, Bytes value);

// After the attribute list: RFC 6793 4.2.3 merge, missing well-known attributes (RFC 7606 3(d)),
// AS_PATH semantics (RFC 7607, RFC 4271 6.3 first AS, confederations from eBGP), next hops.
void finish_attributes(DecodeState& s);

}  // namespace rs::bgp::wire::detail
