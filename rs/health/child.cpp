// Child process spawning and reaping. Design: pipes are created with O_CLOEXEC (pipe2) so no other
// child inherits them; the child (clone with CLONE_VM | CLONE_VFORK, as posix_spawn works, but
// with the identity change posix_spawn cannot do) dup2s its ends onto 0/1/2 (dup2 clears the
// flag on the copy only) and closes every descriptor above 2, so BGP sockets opened without
// SOCK_CLOEXEC never reach a check. It leads its own process group, resets every signal
// disposition and unblocks all signals (ignored SIGPIPE and blocked signals survive exec), takes
// its identity (setgroups, setgid, setuid: run_as.hpp) and execs; a failure at any step is
// reported to spawn()'s caller with the step and errno. Exit is awaited on a pidfd (readable when
// the process terminates), then waitpid(pid) reaps exactly this child; a 20 ms waitpid(WNOHANG)
// poll replaces the pidfd on old kernels.
#include "rs/health/child.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
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
  if (!reason.empty()) return reason;
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

namespace {

// What the child does between clone and exec, with everything prepared by the daemon: the child
// shares the daemon's memory (CLONE_VM) and may only make system calls, no allocation or lock.
enum class Stage : int { Ok, Setup, Setgroups, Setgid, Setuid, Exec };

struct Plan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* const* paths = nullptr;  // execve candidates: argv[0] searched in PATH
  std::size_t npaths = 0;
  int fd[3] = {-1, -1, -1};  // become 0, 1, 2
  int max_fd = 1024;         // for closing without close_range
  bool set_id = false, set_groups = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  std::size_t ngroups = 0;
  // Written by the child, read by the daemon once the child has exec'd or exited (CLONE_VFORK).
  volatile int stage = 0;
  volatile int err = 0;
};

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::Setgroups:
      return "setgroups";
    case Stage::Setgid:
      return "setgid";
    case Stage::Setuid:
      return "setuid";
    case Stage::Exec:
      return "exec";
    default:
      return "setting up";
  }
}

// Raw system calls for the identity: glibc's set*id wrappers would ask every thread of the
// daemon (which this child still believes are its own) to change too. Sanitizers stay out: this
// runs on a stack of its own before exec.
#define RSD_CHILD_CODE __attribute__((no_sanitize("address", "undefined")))

[[noreturn]] RSD_CHILD_CODE void fail(Plan* p, Stage s) {
  p->err = errno;
  p->stage = static_cast<int>(s);
  ::_exit(s == Stage::Exec ? 127 : 126);
}

RSD_CHILD_CODE int child_main(void* arg) {
  Plan* p = static_cast<Plan*>(arg);
  // The daemon's handlers must not run here; ignored signals (SIGPIPE) are reset too, so the
  // program starts with default dispositions. All signals stay blocked until just before exec.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction old {};
    if (::sigaction(s, nullptr, &old) == 0 && old.sa_handler != SIG_DFL)
      ::sigaction(s, &dfl, nullptr);
  }
  // Its own process group, so a timeout or a stop reaches everything it starts.
  if (::setpgid(0, 0) != 0) fail(p, Stage::Setup);
  for (int i = 0; i < 3; ++i) {
    if (p->fd[i] == i) {  // dup2 onto itself would keep close-on-exec
      if (::fcntl(i, F_SETFD, 0) != 0) fail(p, Stage::Setup);
    } else if (::dup2(p->fd[i], i) < 0) {
      fail(p, Stage::Setup);
    }
  }
  // Descriptors other code opened without O_CLOEXEC (asio's sockets, say) must not leak.
  if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
    for (int fd = 3; fd < p->max_fd; ++fd) ::close(fd);
  if (p->set_id) {
    if (p->set_groups && ::syscall(SYS_setgroups, static_cast<long>(p->ngroups), p->groups) != 0)
      fail(p, Stage::Setgroups);
    if (::syscall(SYS_setresgid, p->gid, p->gid, p->gid) != 0) fail(p, Stage::Setgid);
    if (::syscall(SYS_setresuid, p->uid, p->uid, p->uid) != 0) fail(p, Stage::Setuid);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int first_err = 0;
  for (std::size_t i = 0; i < p->npaths; ++i) {
    ::execve(p->paths[i], p->argv, p->envp);
    const int e = errno;
    // As execvp: a missing candidate tries the next; a denied one is remembered.
    if (e == EACCES && first_err == 0) first_err = e;
    if (e != ENOENT && e != ENOTDIR && e != EACCES && e != ELOOP && e != ENAMETOOLONG &&
        e != ESTALE && e != ENODEV && e != ETIMEDOUT) {
      first_err = e;
      break;
    }
  }
  errno = first_err ? first_err : ENOENT;
  fail(p, Stage::Exec);
  return 127;
}

// argv[0] as is when it names a path, else each PATH directory in turn (an empty entry is the
// current directory).
std::vector<std::string> exec_candidates(const std::string& prog) {
  if (prog.find('/') != std::string::npos) return {prog};
  const char* env = std::getenv("PATH");
  const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> out;
  std::size_t b = 0;
  while (true) {
    const std::size_t e = path.find(':', b);
    std::string dir = path.substr(b, e == std::string::npos ? std::string::npos : e - b);
    out.push_back(dir.empty() ? prog : dir + "/" + prog);
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

}  // namespace

std::string Child::spawn(const std::vector<std::string>& argv, bool want_stdin, ExitHandler on_exit,
                         const SpawnIdentity* who) {
  if (argv.empty() || argv[0].empty()) return "empty command";
  if (want_stdin) {
    // Writing to the stdin of a program that exited must be EPIPE, not a fatal SIGPIPE (the daemon
    // ignores it already; this makes the library safe on its own). Children get SIG_DFL back.
    static std::once_flag once;
    std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
  }
  if (pid_ > 0) return "already running";
  int pout[2] = {-1, -1}, perr[2] = {-1, -1}, pin[2] = {-1, -1};
  int devnull = -1;
  auto close_all = [&] {
    for (int fd : {pout[0], pout[1], perr[0], perr[1], pin[0], pin[1], devnull})
      if (fd >= 0) ::close(fd);
  };
  if (::pipe2(pout, O_CLOEXEC) != 0 || ::pipe2(perr, O_CLOEXEC) != 0 ||
      (want_stdin && ::pipe2(pin, O_CLOEXEC) != 0)) {
    std::string e = std::strerror(errno);
    close_all();
    return "pipe: " + e;
  }
  if (!want_stdin) devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  // Everything the child reads is built here: argv, the environment (with the identity's HOME,
  // USER, LOGNAME), the exec candidates.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_own;
  std::vector<char*> env;
  if (who) {
    for (char** e = environ; e && *e; ++e) {
      const std::string_view v(*e);
      if (v.starts_with("HOME=") || v.starts_with("USER=") || v.starts_with("LOGNAME=")) continue;
      env.push_back(*e);
    }
    env_own = who->env;
    for (auto& e : env_own) env.push_back(e.data());
    env.push_back(nullptr);
  }
  const std::vector<std::string> cand = exec_candidates(argv[0]);
  std::vector<const char*> paths;
  for (const auto& c : cand) paths.push_back(c.c_str());
  Plan plan;
  plan.argv = args.data();
  plan.envp = who ? env.data() : environ;
  plan.paths = paths.data();
  plan.npaths = paths.size();
  plan.fd[0] = want_stdin ? pin[0] : devnull;
  plan.fd[1] = pout[1];
  plan.fd[2] = perr[1];
  if (who) {
    plan.set_id = true;
    plan.set_groups = who->set_groups;
    plan.uid = who->uid;
    plan.gid = who->gid;
    plan.groups = who->groups.data();
    plan.ngroups = who->groups.size();
  }
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
    plan.max_fd = static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 65536));
  if (plan.fd[0] < 0) {
    std::string e = std::strerror(errno);
    close_all();
    return "/dev/null: " + e;
  }

  // As posix_spawn does: the child borrows this process's memory (no copy of a large RIB) on a
  // stack of its own, and this thread waits until it has exec'd or failed. Every signal is
  // blocked across, so no handler of the daemon runs in the child.
  constexpr std::size_t kStack = 256 * 1024;
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED) {
    std::string e = std::strerror(errno);
    close_all();
    return "mmap: " + e;
  }
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::clone(child_main, static_cast<char*>(stack) + kStack,
                            CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::munmap(stack, kStack);
  if (pid < 0) {
    close_all();
    return std::string("clone: ") + std::strerror(clone_errno);
  }
  const auto stage = static_cast<Stage>(plan.stage);
  if (stage != Stage::Ok) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    close_all();
    const std::string as = who ? " as " + who->describe : std::string();
    if (stage == Stage::Exec)
      return "cannot run '" + argv[0] + "'" + as + ": " + std::strerror(plan.err);
    std::string msg = "cannot start '" + argv[0] + "'" + as + ": " + stage_name(stage) + ": " +
                      std::strerror(plan.err);
    if (who && stage != Stage::Setup && ::geteuid() != 0)
      msg += " (rsd runs as uid " + std::to_string(::geteuid()) +
             ", not root: only root, or a daemon with CAP_SETUID and CAP_SETGID, can start a "
             "program as another user or group)";
    return msg;
  }
  if (devnull >= 0) ::close(devnull);
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
