// The control sockets: UNIX stream sockets speaking BIRD's reply-code protocol (cli/reply.hpp).
// One ControlServer per socket path (the main `control socket` and each `cli "PATH"`), full or
// restricted. Each connection is a Session: it reads one command line at a time (at most
// kMaxLine bytes; longer lines are discarded and answered 9000), runs it through the
// CommandHandler and streams the reply in slices, reading the next command only when the reply
// is out. Everything runs on the daemon's io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace rs::control {

class CommandHandler;

struct SocketOptions {
  std::string path;
  bool restricted = false;
  uint32_t mode = 0660;
  std::string group;  // empty: leave the daemon's group
};

class ControlServer {
 public:
  static constexpr std::size_t kMaxLine = 4096;     // BIRD's command buffer is of this order
  static constexpr std::size_t kSlice = 16 * 1024;  // bytes of reply produced per event-loop turn
  static constexpr std::size_t kMaxSessions = 1024;

  ControlServer(boost::asio::io_context& io, CommandHandler& handler, SocketOptions options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the directory, removes a stale socket (refuses when a live daemon answers on it),
  // binds, applies mode and group, and starts accepting. Returns an error text, empty on success.
  [[nodiscard]] std::string start();
  // Stops accepting, closes every session and removes the socket file.
  void stop();
  const SocketOptions& options() const { return options_; }
  std::size_t sessions() const { return *sessions_; }

 private:
  void accept();

  boost::asio::io_context& io_;
  CommandHandler& handler_;
  SocketOptions options_;
  std::optional<boost::asio::local::stream_protocol::acceptor> acceptor_;
  boost::asio::steady_timer retry_{io_};  // accept errors (EMFILE): retry later, not in a busy loop
  std::shared_ptr<std::size_t> sessions_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
  bool bound_ = false;
};

}  // namespace rs::control
