// The BGP speaker session of the benchmark tools. One io_context thread. Reads go into one growing
// buffer framed in place (wire::Framer); writes gather up to 64 queued chunks per write_some, so a
// pre-encoded stream of megabytes goes out as fast as the socket takes it and many small UPDATEs
// (churn) do not cost one syscall each. TCP_NODELAY is set: latency figures must measure the
// route server, not Nagle in the tool (RFC 4271 does not care; the measurement does).
#include "tests/tools/bgp_tool.hpp"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <unistd.h>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/open.hpp"

namespace rs::bench {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

rib::IpAddress feeder_address(unsigned i) {
  return rib::IpAddress::v4((127u << 24) | (1u << 16) | ((i / 250) << 8) | (i % 250 + 1));
}
rib::IpAddress edge_address(unsigned e) {
  return rib::IpAddress::v4((127u << 24) | (2u << 16) | (e + 1));
}

int64_t Plan::index_of(const rib::Prefix& p) const {
  if (!p.is_v4() || p.length() != length) return -1;
  uint32_t a = p.address().v4_value();
  if (a < base) return -1;
  uint64_t j = (uint64_t{a} - base) >> (32 - length);
  return j < prefixes ? static_cast<int64_t>(j) : -1;
}

uint32_t parse_v4(const std::string& s) {
  auto a = rib::IpAddress::parse(s);
  if (!a || !a->is_v4()) {
    std::fprintf(stderr, "not an IPv4 address: %s\n", s.c_str());
    std::exit(2);
  }
  return a->v4_value();
}

std::string format_v4(uint32_t v) {
  return rib::IpAddress::v4(v).to_string();
}

void emit(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vprintf(fmt, ap);
  va_end(ap);
  std::fflush(stdout);
}

namespace {
asio::ip::address to_asio(const rib::IpAddress& a) {
  return asio::ip::make_address(a.to_string());
}
}  // namespace

// ---- Session --------------------------------------------------------------------------------

Session::Session(asio::io_context& io, SessionConfig cfg, Handler h, unsigned id)
    : io_(io),
      cfg_(cfg),
      h_(std::move(h)),
      id_(id),
      sock_(io),
      retry_timer_(io),
      keepalive_timer_(io) {
  rx_.resize(1 << 16);
}

void Session::start_active() {
  active_ = true;
  connect_started_ns_ = now_ns();
  do_connect();
}

void Session::do_connect() {
  state_ = State::Connecting;
  boost::system::error_code ec;
  sock_ = tcp::socket(io_);
  sock_.open(cfg_.target.protocol(), ec);
  if (!ec) sock_.set_option(tcp::socket::reuse_address(true), ec);
  if (!ec) sock_.bind(tcp::endpoint(to_asio(cfg_.local), 0), ec);
  if (ec) {
    fail("bind " + cfg_.local.to_string() + ": " + ec.message());
    return;
  }
  uint64_t g = ++gen_;
  sock_.async_connect(cfg_.target, [this, g](const boost::system::error_code& e) {
    if (g != gen_) return;
    if (e) {
      ++connect_errors_;
      boost::system::error_code ignore;
      sock_.close(ignore);
      retry_timer_.expires_after(std::chrono::milliseconds(cfg_.retry_ms));
      retry_timer_.async_wait([this, g](const boost::system::error_code& te) {
        if (!te && g == gen_) do_connect();
      });
      return;
    }
    on_connected();
  });
}

void Session::start_passive(tcp::socket s) {
  active_ = false;
  sock_ = std::move(s);
  connect_started_ns_ = now_ns();
  on_connected();
}

void Session::on_connected() {
  boost::system::error_code ec;
  sock_.set_option(tcp::no_delay(true), ec);
  sock_.set_option(asio::socket_base::receive_buffer_size(1 << 20), ec);
  state_ = State::OpenSent;
  wire::OpenMessage open;
  open.set_as(cfg_.local_as);
  open.hold_time = cfg_.hold_time;
  open.bgp_id = cfg_.bgp_id;
  open.caps.multiprotocol = {wire::kIpv4Unicast};
  open.caps.route_refresh = true;
  std::vector<uint8_t> out;
  wire::encode_open(open, out);
  send_owned(std::move(out));
  read_more();
  if (active_ && cfg_.open_timeout_ms > 0) arm_open_timeout();
}

// No OPEN within open_timeout_ms and our OPEN still unacknowledged (SIOCOUTQ > 0): the server's
// accept queue overflowed and dropped our handshake ACK, so the socket looks connected but the
// server never accepted it. Reconnect, as a speaker's ConnectRetry timer would, only sooner. A
// server that acknowledged the OPEN (the connection is in its queue) is only slow: keep waiting.
void Session::arm_open_timeout() {
  retry_timer_.expires_after(std::chrono::milliseconds(cfg_.open_timeout_ms));
  retry_timer_.async_wait([this, g = gen_](const boost::system::error_code& e) {
    if (e || g != gen_ || state_ != State::OpenSent) return;
    int unacked = 0;
    if (::ioctl(sock_.native_handle(), SIOCOUTQ, &unacked) == 0 && unacked == 0) {
      arm_open_timeout();
      return;
    }
    fail("no OPEN received and our OPEN not acknowledged");
  });
}

void Session::read_more() {
  if (rx_.size() - rx_len_ < (1 << 15)) rx_.resize(rx_.size() * 2);
  sock_.async_read_some(asio::buffer(rx_.data() + rx_len_, rx_.size() - rx_len_),
                        [this, g = gen_](const boost::system::error_code& e, std::size_t n) {
                          if (g != gen_) return;
                          if (e) {
                            if (state_ != State::Down) fail("read: " + e.message());
                            return;
                          }
                          rx_len_ += n;
                          handle(now_ns());
                          if (state_ != State::Down) read_more();
                        });
}

void Session::handle(int64_t t) {
  wire::HeaderLimits limits;
  limits.extended_message = false;
  wire::Framer f(Bytes(rx_.data(), rx_len_), limits);
  for (;;) {
    wire::Frame m = f.next();
    if (m.status == wire::FrameStatus::NeedMore) break;
    if (m.status == wire::FrameStatus::Error) {
      fail("framing: " + m.error.reason);
      return;
    }
    switch (m.header.type) {
      case wire::MessageType::Open: {
        auto o = wire::decode_open(m.body);
        if (!o.ok()) {
          fail("bad OPEN: " + o.error().reason);
          return;
        }
        peer_as_ = o->effective_as();
        hold_ = std::min<uint16_t>(cfg_.hold_time, o->hold_time);
        std::vector<uint8_t> ka;
        wire::encode_keepalive(ka);
        send_owned(std::move(ka));
        state_ = State::OpenConfirm;
        break;
      }
      case wire::MessageType::Keepalive:
        if (state_ == State::OpenConfirm) {
          state_ = State::Established;
          established_ns_ = now_ns();
          arm_keepalive();
          if (h_.on_established) h_.on_established(*this);
        }
        break;
      case wire::MessageType::Update:
        if (state_ == State::Established && h_.on_update) h_.on_update(*this, m.body, t);
        break;
      case wire::MessageType::Notification: {
        auto n = wire::decode_notification(m.body);
        fail("NOTIFICATION received: " + wire::describe(n.message));
        return;
      }
      case wire::MessageType::RouteRefresh:
        break;
    }
  }
  std::size_t used = f.consumed();
  if (used > 0) {
    std::memmove(rx_.data(), rx_.data() + used, rx_len_ - used);
    rx_len_ -= used;
  }
}

void Session::arm_keepalive() {
  if (hold_ == 0) return;
  keepalive_timer_.expires_after(std::chrono::seconds(std::max(1, hold_ / 3)));
  keepalive_timer_.async_wait([this, g = gen_](const boost::system::error_code& e) {
    if (e || g != gen_ || state_ != State::Established) return;
    // Keepalives only while idle: a queued UPDATE resets the peer's hold timer anyway.
    if (tx_.empty()) {
      std::vector<uint8_t> ka;
      wire::encode_keepalive(ka);
      send_owned(std::move(ka));
    }
    arm_keepalive();
  });
}

void Session::send_view(Bytes b) {
  if (b.empty() || state_ == State::Down) return;
  tx_.push_back(Chunk{{}, b});
  tx_bytes_ += b.size();
  write_more();
}

void Session::send_owned(std::vector<uint8_t> b) {
  if (b.empty() || state_ == State::Down) return;
  tx_bytes_ += b.size();
  tx_.push_back(Chunk{std::move(b), {}});
  tx_.back().view = Bytes(tx_.back().owned);
  write_more();
}

void Session::write_more() {
  if (writing_ || tx_.empty() || state_ == State::Down || state_ == State::Connecting) return;
  bufs_.clear();
  for (auto it = tx_.begin(); it != tx_.end() && bufs_.size() < 64; ++it) {
    Bytes v = it->view;
    if (it == tx_.begin()) v = v.subspan(tx_offset_);
    bufs_.emplace_back(v.data(), v.size());
  }
  writing_ = true;
  sock_.async_write_some(bufs_,
                         [this, g = gen_](const boost::system::error_code& e, std::size_t n) {
                           if (g != gen_) return;
                           writing_ = false;
                           if (e) {
                             if (state_ != State::Down) fail("write: " + e.message());
                             return;
                           }
                           tx_bytes_ -= n;
                           while (n > 0) {
                             std::size_t left = tx_.front().view.size() - tx_offset_;
                             if (n >= left) {
                               n -= left;
                               tx_.pop_front();
                               tx_offset_ = 0;
                             } else {
                               tx_offset_ += n;
                               n = 0;
                             }
                           }
                           if (tx_.empty()) {
                             if (on_tx_drained) on_tx_drained(*this);
                           } else {
                             write_more();
                           }
                         });
}

void Session::fail(const std::string& why) {
  if (state_ == State::Down) return;
  bool was_established = state_ == State::Established;
  if (was_established) ++resets_;
  ++gen_;  // handlers of this connection are now stale
  writing_ = false;
  boost::system::error_code ec;
  sock_.close(ec);
  retry_timer_.cancel();
  keepalive_timer_.cancel();
  tx_.clear();
  tx_offset_ = 0;
  tx_bytes_ = 0;
  rx_len_ = 0;
  // A connection the peer refused or closed before Established (e.g. BIRD resets connects for a
  // protocol that is not ready yet) is retried like a refused connect; a session that was up
  // stays down (the benchmark reports it).
  if (active_ && !was_established) {
    ++connect_errors_;
    state_ = State::Connecting;
    retry_timer_.expires_after(std::chrono::milliseconds(cfg_.retry_ms));
    retry_timer_.async_wait([this, g = gen_](const boost::system::error_code& te) {
      if (!te && g == gen_) do_connect();
    });
    return;
  }
  state_ = State::Down;
  if (h_.on_down) h_.on_down(*this, why);
}

// ---- CommandReader --------------------------------------------------------------------------

CommandReader::CommandReader(asio::io_context& io, std::function<void(const std::string&)> f)
    : in_(io, ::dup(0)), on_line_(std::move(f)) {}

void CommandReader::start() {
  read();
}

void CommandReader::read() {
  asio::async_read_until(in_, buf_, '\n', [this](const boost::system::error_code& e, std::size_t) {
    if (e) {
      on_line_("quit");
      return;
    }
    std::istream is(&buf_);
    std::string line;
    std::getline(is, line);
    on_line_(line);
    read();
  });
}

}  // namespace rs::bench
