// Protocol: one `protocol bgp` instance (configured, or spawned from a dynamic range): its Peer,
// its channels (one per family, rs/channel.hpp) and the export source its established session
// pulls UPDATEs from. The route server owns the protocols; the import pipeline and the exporter
// work on them by reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "conf/config.hpp"
#include "rs/bgp/export_source.hpp"
#include "rs/bgp/peer.hpp"
#include "rs/channel.hpp"
#include "rs/export_pack.hpp"

namespace rs {

// Shared by every protocol's export source: a health-aware restart holds all exports back, and
// the failover accounting is told of each UPDATE write (owned by the Exporter).
struct ExportGate {
  bool held = false;
  std::function<void(const std::string& protocol)> observer;
};

struct Protocol;

// What the protocol's established session pulls from: its channels' Adj-RIB-Out, packed into
// UPDATEs, framed by the RFC 7313 BoRR / EoRR of a route refresh. It reads and updates export state
// only, never calls back into the session (bgp::ExportSource).
class ProtocolExport final : public bgp::ExportSource {
 public:
  ProtocolExport(Protocol& p, const ExportGate& gate) : p_(p), gate_(gate) {}
  bool fill(std::vector<uint8_t>& out, std::size_t budget) override;

 private:
  // RFC 7313 4: BoRR before the re-advertisement, EoRR after its last UPDATE.
  void markers_before(std::vector<uint8_t>& out);
  bool markers_after(std::vector<uint8_t>& out);
  static void log_unsendable(void* ctx, const ExportMember& m, const rib::Prefix& prefix);

  Protocol& p_;
  const ExportGate& gate_;
};

struct Protocol {
  Protocol(std::string n, const ExportGate& gate) : name(std::move(n)), exports(*this, gate) {}
  Protocol(const Protocol&) = delete;
  Protocol& operator=(const Protocol&) = delete;

  std::string name;
  uint32_t debug = 0;                      // `debug NAME ...` flags (conf::DebugFlag)
  const conf::BgpProtocol* cfg = nullptr;  // points into the running configuration
  uint32_t router_id = 0;                  // the protocol's, else the global one
  std::unique_ptr<bgp::Peer> peer;
  PerFamily<Channel> channels;
  bool established = false;
  bool dynamic_child = false;
  bool export_deferred = false;  // established during the selection deferral
  std::string parent;            // dynamic children: the range protocol they were spawned from
  PackCounters packed;
  std::unique_ptr<boost::asio::steady_timer> stale_timer;  // graceful restart of the peer
  ProtocolExport exports;

  // The configured channel of a route source, null when the source is not this protocol's.
  Channel* channel_of(const rib::RouteSource* src) {
    for (auto& c : channels)
      if (c.enabled && c.source.get() == src) return &c;
    return nullptr;
  }
};

using Protocols = std::map<std::string, std::unique_ptr<Protocol>>;

// Receive / import / export limits (BIRD `receive limit`, `import limit`, `export limit`): false
// when the route must be dropped (action block, or the session is going down: restart and
// disable stop the peer from a posted handler, never from inside the caller's).
bool limit_allows(Protocol& p, Channel& ch, const std::optional<conf::Limit>& limit, uint64_t count,
                  const char* what);

}  // namespace rs
