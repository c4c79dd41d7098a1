// Shared by the benchmark tools (bgp_blaster, bgp_sink): the clock, the workload plan both sides
// agree on (which prefixes, which MED each feeder gives each prefix, which feeder is therefore
// best), the loopback address plan, and a minimal BGP speaker session over Boost.Asio that uses
// the project's codec (rs/bgp/wire) for OPEN, KEEPALIVE, NOTIFICATION and framing.
//
// These are test tools, not daemon code: one thread, no FSM beyond what a load generator needs
// (connect, OPEN, KEEPALIVE, Established, keepalives while idle, close on NOTIFICATION).
#pragma once

// <utility> first, in its own block: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "rib/prefix.hpp"
#include "rs/bgp/wire/bytes.hpp"
#include "rs/bgp/wire/types.hpp"

namespace rs::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
namespace wire = rs::bgp::wire;
using wire::Bytes;

// CLOCK_MONOTONIC in nanoseconds: comparable between the blaster and the sink on one machine.
int64_t now_ns();

// Loopback address plan (127.0.0.0/8 is routed to lo, any address in it can be bound):
// feeder i -> 127.1.(i / 250).(i % 250 + 1), edge e -> 127.2.0.(e + 1).
rib::IpAddress feeder_address(unsigned i);
rib::IpAddress edge_address(unsigned e);

// The workload: `prefixes` prefixes of length `length` starting at `base`, consecutive (prefix j
// = base + j * 2^(32 - length)); feeder i announces prefix j with MED
//   100 + ((i + j + phase) mod med_mod)          (W1: med_mod = feeders = 10; W3: 200 or 1,000)
// plus `churn_step` when the churn toggled it. The probe prefix (W4) is outside the range.
struct Plan {
  unsigned feeders = 10;
  uint32_t prefixes = 100000;
  uint8_t length = 24;
  uint32_t base = 0x10000000;  // 16.0.0.0
  unsigned med_mod = 10;
  uint32_t probe = 0x0F000000;  // 15.0.0.0/24 (same length as the plan)

  uint32_t med(unsigned feeder, uint32_t j, unsigned phase) const {
    return 100 + static_cast<uint32_t>((feeder + j + phase) % med_mod);
  }
  uint32_t address_of(uint32_t j) const { return base + (j << (32 - length)); }
  rib::Prefix prefix(uint32_t j) const {
    return rib::Prefix(rib::IpAddress::v4(address_of(j)), length);
  }
  // Index of a prefix of the plan, or -1.
  int64_t index_of(const rib::Prefix& p) const;
  rib::Prefix probe_prefix() const { return rib::Prefix(rib::IpAddress::v4(probe), length); }
};

// Parses "16.0.0.0" into a host-order IPv4 value; exits with a message when it is not one.
uint32_t parse_v4(const std::string& s);
std::string format_v4(uint32_t v);

// ---- A BGP speaker session ------------------------------------------------------------------

struct SessionConfig {
  rib::IpAddress local;  // bound before connecting (active) / expected (passive: unused)
  tcp::endpoint target;  // active: where to connect
  uint32_t local_as = 65001;
  uint32_t bgp_id = 0;
  uint16_t hold_time = 90;
  int retry_ms = 200;          // active: reconnect delay after a failed connect
  int open_timeout_ms = 1000;  // active: reconnect when no OPEN came within this (0: never)
};

class Session {
 public:
  enum class State : uint8_t { Idle, Connecting, OpenSent, OpenConfirm, Established, Down };

  struct Handler {
    std::function<void(Session&)> on_established;
    // body of one UPDATE (after the header) and the time the read that brought it completed
    std::function<void(Session&, Bytes, int64_t)> on_update;
    std::function<void(Session&, const std::string&)> on_down;
  };

  Session(asio::io_context& io, SessionConfig cfg, Handler h, unsigned id);
  // Active: bind cfg.local, connect to cfg.target (retrying while refused).
  void start_active();
  // Passive: take an accepted socket.
  void start_passive(tcp::socket s);

  // Queue bytes that outlive the session (pre-encoded streams): not copied.
  void send_view(Bytes b);
  // Queue bytes owned by the queue.
  void send_owned(std::vector<uint8_t> b);
  bool idle_tx() const { return tx_.empty(); }
  std::size_t tx_queued_bytes() const { return tx_bytes_; }

  State state() const { return state_; }
  bool established() const { return state_ == State::Established; }
  unsigned id() const { return id_; }
  const SessionConfig& config() const { return cfg_; }
  uint32_t peer_as() const { return peer_as_; }
  int64_t connect_started_ns() const { return connect_started_ns_; }
  int64_t established_ns() const { return established_ns_; }
  unsigned connect_errors() const { return connect_errors_; }
  unsigned resets() const { return resets_; }
  // Called when every queued byte has been handed to the kernel.
  std::function<void(Session&)> on_tx_drained;

 private:
  void do_connect();
  void on_connected();
  void read_more();
  void handle(int64_t t);
  void write_more();
  void fail(const std::string& why);
  void arm_keepalive();
  void arm_open_timeout();

  struct Chunk {
    std::vector<uint8_t> owned;
    Bytes view;
  };

  asio::io_context& io_;
  SessionConfig cfg_;
  Handler h_;
  unsigned id_;
  tcp::socket sock_;
  asio::steady_timer retry_timer_;
  asio::steady_timer keepalive_timer_;
  State state_ = State::Idle;
  bool active_ = true;
  std::vector<uint8_t> rx_;
  std::size_t rx_len_ = 0;
  std::deque<Chunk> tx_;
  std::vector<asio::const_buffer> bufs_;
  std::size_t tx_offset_ = 0;  // into tx_.front()
  std::size_t tx_bytes_ = 0;
  bool writing_ = false;
  uint64_t gen_ = 0;  // bumped per connection attempt: stale handlers return
  uint16_t hold_ = 90;
  uint32_t peer_as_ = 0;
  int64_t connect_started_ns_ = 0;
  int64_t established_ns_ = 0;
  unsigned connect_errors_ = 0;
  unsigned resets_ = 0;
};

// A line-oriented command reader on stdin (the control channel of both tools).
class CommandReader {
 public:
  CommandReader(asio::io_context& io, std::function<void(const std::string&)> on_line);
  void start();

 private:
  void read();
  asio::posix::stream_descriptor in_;
  asio::streambuf buf_;
  std::function<void(const std::string&)> on_line_;
};

// printf to stdout and flush (the driver reads line by line).
void emit(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace rs::bench
