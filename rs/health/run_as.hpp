// Who a `process` or `healthcheck` program runs as. The rule, decided when the program is started
// (the daemon may have dropped root with `rsd -u` since the configuration was loaded):
//   - `user U;` runs it as U, with U's supplementary groups and primary group (or `group G;`);
//   - rsd running as root (euid 0) and no `user`: nobody, group nogroup (ExaBGP's default for its
//     processes); `user root;` is the explicit opt-in;
//   - rsd not root and no `user`: rsd's own user; `group G;` alone then changes only the group;
//   - rsd not root and another user or group named: the child's setgroups/setgid/setuid fail
//     (it lacks CAP_SETUID/CAP_SETGID) and the start fails with that reason: never silently run
//     as the daemon's user instead.
// HOME, USER and LOGNAME come from the target's passwd entry whenever the identity is set.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace rs::health {

struct SpawnIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  bool set_groups = true;  // replace the supplementary groups with `groups`
  std::vector<gid_t> groups;
  std::vector<std::string> env;  // "HOME=...", "USER=...", "LOGNAME=..." replacing rsd's own
  std::string describe;          // "user nobody (uid 65534), group nogroup (gid 65534)"
};

// Empty on success; `out` is empty when the program runs as rsd itself (nothing to change).
[[nodiscard]] std::string resolve_run_as(const conf::RunAs& r, std::optional<SpawnIdentity>& out);

}  // namespace rs::health
