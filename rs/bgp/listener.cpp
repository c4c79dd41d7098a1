// Accepting BGP connections. The acceptor is opened by hand so the backlog is explicit (BIRD's
// 8 drops connects when hundreds of nodes reconnect at once). TCP-MD5 keys live on the listening
// socket, one per configured neighbour or range, so the kernel accepts only signed SYNs from them
// (RFC 2385); accepted sockets inherit them.
#include "rs/bgp/listener.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/write.hpp>

#include "rs/bgp/peer.hpp"
#include "rs/bgp/socket_options.hpp"
#include "rs/bgp/wire/messages.hpp"

namespace rs::bgp {

namespace asio = boost::asio;

Listener::Listener(asio::io_context& io) : io_(io), acceptor_(io) {}

Listener::~Listener() {
  close();
}

std::error_code Listener::listen(const rib::IpAddress& address, uint16_t port, int backlog) {
  auto to_std = [](const boost::system::error_code& ec) {
    return std::error_code(ec.value(), std::generic_category());
  };
  boost::system::error_code ec;
  asio::ip::tcp::endpoint ep(to_asio(address), port);
  acceptor_.open(ep.protocol(), ec);
  if (ec) return to_std(ec);
  int fd = acceptor_.native_handle();
  if (auto e = set_reuse_address(fd)) return e;
  if (address.is_v6())
    if (auto e = set_v6_only(fd, true)) return e;
  acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(backlog, ec);
  if (ec) {
    boost::system::error_code ignore;
    acceptor_.close(ignore);
    return to_std(ec);
  }
  address_ = address;
  port_ = acceptor_.local_endpoint(ec).port();
  // Keys of neighbours added before listen().
  for (const auto& [addr, peer] : peers_)
    if (!peer->config().password.empty())
      if (auto e = set_md5_key(fd, addr, peer->config().password))
        spdlog::error("{}: TCP-MD5 key on listener: {}", peer->name(), e.message());
  for (auto& r : ranges_)
    if (!r.password.empty())
      if (auto e = set_md5_key(fd, r.prefix.address(), r.password, r.prefix.length()))
        spdlog::error("TCP-MD5 key for {} on listener: {}", r.prefix.to_string(), e.message());
  spdlog::info("listening on {} port {}", address.to_string(), port_);
  start_accept();
  return {};
}

void Listener::close() {
  boost::system::error_code ec;
  if (acceptor_.is_open()) acceptor_.close(ec);
}

void Listener::add_peer(Peer& p) {
  const auto& addr = p.config().neighbor_address;
  peers_.emplace(addr, &p);
  if (acceptor_.is_open() && !p.config().password.empty())
    if (auto e = set_md5_key(acceptor_.native_handle(), addr, p.config().password))
      spdlog::error("{}: TCP-MD5 key on listener: {}", p.name(), e.message());
}

bool Listener::key_still_needed(const rib::IpAddress& remote, const Peer* except) const {
  // Another Peer of this address (other local address) or a range with its own key.
  auto [b, e] = peers_.equal_range(remote);
  for (auto it = b; it != e; ++it)
    if (it->second != except && !it->second->config().password.empty()) return true;
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const Range& r) {
    return !r.password.empty() && r.prefix.contains(remote);
  });
}

void Listener::remove_peer(Peer& p) {
  const auto& addr = p.config().neighbor_address;
  auto [b, e] = peers_.equal_range(addr);
  auto it = std::find_if(b, e, [&](const auto& kv) { return kv.second == &p; });
  if (it == e) return;
  peers_.erase(it);
  if (acceptor_.is_open() && !p.config().password.empty() && !key_still_needed(addr, &p))
    (void)set_md5_key(acceptor_.native_handle(), addr, "");
}

void Listener::add_range(const rib::Prefix& range, SpawnFn spawn, std::string password,
                         std::optional<rib::IpAddress> local) {
  remove_range(range, local);
  if (acceptor_.is_open() && !password.empty())
    if (auto e = set_md5_key(acceptor_.native_handle(), range.address(), password, range.length()))
      spdlog::error("TCP-MD5 key for {} on listener: {}", range.to_string(), e.message());
  ranges_.push_back(Range{range, std::move(spawn), std::move(password), local});
  std::stable_sort(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) {
    return a.prefix.length() > b.prefix.length();
  });
}

void Listener::remove_range(const rib::Prefix& range, std::optional<rib::IpAddress> local) {
  auto it = std::find_if(ranges_.begin(), ranges_.end(),
                         [&](const Range& r) { return r.prefix == range && r.local == local; });
  if (it == ranges_.end()) return;
  const bool keyed = !it->password.empty();
  ranges_.erase(it);
  const bool shared = std::any_of(ranges_.begin(), ranges_.end(), [&](const Range& r) {
    return r.prefix == range && !r.password.empty();
  });
  if (acceptor_.is_open() && keyed && !shared)
    (void)set_md5_key(acceptor_.native_handle(), range.address(), "", range.length());
}

Peer* Listener::find_peer(const rib::IpAddress& remote, const rib::IpAddress& local) const {
  auto [b, e] = peers_.equal_range(remote);
  for (auto it = b; it != e; ++it)
    if (local_matches(it->second->config().local_address, local)) return it->second;
  return nullptr;
}

void Listener::start_accept() {
  acceptor_.async_accept([this, alive = std::weak_ptr<int>(alive_)](
                             const boost::system::error_code& ec, asio::ip::tcp::socket sock) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    if (!acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and friends: log and keep accepting.
      spdlog::warn("accept on {} port {}: {}", address_.to_string(), port_, ec.message());
    } else {
      dispatch(std::move(sock));
    }
    start_accept();
  });
}

void Listener::dispatch(asio::ip::tcp::socket sock) {
  boost::system::error_code ec;
  auto ep = sock.remote_endpoint(ec);
  if (ec) return;  // already gone
  rib::IpAddress remote = from_asio(ep.address());
  auto lep = sock.local_endpoint(ec);
  if (ec) return;
  // A connection to a local address the protocol does not use is not its connection (BIRD
  // matches the local address of incoming connections the same way).
  rib::IpAddress local = from_asio(lep.address());
  if (Peer* p = find_peer(remote, local)) {
    ++accepted_;
    p->accept(std::move(sock));
    return;
  }
  for (auto& r : ranges_) {
    if (r.prefix.family() != remote.family() || !r.prefix.contains(remote)) continue;
    if (!local_matches(r.local, local)) continue;
    Peer* p = r.spawn(remote);
    if (!p) break;
    peers_.emplace(remote, p);
    ++accepted_;
    p->accept(std::move(sock));
    return;
  }
  reject(std::move(sock), remote);
}

void Listener::reject(asio::ip::tcp::socket sock, const rib::IpAddress& remote) {
  ++rejected_;
  spdlog::warn("unexpected connect from unknown address {}", remote.to_string());
  boost::system::error_code ec;
  if (reject_with_cease_) {
    // Best effort, without blocking the loop: a 21-byte message fits any socket buffer.
    std::vector<uint8_t> msg;
    wire::encode_notification(
        wire::NotificationMessage{wire::ErrorCode::Cease, wire::subcode::kConnectionRejected, {}},
        msg);
    sock.non_blocking(true, ec);
    sock.write_some(asio::buffer(msg), ec);
  }
  sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

}  // namespace rs::bgp
