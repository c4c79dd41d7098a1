// MetricsServer: the HTTP side of `metrics { listen ADDR port N; }`. Serves GET/HEAD /metrics (the
// registry's scrape, text format 0.0.4) and a small index page at / on the daemon's io_context,
// with HTTP/1.1 keep-alive. Every connection is bounded: request head size, a deadline to receive
// a request and one to write the response, a cap on open connections; a slow or broken client
// costs one socket and a buffer, never a wait on the event loop. Boost.Beast stays in the .cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rib/prefix.hpp"
#include "rs/metrics/registry.hpp"

namespace boost::asio {
class io_context;
}

namespace rs::metrics {

struct HttpOptions {
  rib::IpAddress address = rib::IpAddress::v4(0x7f000001);
  uint16_t port = 10179;  // 0: any free port (tests); port() tells which
  std::size_t max_connections = 32;
  std::size_t max_request_bytes = 8 * 1024;  // request line + headers; no body accepted
  std::chrono::milliseconds request_timeout{
      60'000};  // to receive a whole request (idle keep-alive too)
  std::chrono::milliseconds write_timeout{30'000};  // to write a whole response
  // Concurrent scrapes within this interval share one rendering (bounds the CPU a flood can take).
  std::chrono::milliseconds min_render_interval{100};
};

class Connection;

class MetricsServer {
 public:
  MetricsServer(boost::asio::io_context& io, MetricsRegistry& registry, HttpOptions options);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts accepting; on failure returns the reason ("cannot listen on ADDR port N: ...")
  // and nothing is left open.
  [[nodiscard]] std::string start();
  // Closes the listening socket and every connection. Idempotent; the destructor calls it.
  void stop();
  uint16_t port() const;
  std::string endpoint() const;  // "127.0.0.1:10179", "[::1]:10179"

  struct Stats {
    uint64_t connections = 0;           // accepted
    uint64_t connections_rejected = 0;  // over max_connections, closed at once
    uint64_t open = 0;
    uint64_t requests = 0;
    uint64_t responses_2xx = 0, responses_4xx = 0;
    uint64_t timeouts = 0;  // connections closed by a deadline
    uint64_t renders = 0;   // scrapes actually built (the rest shared a recent one)
  };
  Stats stats() const;

 private:
  friend class Connection;
  struct Impl;
  std::shared_ptr<Impl> impl_;
  MetricsRegistry& registry_;
  MetricsRegistry::CollectorId collector_ = 0;
};

}  // namespace rs::metrics
