// Blocking client side of the control protocol (plain POSIX sockets: rsc needs nothing more).
#include "cli/rsc_client.hpp"

#include <errno.h>
#include <string.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstring>

namespace rs::cli {

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    error_ = "cannot connect to " + path + ": path too long";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("cannot create a socket: ") + strerror(errno);
    return false;
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    switch (e) {
      case ENOENT:
        error_ = "cannot connect to " + path + ": no such socket (is rsd running?)";
        break;
      case ECONNREFUSED:
        error_ = "cannot connect to " + path + ": connection refused (rsd is not running)";
        break;
      case EACCES:
      case EPERM:
        error_ =
            "cannot connect to " + path + ": permission denied (check the socket's mode and group)";
        break;
      default:
        error_ = "cannot connect to " + path + ": " + strerror(e);
        break;
    }
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  ReplyLine l;
  std::string raw;
  if (!read_line(l, raw) || l.code != code::kWelcome) {
    error_ = "cannot connect to " + path + ": no welcome from the daemon";
    return false;
  }
  welcome_ = l.text;
  return true;
}

bool Client::read_line(ReplyLine& out, std::string& raw) {
  while (true) {
    std::size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      raw = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      ReplyParser p;
      p.feed(raw + "\n");
      auto l = p.next();
      if (!l) return false;
      if (l->continuation)
        l->code = last_code_;
      else if (l->code >= 0)
        last_code_ = l->code;
      out = *l;
      return true;
    }
    char tmp[65536];
    ssize_t n = ::read(fd_, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
  }
}

std::optional<Reply> Client::run(
    const std::string& command,
    const std::function<void(const ReplyLine&, const std::string&)>& on_line, bool keep) {
  if (fd_ < 0) return std::nullopt;
  std::string line = command + "\n";
  std::size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    off += static_cast<std::size_t>(n);
  }
  Reply r;
  while (true) {
    ReplyLine l;
    std::string raw;
    if (!read_line(l, raw)) return std::nullopt;
    if (on_line) on_line(l, raw);
    const bool last = l.last;
    if (last) r.final_code = l.code;
    if (keep || last) r.lines.push_back(std::move(l));
    if (last) break;
  }
  return r;
}

}  // namespace rs::cli
