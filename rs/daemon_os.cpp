#include "rs/daemon_os.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rs::os {

namespace {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool parse_id(const std::string& s, unsigned long& out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::strtoul(s.c_str(), nullptr, 10);
  return true;
}

}  // namespace

std::string Detacher::detach() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return errno_text("cannot detach: pipe");
  const pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return errno_text("cannot detach: fork");
  }
  if (pid > 0) {
    // The parent: one byte means ready; end of file means the child exited before that (it wrote
    // its reason to the stderr we share).
    close(p[1]);
    char c = 0;
    ssize_t n;
    do n = read(p[0], &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1) _exit(0);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
  }
  close(p[0]);
  fd_ = p[1];
  setsid();
  // As daemon(3) did: relative paths of the configuration (history, sockets) are taken from /.
  if (chdir("/") != 0) return errno_text("cannot detach: chdir /");
  return {};
}

void Detacher::ready() {
  if (fd_ < 0) return;
  const char c = 'R';
  while (write(fd_, &c, 1) < 0 && errno == EINTR) {
  }
  close(fd_);
  fd_ = -1;
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
}

std::string resolve_credentials(const std::string& user, const std::string& group,
                                Credentials& out) {
  unsigned long id = 0;
  if (!user.empty()) {
    const passwd* pw =
        parse_id(user, id) ? getpwuid(static_cast<uid_t>(id)) : getpwnam(user.c_str());
    if (!pw) {
      if (!parse_id(user, id)) return "unknown user '" + user + "'";
      out.uid = static_cast<uid_t>(id);  // a bare number with no passwd entry, as BIRD accepts
      out.gid = static_cast<gid_t>(id);
    } else {
      out.uid = pw->pw_uid;
      out.gid = pw->pw_gid;
      out.user = pw->pw_name;
    }
  } else {
    out.uid = getuid();
    out.gid = getgid();
  }
  if (!group.empty()) {
    const struct group* gr =
        parse_id(group, id) ? getgrgid(static_cast<gid_t>(id)) : getgrnam(group.c_str());
    if (gr)
      out.gid = gr->gr_gid;
    else if (parse_id(group, id))
      out.gid = static_cast<gid_t>(id);
    else
      return "unknown group '" + group + "'";
  }
  return {};
}

void give_files(const std::vector<std::string>& paths, const Credentials& c) {
  // Best effort: a file that cannot be handed over is reported when it is next written.
  for (const auto& p : paths) {
    [[maybe_unused]] const int r = chown(p.c_str(), c.uid, c.gid);
  }
}

void prepare_file(const std::string& path, const Credentials& c) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return;  // reported by whoever opens it next
  [[maybe_unused]] const int r = fchown(fd, c.uid, c.gid);
  close(fd);
}

std::string drop_privileges(const Credentials& c) {
  if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) return errno_text("prctl(PR_SET_KEEPCAPS)");
  if (!c.user.empty() ? initgroups(c.user.c_str(), c.gid) != 0 : setgroups(0, nullptr) != 0)
    return errno_text("cannot set supplementary groups");
  if (setgid(c.gid) != 0) return errno_text("setgid");
  if (setuid(c.uid) != 0) return errno_text("setuid");
  // Root keeps every capability; anyone else keeps only the one to bind port 179.
  if (c.uid != 0) {
    __user_cap_header_struct header{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0;
    __user_cap_data_struct data[2]{};
    data[0].effective = data[0].permitted = 1u << CAP_NET_BIND_SERVICE;
    if (syscall(SYS_capset, &header, data) != 0) return errno_text("capset");
  }
  prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
  return {};
}

bool sd_notify(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return true;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  const bool ok =
      sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr),
             addr_len) == static_cast<ssize_t>(state.size());
  close(fd);
  return ok;
}

}  // namespace rs::os
