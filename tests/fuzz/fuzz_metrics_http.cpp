// libFuzzer target for the metrics endpoint's request side: the bytes a scraper (or anyone who
// can reach the port) sends, read as MetricsServer reads them (a flat buffer of max_request_bytes,
// Beast's request parser under limit_request, one request after another while the client keeps
// the connection alive) and answered by answer_request. The socket is Beast's in-memory test
// stream, so the read loop is Beast's own. Input: one byte choosing max_request_bytes (the limits
// are reached often), then the client's bytes. Properties besides "no crash": every answer is one
// of the endpoint's (served pages 200, others 404 / 405, parse errors 400 / 413 / 431, close on
// end of stream), a served request fits the limit, and the loop ends.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "rs/metrics/http_request.hpp"

namespace http = boost::beast::http;
using rs::metrics::Page;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const std::size_t max_request = 64 + std::size_t{data[0]} * 32;  // 64 .. 8,224 (default 8,192)
  boost::asio::io_context io;
  boost::beast::test::stream client(io);
  client.append(boost::beast::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  client.close_remote();  // the client sent all it had: reads past it end with EOF
  boost::beast::flat_buffer buffer(max_request);
  for (int requests = 0;; ++requests) {
    if (requests > 1000) std::abort();  // each request takes bytes: the input ends first
    std::optional<rs::metrics::RequestParser> parser;
    parser.emplace();
    rs::metrics::limit_request(*parser, max_request);
    boost::beast::error_code ec;
    http::read(client, buffer, *parser, ec);
    const rs::metrics::RequestAnswer a = rs::metrics::answer_request(ec, *parser);
    if (a.timeout) std::abort();  // no deadline here
    switch (a.page) {
      case Page::None:
        return 0;
      case Page::Error:
        if (a.status != http::status::bad_request &&
            a.status != http::status::request_header_fields_too_large &&
            a.status != http::status::payload_too_large)
          std::abort();
        return 0;
      case Page::Metrics:
      case Page::Index:
        if (a.status != http::status::ok) std::abort();
        break;
      case Page::NotFound:
        if (a.status != http::status::not_found) std::abort();
        break;
      case Page::MethodNotAllowed:
        if (a.status != http::status::method_not_allowed) std::abort();
        break;
    }
    if (!parser->is_header_done() || !parser->is_done()) std::abort();
    if (!a.keep_alive) return 0;
  }
}
