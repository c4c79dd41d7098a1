// The daemon around the route server: configuration loading, logging from the `log` statements,
// signals (SIGHUP soft reload, SIGTERM/SIGINT Cease and exit, SIGUSR1 reopen log files), pid file,
// detaching once ready, `-u`/`-g` (run as that user after binding), systemd notification.
#pragma once

#include <optional>
#include <string>

namespace rs {

struct DaemonOptions {
  std::string config_path;
  std::string socket_path;
  bool foreground = false;
  std::optional<std::string> pidfile;
  // -u / -g: user and group (names or numbers) to become once everything is bound; empty: stay.
  std::string user;
  std::string group;
};

// Runs until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const DaemonOptions& options);

}  // namespace rs
