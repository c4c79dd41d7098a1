// rs/metrics: the text exposition writer (escaping, one HELP/TYPE per family, families kept
// together, histograms with +Inf, value formats), the registry, the failover histogram, and the
// HTTP endpoint on loopback (keep-alive, 404/405, oversized and malformed requests, connection cap,
// bind errors), and rsd's collectors on a real RouteServer.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

#include "conf/parser.hpp"
#include "rs/metrics/collectors.hpp"
#include "rs/metrics/exposition.hpp"
#include "rs/metrics/histogram.hpp"
#include "rs/metrics/http_request.hpp"
#include "rs/metrics/http_server.hpp"
#include "rs/metrics/registry.hpp"
#include "rs/route_server.hpp"

using namespace rs::metrics;

namespace {
std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
    ++n;
  return n;
}
}  // namespace

TEST_CASE("writer: HELP and TYPE once, samples with labels") {
  MetricsWriter w;
  w.family("rsd_x_total", "Things counted.", MetricType::Counter);
  w.sample({{"protocol", "a"}}, uint64_t{3});
  w.sample({{"protocol", "b"}, {"afi", "ipv6"}}, uint64_t{4});
  w.family("rsd_y", "A gauge.", MetricType::Gauge).sample({}, 1.5);
  CHECK(w.samples() == 3);
  const std::string t = w.finish();
  CHECK(t ==
        "# HELP rsd_x_total Things counted.\n"
        "# TYPE rsd_x_total counter\n"
        "rsd_x_total{protocol=\"a\"} 3\n"
        "rsd_x_total{protocol=\"b\",afi=\"ipv6\"} 4\n"
        "# HELP rsd_y A gauge.\n"
        "# TYPE rsd_y gauge\n"
        "rsd_y 1.5\n");
  CHECK(w.finish().empty());  // the writer starts over
}

TEST_CASE("writer: a family opened twice stays one group") {
  MetricsWriter w;
  w.family("a", "first", MetricType::Gauge).sample({{"k", "1"}}, 1);
  w.family("b", "other", MetricType::Gauge).sample({}, 2);
  w.family("a", "ignored help", MetricType::Gauge).sample({{"k", "2"}}, 3);
  const std::string t = w.finish();
  CHECK(count(t, "# HELP a ") == 1);
  CHECK(count(t, "# TYPE a ") == 1);
  CHECK(t.find("ignored") == std::string::npos);
  // a's samples come before b's header, in the order added.
  CHECK(t.find("a{k=\"1\"} 1\na{k=\"2\"} 3\n") < t.find("# HELP b"));
}

TEST_CASE("writer: a family without samples is left out") {
  MetricsWriter w;
  w.family("empty", "nothing", MetricType::Gauge);
  w.family("full", "something", MetricType::Gauge).sample({}, 0);
  const std::string t = w.finish();
  CHECK(t.find("empty") == std::string::npos);
  CHECK(t.find("full 0\n") != std::string::npos);
}

TEST_CASE("writer: label values and HELP are escaped") {
  MetricsWriter w;
  w.family("m", "back\\slash and\nnewline \"quotes\" stay", MetricType::Gauge);
  w.sample({{"v", "a\"b\\c\nd"}}, 1);
  w.sample({{"v", "ünïcode {},="}}, 2);
  const std::string t = w.finish();
  CHECK(t.find("# HELP m back\\\\slash and\\nnewline \"quotes\" stay\n") != std::string::npos);
  CHECK(t.find("m{v=\"a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
  CHECK(t.find("m{v=\"ünïcode {},=\"} 2\n") != std::string::npos);
  std::string s;
  append_label_value(s, "\\\\");
  CHECK(s == "\\\\\\\\");
}

TEST_CASE("writer: values") {
  auto v = [](auto x) {
    std::string s;
    append_value(s, x);
    return s;
  };
  CHECK(v(uint64_t{18446744073709551615ull}) == "18446744073709551615");
  CHECK(v(int64_t{-5}) == "-5");
  CHECK(v(0.0) == "0");
  CHECK(v(0.0005) == "0.0005");
  CHECK(v(2.5) == "2.5");
  CHECK(v(1.0) == "1");
  CHECK(v(1e20) == "1e+20");
  CHECK(v(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(v(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(v(std::nan("")) == "NaN");
  CHECK(std::stod(v(0.1 + 0.2)) == 0.1 + 0.2);  // round trip
}

TEST_CASE("names follow the data model") {
  CHECK(valid_metric_name("rsd_protocol_up"));
  CHECK(valid_metric_name("a:b_c9"));
  CHECK_FALSE(valid_metric_name("9abc"));
  CHECK_FALSE(valid_metric_name("a-b"));
  CHECK_FALSE(valid_metric_name(""));
  CHECK(valid_label_name("protocol"));
  CHECK_FALSE(valid_label_name("__name__"));
  CHECK_FALSE(valid_label_name("a:b"));
  CHECK_FALSE(valid_label_name("1a"));
}

TEST_CASE("histogram: cumulative buckets, +Inf, _sum and _count") {
  Histogram h{0.001, 0.01, 0.1};
  h.observe(0.0005);
  h.observe(0.001);  // le is inclusive
  h.observe(0.05);
  h.observe(7.0);  // only +Inf
  CHECK(h.cumulative() == std::vector<uint64_t>{2, 2, 3});
  CHECK(h.count() == 4);
  CHECK(h.sum() == doctest::Approx(7.0515));
  MetricsWriter w;
  w.family("rsd_lat_seconds", "Latency.", MetricType::Histogram);
  w.histogram({{"check", "web"}}, h);
  const std::string t = w.finish();
  CHECK(t ==
        "# HELP rsd_lat_seconds Latency.\n"
        "# TYPE rsd_lat_seconds histogram\n"
        "rsd_lat_seconds_bucket{check=\"web\",le=\"0.001\"} 2\n"
        "rsd_lat_seconds_bucket{check=\"web\",le=\"0.01\"} 2\n"
        "rsd_lat_seconds_bucket{check=\"web\",le=\"0.1\"} 3\n"
        "rsd_lat_seconds_bucket{check=\"web\",le=\"+Inf\"} 4\n"
        "rsd_lat_seconds_sum{check=\"web\"} 7.0515\n"
        "rsd_lat_seconds_count{check=\"web\"} 4\n");
}

TEST_CASE("failover histogram: 0.5 ms to 5 s") {
  Histogram h = failover_histogram();
  REQUIRE(h.bounds().size() == 13);
  CHECK(h.bounds().front() == 0.0005);
  CHECK(h.bounds().back() == 5.0);
  h.observe(0.003);
  CHECK(h.cumulative()[2] == 0);  // le 0.0025
  CHECK(h.cumulative()[3] == 1);  // le 0.005
  CHECK(h.cumulative().back() == 1);
}

TEST_CASE("registry: collectors in order, removal, a failing collector is counted") {
  MetricsRegistry r;
  auto a = r.add_collector(
      "a", [](MetricsWriter& w) { w.family("first", "1", MetricType::Gauge).sample({}, 1); });
  r.add_collector("bad", [](MetricsWriter&) { throw std::runtime_error("boom"); });
  r.add_collector(
      "b", [](MetricsWriter& w) { w.family("second", "2", MetricType::Gauge).sample({}, 2); });
  std::string t = r.scrape();
  CHECK(t.find("first 1\n") < t.find("second 2\n"));
  CHECK(t.find("rsd_metrics_collector_errors_total{collector=\"bad\"} 1\n") != std::string::npos);
  CHECK(t.find("rsd_metrics_scrapes_total 1\n") != std::string::npos);
  r.remove_collector(a);
  t = r.scrape();
  CHECK(t.find("first") == std::string::npos);
  CHECK(t.find("rsd_metrics_scrapes_total 2\n") != std::string::npos);
  CHECK(t.find("rsd_metrics_last_scrape_bytes ") != std::string::npos);
  CHECK(r.stats().last_bytes == t.size());
}

// ---- HTTP endpoint ---------------------------------------------------------------------------

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The server on its own io thread; the test talks to it with blocking sockets.
struct Endpoint {
  asio::io_context io;
  MetricsRegistry registry;
  std::unique_ptr<MetricsServer> server;
  std::thread thread;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  explicit Endpoint(HttpOptions o = {}) {
    registry.add_collector("t", [](MetricsWriter& w) {
      w.family("test_value", "A \"test\".", MetricType::Gauge).sample({{"l", "x"}}, 42);
    });
    o.port = 0;
    server = std::make_unique<MetricsServer>(io, registry, o);
    REQUIRE(server->start().empty());
    thread = std::thread([this] { io.run(); });
  }
  ~Endpoint() {
    asio::post(io, [this] { server->stop(); });
    work.reset();
    thread.join();
  }
  tcp::endpoint ep() const { return {asio::ip::make_address("127.0.0.1"), server->port()}; }
};

http::response<http::string_body> get(tcp::socket& s, const std::string& target,
                                      bool keep_alive = true, http::verb verb = http::verb::get) {
  http::request<http::empty_body> req(verb, target, 11);
  req.set(http::field::host, "localhost");
  req.keep_alive(keep_alive);
  http::write(s, req);
  beast::flat_buffer b;
  http::response_parser<http::string_body> p;
  if (verb == http::verb::head) p.skip(true);
  http::read(s, b, p);
  return p.release();
}

// True when the server closed the connection (read returns EOF or reset).
bool closed_by_server(tcp::socket& s) {
  char c;
  beast::error_code ec;
  s.read_some(asio::buffer(&c, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}
}  // namespace

TEST_CASE("http request side without sockets: limits and answers") {
  namespace http = boost::beast::http;
  // Feeds `text` whole to a parser under the endpoint's limits, as the socket read does.
  auto answer = [](std::string_view text, std::size_t limit = 8192) {
    RequestParser p;
    limit_request(p, limit);
    boost::beast::error_code ec;
    p.put(boost::asio::buffer(text.data(), text.size()), ec);
    if (ec == http::error::need_more) ec = http::error::partial_message;
    return answer_request(ec, p);
  };
  auto a = answer("GET /metrics?name=x HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(a.page == Page::Metrics);
  CHECK(a.status == http::status::ok);
  CHECK(a.keep_alive);
  CHECK_FALSE(a.head);
  a = answer("HEAD / HTTP/1.0\r\n\r\n");
  CHECK(a.page == Page::Index);
  CHECK(a.head);
  CHECK_FALSE(a.keep_alive);
  CHECK(answer("GET /nope HTTP/1.1\r\n\r\n").page == Page::NotFound);
  a = answer("DELETE /metrics HTTP/1.1\r\n\r\n");
  CHECK(a.page == Page::MethodNotAllowed);
  CHECK(a.status == http::status::method_not_allowed);
  a = answer("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  CHECK(a.page == Page::Error);
  CHECK(a.status == http::status::payload_too_large);
  a = answer("GET /metrics HTTP/1.1\r\nX: " + std::string(200, 'y') + "\r\n\r\n", 64);
  CHECK(a.page == Page::Error);
  CHECK(a.status == http::status::request_header_fields_too_large);
  CHECK(answer("GET /metrics HTTP/1.1\r\n").status == http::status::bad_request);
  CHECK(answer("\x01\x02 nonsense\r\n\r\n").status == http::status::bad_request);
  CHECK(answer_request(http::error::end_of_stream, RequestParser()).page == Page::None);
  CHECK(answer_request(boost::beast::error::timeout, RequestParser()).timeout);
}

TEST_CASE("http: GET /metrics, keep-alive, index, 404, 405, HEAD") {
  Endpoint e;
  asio::io_context cio;
  tcp::socket s(cio);
  s.connect(e.ep());
  auto r = get(s, "/metrics");
  CHECK(r.result() == http::status::ok);
  CHECK(std::string(r[http::field::content_type]) == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.body().find("test_value{l=\"x\"} 42\n") != std::string::npos);
  CHECK(r.body().find("# HELP test_value A \"test\".\n") != std::string::npos);
  CHECK(r.keep_alive());
  // Same connection again, with a query string.
  r = get(s, "/metrics?x=1");
  CHECK(r.result() == http::status::ok);
  r = get(s, "/");
  CHECK(r.result() == http::status::ok);
  CHECK(r.body().find("href=\"/metrics\"") != std::string::npos);
  r = get(s, "/nope");
  CHECK(r.result() == http::status::not_found);
  r = get(s, "/metrics", true, http::verb::post);
  CHECK(r.result() == http::status::method_not_allowed);
  CHECK(std::string(r[http::field::allow]) == "GET, HEAD");
  r = get(s, "/metrics", true, http::verb::head);
  CHECK(r.result() == http::status::ok);
  CHECK(r.body().empty());
  CHECK(std::stoul(std::string(r[http::field::content_length])) > 0);
  // Connection: close is honoured.
  r = get(s, "/metrics", false);
  CHECK(r.result() == http::status::ok);
  CHECK(closed_by_server(s));
}

TEST_CASE("http: oversized, malformed and body-carrying requests are answered and closed") {
  HttpOptions o;
  o.max_request_bytes = 1024;
  Endpoint e(o);
  asio::io_context cio;
  {
    tcp::socket s(cio);
    s.connect(e.ep());
    const std::string big =
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n";
    beast::error_code ec;
    asio::write(s, asio::buffer(big), ec);
    beast::flat_buffer b;
    http::response<http::string_body> r;
    http::read(s, b, r, ec);
    CHECK_FALSE(ec);
    CHECK(r.result() == http::status::request_header_fields_too_large);
    CHECK(closed_by_server(s));
  }
  {
    tcp::socket s(cio);
    s.connect(e.ep());
    asio::write(s, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
    beast::flat_buffer b;
    http::response<http::string_body> r;
    http::read(s, b, r);
    CHECK(r.result() == http::status::bad_request);
    CHECK(closed_by_server(s));
  }
  {
    tcp::socket s(cio);
    s.connect(e.ep());
    asio::write(s, asio::buffer(std::string(
                       "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")));
    beast::flat_buffer b;
    http::response<http::string_body> r;
    http::read(s, b, r);
    CHECK(r.result() == http::status::payload_too_large);
  }
  // The server still serves.
  tcp::socket s(cio);
  s.connect(e.ep());
  CHECK(get(s, "/metrics").result() == http::status::ok);
}

TEST_CASE("http: a silent client is dropped at the request deadline") {
  HttpOptions o;
  o.request_timeout = std::chrono::milliseconds(200);
  Endpoint e(o);
  asio::io_context cio;
  tcp::socket s(cio);
  s.connect(e.ep());
  asio::write(s, asio::buffer(std::string("GET /met")));  // and never more
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(closed_by_server(s));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}

TEST_CASE("http: connections over the cap are closed at once, the others keep working") {
  HttpOptions o;
  o.max_connections = 2;
  o.min_render_interval = std::chrono::milliseconds(0);  // every scrape built anew
  Endpoint e(o);
  asio::io_context cio;
  tcp::socket a(cio), b(cio), c(cio);
  a.connect(e.ep());
  b.connect(e.ep());
  CHECK(get(a, "/metrics").result() == http::status::ok);  // both accepted by now
  CHECK(get(b, "/metrics").result() == http::status::ok);
  c.connect(e.ep());
  CHECK(closed_by_server(c));
  CHECK(get(a, "/metrics").result() == http::status::ok);
  const auto r = get(b, "/metrics");
  CHECK(r.body().find("rsd_metrics_http_connections_rejected_total 1\n") != std::string::npos);
}

TEST_CASE("http: scrapes within min_render_interval share one rendering") {
  HttpOptions o;
  o.min_render_interval = std::chrono::seconds(60);
  Endpoint e(o);
  asio::io_context cio;
  tcp::socket s(cio);
  s.connect(e.ep());
  const auto a = get(s, "/metrics").body();
  const auto b = get(s, "/metrics").body();
  CHECK(a == b);
  CHECK(a.find("rsd_metrics_scrapes_total 1\n") != std::string::npos);
}

TEST_CASE("http: a port in use is reported like the control socket's errors") {
  asio::io_context io;
  tcp::acceptor busy(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  MetricsRegistry r;
  HttpOptions o;
  o.port = busy.local_endpoint().port();
  MetricsServer s(io, r, o);
  const std::string err = s.start();
  CHECK(err.find("cannot listen on 127.0.0.1:" + std::to_string(o.port)) == 0);
  CHECK(err.find("in use") != std::string::npos);
  CHECK(r.collectors() == 0);
}

// ---- rsd's collectors on a real RouteServer ----------------------------------------------------

TEST_CASE("collectors: protocols, RIB, process") {
  asio::io_context io;
  uint16_t port = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  const std::string text =
      "router id 192.0.2.1;\n"
      "protocol static st { ipv4; route 203.0.113.0/24 via 192.0.2.2; "
      "route 198.51.100.0/24 via 192.0.2.3; }\n"
      "protocol bgp a { local 127.0.0.1 port " +
      std::to_string(port) +
      " as 65000; neighbor 127.0.0.2 as 65001; passive; ipv4 { import all; export all; }; }\n"
      "protocol bgp b { local 127.0.0.1 port " +
      std::to_string(port) +
      " as 65000; neighbor 2001:db8::2 as 65002; passive; disabled; "
      "ipv4 { import all; export none; }; ipv6 { import all; export none; }; }\n";
  auto loaded = rs::conf::load_string(text, "t.conf");
  REQUIRE_MESSAGE(loaded.ok(), loaded.diagnostics.to_string());
  auto cfg = std::make_shared<const rs::conf::Config>(std::move(loaded.config));
  rs::RouteServer server(io, cfg);
  REQUIRE(server.start().empty());
  io.run_for(std::chrono::milliseconds(50));

  MetricsRegistry r;
  add_rsd_collectors(r, server, nullptr);
  const std::string t = r.scrape();
  CHECK(t.find("rsd_protocol_up{protocol=\"a\"} 0\n") != std::string::npos);
  CHECK(t.find("rsd_protocol_disabled{protocol=\"b\"} 1\n") != std::string::npos);
  CHECK(t.find("rsd_protocol_disabled{protocol=\"a\"} 0\n") != std::string::npos);
  CHECK(t.find("rsd_protocol_state{protocol=\"a\"} 3\n") != std::string::npos);  // passive: active
  CHECK(t.find("rsd_protocol_state{protocol=\"b\"} 1\n") != std::string::npos);  // disabled: idle
  CHECK(t.find("rsd_protocol_info{protocol=\"b\",neighbor=\"2001:db8::2\",peer_as=\"65002\",local_"
               "as=\"65000\"} 1\n") != std::string::npos);
  // Channels: a has ipv4 only, b both.
  CHECK(t.find("rsd_protocol_prefixes_received_total{protocol=\"a\",afi=\"ipv4\"} 0\n") !=
        std::string::npos);
  CHECK(t.find("rsd_protocol_prefixes_received_total{protocol=\"a\",afi=\"ipv6\"}") ==
        std::string::npos);
  CHECK(t.find("rsd_protocol_prefixes_received_total{protocol=\"b\",afi=\"ipv6\"} 0\n") !=
        std::string::npos);
  CHECK(count(t, "rsd_protocol_messages_sent_total{protocol=\"a\",type=") == 5);
  // No NOTIFICATION yet: the family has no samples and is left out.
  CHECK(t.find("rsd_protocol_notifications_sent_total") == std::string::npos);
  CHECK(t.find("rsd_rib_prefixes 2\n") != std::string::npos);  // the two static routes
  CHECK(t.find("rsd_intern_entries{table=\"attribute_sets\"} ") != std::string::npos);
  CHECK(t.find("process_open_fds ") != std::string::npos);
  CHECK(t.find("process_resident_memory_bytes ") != std::string::npos);
  CHECK(t.find("rsd_build_info{version=\"") != std::string::npos);
  CHECK(t.find("rsd_health_") == std::string::npos);  // no health manager given
  server.shutdown("test done");
  io.run_for(std::chrono::milliseconds(20));
}
