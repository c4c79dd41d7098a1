// What a session says in its OPEN and what it accepts in the peer's (from the PeerConfig), and the
// names of states and directions as BIRD and the logs print them.
#include "conf/config.hpp"
#include "rs/bgp/session.hpp"

namespace rs::bgp {

std::string_view to_string(State s) {
  switch (s) {
    case State::Idle:
      return "Idle";
    case State::Connect:
      return "Connect";
    case State::Active:
      return "Active";
    case State::OpenSent:
      return "OpenSent";
    case State::OpenConfirm:
      return "OpenConfirm";
    case State::Established:
      return "Established";
  }
  return "?";
}

std::string_view to_string(Direction d) {
  return d == Direction::Outgoing ? "outgoing" : "incoming";
}

wire::OpenMessage make_local_open(const PeerConfig& cfg, bool restarting) {
  wire::OpenMessage o;
  o.set_as(cfg.local_as);
  o.hold_time = cfg.hold_time;
  o.bgp_id = cfg.router_id;
  if (!cfg.capabilities) {
    // No optional parameters at all: IPv4 unicast, 2-octet AS (AS_TRANS when it does not fit).
    o.caps = {};
    return o;
  }
  auto& c = o.caps;
  if (!cfg.four_octet_as) c.four_octet_as.reset();
  for (const auto& f : cfg.families) c.multiprotocol.push_back(f.afi_safi);
  c.route_refresh = cfg.route_refresh;
  c.enhanced_route_refresh = cfg.route_refresh && cfg.enhanced_route_refresh;
  if (cfg.graceful_restart != GracefulRestartMode::Off) {
    wire::GracefulRestart gr;  // RFC 4724 3
    gr.restart_time = std::min<uint16_t>(cfg.graceful_restart_time, 4095);
    gr.restart_state = restarting;
    if (cfg.graceful_restart == GracefulRestartMode::On)
      for (const auto& f : cfg.families) gr.families.push_back({f.afi_safi, restarting});
    c.graceful_restart = gr;
  }
  for (const auto& f : cfg.families) {
    if (!f.add_path_rx && !f.add_path_tx) continue;
    uint8_t sr = (f.add_path_rx ? wire::AddPathFamily::kReceive : 0) |
                 (f.add_path_tx ? wire::AddPathFamily::kSend : 0);
    c.add_path.push_back({f.afi_safi, sr});
  }
  c.extended_message = cfg.extended_messages;
  for (const auto& f : cfg.families)
    if (f.extended_next_hop && f.afi_safi == wire::kIpv4Unicast)
      c.extended_next_hop.push_back({wire::kAfiIpv4, wire::kSafiUnicast, wire::kAfiIpv6});
  c.role = cfg.local_role;
  if (cfg.advertise_hostname) {
    std::string host = cfg.hostname;
    if (host.empty()) {
      char buf[256] = {};
      if (::gethostname(buf, sizeof buf - 1) == 0) host = buf;
    }
    c.fqdn = wire::Fqdn{host.substr(0, 255), ""};
  }
  return o;
}

wire::OpenPolicy make_open_policy(const PeerConfig& cfg) {
  wire::OpenPolicy p;
  p.peer_as_mode = cfg.peer_as_mode;
  p.peer_as = cfg.peer_as;
  p.local_as = cfg.local_as;
  p.local_bgp_id = cfg.router_id;
  p.min_hold_time = cfg.min_hold_time;
  p.local_role = cfg.local_role;
  p.role_strict = cfg.require_roles;
  for (const auto& f : cfg.families)
    if (f.mandatory) p.required_families.push_back(f.afi_safi);
  return p;
}

}  // namespace rs::bgp
