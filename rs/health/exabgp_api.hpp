// The ExaBGP 4.2 text API as a `process` program writes it on its stdout: one command per line.
//   [neighbor IP [qualifiers] [, neighbor IP ...]] announce|withdraw route PREFIX ATTRIBUTES
//   announce|withdraw ipv4|ipv6 unicast PREFIX ATTRIBUTES
//   announce|withdraw attributes ATTRIBUTES nlri PREFIX...
//   announce eor [ipv4|ipv6 unicast]
// ATTRIBUTES: next-hop IP|self, med N, local-preference N, origin igp|egp|incomplete,
// as-path [ASN... (SET...)], community [A:B|name...], large-community [A:B:C...],
// extended-community [target:X:Y|origin:X:Y|redirect:X:Y|l2info:a:b:c:d|0xHEX...],
// path-information ID, atomic-aggregate, aggregator ASN:IP, originator-id IP, cluster-list [...],
// attribute [0xTYPE 0xFLAGS 0xVALUE], and the ignored words split /N, watchdog NAME, name NAME.
// Other families (rd, label, flow) are rejected as not unicast. Malformed text is an ApiError
// (message and 0-based column), never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rib/attrs.hpp"
#include "rib/prefix.hpp"
#include "rib/result.hpp"

namespace rs::health {

struct ApiRoute {
  rib::Prefix prefix;
  uint32_t path_id = 0;  // RFC 7911 path-information
  friend bool operator==(const ApiRoute&, const ApiRoute&) = default;
};

struct ApiCommand {
  enum class Kind : uint8_t {
    Announce,
    Withdraw,
    EndOfRib,
    Ignored,  // understood but without routing effect (version, route-refresh, flush, ...)
  };
  Kind kind = Kind::Announce;
  std::vector<rib::IpAddress> neighbors;  // the `neighbor` selector; empty = every neighbor
  std::vector<ApiRoute> routes;
  rib::AttrBuilder attrs;      // next hop set unless next_hop_self
  bool next_hop_self = false;  // `next-hop self`: the process's next hop, else the router id
  std::optional<rib::Family> eor_family;
};

struct ApiError {
  std::string message;
  std::size_t column = 0;  // 0-based offset of the offending word in the line
};

[[nodiscard]] Result<ApiCommand, ApiError> parse_api_command(std::string_view line);

// Extended community text (RFC 4360 / 5575 / 4761 forms as ExaBGP writes them) to its 8 octets.
[[nodiscard]] std::optional<rib::ExtCommunity> parse_ext_community(std::string_view text);

}  // namespace rs::health
