// libFuzzer target for what the built-in `http` health check reads from the checked server: the
// bytes of the response, delivered in reads of the sizes the input chooses, through the reader
// NetProbe uses (HttpResponseReader: status line, header section, a Content-Length, chunked or
// to-the-close body), and the check's URL reader (parse_http_url) on the same bytes. Input: one
// byte whose low 3 bits say how many read-size bytes follow and whose bit 3 asks for the body
// (a check with `body`), the read sizes, then the response.
// Properties besides "no crash": the verdict (finished, ok, error, status, body) is the one of
// the whole response fed at once, whatever the read sizes; at most kMaxHttpStatusRead bytes of
// status line, kMaxHttpHeaders of header section and kMaxHttpBody of body are kept; the status
// is 0 or 100..599 and the line shown in `show health` has no control bytes; a URL that parses
// has a path without blanks or control bytes (no header injection), a non-zero port, and a host
// that is an address or a DNS name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rs/health/checks.hpp"

namespace health = rs::health;

namespace {

struct Verdict {
  bool finished = false, ok = false, capped = false;
  unsigned code = 0;
  std::string error, body, line;
  bool operator==(const Verdict&) const = default;
};

Verdict verdict(const health::HttpResponseReader& r) {
  return {r.finished(), r.ok(),   r.body_capped(), r.status().code,
          r.error(),    r.body(), r.status().line};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool want_body = data[0] & 8;
  const std::size_t nsizes = std::min<std::size_t>(data[0] % 8, size - 1);
  const uint8_t* sizes = data + 1;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1 + nsizes, size - 1 - nsizes);

  // The probe reads up to 4096 bytes at a time until the reader has a verdict or EOF.
  constexpr std::size_t kReadBuffer = 4096;
  health::HttpResponseReader split(want_body);
  std::size_t pos = 0, reads = 0;
  while (pos < stream.size() && !split.finished()) {
    const std::size_t want = nsizes ? 1 + sizes[reads % nsizes] * 4 : kReadBuffer;
    const std::size_t n = std::min({want, kReadBuffer, stream.size() - pos});
    split.feed(stream.substr(pos, n));
    pos += n;
    ++reads;
  }
  split.end_of_stream();
  health::HttpResponseReader whole(want_body);
  whole.feed(stream);
  whole.end_of_stream();
  if (!(verdict(split) == verdict(whole))) std::abort();
  if (!split.finished()) std::abort();  // the end of the stream always settles it
  if (split.body().size() > health::kMaxHttpBody) std::abort();
  if (split.body_capped() && split.body().size() != health::kMaxHttpBody) std::abort();
  if (!want_body && !split.body().empty()) std::abort();
  const unsigned code = split.status().code;
  if (code != 0 && (code < 100 || code > 599)) std::abort();
  if (split.ok() && code == 0) std::abort();
  for (char c : split.status().line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  // The status-only verdict agrees with the status line functions the reader is built on.
  if (!want_body && split.ok() &&
      health::parse_http_status(stream.substr(0, health::kMaxHttpStatusRead)).code != code)
    std::abort();

  if (auto u = health::parse_http_url(stream)) {
    if (u->port == 0 || u->path.empty() || u->path[0] != '/') std::abort();
    for (char c : u->path)
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) std::abort();
    if (!u->address && !rs::conf::is_dns_name(u->host)) std::abort();
    for (char c : u->authority())
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) std::abort();
  }
  return 0;
}
