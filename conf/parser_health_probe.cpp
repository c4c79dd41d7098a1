// The network probes of a `healthcheck` block: `http "URL" OPTIONS;` and `tcp IP port N
// OPTIONS;`. Everything the probe will need is checked here, so that `rsd --check` refuses a
// probe that cannot be served (a host name without the address to connect to, TLS options on a
// plain http URL, a CA or key file OpenSSL cannot load, a source address of the other family)
// rather than the daemon announcing the service as down.
#include "conf/http_url.hpp"
#include "conf/parser_impl.hpp"
#include "conf/tls_files.hpp"

namespace rs::conf::detail {

namespace {

bool printable(std::string_view s, bool blanks) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || (!blanks && u == ' ')) return false;
  }
  return true;
}

}  // namespace

// `source address IP` (after `source` was read), of the family of the probe's target.
bool Parser::parse_probe_source(HealthCheckConfig::Check& c, Location& at) {
  if (!expect_kw("address")) return false;
  at = peek().loc;
  auto ip = parse_ip("a source address");
  if (!ip) return false;
  if (c.source_address) return error_at(at, "'source address' is given twice");
  c.source_address = *ip;
  return true;
}

std::optional<bool> Parser::parse_health_probe(HealthCheckConfig& h) {
  using Check = HealthCheckConfig::Check;
  if (accept_kw("tcp")) {
    Check c;
    c.kind = Check::Kind::Tcp;
    c.expect = 0;
    auto ip = parse_ip("an address");
    if (!ip || !expect_kw("port")) return false;
    auto p = parse_number("a port number", 65535);
    if (!p) return false;
    c.address = *ip;
    c.port = static_cast<uint16_t>(*p);
    Location src_at;
    while (accept_kw("source"))
      if (!parse_probe_source(c, src_at)) return false;
    if (c.source_address && c.source_address->family() != c.address.family())
      return error_at(src_at, "source address " + c.source_address->to_string() +
                                  " is not of the family of " + c.address.to_string());
    h.checks.push_back(std::move(c));
    return end_option();
  }
  if (!accept_kw("http")) return std::nullopt;
  Check c;
  c.kind = Check::Kind::Http;
  const Token& url_tok = peek();
  auto s = parse_string("a URL");
  if (!s) return false;
  std::string why;
  const auto url = parse_http_url(*s, &why);
  // Refused here, not when the probe starts: a check rsd cannot run must not pass --check and
  // then announce the service as down.
  if (!url) return error_at(url_tok, "URL \"" + *s + "\" cannot be probed: " + why);
  c.target = *s;
  std::optional<Location> address_at, src_at, tls_at, ca_at, cert_at, key_at, insecure_at;
  auto once = [&](std::optional<Location>& seen, std::string_view what) {
    if (seen) return error_at(previous_token(), "'" + std::string(what) + "' is given twice");
    seen = previous_token().loc;
    return true;
  };
  auto string_opt = [&](std::optional<std::string>& out, std::string_view what,
                        std::optional<Location>& seen) {
    if (!once(seen, what)) return false;
    seen = peek().loc;
    auto v = parse_string(what);
    if (!v) return false;
    out = *v;
    return true;
  };
  std::optional<Location> expect_at, body_at, host_at, sni_at;
  for (;;) {
    if (accept_kw("address")) {
      if (!once(address_at, "address")) return false;
      auto ip = parse_ip("the address to connect to");
      if (!ip) return false;
      c.connect_address = *ip;
    } else if (accept_kw("expect")) {
      if (!once(expect_at, "expect")) return false;
      auto n = parse_number("an HTTP status", 999);
      if (!n) return false;
      c.expect = static_cast<uint32_t>(*n);
    } else if (accept_kw("body")) {
      if (!string_opt(c.body, "body", body_at)) return false;
      if (c.body->empty() || c.body->size() > kMaxHttpBody)
        return error_at(
            *body_at, "the body to match must be 1 to " + std::to_string(kMaxHttpBody) + " bytes");
    } else if (accept_kw("host")) {
      if (!string_opt(c.host_header, "host", host_at)) return false;
      if (c.host_header->empty() || !printable(*c.host_header, false))
        return error_at(*host_at,
                        "the Host header must be non-empty, without blanks or "
                        "control characters");
    } else if (accept_kw("server")) {
      if (!expect_kw("name") || !string_opt(c.tls.server_name, "server name", sni_at)) return false;
      if (!is_dns_name(*c.tls.server_name) && !rib::IpAddress::parse(*c.tls.server_name))
        return error_at(*sni_at, "server name \"" + *c.tls.server_name +
                                     "\" is neither a host name nor an address");
      tls_at = sni_at;
    } else if (accept_kw("ca")) {
      if (!expect_kw("file") || !string_opt(c.tls.ca_file, "ca file", ca_at)) return false;
      tls_at = ca_at;
    } else if (accept_kw("certificate")) {
      if (!string_opt(c.tls.certificate, "certificate", cert_at)) return false;
      tls_at = cert_at;
    } else if (accept_kw("key")) {
      if (!string_opt(c.tls.key, "key", key_at)) return false;
      tls_at = key_at;
    } else if (accept_kw("insecure")) {
      if (!once(insecure_at, "insecure")) return false;
      c.tls.insecure = true;
      tls_at = insecure_at;
    } else if (accept_kw("source")) {
      Location at;
      if (!parse_probe_source(c, at)) return false;
      src_at = at;
    } else {
      break;
    }
  }
  if (!address_at && !url->address)
    return error_at(url_tok, "URL \"" + *s + "\": rsd resolves no host names on the health " +
                                 "path; write 'address IP' (where to connect) after the URL");
  const rib::IpAddress to = c.connect_address.value_or(url->address.value_or(rib::IpAddress{}));
  if (tls_at && !url->https)
    return error_at(*tls_at,
                    "TLS options (server name, ca file, certificate, key, insecure) "
                    "need an https:// URL");
  if (insecure_at && ca_at)
    return error_at(*ca_at,
                    "a 'ca file' is not used by an 'insecure' check (nothing is "
                    "verified): drop one of them");
  if (key_at && !cert_at) return error_at(*key_at, "a 'key' needs its 'certificate'");
  if (c.source_address && c.source_address->family() != to.family())
    return error_at(*src_at, "source address " + c.source_address->to_string() +
                                 " is not of the family of " + to.to_string());
  if (std::string problem = tls_files_problem(c.tls.ca_file, c.tls.certificate, c.tls.key);
      !problem.empty()) {
    // At the file the problem is about (the URL when OpenSSL itself failed).
    const auto about = [&](std::string_view what) { return problem.rfind(what, 0) == 0; };
    const std::optional<Location> at = about("ca file")                       ? ca_at
                                       : about("key") && key_at               ? key_at
                                       : about("key") || about("certificate") ? cert_at
                                                                              : std::nullopt;
    return error_at(at.value_or(url_tok.loc), problem);
  }
  if (insecure_at)
    diags().warning(*insecure_at, "healthcheck '" + h.name + "': " + *s +
                                      " is checked without verifying its certificate (insecure)");
  h.checks.push_back(std::move(c));
  return end_option();
}

}  // namespace rs::conf::detail
