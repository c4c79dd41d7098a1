// libFuzzer target for what the built-in `http` health check reads from the checked server: the
// bytes of the response, delivered in reads of the sizes the input chooses, through the same two
// functions NetProbe uses (http_status_line_complete decides whether to read on, parse_http_status
// reads the status line), and the check's URL reader (parse_http_url) on the same bytes. Input:
// one byte per read size (first byte: how many size bytes follow), then the response.
// Properties besides "no crash": reading stops by kMaxHttpStatusRead plus one read; the status is
// 0 or 100..599; the line shown in `show health` has no control bytes; a URL that parses has a
// path without blanks or control bytes (no header injection) and a non-zero port.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rs/health/checks.hpp"

namespace health = rs::health;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::size_t nsizes = std::min<std::size_t>(data[0] % 8, size - 1);
  const uint8_t* sizes = data + 1;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1 + nsizes, size - 1 - nsizes);

  // The probe reads up to 1024 bytes at a time until the status line is complete or EOF.
  constexpr std::size_t kReadBuffer = 1024;
  std::string response;
  std::size_t pos = 0, reads = 0;
  bool eof = false;
  while (true) {
    const std::size_t want = nsizes ? 1 + sizes[reads % nsizes] * 4 : kReadBuffer;
    const std::size_t n = std::min({want, kReadBuffer, stream.size() - pos});
    response.append(stream.substr(pos, n));
    pos += n;
    ++reads;
    eof = pos == stream.size();
    if (eof || health::http_status_line_complete(response)) break;
  }
  if (response.size() >= health::kMaxHttpStatusRead + kReadBuffer) std::abort();
  (void)eof;
  const health::HttpStatus st = health::parse_http_status(response);
  if (st.code != 0 && (st.code < 100 || st.code > 599)) std::abort();
  for (char c : st.line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  // Whatever the read sizes, the verdict is the one of the whole response.
  if (health::parse_http_status(stream).code != st.code &&
      health::http_status_line_complete(response))
    std::abort();

  if (auto u = health::parse_http_url(stream)) {
    if (u->port == 0 || u->path.empty() || u->path[0] != '/') std::abort();
    for (char c : u->path)
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) std::abort();
    for (char c : u->host)
      if (c == '\r' || c == '\n') std::abort();
  }
  return 0;
}
