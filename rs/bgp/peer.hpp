// Peer: one BGP neighbour (BIRD's `protocol bgp` instance). Owns up to two Sessions, outgoing and
// incoming, and resolves collisions between them (RFC 4271 6.8); connects after the connect
// delay and retries every connect retry time unless passive; waits an exponentially growing
// error wait time after errors; stops with a Cease carrying the RFC 8203/9003 text; keeps the
// state, uptime, last error and counters for the CLI; is the graceful restart helper (RFC 4724)
// and the route refresh endpoint (RFC 2918, RFC 7313).
//
// The route server implements PeerHandler. UPDATEs are pulled: notify_export() says that work
// may exist, and the established session asks the peer's ExportSource whenever its socket can take
// more (set_export_source: the route server's export state of the protocol's channels).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rs/bgp/peer_config.hpp"
#include "rs/bgp/session.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/open.hpp"
#include "rs/bgp/wire/update.hpp"

namespace rs::bgp {

class Peer;

// Why an established session went down, for the owner.
struct DownInfo {
  std::string reason;
  std::optional<wire::NotificationMessage> notification_sent;
  std::optional<wire::NotificationMessage> notification_received;
  // Graceful restart helper (RFC 4724 4.2): the peer can restart; keep its routes of these
  // families as stale for `stale_time`, until the new session's End-of-RIB, or until the new
  // OPEN omits a family or clears its F bit.
  bool keep_stale = false;
  std::chrono::seconds stale_time{0};
  std::vector<wire::AfiSafi> stale_families;
};

class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  virtual void on_established(Peer& p) = 0;
  virtual void on_update(Peer& p, const wire::UpdateMessage& m) = 0;
  virtual void on_end_of_rib(Peer& p, wire::AfiSafi family) = 0;
  // subtype: wire::route_refresh::kNormal (send the family again), kBeginOfRefresh /
  // kEndOfRefresh (RFC 7313: the peer re-sends; mark its routes stale / sweep them).
  virtual void on_route_refresh(Peer& p, wire::AfiSafi family, uint8_t subtype) = 0;
  virtual void on_down(Peer& p, const DownInfo& info) = 0;
};

struct LastError {
  std::string reason;
  std::optional<wire::NotificationMessage> sent;
  std::optional<wire::NotificationMessage> received;
  std::chrono::steady_clock::time_point at{};
  bool empty() const { return reason.empty(); }
};

struct PeerCounters {
  MessageCounters messages;  // by type, both directions, all sessions
  uint64_t establishments = 0;
  uint64_t notifications_sent = 0;
  uint64_t notifications_received = 0;
  // The same by code and subcode, key (code << 8) | subcode (metrics; NOTIFICATIONs are rare).
  std::map<uint16_t, uint64_t> notifications_sent_by_code;
  std::map<uint16_t, uint64_t> notifications_received_by_code;
  std::optional<wire::NotificationMessage> last_notification_sent;
  std::optional<wire::NotificationMessage> last_notification_received;
  uint64_t collisions = 0;            // sessions closed by collision detection
  uint64_t connections_rejected = 0;  // incoming connections refused
};

enum class RefreshResult : uint8_t { Sent, NotEstablished, NotNegotiated };

class Peer final : private SessionOwner {
 public:
  // What the protocol is doing, above the session states.
  enum class Phase : uint8_t {
    Down,       // not started, stopped or disabled
    Start,      // connecting / waiting for the peer
    ErrorWait,  // backing off after an error; incoming connections refused
    Up,         // a session is Established
  };

  Peer(boost::asio::io_context& io, PeerConfig cfg, PeerHandler& handler);
  ~Peer() override;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  const PeerConfig& config() const { return cfg_; }
  boost::asio::io_context& io() { return io_; }
  const std::string& name() const { return cfg_.name; }

  // Starts the protocol (no-op when disabled or running): connect after the connect delay.
  void start();
  // Sends Cease `subcode` (RFC 4486) to every connected session and goes Down. For
  // Administrative Shutdown (2) and Reset (4) `text` is the RFC 9003 shutdown communication.
  void stop(uint8_t cease_subcode, std::string_view text = {});
  // Cease 1 with the RFC 4486 4 data: AFI, SAFI, prefix limit.
  void stop_max_prefix(wire::AfiSafi family, uint32_t limit);
  // Stop with Administrative Reset (6/4) and start again.
  void restart(std::string_view text = {});
  // Graceful restart, restarting side: our next OPENs carry the R bit and F bits (RFC 4724 3).
  void set_restarting(bool on) { restarting_ = on; }
  // Operator enable / disable (the control socket): a disabled peer does not start.
  void set_disabled(bool on) { cfg_.disabled = on; }
  // `debug NAME ...` flags (conf::DebugFlag) for the sessions' event and packet lines.
  void set_debug(uint32_t flags) { debug_ = flags; }

  // An incoming connection from the neighbour (the Listener matched its address).
  void accept(boost::asio::ip::tcp::socket sock);

  // What the established session pulls UPDATEs from (outlives the peer's sessions).
  void set_export_source(ExportSource* s);
  // New export work may exist; the established session pulls it when writable.
  void notify_export();
  // Sends ROUTE-REFRESH (RFC 2918) for a negotiated family.
  [[nodiscard]] RefreshResult request_refresh(wire::AfiSafi family);

  Phase phase() const { return phase_; }
  // The most advanced session state; Idle when Down, Active while waiting for a connection.
  State state() const;
  bool established() const { return established_session() != nullptr; }
  std::optional<std::chrono::steady_clock::duration> uptime() const;
  // Negotiated facts of the established session; nullptr otherwise.
  const wire::NegotiatedSession* negotiated() const;
  std::optional<boost::asio::ip::tcp::endpoint> local_endpoint() const;
  std::optional<boost::asio::ip::tcp::endpoint> remote_endpoint() const;
  const LastError& last_error() const { return last_error_; }
  const PeerCounters& counters() const { return counters_; }
  Duration current_error_wait() const { return error_wait_; }
  std::size_t send_queue_bytes() const;
  uint64_t fill_calls() const;
  // Sessions that exist now (0-2), for tests and the CLI.
  std::size_t session_count() const { return (out_ ? 1 : 0) + (in_ ? 1 : 0); }

 private:
  // SessionOwner
  bool session_open(Session& s) override;
  void session_established(Session& s) override;
  void session_update(Session& s, const wire::UpdateMessage& m) override;
  void session_route_refresh(Session& s, const wire::RouteRefreshMessage& m) override;
  void session_closed(Session& s, const CloseInfo& info) override;
  MessageCounters& session_counters() override { return counters_.messages; }
  uint32_t session_debug() const override { return debug_; }

  Session* established_session() const;
  std::shared_ptr<Session>& slot(const Session& s);
  std::shared_ptr<Session>* other_slot(const Session& s);
  // Closes a session on our initiative (collision, stop) and records what was sent.
  void close_session(std::shared_ptr<Session>& slot, std::optional<wire::NotificationMessage> n,
                     std::string_view reason);
  // An Established session ended: tell the handler (with the graceful restart verdict).
  void went_down(const Session& s, const CloseInfo& info, bool peer_restarting);
  void record_error(const CloseInfo& info);
  void schedule_connect(Duration delay);
  void connect_now();
  void enter_error_wait();
  void stop_with(const wire::NotificationMessage& n, std::string reason);

  boost::asio::io_context& io_;
  PeerConfig cfg_;
  PeerHandler& handler_;
  ExportSource* export_ = nullptr;
  Phase phase_ = Phase::Down;
  bool restarting_ = false;
  std::shared_ptr<Session> out_;
  std::shared_ptr<Session> in_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer error_wait_timer_;
  uint64_t connect_gen_ = 0;
  uint64_t error_wait_gen_ = 0;
  // Timer handlers may run after the Peer is gone; they hold a weak pointer to this token.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  Duration error_wait_{0};  // the last error wait; 0 after error_forget_time without errors
  std::optional<std::chrono::steady_clock::time_point> last_error_at_;
  LastError last_error_;
  PeerCounters counters_;
  uint32_t debug_ = 0;
};

std::string_view to_string(Peer::Phase p);

}  // namespace rs::bgp
