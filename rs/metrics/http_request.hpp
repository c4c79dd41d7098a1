// The request side of the metrics endpoint without its sockets, shared by MetricsServer and the
// fuzzer: the limits every request head is parsed under (Boost.Beast's parser, RFC 9112) and the
// answer to a read that completed. Included only by http_server.cpp and tests (Beast stays out of
// the public header).
#pragma once

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <cstddef>
#include <cstdint>

namespace rs::metrics {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// Request line plus headers at most `max_request_bytes`, and no body.
inline void limit_request(RequestParser& p, std::size_t max_request_bytes) {
  p.header_limit(static_cast<uint32_t>(max_request_bytes));
  p.body_limit(0);
}

enum class Page : uint8_t {
  None,              // close without answering (end of stream, reset, deadline)
  Error,             // answer `status` and close: the stream position is unknown
  Metrics,           // GET / HEAD /metrics (a query string is ignored)
  Index,             // GET / HEAD / or /index.html
  NotFound,          // any other target
  MethodNotAllowed,  // neither GET nor HEAD (with Allow: GET, HEAD)
};

struct RequestAnswer {
  Page page = Page::None;
  boost::beast::http::status status = boost::beast::http::status::ok;
  bool keep_alive = false;
  bool head = false;     // no body in the answer
  bool timeout = false;  // closed by the request deadline (counted)
};

// What to do once a read of one request ended with `ec`; `p` is the parser it used (its message
// is looked at only when ec is success).
RequestAnswer answer_request(const boost::beast::error_code& ec, const RequestParser& p);

}  // namespace rs::metrics
