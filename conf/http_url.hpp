// The URLs an `http` health check can probe. Parsed where the configuration is read, so that
// `rsd --check` refuses what the daemon could not probe, and again by the probe that uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rib/prefix.hpp"

namespace rs::conf {

// The most of an `http` check's body that is read and searched for its `body` string.
inline constexpr std::size_t kMaxHttpBody = 64 * 1024;

struct HttpUrl {
  bool https = false;
  std::string host;  // as written, without the brackets of an IPv6 literal
  // The host when it is an IP literal or "localhost"; a host name has none (no DNS on the
  // health path: the check names the address to connect to).
  std::optional<rib::IpAddress> address;
  uint16_t port = 80;
  std::string path = "/";
  // RFC 9110 7.2 Host: the host (an IPv6 literal in brackets), ":port" unless the scheme's default.
  std::string authority() const;
};
// "http[s]://HOST[:port][/path]": HOST an IP literal ("[v6]"), "localhost" or a DNS name (RFC 1123
// labels). No user info, no fragment, nothing in the path that could split the request line.
// On failure `why` (when given) says what is wrong.
[[nodiscard]] std::optional<HttpUrl> parse_http_url(std::string_view url,
                                                    std::string* why = nullptr);
// A DNS name as RFC 1123 2.1 writes one: dot-separated labels of letters, digits and inner
// hyphens, each 1-63 characters, 253 in all, not all-numeric in the last label.
[[nodiscard]] bool is_dns_name(std::string_view name);

}  // namespace rs::conf
