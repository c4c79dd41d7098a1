// Control sockets (see control_server.hpp). Flow control: a session has at most one reply in
// flight; the next slice is produced in the completion handler of the previous write, so the
// memory a client can pin is one slice plus the reply's own cursor, however slowly it reads, and
// other work (keepalives, UPDATEs) runs between slices. A write error (the client went away)
// drops the reply at once. Input is read in small pieces and a line longer than kMaxLine is
// discarded as it arrives, so a client cannot grow the input buffer either. A slice without bytes
// (a count, a filter matching nothing) is still progress: the next one follows on the next
// event-loop turn, unthrottled. An output blocked on a shared resource (a table-walk slot) parks
// the session until it is woken (Output::wait); nothing polls.
#include "rs/control/control_server.hpp"

#include "rs/control/echo.hpp"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <vector>

#include "cli/reply.hpp"
#include "rs/control/commands.hpp"
#include "rs/control/output.hpp"
#include "rs/version.hpp"

namespace rs::control {

using boost::asio::local::stream_protocol;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(stream_protocol::socket sock, CommandHandler& handler, bool restricted,
          std::shared_ptr<std::size_t> counter)
      : sock_(std::move(sock)), handler_(handler), counter_(std::move(counter)) {
    state_.restricted = restricted;
    ++*counter_;
  }
  // Who is on the other end (SO_PEERCRED) and on which socket: operator events in the history.
  void set_origin(const std::string& socket_path) {
    state_.socket = socket_path;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(sock_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
    state_.uid = cred.uid;
    state_.pid = cred.pid;
    passwd pw{};
    passwd* res = nullptr;
    char buf[1024];
    if (::getpwuid_r(cred.uid, &pw, buf, sizeof buf, &res) == 0 && res)
      state_.user = res->pw_name;
    else
      state_.user = std::to_string(cred.uid);
  }
  ~Session() {
    --*counter_;
    if (echo_sub_) EchoSink::instance()->unsubscribe(echo_sub_);
  }

  void start() {
    cli::ReplyWriter w;
    w.end(cli::code::kWelcome, std::string("rsd ") + std::string(kVersion) + " ready.");
    out_ = w.take();
    write_then([self = shared_from_this()] { self->process(); });
  }

  void close() {
    if (echo_sub_) EchoSink::instance()->unsubscribe(std::exchange(echo_sub_, 0));
    boost::system::error_code ec;
    sock_.close(ec);
    output_.reset();
  }

 private:
  // Handles complete lines already buffered; reads more when none is left.
  void process() {
    while (true) {
      std::size_t nl = in_.find('\n');
      if (nl == std::string::npos) break;
      std::string line = in_.substr(0, nl);
      in_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (discarding_) {
        discarding_ = false;
        output_ = reply(cli::code::kCommandTooLong, "Command too long");
      } else {
        output_ = handler_.execute(line, state_);
        if (state_.echo_changed) update_echo();
      }
      if (output_) {
        if (echo_writing_) {  // an echo write is in flight: reply once it is out
          resume_after_echo_ = true;
          return;
        }
        pump();
        return;
      }
    }
    if (in_.size() > ControlServer::kMaxLine) {
      discarding_ = true;  // the line is too long: drop what came, answer at its newline
      in_.clear();
    }
    read();
  }

  void read() {
    auto self = shared_from_this();
    idle_ = true;
    flush_echo();
    sock_.async_read_some(
        boost::asio::buffer(buf_), [self](const boost::system::error_code& ec, std::size_t n) {
          self->idle_ = false;
          if (ec) return self->close();
          std::string_view data(self->buf_.data(), n);
          if (self->discarding_) {
            // Drop everything up to the end of the overlong line.
            std::size_t nl = data.find('\n');
            if (nl == std::string_view::npos) return self->read();
            self->in_.assign("\n");  // an empty marker line ends the discarded one
            self->in_.append(data.substr(nl + 1));
          } else {
            self->in_.append(data);
          }
          self->process();
        });
  }

  void update_echo() {
    state_.echo_changed = false;
    if (state_.echo_classes && !echo_sub_) {
      std::weak_ptr<Session> weak = weak_from_this();
      auto exec = sock_.get_executor();
      echo_sub_ =
          EchoSink::instance()->subscribe([weak, exec](uint32_t cls, std::string_view text) {
            boost::asio::post(exec, [weak, cls, t = std::string(text)] {
              if (auto s = weak.lock()) s->echo(cls, t);
            });
          });
    } else if (!state_.echo_classes && echo_sub_) {
      EchoSink::instance()->unsubscribe(std::exchange(echo_sub_, 0));
      echo_pending_.clear();
    }
  }

  // A log message for this session: queued as a '+' line (BIRD's asynchronous message), dropped
  // when the queue is over the session's echo buffer size.
  void echo(uint32_t cls, const std::string& text) {
    if (!(state_.echo_classes & cls) || !sock_.is_open()) return;
    if (echo_pending_.size() + text.size() + 2 > state_.echo_buffer) {
      ++echo_dropped_;
      return;
    }
    echo_pending_ += "+" + text + "\n";
    flush_echo();
  }

  // Writes queued echo lines while the session waits for a command (never inside a reply).
  void flush_echo() {
    if (!idle_ || echo_writing_ || echo_pending_.empty()) return;
    echo_writing_ = true;
    echo_out_ = std::move(echo_pending_);
    echo_pending_.clear();
    auto self = shared_from_this();
    boost::asio::async_write(sock_, boost::asio::buffer(echo_out_),
                             [self](const boost::system::error_code& ec, std::size_t) {
                               self->echo_writing_ = false;
                               self->echo_out_.clear();
                               if (ec) return self->close();
                               if (self->resume_after_echo_) {
                                 self->resume_after_echo_ = false;
                                 return self->pump();
                               }
                               self->flush_echo();
                             });
  }

  // Produces and writes the next slice of the current reply.
  void pump() {
    cli::ReplyWriter w;
    bool more = output_->next(w, ControlServer::kSlice);
    out_ = w.take();
    if (!more) output_.reset();
    if (out_.empty() && more) {
      auto self = shared_from_this();
      auto exec = sock_.get_executor();
      // Blocked on a walk slot: the output wakes us when it has one (the waiter keeps us alive).
      if (output_->wait([self, exec] {
            boost::asio::post(exec, [self] {
              if (self->output_) self->pump();
            });
          }))
        return;
      // Progress without bytes (a count, a filter matching nothing in this slice): go on at once,
      // after whatever else is ready (keepalives, UPDATEs, other sessions).
      boost::asio::post(exec, [self] {
        if (self->output_) self->pump();
      });
      return;
    }
    write_then([self = shared_from_this(), more] {
      if (more && self->output_) return self->pump();
      if (self->state_.close_after) return self->close();
      self->process();
    });
  }

  template <class F>
  void write_then(F next) {
    auto self = shared_from_this();
    boost::asio::async_write(
        sock_, boost::asio::buffer(out_),
        [self, next = std::move(next)](const boost::system::error_code& ec, std::size_t) {
          if (ec) return self->close();  // the reader went away: drop the reply
          self->out_.clear();
          next();
        });
  }

  stream_protocol::socket sock_;
  CommandHandler& handler_;
  std::shared_ptr<std::size_t> counter_;
  SessionState state_;
  std::array<char, 4096> buf_{};
  std::string in_;
  std::string out_;
  bool discarding_ = false;
  std::unique_ptr<Output> output_;
  uint64_t echo_sub_ = 0;
  std::string echo_pending_, echo_out_;
  bool idle_ = false;  // waiting for a command (echo lines may be written)
  bool echo_writing_ = false;
  bool resume_after_echo_ = false;  // a reply waits for the echo write to finish
  uint64_t echo_dropped_ = 0;

  friend class ControlServer;

 public:
  std::weak_ptr<Session> weak() { return weak_from_this(); }
};

namespace {
// Sessions of all servers, to close them on stop().
std::vector<std::pair<const ControlServer*, std::weak_ptr<Session>>>& registry() {
  static std::vector<std::pair<const ControlServer*, std::weak_ptr<Session>>> r;
  return r;
}
}  // namespace

ControlServer::ControlServer(boost::asio::io_context& io, CommandHandler& handler,
                             SocketOptions options)
    : io_(io), handler_(handler), options_(std::move(options)) {}

ControlServer::~ControlServer() {
  stop();
}

std::string ControlServer::start() {
  namespace fs = std::filesystem;
  const fs::path path(options_.path);
  std::error_code fec;
  if (path.has_parent_path() && !fs::exists(path.parent_path(), fec)) {
    fs::create_directories(path.parent_path(), fec);
    if (fec) return "cannot create " + path.parent_path().string() + ": " + fec.message();
  }
  boost::system::error_code ec;
  if (fs::exists(fs::symlink_status(path, fec))) {
    if (!fs::is_socket(fs::symlink_status(path, fec)))
      return options_.path + " exists and is not a socket";
    // A live daemon answers: refuse. A stale socket file is removed.
    stream_protocol::socket probe(io_);
    probe.connect(stream_protocol::endpoint(options_.path), ec);
    if (!ec) return "another daemon is running on " + options_.path;
    ::unlink(options_.path.c_str());
  }
  acceptor_.emplace(io_);
  acceptor_->open(stream_protocol(), ec);
  if (!ec) acceptor_->bind(stream_protocol::endpoint(options_.path), ec);
  if (!ec) acceptor_->listen(64, ec);
  if (ec) {
    acceptor_.reset();
    return "cannot listen on " + options_.path + ": " + ec.message();
  }
  bound_ = true;
  if (::chmod(options_.path.c_str(), options_.mode) != 0)
    spdlog::warn("control: cannot set mode {:o} on {}", options_.mode, options_.path);
  if (!options_.group.empty()) {
    const struct group* g = ::getgrnam(options_.group.c_str());
    if (!g) {
      stop();
      return "control socket " + options_.path + ": unknown group " + options_.group;
    }
    if (::chown(options_.path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      stop();
      return "control socket " + options_.path + ": cannot set group " + options_.group;
    }
  }
  *stopped_ = false;
  spdlog::info("control: listening on {}{}", options_.path,
               options_.restricted ? " (restricted)" : "");
  accept();
  return {};
}

void ControlServer::accept() {
  auto stopped = stopped_;
  acceptor_->async_accept([this, stopped](const boost::system::error_code& ec,
                                          stream_protocol::socket sock) {
    if (*stopped) return;
    if (ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      // Out of descriptors (EMFILE, ENFILE) or memory: accept fails at once for as long as the
      // condition lasts, so retrying at once would spin. Wait a little; pending clients queue
      // in the listen backlog meanwhile.
      spdlog::warn("control: accept on {}: {}", options_.path, ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this, stopped](const boost::system::error_code& tec) {
        if (!tec && !*stopped) accept();
      });
      return;
    }
    if (*sessions_ >= kMaxSessions) {
      // Over the limit: one line and close (BIRD has no such limit; 8000 is "reply too long").
      static const std::string msg = "8000 Too many control connections\n";
      boost::system::error_code wec;
      boost::asio::write(sock, boost::asio::buffer(msg), wec);
      return accept();
    }
    auto s = std::make_shared<Session>(std::move(sock), handler_, options_.restricted, sessions_);
    s->set_origin(options_.path);
    auto& reg = registry();
    std::erase_if(reg, [](const auto& e) { return e.second.expired(); });
    reg.emplace_back(this, s->weak());
    s->start();
    accept();
  });
}

void ControlServer::stop() {
  *stopped_ = true;
  retry_.cancel();
  if (acceptor_) {
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
  }
  auto& reg = registry();
  for (auto& [srv, w] : reg)
    if (srv == this)
      if (auto s = w.lock()) s->close();
  std::erase_if(reg, [this](const auto& e) { return e.first == this || e.second.expired(); });
  if (bound_) {
    ::unlink(options_.path.c_str());
    bound_ = false;
  }
}

}  // namespace rs::control
