// A route server in one process with rsd's own BGP sessions as its peers, over loopback TCP: a
// Speaker records what it receives and sends queued UPDATEs; a Lab runs three service nodes and an
// edge against a RouteServer built from a configuration text. Each test executable uses its own
// loopback /24 and port (LabAddresses), so executables may run in parallel.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "conf/parser.hpp"
#include "rs/bgp/peer.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/route_server.hpp"

namespace lab {

namespace bgp = rs::bgp;
namespace wire = rs::bgp::wire;
using rs::rib::AttrBuilder;
using rs::rib::AttrType;
using rs::rib::IpAddress;
using rs::rib::Prefix;

// A BGP speaker for tests: sends queued UPDATEs, records what it receives.
struct Speaker : bgp::PeerHandler, bgp::ExportSource {
  std::unique_ptr<bgp::Peer> peer;
  std::vector<uint8_t> pending;
  std::map<Prefix, AttrBuilder> held;
  std::map<std::pair<Prefix, uint32_t>, uint32_t> paths;  // (prefix, path id) -> MED
  int establishments = 0;

  void on_established(bgp::Peer& p) override {
    ++establishments;
    p.set_export_source(this);
    p.notify_export();
  }
  void on_update(bgp::Peer&, const wire::UpdateMessage& u) override {
    for (const auto& w : u.withdrawn) held.erase(w.prefix), paths.erase({w.prefix, w.path_id});
    if (u.mp_unreach)
      for (const auto& w : u.mp_unreach->nlri)
        held.erase(w.prefix), paths.erase({w.prefix, w.path_id});
    for (const auto& n : u.nlri)
      held[n.prefix] = u.attrs, paths[{n.prefix, n.path_id}] = u.attrs.med;
    if (u.mp_reach) {
      for (const auto& n : u.mp_reach->nlri) {
        paths[{n.prefix, n.path_id}] = u.attrs.med;
        held[n.prefix] = u.attrs;
        held[n.prefix].set_next_hop(u.mp_reach->next_hop);
      }
    }
  }
  void on_end_of_rib(bgp::Peer&, wire::AfiSafi) override {}
  void on_route_refresh(bgp::Peer&, wire::AfiSafi, uint8_t) override {}
  void on_down(bgp::Peer&, const bgp::DownInfo&) override {}
  bool fill(std::vector<uint8_t>& out, std::size_t) override {
    out.insert(out.end(), pending.begin(), pending.end());
    pending.clear();
    return false;
  }

  // `communities` extra standard communities (to build oversized attribute sets).
  void announce(const Prefix& p, const IpAddress& next_hop, uint32_t med,
                uint32_t communities = 0) {
    wire::UpdateMessage u;
    u.attrs.set_origin(rs::rib::Origin::Igp);
    u.attrs.set_present(AttrType::AsPath);
    u.attrs.set_med(med);
    u.attrs.set_local_pref(100);
    for (uint32_t i = 0; i < communities; ++i) u.attrs.communities.values.push_back(0xFDE80000 + i);
    if (communities) u.attrs.set_present(AttrType::Communities);
    wire::Negotiated n;
    n.ebgp = false;
    n.ipv6_unicast = true;
    n.extended_message = communities > 0;
    if (p.is_v4()) {
      u.attrs.set_next_hop(next_hop);
      u.nlri.push_back({p, 0});
    } else {
      u.mp_reach = wire::MpReach{wire::kIpv6Unicast, next_hop, {}, {{p, 0}}};
    }
    REQUIRE(wire::encode_update(u, n, pending) == wire::EncodeResult::Ok);
    if (peer) peer->notify_export();
  }
  void withdraw(const Prefix& p) {
    wire::UpdateMessage u;
    wire::Negotiated n;
    n.ebgp = false;
    n.ipv6_unicast = true;
    if (p.is_v4())
      u.withdrawn.push_back({p, 0});
    else
      u.mp_unreach = wire::MpUnreach{wire::kIpv6Unicast, {{p, 0}}};
    REQUIRE(wire::encode_update(u, n, pending) == wire::EncodeResult::Ok);
    if (peer) peer->notify_export();
  }
};

bgp::PeerConfig speaker_config(const char* name, const char* local, const char* remote,
                               uint16_t port) {
  bgp::PeerConfig c;
  c.name = name;
  c.local_address = IpAddress::parse(local);
  c.local_port = 0;
  c.local_as = 65000;
  c.router_id = IpAddress::parse(local)->v4_value();
  c.neighbor_address = *IpAddress::parse(remote);
  c.neighbor_port = port;
  c.peer_as = 65000;
  c.connect_delay_time = std::chrono::milliseconds(10);
  c.connect_retry_time = std::chrono::milliseconds(200);
  c.error_wait_min = c.error_wait_max = std::chrono::milliseconds(100);
  c.families = {bgp::FamilyConfig{wire::kIpv4Unicast}, bgp::FamilyConfig{wire::kIpv6Unicast}};
  return c;
}

struct Lab {
  boost::asio::io_context io;
  std::unique_ptr<rs::RouteServer> server;
  Speaker nodes[3];
  Speaker edge;

  std::string net;  // "127.0.3": the route server is NET.1, nodes NET.11-13, the edge NET.21
  uint16_t port;
  explicit Lab(const std::string& config_text, bool edge_add_path_rx = false,
               std::string net_ = "127.0.3", uint16_t port_ = 17391, bool node_extended = false)
      : net(std::move(net_)), port(port_) {
    auto loaded = rs::conf::load_string(config_text, "test.conf");
    REQUIRE_MESSAGE(loaded.ok(), loaded.diagnostics.to_string());
    server = std::make_unique<rs::RouteServer>(
        io, std::make_shared<rs::conf::Config>(std::move(loaded.config)));
    REQUIRE(server->start().empty());
    const std::string rs = net + ".1";
    for (int i = 0; i < 3; ++i) {
      const std::string a = net + "." + std::to_string(11 + i);
      auto cfg = speaker_config("n", a.c_str(), rs.c_str(), port);
      cfg.extended_messages = node_extended;
      nodes[i].peer = std::make_unique<bgp::Peer>(io, cfg, nodes[i]);
      nodes[i].peer->start();
    }
    const std::string e = net + ".21";
    auto edge_cfg = speaker_config("edge", e.c_str(), rs.c_str(), port);
    for (auto& f : edge_cfg.families) f.add_path_rx = edge_add_path_rx;
    edge.peer = std::make_unique<bgp::Peer>(io, edge_cfg, edge);
    edge.peer->start();
  }
  ~Lab() {
    for (auto& n : nodes) n.peer.reset();
    edge.peer.reset();
    server.reset();
  }
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(5));
      if (done()) return true;
    }
    return false;
  }
  // Next hop of the edge's route for `p`, or "" when it holds none.
  std::string at_edge(const char* p) {
    auto it = edge.held.find(*Prefix::parse(p));
    return it == edge.held.end() ? "" : it->second.next_hop.to_string();
  }
};

}  // namespace lab
