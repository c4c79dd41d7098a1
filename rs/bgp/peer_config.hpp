// PeerConfig: the plain, typed configuration of one BGP neighbour (BIRD's `protocol bgp`), as the
// session layer needs it. The config parser fills it; the session layer only reads it. Defaults
// follow BIRD 2 where BIRD has one (hold 240, connect retry 120, error wait 60..300, ...).
// Timers are milliseconds so tests can run with small values; the OPEN carries whole seconds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rib/prefix.hpp"
#include "rs/bgp/wire/open.hpp"
#include "rs/bgp/wire/types.hpp"

namespace rs::bgp {

using Duration = std::chrono::milliseconds;

// One address family of the session (BIRD's channel, as far as the session is concerned).
struct FamilyConfig {
  wire::AfiSafi afi_safi = wire::kIpv4Unicast;
  bool add_path_rx = false;        // RFC 7911: we accept path identifiers
  bool add_path_tx = false;        // RFC 7911: we send path identifiers
  bool extended_next_hop = false;  // RFC 8950 (IPv4 NLRI with an IPv6 next hop)
  // BIRD's `mandatory`: a peer whose OPEN lacks this family is refused with 2/7 (RFC 5492 5).
  bool mandatory = false;
  friend bool operator==(const FamilyConfig&, const FamilyConfig&) = default;
};

enum class GracefulRestartMode : uint8_t {
  Off,    // no capability
  Aware,  // helper only: capability without families (RFC 4724 3)
  On,     // helper and restarting speaker: families listed, F bit when we restarted
};

struct PeerConfig {
  std::string name;  // protocol name, used in logs
  std::string description;

  // Local side. `local_port` is the port we listen on for this neighbour (BIRD `local ... port`);
  // outgoing connections bind to `local_address` (when set) with an ephemeral port.
  std::optional<rib::IpAddress> local_address;
  uint16_t local_port = 179;
  uint32_t local_as = 0;
  uint32_t router_id = 0;  // BGP identifier, host order

  // The neighbour.
  rib::IpAddress neighbor_address;
  uint16_t neighbor_port = 179;
  uint32_t peer_as = 0;
  wire::PeerAsMode peer_as_mode = wire::PeerAsMode::Exact;

  bool passive = false;             // never connect, only accept
  std::optional<uint8_t> multihop;  // TTL of outgoing packets; unset: 1 (eBGP), 64 (iBGP)
  bool ttl_security = false;        // GTSM (RFC 5082): send TTL 255, accept only TTL 255
  std::string password;             // TCP-MD5 (RFC 2385) key; empty: none

  // Timers (RFC 4271 10).
  uint16_t hold_time = 240;                // seconds, offered in our OPEN (0 or >= 3)
  uint16_t min_hold_time = 0;              // a peer offering less (0 too) gets 2/6
  std::optional<uint16_t> keepalive_time;  // seconds; unset: negotiated hold / 3
  Duration connect_delay_time = std::chrono::seconds(5);
  Duration connect_retry_time = std::chrono::seconds(120);
  Duration error_wait_min = std::chrono::seconds(60);
  Duration error_wait_max = std::chrono::seconds(300);
  Duration error_forget_time = std::chrono::seconds(300);
  // RFC 9687; unset: max(8 minutes, 2 x negotiated hold time). Zero disables it.
  std::optional<Duration> send_hold_time;
  // Hold timer while waiting for the peer's OPEN (RFC 4271 8.2.2 suggests 4 minutes); BIRD's
  // `startup hold time`, 240 s by default as there.
  Duration open_hold_time = std::chrono::minutes(4);

  std::vector<FamilyConfig> families = std::vector<FamilyConfig>(1);  // IPv4 unicast

  // BIRD's `capabilities off`: an OPEN without optional parameters (RFC 5492 absent), so the
  // session is IPv4 unicast with 2-octet AS numbers only (RFC 4760 1, RFC 6793 4.1).
  bool capabilities = true;
  // BIRD's `enable as4`: advertise the 4-octet AS capability (RFC 6793); without it the session
  // carries 2-octet AS_PATHs with AS4_PATH / AS4_AGGREGATOR, and AS_TRANS in the OPEN.
  bool four_octet_as = true;
  bool route_refresh = true;           // RFC 2918
  bool enhanced_route_refresh = true;  // RFC 7313
  GracefulRestartMode graceful_restart = GracefulRestartMode::Aware;
  uint16_t graceful_restart_time = 120;  // seconds, 12 bits on the wire
  bool extended_messages = false;        // RFC 8654
  std::optional<wire::Role> local_role;  // RFC 9234
  bool require_roles = false;            // the peer must advertise a role
  bool advertise_hostname = false;       // FQDN capability
  std::string hostname;                  // empty: the system's host name
  bool interpret_communities = true;     // RFC 1997 well-known communities (used by the RIB)
  bool enforce_first_as = true;          // eBGP: first AS of AS_PATH must be the peer's
  // Unrecognised optional transitive attributes from this neighbour: passed on (with the Partial
  // bit) when true, dropped on receipt when false (the default; docs/config.md).
  bool forward_unknown_attributes = false;
  uint32_t max_as_path_length = 255;  // longer AS paths are treated as withdrawn; 0: no limit
  bool disabled = false;

  bool is_internal() const {
    return peer_as_mode == wire::PeerAsMode::Internal ||
           (peer_as_mode == wire::PeerAsMode::Exact && peer_as == local_as);
  }
  uint8_t ttl() const {
    if (ttl_security) return 255;
    if (multihop) return *multihop;
    return is_internal() ? 64 : 1;
  }
  const FamilyConfig* family(wire::AfiSafi f) const {
    for (const auto& c : families)
      if (c.afi_safi == f) return &c;
    return nullptr;
  }
  // RFC 9687 4: at least 8 minutes and twice the hold time, unless configured.
  Duration effective_send_hold_time(uint16_t negotiated_hold) const {
    if (send_hold_time) return *send_hold_time;
    return std::max<Duration>(std::chrono::minutes(8), std::chrono::seconds(2u * negotiated_hold));
  }
};

}  // namespace rs::bgp
