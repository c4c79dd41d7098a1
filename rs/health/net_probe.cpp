// `tcp` and `http` probes. Design: a probe owns a generation counter and a timer; each run opens
// one Connection (socket, TLS stream for https, read buffer), held by every handler of the run so
// that an operation cancelled by the timeout completes into live memory. The timer and the I/O
// race: the first to finish reports and bumps the generation, the loser's callback is ignored.
// The whole run (connect, TLS handshake, request, response) is bounded by the check's `timeout`.
//
// TLS (https): OpenSSL through Boost.Asio, TLS 1.2 or later. The server certificate is verified
// against the `ca file`, else the system store (OpenSSL's default paths: /etc/ssl/certs on
// Debian), and its name against the server name (RFC 6125: DNS names via SSL_set1_host, an
// address via its IP SAN); SNI carries the server name unless it is an address (RFC 6066 3).
// `insecure` turns verification off and says so in the log. No DNS: the connection goes to the
// URL's address or to `address`, whatever name the URL, SNI and Host carry.
#include "rs/health/net_probe.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>

namespace rs::health {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Check = conf::HealthCheckConfig::Check;

uint64_t ms_since(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

asio::ip::address to_asio(const rib::IpAddress& a) {
  return asio::ip::make_address(a.to_string());
}

// Control bytes as \xNN: what show health prints comes from the server or the configuration.
std::string printable(std::string_view s, std::size_t max = 80) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::shared_ptr<ssl::context> make_tls_context(const conf::HealthCheckConfig::Tls& t,
                                               std::string& error) {
  std::shared_ptr<ssl::context> ctx;
  try {
    ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  } catch (const boost::system::system_error& e) {
    error = std::string("cannot create a TLS context: ") + e.what();
    return nullptr;
  }
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);
  if (t.insecure) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (t.ca_file) {
      ctx->load_verify_file(*t.ca_file, ec);
      if (ec) {
        error = "ca file \"" + *t.ca_file + "\": " + ec.message();
        return nullptr;
      }
    } else {
      ctx->set_default_verify_paths(ec);
      if (ec) {
        error = "the system certificate store: " + ec.message();
        return nullptr;
      }
    }
  }
  if (t.certificate) {
    ctx->use_certificate_chain_file(*t.certificate, ec);
    if (ec) {
      error = "certificate \"" + *t.certificate + "\": " + ec.message();
      return nullptr;
    }
    const std::string& key = t.key ? *t.key : *t.certificate;
    ctx->use_private_key_file(key, ssl::context::pem, ec);
    if (ec) {
      error = "key \"" + key + "\": " + ec.message();
      return nullptr;
    }
  }
  return ctx;
}

// One connection of one run, shared by the run's handlers.
struct Connection {
  Connection(asio::io_context& io, std::shared_ptr<ssl::context> c) : ctx(std::move(c)) {
    if (ctx)
      tls.emplace(io, *ctx);
    else
      plain.emplace(io);
  }
  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
  template <class Handler>
  void read_some(Handler&& h) {
    if (tls)
      tls->async_read_some(asio::buffer(buf), std::forward<Handler>(h));
    else
      plain->async_read_some(asio::buffer(buf), std::forward<Handler>(h));
  }
  template <class Handler>
  void write_request(Handler&& h) {
    if (tls)
      asio::async_write(*tls, asio::buffer(request), std::forward<Handler>(h));
    else
      asio::async_write(*plain, asio::buffer(request), std::forward<Handler>(h));
  }

  std::shared_ptr<ssl::context> ctx;  // outlives the stream that uses it
  std::optional<ssl::stream<tcp::socket>> tls;
  std::optional<tcp::socket> plain;
  std::array<char, 4096> buf{};
  std::string request;
};

class NetProbe final : public Probe {
 public:
  NetProbe(asio::io_context& io, const Check& c, std::optional<conf::HttpUrl> url,
           std::shared_ptr<ssl::context> ctx)
      : io_(io), check_(c), url_(std::move(url)), ctx_(std::move(ctx)), timer_(io) {
    if (url_) {
      addr_ = c.connect_address.value_or(url_->address.value_or(rib::IpAddress{}));
      port_ = url_->port;
      server_name_ = c.tls.server_name.value_or(url_->host);
      host_ = c.host_header.value_or(url_->authority());
    } else {
      addr_ = c.address;
      port_ = c.port;
    }
  }
  ~NetProbe() override {
    *alive_ = false;
    close();
  }

  void run(uint64_t timeout_ms, Done done) override {
    done_ = std::move(done);
    started_ = Clock::now();
    const uint64_t g = ++gen_;
    close();
    auto conn = std::make_shared<Connection>(io_, ctx_);
    conn_ = conn;
    reader_.emplace(check_.body.has_value());
    auto alive = alive_;
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([this, alive, g](const boost::system::error_code& ec) {
      if (!*alive || ec || g != gen_) return;
      finish(false, "timed out", true);
    });
    const tcp::endpoint ep(to_asio(addr_), port_);
    if (check_.source_address) {
      // Bind before connect: the service sees the configured source (its ACLs, its logs).
      boost::system::error_code ec;
      conn->socket().open(ep.protocol(), ec);
      if (!ec) conn->socket().bind(tcp::endpoint(to_asio(*check_.source_address), 0), ec);
      if (ec)
        return finish(false, "bind " + check_.source_address->to_string() + ": " + ec.message(),
                      false);
    }
    conn->socket().async_connect(ep, [this, alive, g, conn](const boost::system::error_code& ec) {
      if (!*alive || g != gen_) return;
      if (ec) return finish(false, "connect: " + ec.message(), false);
      if (!url_) return finish(true, "connected", false);
      if (conn->tls) return handshake(conn, g);
      send(conn, g);
    });
  }

  std::string describe() const override {
    std::string d;
    if (url_) {
      d = std::string(url_->https ? "https " : "http ") + url_->host + ":" + std::to_string(port_) +
          url_->path;
      if (check_.connect_address) d += " address " + addr_.to_string();
    } else {
      d = "tcp " + addr_.to_string() + " port " + std::to_string(port_);
    }
    if (check_.source_address) d += " source " + check_.source_address->to_string();
    return d;
  }

 private:
  void handshake(const std::shared_ptr<Connection>& conn, uint64_t g) {
    SSL* ssl = conn->tls->native_handle();
    const bool is_address = rib::IpAddress::parse(server_name_).has_value();
    if (!is_address) SSL_set_tlsext_host_name(ssl, server_name_.c_str());
    if (!check_.tls.insecure) {
      if (is_address) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name_.c_str());
      } else {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        SSL_set1_host(ssl, server_name_.c_str());
      }
    }
    auto alive = alive_;
    conn->tls->async_handshake(
        ssl::stream_base::client, [this, alive, g, conn](const boost::system::error_code& ec) {
          if (!*alive || g != gen_) return;
          if (ec) {
            const long v = SSL_get_verify_result(conn->tls->native_handle());
            const std::string why =
                !check_.tls.insecure && v != X509_V_OK
                    ? std::string("certificate verify failed: ") + X509_verify_cert_error_string(v)
                    : ec.message();
            return finish(false, "TLS handshake with " + server_name_ + ": " + why, false);
          }
          send(conn, g);
        });
  }

  void send(const std::shared_ptr<Connection>& conn, uint64_t g) {
    // HTTP/1.1 so that a body may come chunked; one request, then the server closes.
    conn->request = "GET " + url_->path + " HTTP/1.1\r\nHost: " + host_ +
                    "\r\nUser-Agent: rsd-healthcheck\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    auto alive = alive_;
    conn->write_request([this, alive, g, conn](const boost::system::error_code& ec, std::size_t) {
      if (!*alive || g != gen_) return;
      if (ec) return finish(false, "write: " + ec.message(), false);
      read(conn, g);
    });
  }

  void read(const std::shared_ptr<Connection>& conn, uint64_t g) {
    auto alive = alive_;
    conn->read_some([this, alive, g, conn](const boost::system::error_code& ec, std::size_t n) {
      if (!*alive || g != gen_) return;
      reader_->feed(std::string_view(conn->buf.data(), n));
      if (!reader_->finished() && ec) {
        // A TLS server that closes without close_notify ends its body all the same (the
        // framing says whether anything is missing).
        if (ec != asio::error::eof && ec != ssl::error::stream_truncated)
          return finish(false, "read: " + ec.message(), false);
        reader_->end_of_stream();
      }
      if (!reader_->finished()) return read(conn, g);
      verdict();
    });
  }

  void verdict() {
    const HttpStatus& st = reader_->status();
    if (st.code != 0 && st.code != check_.expect) return finish(false, st.line, false);
    if (!reader_->ok()) {
      return finish(false, st.code ? st.line + ": " + reader_->error() : reader_->error(), false);
    }
    if (!check_.body) return finish(true, st.line, false);
    const std::string& body = reader_->body();
    if (body.find(*check_.body) == std::string::npos)
      return finish(false,
                    st.line + ": the body (" + std::to_string(body.size()) + " bytes" +
                        (reader_->body_capped() ? ", the first read" : "") +
                        ") does not contain \"" + printable(*check_.body) + "\"",
                    false);
    finish(true, st.line + ": body has \"" + printable(*check_.body) + "\"", false);
  }

  void close() {
    if (!conn_) return;
    boost::system::error_code ignore;
    conn_->socket().close(ignore);
    conn_.reset();
  }

  void finish(bool ok, std::string output, bool timed_out) {
    ++gen_;
    timer_.cancel();
    close();
    CheckResult r{ok, std::move(output), ms_since(started_), timed_out};
    auto d = std::move(done_);
    done_ = nullptr;
    if (d) d(std::move(r));
  }

  asio::io_context& io_;
  Check check_;
  std::optional<conf::HttpUrl> url_;
  std::shared_ptr<ssl::context> ctx_;
  rib::IpAddress addr_;
  uint16_t port_ = 0;
  std::string server_name_, host_;
  asio::steady_timer timer_;
  std::shared_ptr<Connection> conn_;
  std::optional<HttpResponseReader> reader_;
  Done done_;
  Clock::time_point started_;
  uint64_t gen_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// A probe whose TLS files could not be loaded when the check started (they passed --check, but
// were changed or are unreadable to the user rsd runs as): every run fails with the reason.
class BrokenProbe final : public Probe {
 public:
  BrokenProbe(std::string what, std::string why) : what_(std::move(what)), why_(std::move(why)) {}
  void run(uint64_t, Done done) override { done(CheckResult{false, why_, 0, false}); }
  std::string describe() const override { return what_; }

 private:
  std::string what_, why_;
};

}  // namespace

std::unique_ptr<Probe> make_net_probe(asio::io_context& io, const Check& c, std::string& error) {
  if (c.kind == Check::Kind::Tcp) return std::make_unique<NetProbe>(io, c, std::nullopt, nullptr);
  std::string why;
  auto u = parse_http_url(c.target, &why);
  if (!u || (!u->address && !c.connect_address)) {
    error = "URL \"" + c.target +
            "\" cannot be probed: " + (u ? "a host name needs 'address IP'" : why);
    return nullptr;
  }
  std::shared_ptr<ssl::context> ctx;
  std::string tls_error;
  if (u->https) ctx = make_tls_context(c.tls, tls_error);
  const bool https = u->https;
  auto probe = std::make_unique<NetProbe>(io, c, std::move(u), ctx);
  if (https && !ctx) {
    error = probe->describe() + ": TLS: " + tls_error;
    return std::make_unique<BrokenProbe>(probe->describe(), "TLS: " + tls_error);
  }
  if (c.tls.insecure)
    spdlog::warn("health: probe {} does not verify the server's certificate (insecure)",
                 probe->describe());
  return probe;
}

}  // namespace rs::health
