// The BGP protocol instance around one or two Sessions.
//   - Collisions (RFC 4271 6.8): when an OPEN arrives while the other session is in OpenConfirm,
//     the connection initiated by the speaker with the higher BGP Identifier survives; the other
//     gets Cease 7. A new session against an Established one is closed, except when the peer
//     has graceful restart: then the peer restarted and the old session is dropped (RFC 4724 4.2).
//     Once a session is Established, the other one is closed.
//   - Connecting: after the connect delay, then every connect retry time (never when passive).
//   - Errors: the protocol waits error_wait before trying again, doubling it per error up to
//     error_wait_max; an error more than error_forget_time after the previous one starts again
//     at error_wait_min (BIRD's `error wait time`, `error forget time`). Incoming connections
//     are refused meanwhile.
//   - Graceful restart helper: an Established session that ends without a NOTIFICATION (TCP
//     failure) or by hold timer expiry, with a peer that advertised graceful restart, is
//     reported with keep_stale so the owner keeps the routes for the peer's restart time.
#include "rs/bgp/peer.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "conf/config.hpp"
#include "rs/bgp/wire/bytes.hpp"
#include "rs/log/log_class.hpp"

namespace rs::bgp {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string_view to_string(Peer::Phase p) {
  switch (p) {
    case Peer::Phase::Down:
      return "down";
    case Peer::Phase::Start:
      return "start";
    case Peer::Phase::ErrorWait:
      return "error wait";
    case Peer::Phase::Up:
      return "up";
  }
  return "?";
}

namespace {

uint16_t notification_key(const wire::NotificationMessage& n) {
  return static_cast<uint16_t>(static_cast<uint16_t>(n.code) << 8 | n.subcode);
}

wire::NotificationMessage cease(uint8_t subcode) {
  return wire::NotificationMessage{wire::ErrorCode::Cease, subcode, {}};
}

bool is_cease(const std::optional<wire::NotificationMessage>& n, uint8_t subcode) {
  return n && n->code == wire::ErrorCode::Cease && n->subcode == subcode;
}

}  // namespace

Peer::Peer(asio::io_context& io, PeerConfig cfg, PeerHandler& handler)
    : io_(io), cfg_(std::move(cfg)), handler_(handler), connect_timer_(io), error_wait_timer_(io) {}

Peer::~Peer() {
  if (out_) out_->close(std::nullopt, "protocol removed");
  if (in_) in_->close(std::nullopt, "protocol removed");
  connect_timer_.cancel();
  error_wait_timer_.cancel();
}

// ---- Administrative actions ----------------------------------------------------------------

void Peer::start() {
  if (cfg_.disabled || phase_ != Phase::Down) return;
  spdlog::info("{}: starting", cfg_.name);
  phase_ = Phase::Start;
  if (!cfg_.passive) schedule_connect(cfg_.connect_delay_time);
}

void Peer::stop(uint8_t cease_subcode, std::string_view text) {
  wire::NotificationMessage n = cease(cease_subcode);
  if ((cease_subcode == wire::subcode::kAdministrativeShutdown ||
       cease_subcode == wire::subcode::kAdministrativeReset) &&
      !text.empty())
    n = wire::shutdown_notification(cease_subcode, text);
  stop_with(n, "stopped: " + wire::describe(n));
}

void Peer::stop_max_prefix(wire::AfiSafi family, uint32_t limit) {
  wire::NotificationMessage n = cease(wire::subcode::kMaxPrefixReached);
  wire::Writer w(n.data);  // RFC 4486 4: AFI, SAFI, upper bound
  w.u16(family.afi);
  w.u8(family.safi);
  w.u32(limit);
  stop_with(n, "route limit exceeded for " + wire::to_string(family));
}

void Peer::restart(std::string_view text) {
  stop(wire::subcode::kAdministrativeReset, text);
  start();
}

void Peer::stop_with(const wire::NotificationMessage& n, std::string reason) {
  phase_ = Phase::Down;
  ++connect_gen_;
  ++error_wait_gen_;
  connect_timer_.cancel();
  error_wait_timer_.cancel();
  for (auto* slot : {&out_, &in_}) {
    if (!*slot) continue;
    bool was_established = (*slot)->state() == State::Established;
    close_session(*slot, n, reason);
    if (was_established) {
      DownInfo d;
      d.reason = reason;
      d.notification_sent = n;
      handler_.on_down(*this, d);
    }
  }
  last_error_ = LastError{reason, n, std::nullopt, Clock::now()};
  spdlog::info("{}: {}", cfg_.name, reason);
}

void Peer::accept(asio::ip::tcp::socket sock) {
  auto reject = [&](std::string_view why) {
    ++counters_.connections_rejected;
    boost::system::error_code ec;
    auto ep = sock.remote_endpoint(ec);
    spdlog::info("{}: incoming connection from {} rejected: {}", cfg_.name,
                 ec ? std::string("?") : ep.address().to_string(), why);
    sock.close(ec);
  };
  if (phase_ == Phase::Down) return reject("protocol down");
  if (phase_ == Phase::ErrorWait) return reject("error wait");
  if (in_) {
    bool gr = in_->state() == State::Established &&
              cfg_.graceful_restart != GracefulRestartMode::Off &&
              in_->negotiated().peer_graceful_restart;
    if (!gr) return reject("an incoming connection exists");
    // RFC 4724 4.2: a new connection while Established means the peer restarted.
    auto old = std::move(in_);
    old->close(std::nullopt, "peer restarted");
    CloseInfo info;
    info.reason = "peer restarted (new connection)";
    info.state = State::Established;
    went_down(*old, info, true);
  }
  in_ = std::make_shared<Session>(io_, cfg_, static_cast<SessionOwner&>(*this), Direction::Incoming,
                                  make_local_open(cfg_, restarting_));
  in_->accept(std::move(sock));
}

void Peer::set_export_source(ExportSource* s) {
  export_ = s;
  if (out_) out_->set_export_source(s);
  if (in_) in_->set_export_source(s);
}

void Peer::notify_export() {
  if (auto* s = established_session()) s->notify_export();
}

RefreshResult Peer::request_refresh(wire::AfiSafi family) {
  auto* s = established_session();
  if (!s) return RefreshResult::NotEstablished;
  const auto& n = s->negotiated().negotiated;
  if (!n.route_refresh || !n.family_negotiated(family)) return RefreshResult::NotNegotiated;
  s->send_route_refresh(wire::RouteRefreshMessage{family, wire::route_refresh::kNormal});
  return RefreshResult::Sent;
}

// ---- State for the CLI ---------------------------------------------------------------------

Session* Peer::established_session() const {
  if (out_ && out_->state() == State::Established) return out_.get();
  if (in_ && in_->state() == State::Established) return in_.get();
  return nullptr;
}

State Peer::state() const {
  State s = State::Idle;
  if (out_) s = std::max(s, out_->state());
  if (in_) s = std::max(s, in_->state());
  if (s == State::Idle && phase_ == Phase::Start) s = State::Active;
  return s;
}

std::optional<Clock::duration> Peer::uptime() const {
  if (auto* s = established_session()) return Clock::now() - s->established_at();
  return std::nullopt;
}

const wire::NegotiatedSession* Peer::negotiated() const {
  auto* s = established_session();
  return s ? &s->negotiated() : nullptr;
}

std::optional<asio::ip::tcp::endpoint> Peer::local_endpoint() const {
  auto* s = established_session();
  return s ? s->local_endpoint() : std::nullopt;
}

std::optional<asio::ip::tcp::endpoint> Peer::remote_endpoint() const {
  auto* s = established_session();
  return s ? s->remote_endpoint() : std::nullopt;
}

std::size_t Peer::send_queue_bytes() const {
  return (out_ ? out_->send_queue_bytes() : 0) + (in_ ? in_->send_queue_bytes() : 0);
}

uint64_t Peer::fill_calls() const {
  return (out_ ? out_->fill_calls() : 0) + (in_ ? in_->fill_calls() : 0);
}

// ---- Sessions ------------------------------------------------------------------------------

std::shared_ptr<Session>& Peer::slot(const Session& s) {
  assert(out_.get() == &s || in_.get() == &s);
  return out_.get() == &s ? out_ : in_;
}

std::shared_ptr<Session>* Peer::other_slot(const Session& s) {
  if (out_.get() == &s) return &in_;
  if (in_.get() == &s) return &out_;
  return nullptr;
}

void Peer::close_session(std::shared_ptr<Session>& slot, std::optional<wire::NotificationMessage> n,
                         std::string_view reason) {
  auto s = std::move(slot);
  if (!s) return;
  if (n && s->connected() && s->state() >= State::OpenSent) {
    ++counters_.notifications_sent;
    ++counters_.notifications_sent_by_code[notification_key(*n)];
    counters_.last_notification_sent = n;
    counters_.messages.out[static_cast<uint8_t>(wire::MessageType::Notification)]++;
  }
  s->close(std::move(n), reason);
}

bool Peer::session_open(Session& s) {
  auto* other = other_slot(s);
  if (!other || !*other) return true;
  Session& o = **other;
  if (o.state() == State::Established) {
    if (cfg_.graceful_restart != GracefulRestartMode::Off && o.negotiated().peer_graceful_restart) {
      auto old = std::move(*other);
      old->close(std::nullopt, "peer restarted");
      CloseInfo info;
      info.reason = "peer restarted (new OPEN)";
      info.state = State::Established;
      went_down(*old, info, true);
      return true;
    }
    ++counters_.collisions;
    close_session(slot(s), cease(wire::subcode::kConnectionCollisionResolution),
                  "collision with an established session");
    return false;
  }
  if (o.state() != State::OpenConfirm) return true;
  // RFC 4271 6.8: keep the connection initiated by the higher BGP Identifier (RFC 6286 3: on a
  // tie, the higher AS number).
  uint32_t local = cfg_.router_id, remote = s.peer_open().bgp_id;
  bool close_outgoing =
      local < remote || (local == remote && cfg_.local_as < s.negotiated().peer_as);
  auto& loser = close_outgoing ? out_ : in_;
  bool self = loser.get() == &s;
  ++counters_.collisions;
  spdlog::info("{}: connection collision, closing the {} connection", cfg_.name,
               close_outgoing ? "outgoing" : "incoming");
  close_session(loser, cease(wire::subcode::kConnectionCollisionResolution),
                "connection collision");
  return !self;
}

void Peer::session_established(Session& s) {
  phase_ = Phase::Up;
  ++counters_.establishments;
  if (auto* other = other_slot(s); other && *other) {
    bool open = (*other)->state() >= State::OpenSent;
    close_session(
        *other,
        open ? std::optional(cease(wire::subcode::kConnectionCollisionResolution)) : std::nullopt,
        "another session is established");
  }
  s.set_export_source(export_);
  handler_.on_established(*this);
}

void Peer::session_update(Session&, const wire::UpdateMessage& m) {
  if (auto f = m.end_of_rib())
    handler_.on_end_of_rib(*this, *f);
  else
    handler_.on_update(*this, m);
}

void Peer::session_route_refresh(Session&, const wire::RouteRefreshMessage& m) {
  handler_.on_route_refresh(*this, m.afi_safi, m.subtype);
}

void Peer::record_error(const CloseInfo& info) {
  if (info.sent) {
    ++counters_.notifications_sent;
    ++counters_.notifications_sent_by_code[notification_key(*info.sent)];
    counters_.last_notification_sent = info.sent;
  }
  if (info.received) {
    ++counters_.notifications_received;
    ++counters_.notifications_received_by_code[notification_key(*info.received)];
    counters_.last_notification_received = info.received;
  }
  last_error_ = LastError{info.reason, info.sent, info.received, Clock::now()};
}

void Peer::session_closed(Session& s, const CloseInfo& info) {
  auto keep = slot(s);  // the Session outlives this call
  slot(s).reset();
  record_error(info);
  bool gr = false;
  if (info.state == State::Established) {
    // RFC 4724 4.2: TCP failure (or a silent peer) with a restart-capable peer.
    bool silent =
        !info.received && (!info.sent || info.sent->code == wire::ErrorCode::HoldTimerExpired);
    gr = silent && cfg_.graceful_restart != GracefulRestartMode::Off &&
         keep->negotiated().peer_graceful_restart &&
         keep->negotiated().peer_graceful_restart->restart_time > 0;
    went_down(*keep, info, gr);
  }
  if (phase_ == Phase::Down || phase_ == Phase::ErrorWait) return;
  if (out_ || in_) {  // the other session carries on
    if (!established()) phase_ = Phase::Start;
    return;
  }
  bool collision = is_cease(info.received, wire::subcode::kConnectionCollisionResolution);
  if (info.error && !gr && !collision) {
    enter_error_wait();
    return;
  }
  phase_ = Phase::Start;
  if (cfg_.passive) return;
  // RFC 4271 8.2.2: a connect that timed out already waited the connect retry time.
  if (info.connect_timeout)
    schedule_connect(Duration(0));
  else if (info.state == State::Established || collision)
    schedule_connect(cfg_.connect_delay_time);
  else
    schedule_connect(cfg_.connect_retry_time);
}

void Peer::went_down(const Session& s, const CloseInfo& info, bool peer_restarting) {
  DownInfo d;
  d.reason = info.reason;
  d.notification_sent = info.sent;
  d.notification_received = info.received;
  if (peer_restarting && s.negotiated().peer_graceful_restart) {
    const auto& g = *s.negotiated().peer_graceful_restart;
    for (const auto& f : g.families)
      if (s.negotiated().negotiated.family_negotiated(f.afi_safi))
        d.stale_families.push_back(f.afi_safi);
    d.keep_stale = !d.stale_families.empty();
    d.stale_time = std::chrono::seconds(g.restart_time);
  }
  if (!established()) phase_ = Phase::Start;
  spdlog::info("{}: session down: {}{}", cfg_.name, d.reason,
               d.keep_stale ? " (graceful restart: routes kept as stale)" : "");
  handler_.on_down(*this, d);
}

// ---- Timers --------------------------------------------------------------------------------

void Peer::schedule_connect(Duration delay) {
  ++connect_gen_;
  connect_timer_.expires_after(delay);
  connect_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_),
                             g = connect_gen_](const boost::system::error_code& ec) {
    if (ec || alive.expired() || g != connect_gen_) return;
    if (debug_ & conf::kDebugEvents) log::trace("{}: event: connect timer fired", cfg_.name);
    connect_now();
  });
}

void Peer::connect_now() {
  if (phase_ != Phase::Start || cfg_.passive || out_ || established()) return;
  out_ = std::make_shared<Session>(io_, cfg_, static_cast<SessionOwner&>(*this),
                                   Direction::Outgoing, make_local_open(cfg_, restarting_));
  out_->connect();
}

void Peer::enter_error_wait() {
  auto now = Clock::now();
  if (last_error_at_ && now - *last_error_at_ > cfg_.error_forget_time) error_wait_ = Duration(0);
  error_wait_ = error_wait_.count() == 0 ? cfg_.error_wait_min
                                         : std::min(error_wait_ * 2, cfg_.error_wait_max);
  last_error_at_ = now;
  phase_ = Phase::ErrorWait;
  spdlog::info("{}: error wait {} ms", cfg_.name, error_wait_.count());
  ++error_wait_gen_;
  error_wait_timer_.expires_after(error_wait_);
  error_wait_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_),
                                g = error_wait_gen_](const boost::system::error_code& ec) {
    if (ec || alive.expired() || g != error_wait_gen_) return;
    if (debug_ & conf::kDebugEvents) log::trace("{}: event: error wait over", cfg_.name);
    phase_ = Phase::Start;
    if (!cfg_.passive) schedule_connect(cfg_.connect_delay_time);
  });
}

}  // namespace rs::bgp
