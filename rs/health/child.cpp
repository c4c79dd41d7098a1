// Child process spawning and reaping. Design: pipes are created with O_CLOEXEC (pipe2) so no other
// child inherits them; posix_spawn's file actions dup2 the child ends onto 0/1/2 (dup2 clears the
// flag on the copy only) and close every descriptor above 2, so BGP sockets opened without
// SOCK_CLOEXEC never reach a check. POSIX_SPAWN_SETPGROUP makes the child a group leader;
// SETSIGDEF and SETSIGMASK undo the daemon's ignored SIGPIPE and blocked signals (both survive
// exec). Exit is awaited on a pidfd (readable when the process terminates), then waitpid(pid) reaps
// exactly this child; a 20 ms waitpid(WNOHANG) poll replaces the pidfd on old kernels.
#include "rs/health/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

extern char** environ;

namespace rs::health {

std::vector<std::string> split_argv(std::string_view command) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : command) {
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) return {};
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::string ExitStatus::to_string() const {
  if (signal) return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(code);
}

Child::~Child() {
  *alive_ = false;
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

std::string Child::spawn(const std::vector<std::string>& argv, bool want_stdin,
                         ExitHandler on_exit) {
  if (argv.empty() || argv[0].empty()) return "empty command";
  if (want_stdin) {
    // Writing to the stdin of a program that exited must be EPIPE, not a fatal SIGPIPE (the daemon
    // ignores it already; this makes the library safe on its own). Children get SIG_DFL back.
    static std::once_flag once;
    std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
  }
  if (pid_ > 0) return "already running";
  int pout[2] = {-1, -1}, perr[2] = {-1, -1}, pin[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {pout[0], pout[1], perr[0], perr[1], pin[0], pin[1]})
      if (fd >= 0) ::close(fd);
  };
  if (::pipe2(pout, O_CLOEXEC) != 0 || ::pipe2(perr, O_CLOEXEC) != 0 ||
      (want_stdin && ::pipe2(pin, O_CLOEXEC) != 0)) {
    std::string e = std::strerror(errno);
    close_all();
    return "pipe: " + e;
  }
  int devnull = -1;
  if (!want_stdin) devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, want_stdin ? pin[0] : devnull, 0);
  posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
  posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
  // Descriptors other code opened without O_CLOEXEC (asio's sockets, say) must not leak into the
  // child either: close everything above stderr (glibc >= 2.34).
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t def, mask;
  sigemptyset(&mask);
  sigemptyset(&def);
  for (int s : {SIGPIPE, SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&def, s);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (devnull >= 0) ::close(devnull);
  if (rc != 0) {
    close_all();
    return "cannot run '" + argv[0] + "': " + std::strerror(rc);
  }
  ::close(pout[1]);
  ::close(perr[1]);
  if (want_stdin) ::close(pin[0]);
  pid_ = pid;
  on_exit_ = std::move(on_exit);
  out_.assign(pout[0]);
  err_.assign(perr[0]);
  out_.non_blocking(true);
  err_.non_blocking(true);
  if (want_stdin) {
    in_.assign(pin[1]);
    in_.non_blocking(true);
  }
  wait_exit();
  return {};
}

void Child::kill_group(int sig) {
  if (pid_ > 0) ::kill(-pid_, sig);
}

void Child::terminate(int grace_ms) {
  if (pid_ <= 0) return;
  on_exit_ = nullptr;
  ::kill(-pid_, SIGTERM);
  int st = 0;
  for (int waited = 0; waited <= grace_ms; waited += 10) {
    siginfo_t si{};
    // WNOWAIT: look without reaping, so the group id stays ours for the final SIGKILL.
    if (::waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        si.si_pid == pid_)
      break;
    ::usleep(10000);
  }
  ::kill(-pid_, SIGKILL);
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  boost::system::error_code ignore;
  if (pidfd_.is_open()) pidfd_.close(ignore);
  poll_.cancel();
}

void Child::wait_exit() {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  auto alive = alive_;
  if (fd >= 0) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    pidfd_.assign(fd);
    pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [this, alive](const boost::system::error_code& ec) {
                        if (!*alive || ec) return;
                        try_reap();
                      });
    return;
  }
  poll_.expires_after(std::chrono::milliseconds(20));
  poll_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    try_reap();
  });
}

void Child::try_reap() {
  if (pid_ <= 0) return;
  int st = 0;
  pid_t r;
  if (pidfd_.is_open()) {
    // The leader has exited but is not reaped yet, so the group id is still ours: leftover
    // members of the group (a check's grandchildren) must not outlive it.
    ::kill(-pid_, SIGKILL);
  }
  do r = ::waitpid(pid_, &st, pidfd_.is_open() ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0) {  // poll fallback: still running
    wait_exit();
    return;
  }
  if (!pidfd_.is_open()) ::kill(-pid_, SIGKILL);  // best effort on old kernels
  ExitStatus es;
  if (r == pid_) {
    if (WIFEXITED(st))
      es.code = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
      es.signal = WTERMSIG(st);
  }
  pid_ = -1;
  boost::system::error_code ignore;
  if (pidfd_.is_open()) pidfd_.close(ignore);
  if (in_.is_open()) in_.close(ignore);
  auto h = std::move(on_exit_);
  on_exit_ = nullptr;
  if (h) h(es);
}

}  // namespace rs::health
