// Session timers (hold, keepalive, send hold). They restart cheaply: each message stamps a time,
// and a timer re-arms itself at expiry when the stamp says time remains, so a busy session does no
// timer work per message.
#include "rs/bgp/session.hpp"

namespace rs::bgp {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

void Session::arm_hold(milliseconds d) {
  ++hold_gen_;
  hold_time_ = d;
  last_rx_ = Clock::now();
  if (d.count() == 0) {
    hold_timer_.cancel();
    return;
  }
  hold_timer_.expires_after(d);
  wait_hold();
}

void Session::wait_hold() {
  hold_timer_.async_wait(
      [self = shared_from_this(), g = hold_gen_](const boost::system::error_code& ec) {
        if (ec || g != self->hold_gen_ || self->state_ == State::Idle) return;
        auto due = self->last_rx_ + self->hold_time_;
        if (Clock::now() < due) {
          self->hold_timer_.expires_at(due);
          self->wait_hold();
          return;
        }
        self->fsm(Event::HoldTimerExpired);
      });
}

void Session::arm_keepalive() {
  ++keepalive_gen_;
  if (keepalive_interval_.count() == 0) return;
  keepalive_timer_.expires_after(keepalive_interval_);
  keepalive_timer_.async_wait(
      [self = shared_from_this(), g = keepalive_gen_](const boost::system::error_code& ec) {
        if (ec || g != self->keepalive_gen_) return;
        self->fsm(Event::KeepaliveTimerExpired);
      });
}

void Session::arm_send_hold() {
  if (send_hold_armed_ || closing_) return;
  uint16_t hold = state_ >= State::OpenConfirm ? negotiated_.hold_time : cfg_.hold_time;
  send_hold_time_ = std::chrono::duration_cast<milliseconds>(cfg_.effective_send_hold_time(hold));
  if (send_hold_time_.count() == 0) return;
  send_hold_armed_ = true;
  last_tx_ = Clock::now();
  ++send_hold_gen_;
  send_hold_timer_.expires_after(send_hold_time_);
  wait_send_hold();
}

void Session::wait_send_hold() {
  send_hold_timer_.async_wait(
      [self = shared_from_this(), g = send_hold_gen_](const boost::system::error_code& ec) {
        if (ec || g != self->send_hold_gen_ || self->state_ == State::Idle) return;
        auto due = self->last_tx_ + self->send_hold_time_;
        if (Clock::now() < due) {
          self->send_hold_timer_.expires_at(due);
          self->wait_send_hold();
          return;
        }
        self->fsm(Event::SendHoldTimerExpired);
      });
}

}  // namespace rs::bgp
