// Socket helpers for BGP sessions: TCP_NODELAY, TCP-MD5 (RFC 2385, Linux TCP_MD5SIG), TTL and
// GTSM (RFC 5082), local binding, and conversions between rib::IpAddress and Asio addresses.
// Plain functions over a native file descriptor so they work on connecting, accepted and
// listening sockets alike; each returns the errno as a std::error_code (empty on success).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "rib/prefix.hpp"

namespace rs::bgp {

boost::asio::ip::address to_asio(const rib::IpAddress& a);
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, seen on dual-stack sockets) become IPv4.
rib::IpAddress from_asio(const boost::asio::ip::address& a);

// Disables Nagle: every BGP message leaves at once (docs/architecture.md "Sockets").
std::error_code set_no_delay(int fd);
std::error_code set_reuse_address(int fd);
std::error_code set_v6_only(int fd, bool on);

// TCP-MD5 signature for segments to/from `peer` (with `prefix_len` < full length: a whole range,
// TCP_MD5SIG_EXT, Linux 4.13+). An empty key removes it. On a listening socket this keys the
// connections it will accept from that peer; on a connecting socket it must be set before connect.
std::error_code set_md5_key(int fd, const rib::IpAddress& peer, std::string_view key,
                            std::optional<uint8_t> prefix_len = {});

// TTL (IPv4) / unicast hop limit (IPv6) of outgoing packets. `family` is the socket's family.
std::error_code set_ttl(int fd, rib::Family family, uint8_t ttl);
// GTSM receive side: drop packets that arrive with a TTL below `min_ttl` (IP_MINTTL,
// IPV6_MINHOPCOUNT).
std::error_code set_min_ttl(int fd, rib::Family family, uint8_t min_ttl);

// Opens `sock` for `family`, sets SO_REUSEADDR and binds it to address:port (port 0: ephemeral).
std::error_code open_and_bind(boost::asio::ip::tcp::socket& sock, rib::Family family,
                              const std::optional<rib::IpAddress>& address, uint16_t port);

}  // namespace rs::bgp
