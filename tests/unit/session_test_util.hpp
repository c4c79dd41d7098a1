// Helpers for the session tests: run the io_context until a condition holds (with a deadline,
// never a bare sleep), a recording PeerHandler, and a raw BGP speaker over a plain Asio socket
// that sends whatever bytes a test wants. Everything runs on the test's one io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <boost/asio.hpp>

#include "rs/bgp/listener.hpp"
#include "rs/bgp/peer.hpp"
#include "rs/bgp/socket_options.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/bgp/wire/open.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/bgp/wire/update_builder.hpp"

namespace rs::bgp::test {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline rib::IpAddress ip(std::string_view s) {
  return *rib::IpAddress::parse(s);
}
inline rib::Prefix pfx(std::string_view s) {
  return *rib::Prefix::parse(s);
}

// Runs the loop until pred() or the deadline; returns pred().
template <class Pred>
bool run_until(asio::io_context& io, Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() >= deadline) return pred();
    io.restart();
    io.run_for(5ms);
  }
  return true;
}
// Runs the loop for a while (to show that something does NOT happen).
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  auto deadline = Clock::now() + d;
  while (Clock::now() < deadline) {
    io.restart();
    io.run_for(5ms);
  }
}

inline std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  int hi = -1;
  for (char c : h) {
    int v = nib(c);
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// A whole message from a type and a body.
inline std::vector<uint8_t> message(wire::MessageType t, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  wire::encode_header(out, t, static_cast<uint16_t>(wire::kHeaderSize + body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Also the export source of the peer it handles (set when the session comes up).
struct RecordingHandler : PeerHandler, ExportSource {
  int established = 0;
  int downs = 0;
  std::vector<DownInfo> down_infos;
  std::vector<wire::Nlri> announced;
  std::vector<wire::Nlri> withdrawn;
  std::vector<wire::AfiSafi> end_of_ribs;
  std::vector<std::pair<wire::AfiSafi, uint8_t>> refreshes;
  uint64_t fill_calls = 0;
  uint64_t fill_bytes = 0;
  std::function<bool(Peer&, std::vector<uint8_t>&, std::size_t)> filler;

  Peer* peer = nullptr;
  void on_established(Peer& p) override {
    ++established;
    peer = &p;
    p.set_export_source(this);
  }
  int treat_as_withdraw = 0;
  void on_update(Peer&, const wire::UpdateMessage& m) override {
    if (m.treat_as_withdraw) {
      ++treat_as_withdraw;
      return;
    }
    announced.insert(announced.end(), m.nlri.begin(), m.nlri.end());
    if (m.mp_reach)
      announced.insert(announced.end(), m.mp_reach->nlri.begin(), m.mp_reach->nlri.end());
    withdrawn.insert(withdrawn.end(), m.withdrawn.begin(), m.withdrawn.end());
  }
  void on_end_of_rib(Peer&, wire::AfiSafi f) override { end_of_ribs.push_back(f); }
  void on_route_refresh(Peer&, wire::AfiSafi f, uint8_t subtype) override {
    refreshes.emplace_back(f, subtype);
  }
  void on_down(Peer&, const DownInfo& info) override {
    ++downs;
    down_infos.push_back(info);
  }
  bool fill(std::vector<uint8_t>& out, std::size_t budget) override {
    ++fill_calls;
    if (!filler || !peer) return false;
    std::size_t before = out.size();
    bool more = filler(*peer, out, budget);
    fill_bytes += out.size() - before;
    return more;
  }
};

// A config with short timers for tests.
inline PeerConfig test_config(std::string name, uint32_t local_as, uint32_t router_id,
                              rib::IpAddress neighbor, uint16_t port, uint32_t peer_as) {
  PeerConfig c;
  c.name = std::move(name);
  c.local_as = local_as;
  c.router_id = router_id;
  c.neighbor_address = neighbor;
  c.neighbor_port = port;
  c.peer_as = peer_as;
  c.connect_delay_time = 0ms;
  c.connect_retry_time = 1000ms;
  c.error_wait_min = 100ms;
  c.error_wait_max = 400ms;
  c.hold_time = 30;
  return c;
}

// A plain TCP BGP speaker driven byte by byte by the test.
class RawPeer {
 public:
  explicit RawPeer(asio::io_context& io) : io_(io), sock_(io) {}

  bool connect(const rib::IpAddress& to, uint16_t port, std::optional<rib::IpAddress> from = {},
               int rcvbuf = 0) {
    sock_ = asio::ip::tcp::socket(io_);
    if (open_and_bind(sock_, to.family(), from, 0)) return false;
    if (rcvbuf) sock_.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    bool done = false;
    boost::system::error_code result;
    sock_.async_connect(asio::ip::tcp::endpoint(to_asio(to), port),
                        [&](const boost::system::error_code& ec) { done = true, result = ec; });
    run_until(
        io_, [&] { return done; }, 3000ms);
    return done && !result;
  }
  void adopt(asio::ip::tcp::socket s) { sock_ = std::move(s); }

  bool send(const std::vector<uint8_t>& bytes) {
    bool done = false;
    boost::system::error_code result;
    asio::async_write(
        sock_, asio::buffer(bytes),
        [&](const boost::system::error_code& ec, std::size_t) { done = true, result = ec; });
    run_until(
        io_, [&] { return done; }, 3000ms);
    return done && !result;
  }

  // The next whole message (header included); nullopt on EOF, error or timeout.
  std::optional<std::vector<uint8_t>> read(std::chrono::milliseconds limit = 3000ms) {
    auto deadline = Clock::now() + limit;
    while (true) {
      if (buf_.size() >= wire::kHeaderSize) {
        std::size_t len = std::size_t{buf_[16]} << 8 | buf_[17];
        if (len < wire::kHeaderSize) return std::nullopt;
        if (buf_.size() >= len) {
          std::vector<uint8_t> m(buf_.begin(), buf_.begin() + static_cast<long>(len));
          buf_.erase(buf_.begin(), buf_.begin() + static_cast<long>(len));
          return m;
        }
      }
      if (eof_ || Clock::now() >= deadline) return std::nullopt;
      read_some(deadline);
    }
  }
  // The next message of `type`, skipping others (KEEPALIVEs usually).
  std::optional<std::vector<uint8_t>> read_type(wire::MessageType type,
                                                std::chrono::milliseconds limit = 3000ms) {
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      auto m = read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!m) return std::nullopt;
      if ((*m)[18] == static_cast<uint8_t>(type)) return m;
    }
    return std::nullopt;
  }
  // Reads until EOF; returns true when the peer closed, with every message seen in `seen`.
  bool wait_closed(std::chrono::milliseconds limit = 3000ms,
                   std::vector<std::vector<uint8_t>>* seen = nullptr) {
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      auto m = read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (m) {
        if (seen) seen->push_back(*m);
        continue;
      }
      if (eof_) return true;
    }
    return eof_;
  }
  bool eof() const { return eof_; }

  // The NOTIFICATION the session sent before closing (skipping OPEN/KEEPALIVE).
  std::optional<wire::NotificationMessage> notification(std::chrono::milliseconds limit = 3000ms) {
    auto m = read_type(wire::MessageType::Notification, limit);
    if (!m) return std::nullopt;
    auto d = wire::decode_notification(wire::Bytes(*m).subspan(wire::kHeaderSize));
    return d.message;
  }

  // OPEN + KEEPALIVE exchange as a well-behaved speaker; returns the session's OPEN.
  std::optional<wire::OpenMessage> handshake(const wire::OpenMessage& mine) {
    auto theirs = read_type(wire::MessageType::Open);
    if (!theirs) return std::nullopt;
    std::vector<uint8_t> out;
    wire::encode_open(mine, out);
    wire::encode_keepalive(out);
    if (!send(out)) return std::nullopt;
    if (!read_type(wire::MessageType::Keepalive)) return std::nullopt;
    auto o = wire::decode_open(wire::Bytes(*theirs).subspan(wire::kHeaderSize));
    if (!o) return std::nullopt;
    return o.value();
  }

  void close() {
    boost::system::error_code ec;
    sock_.close(ec);
  }
  asio::ip::tcp::socket& socket() { return sock_; }

 private:
  void read_some(Clock::time_point deadline) {
    bool done = false;
    std::array<uint8_t, 65536> tmp;
    sock_.async_read_some(
        asio::buffer(tmp), [&](const boost::system::error_code& ec, std::size_t n) {
          done = true;
          if (ec) {
            if (ec != asio::error::operation_aborted) eof_ = true;
            return;
          }
          buf_.insert(buf_.end(), tmp.begin(), tmp.begin() + static_cast<long>(n));
        });
    run_until(
        io_, [&] { return done; },
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::max(deadline - Clock::now(), Clock::duration(0))));
    if (!done) {
      sock_.cancel();
      run_until(
          io_, [&] { return done; }, 1000ms);
    }
  }

  asio::io_context& io_;
  asio::ip::tcp::socket sock_;
  std::vector<uint8_t> buf_;
  bool eof_ = false;
};

// Accepts raw connections for tests where the Peer connects out.
class RawListener {
 public:
  RawListener(asio::io_context& io, const rib::IpAddress& addr) : io_(io), acc_(io) {
    asio::ip::tcp::endpoint ep(to_asio(addr), 0);
    acc_.open(ep.protocol());
    acc_.set_option(asio::socket_base::reuse_address(true));
    acc_.bind(ep);
    acc_.listen(16);
  }
  uint16_t port() const { return acc_.local_endpoint().port(); }
  std::optional<asio::ip::tcp::socket> accept(std::chrono::milliseconds limit = 3000ms) {
    std::optional<asio::ip::tcp::socket> result;
    bool done = false;
    acc_.async_accept([&](const boost::system::error_code& ec, asio::ip::tcp::socket s) {
      done = true;
      if (!ec) result = std::move(s);
    });
    run_until(
        io_, [&] { return done; }, limit);
    if (!done) {
      acc_.cancel();
      run_until(
          io_, [&] { return done; }, 1000ms);
    }
    return result;
  }

 private:
  asio::io_context& io_;
  asio::ip::tcp::acceptor acc_;
};

inline wire::OpenMessage raw_open(uint32_t as, uint32_t id, uint16_t hold = 90) {
  wire::OpenMessage o;
  o.set_as(as);
  o.hold_time = hold;
  o.bgp_id = id;
  o.caps.multiprotocol = {wire::kIpv4Unicast};
  o.caps.route_refresh = true;
  return o;
}

}  // namespace rs::bgp::test
