// One BGP connection: RFC 4271 section 8 state machine as one nested switch over (state, event),
// OpenBGPD-style. Message decoding is the codec's (rs/bgp/wire); this file decides what each
// message means in each state:
//   - header errors (RFC 4271 6.1) and OPEN errors (6.2) answer with their NOTIFICATION;
//   - a message that is not expected in a state is an FSM error 5/1, 5/2 or 5/3 (RFC 6608 4);
//   - a NOTIFICATION is logged and the connection closed, never answered (RFC 4271 6.4);
//   - hold timer expiry is 4/0 (6.5); send hold timer expiry is 8/0 (RFC 9687 3).
// Timers restart cheaply: each message stamps a time, and the timer re-arms itself at expiry
// when the stamp says time remains, so a busy session does no timer work per message.
#include "rs/bgp/session.hpp"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "conf/config.hpp"
#include "rs/bgp/socket_options.hpp"
#include "rs/log/log_class.hpp"

namespace rs::bgp {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Session::Session(asio::io_context& io, const PeerConfig& cfg, SessionOwner& owner, Direction dir,
                 wire::OpenMessage local_open)
    : io_(io),
      cfg_(cfg),
      owner_(&owner),
      dir_(dir),
      sock_(io),
      hold_timer_(io),
      keepalive_timer_(io),
      send_hold_timer_(io),
      linger_timer_(io),
      local_open_(std::move(local_open)) {
  limits_.accept_route_refresh = cfg_.route_refresh;
}

Session::~Session() {
  boost::system::error_code ec;
  sock_.close(ec);
}

// ---- Connection setup ----------------------------------------------------------------------

void Session::connect() {
  assert(state_ == State::Idle && dir_ == Direction::Outgoing);
  state_ = State::Connect;
  auto family = cfg_.neighbor_address.family();
  std::error_code err = open_and_bind(sock_, family, cfg_.local_address, 0);
  int fd = sock_.is_open() ? sock_.native_handle() : -1;
  if (!err && !cfg_.password.empty()) err = set_md5_key(fd, cfg_.neighbor_address, cfg_.password);
  if (!err) err = set_ttl(fd, family, cfg_.ttl());
  if (!err && cfg_.ttl_security) err = set_min_ttl(fd, family, 255);
  if (!err) err = set_no_delay(fd);
  if (err) {
    // Reported from the event loop, never from inside the owner's call.
    asio::post(io_, [self = shared_from_this(), msg = "socket setup: " + err.message()] {
      if (self->state_ == State::Connect) self->fail(std::nullopt, msg, false);
    });
    return;
  }
  arm_hold(std::chrono::duration_cast<milliseconds>(cfg_.connect_retry_time));
  asio::ip::tcp::endpoint ep(to_asio(cfg_.neighbor_address), cfg_.neighbor_port);
  sock_.async_connect(ep, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->state_ != State::Connect) return;
    if (ec) {
      self->fail(std::nullopt, "connect: " + ec.message(), false);
      return;
    }
    self->fsm(Event::TcpConnected);
  });
}

void Session::accept(asio::ip::tcp::socket sock) {
  assert(state_ == State::Idle && dir_ == Direction::Incoming);
  sock_ = std::move(sock);
  state_ = State::Active;
  int fd = sock_.native_handle();
  auto family = cfg_.neighbor_address.family();
  std::error_code err = set_no_delay(fd);
  if (!err) err = set_ttl(fd, family, cfg_.ttl());
  if (!err && cfg_.ttl_security) err = set_min_ttl(fd, family, 255);
  if (err) spdlog::warn("{}: socket options on incoming connection: {}", cfg_.name, err.message());
  fsm(Event::TcpConnected);
}

void Session::on_connected() {
  connected_ = true;
  boost::system::error_code ec;
  auto l = sock_.local_endpoint(ec);
  if (!ec) local_ep_ = l;
  auto r = sock_.remote_endpoint(ec);
  if (!ec) remote_ep_ = r;
  rbuf_.resize(kReceiveInitial);
  spdlog::debug("{}: {} connection up", cfg_.name, to_string(dir_));
  send_open();
  state_ = State::OpenSent;
  arm_hold(std::chrono::duration_cast<milliseconds>(cfg_.open_hold_time));
  start_read();
}

// ---- The state machine ---------------------------------------------------------------------

namespace {
std::string_view message_name(uint8_t type) {
  switch (type) {
    case 1:
      return "OPEN";
    case 2:
      return "UPDATE";
    case 3:
      return "NOTIFICATION";
    case 4:
      return "KEEPALIVE";
    case 5:
      return "ROUTE-REFRESH";
    default:
      return "unknown message";
  }
}
}  // namespace

void Session::fsm(Event ev) {
  if (debug() & conf::kDebugEvents) {
    // BIRD's `debug events`: timers and connection events (received messages are `packets`).
    std::string_view what;
    switch (ev) {
      case Event::TcpConnected:
        what = "connection established";
        break;
      case Event::TcpFailed:
        what = "connection failed or closed";
        break;
      case Event::HoldTimerExpired:
        what = "hold timer expired";
        break;
      case Event::KeepaliveTimerExpired:
        what = "keepalive timer fired";
        break;
      case Event::SendHoldTimerExpired:
        what = "send hold timer expired";
        break;
      default:
        break;
    }
    if (!what.empty()) log::trace("{}: event: {} in state {}", cfg_.name, what, to_string(state_));
  }
  switch (state_) {
    case State::Idle:
      return;  // closed: late events are dropped

    case State::Connect:
    case State::Active:
      switch (ev) {
        case Event::TcpConnected:
          on_connected();
          return;
        case Event::HoldTimerExpired:  // doubles as the connect timeout
          timed_out_ = true;
          fail(std::nullopt, "connect timeout", false);
          return;
        case Event::TcpFailed:
          fail(std::nullopt, "connection failed", false);
          return;
        default:
          return;
      }

    case State::OpenSent:
      switch (ev) {
        case Event::OpenReceived:
          handle_open();
          return;
        case Event::NotificationReceived:
          handle_notification();
          return;
        case Event::KeepaliveReceived:
        case Event::UpdateReceived:
        case Event::RouteRefreshReceived:
          fsm_error(wire::subcode::kFsmUnexpectedInOpenSent);
          return;
        case Event::HoldTimerExpired:
          fail(wire::NotificationMessage{wire::ErrorCode::HoldTimerExpired, 0, {}},
               "hold timer expired");
          return;
        case Event::SendHoldTimerExpired:
          fail(wire::NotificationMessage{wire::ErrorCode::SendHoldTimerExpired, 0, {}},
               "send hold timer expired");
          return;
        case Event::TcpFailed:
          fail(std::nullopt, "connection closed before OPEN", false);
          return;
        case Event::TcpConnected:
        case Event::KeepaliveTimerExpired:
          return;
      }
      return;

    case State::OpenConfirm:
      switch (ev) {
        case Event::KeepaliveReceived:
          enter_established();
          return;
        case Event::NotificationReceived:
          handle_notification();
          return;
        case Event::OpenReceived:
        case Event::UpdateReceived:
        case Event::RouteRefreshReceived:
          fsm_error(wire::subcode::kFsmUnexpectedInOpenConfirm);
          return;
        case Event::KeepaliveTimerExpired:
          send_keepalive();
          arm_keepalive();
          return;
        case Event::HoldTimerExpired:
          fail(wire::NotificationMessage{wire::ErrorCode::HoldTimerExpired, 0, {}},
               "hold timer expired");
          return;
        case Event::SendHoldTimerExpired:
          fail(wire::NotificationMessage{wire::ErrorCode::SendHoldTimerExpired, 0, {}},
               "send hold timer expired");
          return;
        case Event::TcpFailed:
          fail(std::nullopt, "connection closed in OpenConfirm");
          return;
        case Event::TcpConnected:
          return;
      }
      return;

    case State::Established:
      switch (ev) {
        case Event::KeepaliveReceived:
          return;  // the hold timer was stamped on receipt
        case Event::UpdateReceived:
          handle_update();
          return;
        case Event::RouteRefreshReceived:
          handle_route_refresh();
          return;
        case Event::NotificationReceived:
          handle_notification();
          return;
        case Event::OpenReceived:
          fsm_error(wire::subcode::kFsmUnexpectedInEstablished);
          return;
        case Event::KeepaliveTimerExpired:
          send_keepalive();
          arm_keepalive();
          return;
        case Event::HoldTimerExpired:
          fail(wire::NotificationMessage{wire::ErrorCode::HoldTimerExpired, 0, {}},
               "hold timer expired");
          return;
        case Event::SendHoldTimerExpired:
          fail(wire::NotificationMessage{wire::ErrorCode::SendHoldTimerExpired, 0, {}},
               "send hold timer expired");
          return;
        case Event::TcpFailed:
          fail(std::nullopt, "connection closed");
          return;
        case Event::TcpConnected:
          return;
      }
      return;
  }
}

void Session::fsm_error(uint8_t subcode) {
  auto type = frame_.header.type;
  fail(wire::NotificationMessage{wire::ErrorCode::Fsm, subcode, {}},
       fmt::format("unexpected message type {} in {}", static_cast<int>(type), to_string(state_)));
}

// ---- Receiving -----------------------------------------------------------------------------

void Session::start_read() {
  sock_.async_read_some(asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
                        [self = shared_from_this()](const boost::system::error_code& ec,
                                                    std::size_t n) { self->on_read(ec, n); });
}

void Session::resize_receive_buffer(std::size_t n, bool filled) {
  const std::size_t cap = rbuf_.size();
  // The read filled the free space (more is probably waiting), or one message is larger than the
  // buffer (extended messages, RFC 8654): grow. Frames are at most 65,535 bytes < kReceiveBuffer.
  if (filled || rlen_ == cap) {
    small_reads_ = 0;
    if (cap < kReceiveBuffer) rbuf_.resize(std::min(cap * 2, kReceiveBuffer));
    return;
  }
  if (cap <= kReceiveInitial) return;
  small_reads_ = n * 4 < cap ? small_reads_ + 1 : 0;
  if (small_reads_ >= kShrinkAfter && rlen_ <= kReceiveInitial / 2) {
    std::vector<uint8_t> small(kReceiveInitial);
    std::memcpy(small.data(), rbuf_.data(), rlen_);
    rbuf_.swap(small);
    small_reads_ = 0;
  }
}

void Session::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (state_ == State::Idle) return;
  if (ec) {
    fsm(Event::TcpFailed);
    return;
  }
  const bool filled = rlen_ + n == rbuf_.size();
  rlen_ += n;
  if (owner_) owner_->session_counters().bytes_in += n;
  std::size_t off = 0;
  bool any = false;
  while (state_ != State::Idle) {
    frame_ = wire::frame(wire::Bytes(rbuf_.data() + off, rlen_ - off), limits_);
    if (frame_.status == wire::FrameStatus::NeedMore) break;
    if (frame_.status == wire::FrameStatus::Error) {
      if (frame_.reply)
        fail(frame_.error);
      else
        fail(std::nullopt, "malformed NOTIFICATION header: " + frame_.error.reason);
      return;
    }
    off += frame_.size;
    auto type = static_cast<uint8_t>(frame_.header.type);
    if (debug() & conf::kDebugPackets)
      log::trace("{}: got {}, length {}", cfg_.name, message_name(type), frame_.size);
    if (owner_ && type < 6) owner_->session_counters().in[type]++;
    if (!any) {
      any = true;
      if (state_ == State::OpenConfirm || state_ == State::Established) last_rx_ = Clock::now();
    }
    switch (frame_.header.type) {
      case wire::MessageType::Open:
        fsm(Event::OpenReceived);
        break;
      case wire::MessageType::Update:
        fsm(Event::UpdateReceived);
        break;
      case wire::MessageType::Notification:
        fsm(Event::NotificationReceived);
        break;
      case wire::MessageType::Keepalive: {
        auto st = wire::check_keepalive(frame_.body);
        if (!st) {
          fail(st.error());
          return;
        }
        fsm(Event::KeepaliveReceived);
        break;
      }
      case wire::MessageType::RouteRefresh:
        fsm(Event::RouteRefreshReceived);
        break;
    }
  }
  if (state_ == State::Idle) return;
  if (off > 0) {
    std::memmove(rbuf_.data(), rbuf_.data() + off, rlen_ - off);
    rlen_ -= off;
  }
  resize_receive_buffer(n, filled);
  start_read();
}

void Session::handle_open() {
  auto r = wire::decode_open(frame_.body);
  if (!r) {
    fail(r.error());
    return;
  }
  peer_open_ = std::move(r.value());
  if (auto v = wire::validate_open(peer_open_, make_open_policy(cfg_)); !v) {
    fail(v.error());
    return;
  }
  std::optional<rib::IpAddress> local;
  if (local_ep_) local = from_asio(local_ep_->address());
  negotiated_ = wire::negotiate(local_open_, peer_open_, local);
  if (negotiated_.families.empty()) {
    // As BIRD: no family in common, no session. 2/7 lists our Multiprotocol capabilities, none
    // of which the peer has (RFC 5492 5).
    std::vector<uint8_t> data;
    for (wire::AfiSafi f : local_open_.caps.families())
      data.insert(data.end(),
                  {wire::capability::kMultiprotocol, 4, static_cast<uint8_t>(f.afi >> 8),
                   static_cast<uint8_t>(f.afi), 0, f.safi});
    fail(wire::NotificationMessage{wire::ErrorCode::Open, wire::subcode::kUnsupportedCapability,
                                   std::move(data)},
         "no address family in common with the peer");
    return;
  }
  auto& n = negotiated_.negotiated;
  // Our OPEN may carry AS_TRANS (no 4-octet AS capability): the session's AS is still ours.
  n.local_as = cfg_.local_as;
  n.ebgp = n.local_as != n.peer_as;
  n.enforce_first_as = n.ebgp && cfg_.enforce_first_as;
  n.forward_unknown_attributes = cfg_.forward_unknown_attributes;
  n.max_as_path_length = cfg_.max_as_path_length;
  limits_ = wire::HeaderLimits::from(n);
  limits_.accept_route_refresh = cfg_.route_refresh;
  milliseconds hold{uint64_t{negotiated_.hold_time} * 1000};
  keepalive_interval_ = milliseconds(0);
  if (hold.count() > 0) {
    keepalive_interval_ = hold / 3;
    if (cfg_.keepalive_time && *cfg_.keepalive_time > 0)
      keepalive_interval_ =
          std::min(keepalive_interval_, milliseconds(*cfg_.keepalive_time * 1000));
  }
  spdlog::debug("{}: OPEN from AS{} id {:08x} hold {}", cfg_.name, negotiated_.peer_as,
                negotiated_.peer_bgp_id, negotiated_.hold_time);
  // Collision detection (RFC 4271 6.8) may close this session.
  if (owner_ && !owner_->session_open(*this)) return;
  if (state_ != State::OpenSent) return;
  send_keepalive();
  state_ = State::OpenConfirm;
  last_rx_ = Clock::now();
  arm_hold(hold);
  arm_keepalive();
}

void Session::enter_established() {
  state_ = State::Established;
  established_at_ = Clock::now();
  export_pending_ = true;  // the export source's fill() says whether there is anything
  spdlog::info("{}: session established ({}, AS{}, hold {})", cfg_.name, to_string(dir_),
               negotiated_.peer_as, negotiated_.hold_time);
  if (owner_) owner_->session_established(*this);
  if (state_ == State::Established) pump();
}

void Session::handle_update() {
  auto st = wire::decode_update(frame_.body, negotiated_.negotiated, update_);
  if (!st) {
    fail(st.error());
    return;
  }
  for (const auto& e : update_.attr_errors)
    spdlog::warn("{}: UPDATE: {} ({})", cfg_.name, e.reason, wire::to_string(e.action));
  for (const auto& p : update_.bogus)
    spdlog::warn("{}: ignoring bogus route {}", cfg_.name, p.to_string());
  if (owner_) owner_->session_update(*this, update_);
}

void Session::handle_route_refresh() {
  auto r = wire::decode_route_refresh(frame_.body, negotiated_.negotiated);
  if (!r) {
    fail(r.error());
    return;
  }
  switch (r->disposition) {
    case wire::RouteRefreshDisposition::Process:
      if (owner_) owner_->session_route_refresh(*this, r->message);
      return;
    case wire::RouteRefreshDisposition::IgnoreFamily:
    case wire::RouteRefreshDisposition::IgnoreSubtype:
      spdlog::info("{}: ignoring ROUTE-REFRESH for {} subtype {}", cfg_.name,
                   wire::to_string(r->message.afi_safi), r->message.subtype);
      return;
  }
}

void Session::handle_notification() {
  auto d = wire::decode_notification(frame_.body);
  CloseInfo info;
  info.received = d.message;
  info.state = state_;
  info.error = true;
  info.reason = "received " + wire::describe(d.message);
  if (!d.complete) info.reason += " (truncated)";
  spdlog::warn("{}: {}", cfg_.name, info.reason);
  state_ = State::Idle;  // never answered (RFC 4271 6.4)
  force_close();
  if (auto* o = owner_) {
    owner_ = nullptr;
    o->session_closed(*this, info);
  }
}

// ---- Sending -------------------------------------------------------------------------------

void Session::send_open() {
  wire::encode_open(local_open_, prio_);
  if (owner_) owner_->session_counters().out[1]++;
  pump();
}

void Session::send_keepalive() {
  wire::encode_keepalive(prio_);
  if (owner_) owner_->session_counters().out[4]++;
  pump();
}

void Session::send_route_refresh(const wire::RouteRefreshMessage& m) {
  if (state_ != State::Established) return;
  wire::encode_route_refresh(m, prio_);
  if (owner_) owner_->session_counters().out[5]++;
  pump();
}

void Session::notify_export() {
#ifndef NDEBUG
  assert(!pulling_ && "an export source must not call back into the session");
#endif
  export_pending_ = true;
  if (state_ == State::Established) pump();
}

void Session::count_out(std::size_t from) {
  if (!owner_) return;
  auto& c = owner_->session_counters();
  std::size_t p = from;
  while (p + wire::kHeaderSize <= wbuf_.size()) {
    std::size_t len = std::size_t{wbuf_[p + 16]} << 8 | wbuf_[p + 17];
    uint8_t type = wbuf_[p + 18];
    assert(len >= wire::kHeaderSize && "fill() must append whole messages");
    if (type < 6) c.out[type]++;
    if (len < wire::kHeaderSize) break;
    p += len;
  }
}

void Session::trace_out() const {
  std::size_t p = 0;
  while (p + wire::kHeaderSize <= wbuf_.size()) {
    std::size_t len = std::size_t{wbuf_[p + 16]} << 8 | wbuf_[p + 17];
    if (len < wire::kHeaderSize) break;
    log::trace("{}: sending {}, length {}", cfg_.name, message_name(wbuf_[p + 18]), len);
    p += len;
  }
}

void Session::pump() {
  if (writing_ || !connected_) return;
  if (woff_ == wbuf_.size()) {
    wbuf_.clear();
    woff_ = 0;
  }
  if (wbuf_.empty()) {
    if (!prio_.empty()) wbuf_.swap(prio_);
    if (!closing_ && state_ == State::Established && export_pending_ && export_ &&
        wbuf_.size() < kMaxInFlight) {
      std::size_t before = wbuf_.size();
      ++fill_calls_;
#ifndef NDEBUG
      pulling_ = true;
#endif
      export_pending_ = export_->fill(wbuf_, kMaxInFlight - before);
#ifndef NDEBUG
      pulling_ = false;
#endif
      count_out(before);
    }
    if (debug() & conf::kDebugPackets) trace_out();
  }
  if (wbuf_.size() == woff_) {
    send_hold_armed_ = false;
    ++send_hold_gen_;
    send_hold_timer_.cancel();
    if (closing_) force_close();
    return;
  }
  writing_ = true;
  arm_send_hold();
  sock_.async_write_some(asio::buffer(wbuf_.data() + woff_, wbuf_.size() - woff_),
                         [self = shared_from_this()](const boost::system::error_code& ec,
                                                     std::size_t n) { self->on_write(ec, n); });
}

void Session::on_write(const boost::system::error_code& ec, std::size_t n) {
  writing_ = false;
  if (!connected_) return;
  if (ec) {
    if (closing_)
      force_close();
    else
      fsm(Event::TcpFailed);
    return;
  }
  woff_ += n;
  last_tx_ = Clock::now();  // progress (RFC 9687)
  if (owner_) owner_->session_counters().bytes_out += n;
  pump();
}

// ---- Closing -------------------------------------------------------------------------------

void Session::fail(const wire::WireError& e) {
  fail(wire::to_notification(e), e.reason.empty() ? wire::describe(e.code, e.subcode) : e.reason);
}

void Session::fail(std::optional<wire::NotificationMessage> n, std::string reason, bool error) {
  if (state_ == State::Idle) return;
  CloseInfo info;
  info.reason = std::move(reason);
  info.sent = n;
  info.state = state_;
  info.error = error;
  info.connect_timeout = timed_out_;
  if (n)
    spdlog::warn("{}: {}; sending {}", cfg_.name, info.reason, wire::describe(*n));
  else
    spdlog::info("{}: {} ({})", cfg_.name, info.reason, to_string(dir_));
  // A session that cannot send (RFC 9687) gets no NOTIFICATION: the socket is stuck.
  bool stuck = n && n->code == wire::ErrorCode::SendHoldTimerExpired;
  end(stuck ? std::nullopt : n);
  if (auto* o = owner_) {
    owner_ = nullptr;
    o->session_closed(*this, info);
  }
}

void Session::close(std::optional<wire::NotificationMessage> n, std::string_view reason) {
  owner_ = nullptr;
  if (state_ == State::Idle) {
    if (!closing_) force_close();
    return;
  }
  if (n)
    spdlog::info("{}: closing {} session: {}; sending {}", cfg_.name, to_string(dir_), reason,
                 wire::describe(*n));
  else
    spdlog::debug("{}: closing {} session: {}", cfg_.name, to_string(dir_), reason);
  end(n);
}

void Session::end(std::optional<wire::NotificationMessage> n) {
  State was = state_;
  state_ = State::Idle;
  export_pending_ = false;
  ++hold_gen_;
  ++keepalive_gen_;
  hold_timer_.cancel();
  keepalive_timer_.cancel();
  if (n && connected_ && was >= State::OpenSent) {
    std::size_t max = was >= State::OpenConfirm ? negotiated_.negotiated.max_message_size()
                                                : wire::kMaxMessageSize;
    wire::encode_notification(*n, prio_, max);
    if (owner_) owner_->session_counters().out[3]++;
    closing_ = true;
    linger_timer_.expires_after(kLinger);
    linger_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && self->closing_) self->force_close();
    });
    pump();
    return;
  }
  force_close();
}

void Session::force_close() {
  closing_ = false;
  connected_ = false;
  state_ = State::Idle;
  ++hold_gen_;
  ++keepalive_gen_;
  ++send_hold_gen_;
  send_hold_armed_ = false;
  boost::system::error_code ec;
  hold_timer_.cancel();
  keepalive_timer_.cancel();
  send_hold_timer_.cancel();
  linger_timer_.cancel();
  if (sock_.is_open()) {
    sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    sock_.close(ec);
  }
}

}  // namespace rs::bgp
