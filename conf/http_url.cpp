#include "conf/http_url.hpp"

#include <charconv>

namespace rs::conf {

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  HttpUrl u;
  auto slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(url.substr(slash));
  for (char c : u.path)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return std::nullopt;  // no header injection
  std::string_view host = hostport;
  if (!hostport.empty() && hostport[0] == '[') {  // [v6]:port
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = hostport.substr(1, close - 1);
    auto rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::nullopt;
      hostport = rest;
    } else {
      hostport = {};
    }
    auto colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      auto p = hostport.substr(colon + 1);
      unsigned port = 0;
      auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
      if (ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535)
        return std::nullopt;
      u.port = static_cast<uint16_t>(port);
    }
  } else {
    auto colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      auto p = hostport.substr(colon + 1);
      unsigned port = 0;
      auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
      if (ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535)
        return std::nullopt;
      u.port = static_cast<uint16_t>(port);
    }
  }
  u.host = std::string(host);
  if (host == "localhost")
    u.address = rib::IpAddress::v4(0x7f000001);
  else if (auto ip = rib::IpAddress::parse(host))
    u.address = *ip;
  else
    return std::nullopt;
  return u;
}

}  // namespace rs::conf
