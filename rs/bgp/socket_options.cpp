// Socket options for BGP sessions. Thin wrappers over setsockopt(2); Linux specifics (TCP_MD5SIG,
// IP_MINTTL, IPV6_MINHOPCOUNT) are used directly because Asio does not know them.
#include "rs/bgp/socket_options.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rs::bgp {

namespace asio = boost::asio;

asio::ip::address to_asio(const rib::IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4_value());
  asio::ip::address_v6::bytes_type b;
  a.to_bytes(b.data());
  return asio::ip::address_v6(b);
}

rib::IpAddress from_asio(const asio::ip::address& a) {
  if (a.is_v4()) return rib::IpAddress::v4(a.to_v4().to_uint());
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return rib::IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  auto b = v6.to_bytes();
  return rib::IpAddress::from_bytes(rib::Family::Ipv6, b.data());
}

namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

std::error_code set_int(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return last_error();
  return {};
}

}  // namespace

std::error_code set_no_delay(int fd) {
  return set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}
std::error_code set_reuse_address(int fd) {
  return set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
}
std::error_code set_v6_only(int fd, bool on) {
  return set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0);
}

std::error_code set_md5_key(int fd, const rib::IpAddress& peer, std::string_view key,
                            std::optional<uint8_t> prefix_len) {
  if (key.size() > TCP_MD5SIG_MAXKEYLEN) return std::make_error_code(std::errc::invalid_argument);
  struct tcp_md5sig md5;
  std::memset(&md5, 0, sizeof md5);
  if (peer.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&md5.tcpm_addr);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(peer.v4_value());
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&md5.tcpm_addr);
    sin6->sin6_family = AF_INET6;
    peer.to_bytes(sin6->sin6_addr.s6_addr);
  }
  md5.tcpm_keylen = static_cast<uint16_t>(key.size());
  std::copy(key.begin(), key.end(), md5.tcpm_key);
  int opt = TCP_MD5SIG;
  if (prefix_len && *prefix_len < rib::max_length(peer.family())) {
    opt = TCP_MD5SIG_EXT;
    md5.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    md5.tcpm_prefixlen = *prefix_len;
  }
  if (::setsockopt(fd, IPPROTO_TCP, opt, &md5, sizeof md5) != 0) {
    // Removing a key that was never set is not an error worth reporting.
    if (key.empty() && errno == ENOENT) return {};
    return last_error();
  }
  return {};
}

std::error_code set_ttl(int fd, rib::Family family, uint8_t ttl) {
  if (family == rib::Family::Ipv4) return set_int(fd, IPPROTO_IP, IP_TTL, ttl);
  return set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
}

std::error_code set_min_ttl(int fd, rib::Family family, uint8_t min_ttl) {
  if (family == rib::Family::Ipv4) return set_int(fd, IPPROTO_IP, IP_MINTTL, min_ttl);
  return set_int(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, min_ttl);
}

std::error_code open_and_bind(asio::ip::tcp::socket& sock, rib::Family family,
                              const std::optional<rib::IpAddress>& address, uint16_t port) {
  boost::system::error_code ec;
  sock.open(family == rib::Family::Ipv4 ? asio::ip::tcp::v4() : asio::ip::tcp::v6(), ec);
  if (ec) return {ec.value(), std::generic_category()};
  if (auto e = set_reuse_address(sock.native_handle())) return e;
  if (!address && port == 0) return {};
  asio::ip::address bind_addr =
      address ? to_asio(*address)
              : (family == rib::Family::Ipv4 ? asio::ip::address(asio::ip::address_v4::any())
                                             : asio::ip::address(asio::ip::address_v6::any()));
  sock.bind(asio::ip::tcp::endpoint(bind_addr, port), ec);
  if (ec) return {ec.value(), std::generic_category()};
  return {};
}

}  // namespace rs::bgp
