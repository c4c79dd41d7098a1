// The URLs an `http` health check can probe. Parsed where the configuration is read, so that
// `rsd --check` refuses what the daemon could not probe, and again by the probe that uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rib/prefix.hpp"

namespace rs::conf {

struct HttpUrl {
  rib::IpAddress address;
  std::string host;  // as written (Host header)
  uint16_t port = 80;
  std::string path = "/";
};
// "http://192.0.2.11[:port][/path]"; the host must be an IP literal or "localhost" (no DNS on the
// health path: a resolver stall must not delay a verdict).
[[nodiscard]] std::optional<HttpUrl> parse_http_url(std::string_view url);

}  // namespace rs::conf
