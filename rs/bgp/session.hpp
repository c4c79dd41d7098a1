// Session: one BGP TCP connection and its RFC 4271 section 8 state machine (Connect, Active,
// OpenSent, OpenConfirm, Established), with hold, keepalive and send hold (RFC 9687) timers.
// A Peer owns up to two of them (outgoing and incoming) and resolves collisions between them.
//
// Reads go into one large buffer and are framed in place (wire::frame). Writes: small messages
// (OPEN, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH) are queued; UPDATEs are pulled from the owner with
// SessionOwner::session_fill() only when fewer than kMaxInFlight bytes are waiting for the socket,
// so a peer that stops reading never makes rsd buffer more than that.
//
// Lifetime: asynchronous operations hold a shared_ptr to the Session, so an owner may drop its
// pointer at any time; after close() or detach() the Session never calls its owner again.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rs/bgp/export_source.hpp"
#include "rs/bgp/peer_config.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/open.hpp"
#include "rs/bgp/wire/update.hpp"

namespace rs::bgp {

enum class State : uint8_t { Idle, Connect, Active, OpenSent, OpenConfirm, Established };
std::string_view to_string(State s);

enum class Direction : uint8_t { Outgoing, Incoming };
std::string_view to_string(Direction d);

// Messages and bytes by direction; index = message type (1 OPEN .. 5 ROUTE-REFRESH), 0 unused.
struct MessageCounters {
  std::array<uint64_t, 6> in{};
  std::array<uint64_t, 6> out{};
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t in_of(wire::MessageType t) const { return in[static_cast<uint8_t>(t)]; }
  uint64_t out_of(wire::MessageType t) const { return out[static_cast<uint8_t>(t)]; }
};

// Why a session ended.
struct CloseInfo {
  std::string reason;
  std::optional<wire::NotificationMessage> sent;      // what we sent (or meant to send)
  std::optional<wire::NotificationMessage> received;  // what the peer sent
  State state = State::Idle;                          // state when it ended
  bool error = false;            // a protocol error or timer expiry (not a plain TCP failure)
  bool connect_timeout = false;  // the TCP connect took longer than the connect retry time
};

class Session;

// The Peer side of a Session. Calls happen on the io_context thread, never after close/detach.
class SessionOwner {
 public:
  virtual ~SessionOwner() = default;
  // A valid OPEN arrived (state OpenSent -> OpenConfirm). Collision detection (RFC 4271 6.8)
  // happens here: false when the owner closed this session.
  virtual bool session_open(Session& s) = 0;
  virtual void session_established(Session& s) = 0;
  virtual void session_update(Session& s, const wire::UpdateMessage& m) = 0;
  virtual void session_route_refresh(Session& s, const wire::RouteRefreshMessage& m) = 0;
  // The session ended by itself (error, NOTIFICATION, TCP failure). Not called for close().
  virtual void session_closed(Session& s, const CloseInfo& info) = 0;
  virtual MessageCounters& session_counters() = 0;
  // The protocol's `debug` flags (conf::DebugFlag): events and packets add log lines (class trace).
  virtual uint32_t session_debug() const { return 0; }
};

// Our OPEN from the configuration (RFC 4271 4.2, RFC 5492 capabilities).
wire::OpenMessage make_local_open(const PeerConfig& cfg, bool restarting);
// What a peer's OPEN must satisfy (wire::validate_open).
wire::OpenPolicy make_open_policy(const PeerConfig& cfg);

class Session : public std::enable_shared_from_this<Session> {
 public:
  static constexpr std::size_t kMaxInFlight = 64 * 1024;
  // Receive buffer: starts small (an idle session holds kReceiveInitial bytes), doubles while reads
  // fill it (a full table arriving) up to kReceiveBuffer, and returns to kReceiveInitial after
  // kShrinkAfter reads in a row that used less than a quarter of it.
  static constexpr std::size_t kReceiveInitial = 4 * 1024;
  static constexpr std::size_t kReceiveBuffer = 128 * 1024;
  static constexpr unsigned kShrinkAfter = 8;
  // How long a closing session waits for its NOTIFICATION to be written.
  static constexpr std::chrono::milliseconds kLinger{1000};

  Session(boost::asio::io_context& io, const PeerConfig& cfg, SessionOwner& owner, Direction dir,
          wire::OpenMessage local_open);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Outgoing: opens, binds and connects (state Connect); the connect retry time bounds it.
  void connect();
  // Incoming: takes an accepted socket (state Active -> OpenSent).
  void accept(boost::asio::ip::tcp::socket sock);

  // Ends the session: sends `n` when a connection is up (then closes once it is written, at
  // most kLinger later), or closes at once. The owner is not called back.
  void close(std::optional<wire::NotificationMessage> n, std::string_view reason);
  // The owner forgets this session: no more callbacks (close() implies it).
  void detach() { owner_ = nullptr; }

  // Export work may exist: pull it from the export source when the socket has room.
  void notify_export();
  // Where UPDATEs come from once Established (null: nothing to send).
  void set_export_source(ExportSource* s) { export_ = s; }
  // Queues a ROUTE-REFRESH (Established only; the caller checked the negotiation).
  void send_route_refresh(const wire::RouteRefreshMessage& m);

  State state() const { return state_; }
  Direction direction() const { return dir_; }
  bool connected() const { return connected_; }
  // Valid from OpenConfirm on.
  const wire::NegotiatedSession& negotiated() const { return negotiated_; }
  const wire::OpenMessage& peer_open() const { return peer_open_; }
  const wire::OpenMessage& local_open() const { return local_open_; }
  std::optional<boost::asio::ip::tcp::endpoint> local_endpoint() const { return local_ep_; }
  std::optional<boost::asio::ip::tcp::endpoint> remote_endpoint() const { return remote_ep_; }
  // Bytes queued or in flight in user space (not counting the kernel's socket buffer).
  std::size_t send_queue_bytes() const { return prio_.size() + (wbuf_.size() - woff_); }
  std::chrono::steady_clock::time_point established_at() const { return established_at_; }
  uint64_t fill_calls() const { return fill_calls_; }

 private:
  enum class Event : uint8_t {
    TcpConnected,
    TcpFailed,
    OpenReceived,
    KeepaliveReceived,
    UpdateReceived,
    NotificationReceived,
    RouteRefreshReceived,
    HoldTimerExpired,
    KeepaliveTimerExpired,
    SendHoldTimerExpired,
  };
  void fsm(Event ev);

  void on_connected();
  void start_read();
  void resize_receive_buffer(std::size_t n, bool filled);
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void handle_open();
  void handle_update();
  void handle_route_refresh();
  void handle_notification();
  void enter_established();

  void send_open();
  void send_keepalive();
  void pump();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void count_out(std::size_t from);
  uint32_t debug() const { return owner_ ? owner_->session_debug() : 0; }
  void trace_out() const;  // `debug packets`: one line per message in wbuf_

  void arm_hold(std::chrono::milliseconds d);
  void wait_hold();
  void arm_keepalive();
  void arm_send_hold();
  void wait_send_hold();
  // Ends the session because of an error and tells the owner.
  void fail(std::optional<wire::NotificationMessage> n, std::string reason, bool error = true);
  void fail(const wire::WireError& e);
  void fsm_error(uint8_t subcode);
  // Stops timers and reading; writes `n` (if any) before closing the socket.
  void end(std::optional<wire::NotificationMessage> n);
  void force_close();

  boost::asio::io_context& io_;
  PeerConfig cfg_;
  SessionOwner* owner_;
  Direction dir_;
  State state_ = State::Idle;
  bool connected_ = false;
  bool closing_ = false;
  bool writing_ = false;
  bool export_pending_ = false;
  ExportSource* export_ = nullptr;
#ifndef NDEBUG
  bool pulling_ = false;  // inside export_->fill(), which must not call back (asserted)
#endif
  bool timed_out_ = false;
  boost::asio::ip::tcp::socket sock_;
  boost::asio::steady_timer hold_timer_;
  boost::asio::steady_timer keepalive_timer_;
  boost::asio::steady_timer send_hold_timer_;
  boost::asio::steady_timer linger_timer_;
  uint64_t hold_gen_ = 0, keepalive_gen_ = 0, send_hold_gen_ = 0;
  bool send_hold_armed_ = false;
  std::chrono::milliseconds hold_time_{0};
  std::chrono::milliseconds send_hold_time_{0};
  std::chrono::steady_clock::time_point last_rx_{};  // last message received (hold timer)
  std::chrono::steady_clock::time_point last_tx_{};  // last write progress (send hold timer)
  std::optional<boost::asio::ip::tcp::endpoint> local_ep_, remote_ep_;

  wire::OpenMessage local_open_;
  wire::OpenMessage peer_open_;
  wire::NegotiatedSession negotiated_;
  wire::HeaderLimits limits_;
  std::chrono::milliseconds keepalive_interval_{0};
  std::chrono::steady_clock::time_point established_at_{};

  std::vector<uint8_t> rbuf_;
  std::size_t rlen_ = 0;
  unsigned small_reads_ = 0;  // reads in a row that used < 1/4 of rbuf_
  wire::Frame frame_;         // the message being handled
  wire::UpdateMessage update_;

  std::vector<uint8_t> prio_;  // small messages not yet in flight
  std::vector<uint8_t> wbuf_;  // bytes being written
  std::size_t woff_ = 0;
  uint64_t fill_calls_ = 0;
};

}  // namespace rs::bgp
