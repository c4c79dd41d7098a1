// What the daemon asks of the operating system around its start: detaching only once everything is
// bound (so that the command that started rsd learns whether it runs), dropping root for a user and
// group (`rsd -u -g`, as `bird -u -g`), and telling systemd when it is ready (Type=notify).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace rs::os {

// The parent side of a detach: the process that was started waits here until the detached child
// says it is ready, or exits. Returns in the child only.
class Detacher {
 public:
  // Forks. The parent never returns: it exits 0 when the child calls ready(), else with the
  // child's exit status (1 when it died of a signal). The child runs in a new session, in /.
  // Returns an error text (in the original process) when the fork itself fails.
  std::string detach();
  // In the child: everything is bound; the parent exits 0, standard streams go to /dev/null.
  void ready();
  bool detached() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;  // for initgroups; empty when only a group was given
};

// Resolves `-u USER` / `-g GROUP` (names or numbers). A user without a group takes the user's
// primary group. Returns an error text.
std::string resolve_credentials(const std::string& user, const std::string& group,
                                Credentials& out);

// Hands files rsd created as root before dropping (history database, log files) to the user, so
// that it can keep writing, rotating and reopening them. Missing files are skipped.
void give_files(const std::vector<std::string>& paths, const Credentials& c);

// Creates `path` (empty) when missing and gives it to the user: for a file another thread would
// otherwise create as root while the privileges are being dropped (the history database).
void prepare_file(const std::string& path, const Credentials& c);

// Becomes c.uid / c.gid with their supplementary groups, keeping only CAP_NET_BIND_SERVICE
// (a reload may add a listener on port 179). Returns an error text.
std::string drop_privileges(const Credentials& c);

// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or an abstract name
// after '@'). Does nothing when the variable is unset; returns false when sending failed.
bool sd_notify(const std::string& state);

}  // namespace rs::os
