// Listener: one TCP acceptor per local address:port (listen backlog 1024, docs/architecture.md
// "Sockets"), handing each accepted connection to the Peer configured for the remote address.
// As in BIRD, the acceptor is bound to the wildcard address unless `strict bind` is on, so the
// connection's local address is matched too: a Peer (or range) with a local address takes only
// connections made to that address. Exact neighbour addresses are matched first, then dynamic
// `neighbor range` prefixes (longest first), for which a callback asks the owner to spawn a Peer
// (the owner names it, as BIRD names spawned protocols after their template). Connections from
// unknown addresses are closed, as BIRD does ("Unexpected connect from unknown address");
// optionally with Cease 5 first.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "rib/prefix.hpp"

namespace rs::bgp {

class Peer;

class Listener {
 public:
  // Returns the Peer for a new neighbour in a range (already started), or nullptr to refuse.
  // The Listener registers the returned Peer as if add_peer() had been called.
  using SpawnFn = std::function<Peer*(const rib::IpAddress& remote)>;

  static constexpr int kBacklog = 1024;

  explicit Listener(boost::asio::io_context& io);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds address:port (port 0: any free port, see port()) with SO_REUSEADDR; an IPv6 wildcard
  // listener is IPv6 only (V6ONLY), so 0.0.0.0 needs its own Listener.
  [[nodiscard]] std::error_code listen(const rib::IpAddress& address, uint16_t port,
                                       int backlog = kBacklog);
  void close();
  uint16_t port() const { return port_; }
  const rib::IpAddress& address() const { return address_; }

  // Configured neighbours; their TCP-MD5 keys are installed on the listening socket. A Peer
  // takes connections made to its PeerConfig::local_address (any, when unset).
  // A Peer must be removed before it is destroyed.
  void add_peer(Peer& p);
  void remove_peer(Peer& p);
  // Dynamic neighbours (`neighbor range`); `password` keys the whole range (TCP_MD5SIG_EXT);
  // `local`: only connections made to this address (BIRD's `local ADDRESS` of the protocol).
  void add_range(const rib::Prefix& range, SpawnFn spawn, std::string password = {},
                 std::optional<rib::IpAddress> local = {});
  void remove_range(const rib::Prefix& range, std::optional<rib::IpAddress> local = {});
  // Send Cease / Connection Rejected (6/5) to unknown addresses before closing (default: no,
  // as BIRD).
  void set_reject_with_cease(bool on) { reject_with_cease_ = on; }

  uint64_t accepted() const { return accepted_; }
  uint64_t rejected() const { return rejected_; }

 private:
  struct Range {
    rib::Prefix prefix;
    SpawnFn spawn;
    std::string password;
    std::optional<rib::IpAddress> local;
  };
  static bool local_matches(const std::optional<rib::IpAddress>& want,
                            const rib::IpAddress& local) {
    return !want || *want == local;
  }
  Peer* find_peer(const rib::IpAddress& remote, const rib::IpAddress& local) const;
  bool key_still_needed(const rib::IpAddress& remote, const Peer* except) const;
  void start_accept();
  void dispatch(boost::asio::ip::tcp::socket sock);
  void reject(boost::asio::ip::tcp::socket sock, const rib::IpAddress& remote);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  rib::IpAddress address_;
  uint16_t port_ = 0;
  // Several Peers may share a remote address when their local addresses differ.
  std::unordered_multimap<rib::IpAddress, Peer*, rib::IpAddressHash> peers_;
  std::vector<Range> ranges_;  // longest prefix first
  bool reject_with_cease_ = false;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rs::bgp
