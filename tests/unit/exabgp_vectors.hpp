// ExaBGP's encoding vectors (tests/data/exabgp-qa, BSD licence: LICENCE.txt there): the hex of
// `raw` lines and the facts of a test configuration that decide how its messages decode, for the
// tests that replay them (the wire decoder, the text API parser).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "rs/bgp/wire/types.hpp"

namespace exabgp_vectors {

inline std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

struct PeerConf {
  uint32_t local_as = 0, peer_as = 0;
  bool asn4 = true, add_path = false, extended_nexthop = false;
  bool ipv6_over_ipv4_nexthop = false;  // "ipv6 unicast ipv4": IPv6 NLRI with an IPv4 next hop
};

inline PeerConf read_conf(const std::filesystem::path& p) {
  PeerConf c;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string w;
    ls >> w;
    if (w == "local-as" && !c.local_as) ls >> c.local_as;
    if (w == "peer-as" && !c.peer_as) ls >> c.peer_as;
    if (w == "asn4") {
      ls >> w;
      c.asn4 = w.rfind("disable", 0) != 0;
    }
    if (w == "add-path" || line.find("add-path send") != std::string::npos) c.add_path = true;
    if (w == "nexthop") c.extended_nexthop = true;
    if (line.find("ipv6 unicast ipv4") != std::string::npos) c.ipv6_over_ipv4_nexthop = true;
  }
  return c;
}

// ExaBGP sends, rsd receives: our AS is ExaBGP's peer-as.
inline rs::bgp::wire::Negotiated negotiated_for(const PeerConf& c) {
  rs::bgp::wire::Negotiated n;
  n.local_as = c.peer_as;
  n.peer_as = c.local_as;
  n.ebgp = c.local_as != c.peer_as;
  n.enforce_first_as = false;  // a policy check, not what these vectors are about
  n.four_octet_as = c.asn4;
  n.ipv4_unicast = n.ipv6_unicast = true;
  n.add_path_rx_ipv4 = n.add_path_rx_ipv6 = c.add_path;
  n.extended_next_hop_ipv4 = c.extended_nexthop;
  n.extended_next_hop_ipv6 = c.ipv6_over_ipv4_nexthop;
  n.extended_message = true;
  n.forward_unknown_attributes = true;  // the vectors' generic attributes are checked as kept
  return n;
}

}  // namespace exabgp_vectors
