// URL reading for the `http` check (RFC 3986 3, the subset a health probe needs). Everything a
// probe puts on the wire from the URL is checked here: the path and the host never hold blanks or
// control bytes, so a configured URL cannot add a header or a second request.
#include "conf/http_url.hpp"

#include <charconv>

namespace rs::conf {

namespace {

bool fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return false;
}

bool parse_port(std::string_view p, uint16_t& out, std::string* why) {
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535)
    return fail(why, "the port \"" + std::string(p) + "\" is not 1-65535");
  out = static_cast<uint16_t>(port);
  return true;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::string_view last;
  while (true) {
    const auto dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || !is_alnum(label.front()) || !is_alnum(label.back()))
      return false;
    for (char c : label)
      if (!is_alnum(c) && c != '-') return false;
    last = label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  // "192.0.2.300" is a bad address, not a name.
  for (char c : last)
    if (c < '0' || c > '9') return true;
  return false;
}

std::string HttpUrl::authority() const {
  std::string a = address && address->is_v6() ? "[" + host + "]" : host;
  if (port != (https ? 443 : 80)) a += ":" + std::to_string(port);
  return a;
}

std::optional<HttpUrl> parse_http_url(std::string_view url, std::string* why) {
  HttpUrl u;
  if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
  } else if (url.substr(0, 8) == "https://") {
    url.remove_prefix(8);
    u.https = true;
    u.port = 443;
  } else {
    fail(why, "the scheme is not http:// or https://");
    return std::nullopt;
  }
  const auto slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(url.substr(slash));
  for (char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      fail(why, "it holds a blank or a control character");
      return std::nullopt;
    }
  if (u.path.find('#') != std::string::npos) {
    fail(why, "a fragment (#...) is never sent to the server");
    return std::nullopt;
  }
  if (hostport.find('@') != std::string_view::npos) {
    fail(why, "user information (user@) is not supported");
    return std::nullopt;
  }
  std::string_view host = hostport;
  if (!hostport.empty() && hostport[0] == '[') {  // [v6]:port
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      fail(why, "the '[' of an IPv6 address is not closed");
      return std::nullopt;
    }
    host = hostport.substr(1, close - 1);
    const auto rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        fail(why, "only ':PORT' may follow an IPv6 address");
        return std::nullopt;
      }
      if (!parse_port(rest.substr(1), u.port, why)) return std::nullopt;
    }
    auto ip = rib::IpAddress::parse(host);
    if (!ip || !ip->is_v6()) {
      fail(why, "\"" + std::string(host) + "\" is not an IPv6 address");
      return std::nullopt;
    }
    u.address = *ip;
  } else {
    const auto colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      if (!parse_port(hostport.substr(colon + 1), u.port, why)) return std::nullopt;
    }
    if (host == "localhost") {
      u.address = rib::IpAddress::v4(0x7f000001);
    } else if (auto ip = rib::IpAddress::parse(host); ip && ip->is_v4()) {
      u.address = *ip;
    } else if (!is_dns_name(host)) {
      fail(why, host.empty()
                    ? std::string("the host is empty")
                    : "\"" + std::string(host) + "\" is neither an address nor a host name");
      return std::nullopt;
    }
  }
  u.host = std::string(host);
  return u;
}

}  // namespace rs::conf
