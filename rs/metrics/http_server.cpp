// The metrics HTTP endpoint (Boost.Beast, HTTP/1.1, RFC 9112). Design: one Connection object per
// socket, shared_ptr-owned by its pending operation; a shared State outlives the server object so
// late handlers find `stopped` and return. Each request is read with a parser limited to
// max_request_bytes of head and no body, under one deadline (beast::tcp_stream expiry covers the
// whole read, so a client sending a byte a minute is dropped at the deadline); each response is
// written under another. Over max_connections, new sockets are closed at once. A scrape is built
// on the event loop (the registry), shared by every request within min_render_interval.
#include "rs/metrics/http_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <optional>

#include "rs/bgp/socket_options.hpp"
#include "rs/metrics/http_request.hpp"
#include "rs/version.hpp"

namespace rs::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kIndex =
    "<!DOCTYPE html>\n<html><head><title>rsd</title></head><body>\n<h1>rsd</h1>\n"
    "<p>Route server metrics in the Prometheus text format: <a href=\"/metrics\">/metrics</a></p>\n"
    "</body></html>\n";

std::string format_endpoint(const tcp::endpoint& ep) {
  const std::string a = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}
}  // namespace

RequestAnswer answer_request(const beast::error_code& ec, const RequestParser& p) {
  RequestAnswer a;
  if (ec == beast::error::timeout) {
    a.timeout = true;
    return a;
  }
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset)
    return a;
  a.page = Page::Error;
  if (ec == http::error::header_limit) {
    a.status = http::status::request_header_fields_too_large;
    return a;
  }
  if (ec == http::error::body_limit || ec == http::error::unexpected_body) {
    a.status = http::status::payload_too_large;
    return a;
  }
  if (ec || !p.is_done()) {
    a.status = http::status::bad_request;
    return a;
  }
  const auto& req = p.get();
  std::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find('?'));
  a.keep_alive = req.keep_alive();
  a.head = req.method() == http::verb::head;
  if (req.method() != http::verb::get && !a.head) {
    a.page = Page::MethodNotAllowed;
    a.status = http::status::method_not_allowed;
  } else if (target == "/metrics") {
    a.page = Page::Metrics;
  } else if (target == "/" || target == "/index.html") {
    a.page = Page::Index;
  } else {
    a.page = Page::NotFound;
    a.status = http::status::not_found;
  }
  return a;
}

class Connection;

struct MetricsServer::Impl {
  Impl(asio::io_context& io, MetricsRegistry& r, HttpOptions o)
      : io(io), registry(&r), options(std::move(o)), acceptor(io), retry(io) {}
  asio::io_context& io;
  MetricsRegistry* registry;
  HttpOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // after an accept error (EMFILE), so the loop does not spin
  bool stopped = true;
  uint16_t port = 0;
  Stats stats;
  uint64_t next_id = 1;
  std::map<uint64_t, std::weak_ptr<Connection>> connections;
  std::shared_ptr<const std::string> cached;
  std::chrono::steady_clock::time_point cached_at{};

  std::shared_ptr<const std::string> render() {
    const auto now = std::chrono::steady_clock::now();
    if (!cached || now - cached_at >= options.min_render_interval) {
      cached = std::make_shared<const std::string>(registry->scrape());
      cached_at = now;
      ++stats.renders;
    }
    return cached;
  }
  void accept(const std::shared_ptr<Impl>& self);
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<MetricsServer::Impl> owner, tcp::socket sock, uint64_t id)
      : owner_(std::move(owner)),
        stream_(std::move(sock)),
        buffer_(owner_->options.max_request_bytes),
        id_(id) {}
  ~Connection() {
    if (!owner_->stopped) owner_->connections.erase(id_);
    --owner_->stats.open;
  }

  void read() {
    parser_.emplace();
    limit_request(*parser_, owner_->options.max_request_bytes);
    stream_.expires_after(owner_->options.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void on_read(beast::error_code ec) {
    if (owner_->stopped || ec == asio::error::operation_aborted) return;
    const RequestAnswer a = answer_request(ec, *parser_);
    if (a.timeout) ++owner_->stats.timeouts;
    switch (a.page) {
      case Page::None:
        return close();
      case Page::Error:
        return respond_error(a.status);
      case Page::MethodNotAllowed:
        ++owner_->stats.requests;
        respond(a.status, "text/plain; charset=utf-8", text("method not allowed\n"), a.keep_alive,
                a.head);
        res_->set(http::field::allow, "GET, HEAD");
        return;
      case Page::Metrics:
        ++owner_->stats.requests;
        return respond(a.status, kContentType, owner_->render(), a.keep_alive, a.head);
      case Page::Index:
        ++owner_->stats.requests;
        return respond(a.status, "text/html; charset=utf-8", text(kIndex), a.keep_alive, a.head);
      case Page::NotFound:
        ++owner_->stats.requests;
        return respond(a.status, "text/plain; charset=utf-8", text("not found; try /metrics\n"),
                       a.keep_alive, a.head);
    }
  }

  static std::shared_ptr<const std::string> text(std::string_view s) {
    return std::make_shared<const std::string>(s);
  }

  // A request we cannot parse: answer and close (the stream position is unknown).
  void respond_error(http::status status) {
    respond(status, "text/plain; charset=utf-8",
            text(std::string(http::obsolete_reason(status)) + "\n"), false, false);
  }

  void respond(http::status status, std::string_view type, std::shared_ptr<const std::string> body,
               bool keep_alive, bool head) {
    (static_cast<unsigned>(status) < 400 ? owner_->stats.responses_2xx
                                         : owner_->stats.responses_4xx)++;
    body_ = std::move(body);
    res_.emplace();
    res_->version(11);
    res_->result(status);
    res_->set(http::field::server, std::string("rsd/") + kVersion);
    res_->set(http::field::content_type, beast::string_view(type.data(), type.size()));
    res_->keep_alive(keep_alive);
    res_->content_length(body_->size());
    res_->body().data = head ? nullptr : const_cast<char*>(body_->data());
    res_->body().size = head ? 0 : body_->size();
    res_->body().more = false;
    // Posted, so a caller that adds a header after respond() (405's Allow) is in time.
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->write(); });
  }

  void write() {
    if (owner_->stopped) return;
    stream_.expires_after(owner_->options.write_timeout);
    http::async_write(
        stream_, *res_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (owner_->stopped || ec == asio::error::operation_aborted) return;
    if (ec == beast::error::timeout) ++owner_->stats.timeouts;
    const bool again = !ec && res_->keep_alive();
    res_.reset();
    body_.reset();
    if (!again) return close();
    read();
  }

  std::shared_ptr<MetricsServer::Impl> owner_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::optional<http::response<http::buffer_body>> res_;
  std::shared_ptr<const std::string> body_;
  uint64_t id_;
};

void MetricsServer::Impl::accept(const std::shared_ptr<Impl>& self) {
  acceptor.async_accept([self](beast::error_code ec, tcp::socket sock) {
    if (self->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("metrics: accept failed: {}", ec.message());
      self->retry.expires_after(std::chrono::milliseconds(100));
      self->retry.async_wait([self](const beast::error_code& e) {
        if (!e && !self->stopped) self->accept(self);
      });
      return;
    }
    if (self->stats.open >= self->options.max_connections) {
      ++self->stats.connections_rejected;
      beast::error_code ignored;
      sock.close(ignored);
    } else {
      ++self->stats.connections;
      ++self->stats.open;
      const uint64_t id = self->next_id++;
      auto c = std::make_shared<Connection>(self, std::move(sock), id);
      self->connections.emplace(id, c);
      c->read();
    }
    self->accept(self);
  });
}

MetricsServer::MetricsServer(asio::io_context& io, MetricsRegistry& registry, HttpOptions options)
    : impl_(std::make_shared<Impl>(io, registry, std::move(options))), registry_(registry) {}

MetricsServer::~MetricsServer() {
  stop();
}

std::string MetricsServer::start() {
  if (!impl_->stopped) return {};
  const tcp::endpoint ep(bgp::to_asio(impl_->options.address), impl_->options.port);
  beast::error_code ec;
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(64, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
    return "cannot listen on " + format_endpoint(ep) + ": " + ec.message();
  }
  impl_->port = a.local_endpoint(ec).port();
  impl_->stopped = false;
  impl_->accept(impl_);
  // The endpoint's own figures, as any other collector.
  std::weak_ptr<Impl> weak = impl_;
  collector_ = registry_.add_collector("http", [weak](MetricsWriter& w) {
    auto self = weak.lock();
    if (!self) return;
    const Stats& s = self->stats;
    w.family("rsd_metrics_http_connections_total", "Connections accepted by the metrics endpoint.",
             MetricType::Counter)
        .sample({}, s.connections);
    w.family("rsd_metrics_http_connections_rejected_total",
             "Connections closed at once because max connections were open.", MetricType::Counter)
        .sample({}, s.connections_rejected);
    w.family("rsd_metrics_http_connections", "Open connections to the metrics endpoint.",
             MetricType::Gauge)
        .sample({}, s.open);
    w.family("rsd_metrics_http_responses_total",
             "Responses of the metrics endpoint, by status class.", MetricType::Counter);
    w.sample({{"code", "2xx"}}, s.responses_2xx);
    w.sample({{"code", "4xx"}}, s.responses_4xx);
    w.family("rsd_metrics_http_timeouts_total",
             "Connections closed by the request or write deadline.", MetricType::Counter)
        .sample({}, s.timeouts);
  });
  spdlog::info("metrics: listening on http://{}/metrics", endpoint());
  return {};
}

void MetricsServer::stop() {
  if (impl_->stopped) return;
  registry_.remove_collector(collector_);
  // Connections first (their destructors must not touch the map while it is walked).
  auto conns = std::move(impl_->connections);
  impl_->connections.clear();
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->retry.cancel();
  for (auto& entry : conns)
    if (auto c = entry.second.lock()) c->close();
  impl_->cached.reset();
}

uint16_t MetricsServer::port() const {
  return impl_->port;
}

std::string MetricsServer::endpoint() const {
  return format_endpoint(tcp::endpoint(bgp::to_asio(impl_->options.address), impl_->port));
}

MetricsServer::Stats MetricsServer::stats() const {
  return impl_->stats;
}

}  // namespace rs::metrics
