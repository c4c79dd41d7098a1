// Child processes for health checks and `process` programs, without a shell and without leaks:
// a clone/exec of an argv (as another user when configured), the child leads its own process group
// (so a timeout kills everything it started), stdin/stdout/stderr are pipes whose rsd ends are
// non-blocking and close-on-exec, and the exit is observed through a pidfd (Linux 5.3) on the event
// loop, then reaped with waitpid: no zombie, no SIGCHLD handler shared with other code.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rs/health/run_as.hpp"

namespace rs::health {

// "prog arg 'two words' \"x y\"" -> argv. Quotes group words; nothing is expanded ($, `, ;, \n are
// ordinary characters). Empty on an unterminated quote or an empty command.
[[nodiscard]] std::vector<std::string> split_argv(std::string_view command);

struct ExitStatus {
  int code = -1;       // exit code, or -1 when killed
  int signal = 0;      // the signal that killed it
  std::string reason;  // it never ran: why (to_string() says this instead)
  bool ok() const { return code == 0; }
  std::string to_string() const;
};

class Child {
 public:
  using ExitHandler = std::function<void(ExitStatus)>;
  explicit Child(boost::asio::io_context& io)
      : out_(io), err_(io), in_(io), pidfd_(io), poll_(io) {}
  ~Child();  // kills the process group (SIGKILL) and reaps it if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts argv[0] (searched in PATH) with pipes on stdin (if want_stdin), stdout and stderr.
  // With a stdin pipe, SIGPIPE is ignored process-wide from then on (writes fail with EPIPE).
  // Returns an error text, empty on success. on_exit runs once, after the child was reaped.
  // With `who`, the child takes that identity before exec (a failure is the error returned).
  [[nodiscard]] std::string spawn(const std::vector<std::string>& argv, bool want_stdin,
                                  ExitHandler on_exit, const SpawnIdentity* who = nullptr);
  // SIGKILL (or `sig`) to the whole process group.
  void kill_group(int sig);
  // Synchronous stop: SIGTERM to the group, up to grace_ms for the leader to exit, then SIGKILL;
  // reaped before returning (on_exit is not called).
  void terminate(int grace_ms);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  boost::asio::posix::stream_descriptor& out() { return out_; }
  boost::asio::posix::stream_descriptor& err() { return err_; }
  boost::asio::posix::stream_descriptor& in() { return in_; }

 private:
  void wait_exit();
  void try_reap();

  boost::asio::posix::stream_descriptor out_, err_, in_, pidfd_;
  boost::asio::steady_timer poll_;  // fallback when pidfd_open is unavailable
  pid_t pid_ = -1;
  ExitHandler on_exit_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rs::health
