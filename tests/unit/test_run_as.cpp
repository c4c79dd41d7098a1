// Who process and healthcheck programs run as: `user`/`group` parsed and resolved at load time
// (unknown names are file:line:col errors, `user root;` is warned about, the `health { }` default
// reaches blocks without their own), the identity rule at spawn (nobody/nogroup when rsd is root
// and no user is named), and real children: a command check reports the uid, gid, groups and
// HOME/USER/LOGNAME it ran with, and an unprivileged daemon asked for another user fails loudly
// instead of running the program as itself.
#include <doctest/doctest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "conf/parser.hpp"
#include "rs/health/checks.hpp"
#include "rs/health/run_as.hpp"

using namespace rs::conf;
using rs::health::resolve_run_as;
using rs::health::SpawnIdentity;
using namespace std::chrono_literals;

namespace {

uint32_t uid_of(const char* name) {
  const passwd* p = ::getpwnam(name);
  REQUIRE_MESSAGE(p != nullptr, "no user ", name);
  return p->pw_uid;
}

uint32_t gid_of(const char* name) {
  const group* g = ::getgrnam(name);
  REQUIRE_MESSAGE(g != nullptr, "no group ", name);
  return g->gr_gid;
}

std::string errors_of(const LoadResult& r) {
  std::string all;
  for (const auto& d : r.diagnostics.items()) all += d.to_string() + "\n";
  return all;
}

// Runs `cmd` as a healthcheck command with `ra`; the check's result (its output and exit).
rs::health::CheckResult run_command(const std::string& cmd, const RunAs& ra) {
  boost::asio::io_context io;
  HealthCheckConfig::Check c;
  c.kind = HealthCheckConfig::Check::Kind::Command;
  c.target = cmd;
  std::string err;
  auto probe = rs::health::make_probe(io, c, err, ra);
  REQUIRE_MESSAGE(probe != nullptr, err);
  std::optional<rs::health::CheckResult> res;
  probe->run(10000, [&](rs::health::CheckResult r) { res = std::move(r); });
  const auto end = std::chrono::steady_clock::now() + 15s;
  while (!res && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(10ms);
  }
  REQUIRE(res.has_value());
  return *res;
}

// The checks of an unprivileged daemon; 0 when every expectation holds.
int unprivileged_daemon(uid_t nobody, gid_t nogroup, uid_t daemon_uid) {
  if (::setgroups(0, nullptr) != 0 || ::setresgid(nogroup, nogroup, nogroup) != 0 ||
      ::setresuid(nobody, nobody, nobody) != 0)
    return 10;
  // No user named: the program runs as the daemon's own user.
  auto own = run_command("/bin/sh -c 'id -u'", RunAs{});
  if (!own.ok || own.output != "exit 0: " + std::to_string(nobody)) return 11;
  RunAs other;
  other.uid = daemon_uid;
  auto r = run_command("/bin/sh -c 'id -u'", other);
  const std::string want = "cannot start '/bin/sh' as user daemon (uid " +
                           std::to_string(daemon_uid) + "), group daemon (gid " +
                           std::to_string(::getpwuid(daemon_uid)->pw_gid) +
                           "): setgroups: Operation not permitted (rsd runs as uid " +
                           std::to_string(nobody) + ", not root";
  if (r.ok || r.output.rfind(want, 0) != 0) {
    std::fprintf(stderr, "unexpected: %s\n", r.output.c_str());
    return 12;
  }
  RunAs group_only;  // `group` alone changes only the group: refused the same way
  group_only.gid = gid_of("adm");
  r = run_command("/bin/sh -c 'id -g'", group_only);
  if (r.ok || r.output.find("setgid: Operation not permitted") == std::string::npos) {
    std::fprintf(stderr, "unexpected: %s\n", r.output.c_str());
    return 13;
  }
  return 0;
}

const char* kIdCommand = "/bin/sh -c 'echo $(id -u) $(id -g) $(id -G) $HOME $USER $LOGNAME'";

}  // namespace

TEST_CASE("user and group: names and numbers resolved at load, health default, reload diff") {
  const uint32_t daemon_uid = uid_of("daemon");
  const uint32_t adm_gid = gid_of("adm");
  LoadResult r = load_string(R"(
    health { user nobody; group "nogroup"; }
    process a { run "/bin/true"; user daemon; group adm; }
    process b { run "/bin/true"; }
    process c { run "/bin/true"; group 4242; }
    healthcheck h { command "/bin/true"; route 192.0.2.1/32; user "daemon"; }
    healthcheck i { command "/bin/true"; route 2001:db8::1/128 next hop 2001:db8::ff; }
    healthcheck j { command "/bin/true"; route 192.0.2.2/32; user 4243; }
  )",
                             "t.conf");
  REQUIRE_MESSAGE(r.ok(), errors_of(r));
  CHECK(r.diagnostics.warning_count() == 0);
  const Config& c = r.config;
  REQUIRE(c.processes.size() == 3);
  CHECK(*c.processes[0].run_as.uid == daemon_uid);
  CHECK(*c.processes[0].run_as.gid == adm_gid);
  CHECK(c.processes[0].run_as.user == "daemon");
  // b names neither: the health default; c names a group: its own pair, no default user.
  CHECK(*c.processes[1].run_as.uid == uid_of("nobody"));
  CHECK(*c.processes[1].run_as.gid == gid_of("nogroup"));
  CHECK_FALSE(c.processes[2].run_as.uid.has_value());
  CHECK(*c.processes[2].run_as.gid == 4242);
  REQUIRE(c.healthchecks.size() == 3);
  CHECK(*c.healthchecks[0].run_as.uid == daemon_uid);
  CHECK_FALSE(c.healthchecks[0].run_as.gid.has_value());
  CHECK(*c.healthchecks[1].run_as.uid == uid_of("nobody"));
  CHECK(*c.healthchecks[2].run_as.uid == 4243);  // a bare number needs no passwd entry

  // Without any user or group nothing is set: the spawn-time rule decides.
  LoadResult plain = load_string("process p { run \"/bin/true\"; }", "t.conf");
  REQUIRE(plain.ok());
  CHECK_FALSE(plain.config.processes[0].run_as.set());
}

TEST_CASE("unknown user or group: file:line:col errors; user root is warned about") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"process p { run \"/bin/true\"; user rsd_no_such_user; }",
       "t.conf:1:35: unknown user 'rsd_no_such_user' (not in the system's passwd database)"},
      {"process p { run \"/bin/true\";\n  group \"rsd-no-such-group\"; }",
       "t.conf:2:9: unknown group 'rsd-no-such-group' (not in the system's group database)"},
      {"healthcheck h { command \"/bin/true\"; user rsd_no_such_user; }",
       "t.conf:1:43: unknown user 'rsd_no_such_user' (not in the system's passwd database)"},
      {"health { group rsd_no_such_group; }",
       "t.conf:1:16: unknown group 'rsd_no_such_group' (not in the system's group database)"},
      {"process p { run \"/bin/true\"; user 4294967295; }",
       "t.conf:1:35: uid 4294967295 is out of range"},
      {"process p { run \"/bin/true\"; user; }",
       "t.conf:1:34: expected a user name or uid after 'user', got ';'"},
      {"process p { run \"/bin/true\"; group 10.0.0.1; }",
       "t.conf:1:36: expected a group name or gid after 'group', got '10.0.0.1'"},
  };
  for (const Case& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    LoadResult r = load_string(c.text, "t.conf");
    CHECK_FALSE(r.ok());
    REQUIRE(r.diagnostics.first_error() != nullptr);
    CHECK(r.diagnostics.first_error()->to_string() == c.error);
    CHECK(r.diagnostics.error_count() == 1);
  }

  LoadResult root = load_string(
      "process p { run \"/bin/true\"; user root; }\n"
      "healthcheck h { command \"/bin/true\"; route 192.0.2.1/32; user 0; }\n",
      "t.conf");
  REQUIRE_MESSAGE(root.ok(), errors_of(root));
  CHECK(root.diagnostics.warning_count() == 2);
  CHECK(errors_of(root) ==
        "t.conf:1:35: warning: the programs of process 'p' run as root ('user root;'); without it "
        "rsd started as root runs them as nobody\n"
        "t.conf:2:63: warning: the commands of healthcheck 'h' run as root ('user 0;'); without it "
        "rsd started as root runs them as nobody\n");
  CHECK(*root.config.processes[0].run_as.uid == 0);
}

TEST_CASE("the identity a child takes: nobody by default under root, the named user otherwise") {
  std::optional<SpawnIdentity> who;
  RunAs none;
  if (::geteuid() != 0) {
    // An unprivileged rsd runs programs as itself; naming another user is attempted (and fails
    // in the child, see below), never dropped.
    REQUIRE(resolve_run_as(none, who).empty());
    CHECK_FALSE(who.has_value());
    RunAs other;
    other.uid = uid_of("daemon");
    REQUIRE(resolve_run_as(other, who).empty());
    REQUIRE(who.has_value());
    CHECK(who->uid == uid_of("daemon"));
    return;
  }
  REQUIRE(resolve_run_as(none, who).empty());
  REQUIRE(who.has_value());
  CHECK(who->uid == uid_of("nobody"));
  CHECK(who->gid == gid_of("nogroup"));
  CHECK(who->set_groups);
  CHECK(who->describe == "user nobody (uid 65534), group nogroup (gid 65534)");

  RunAs daemon_adm;
  daemon_adm.uid = uid_of("daemon");
  daemon_adm.gid = gid_of("adm");
  REQUIRE(resolve_run_as(daemon_adm, who).empty());
  CHECK(who->uid == uid_of("daemon"));
  CHECK(who->gid == gid_of("adm"));

  RunAs group_only;  // the user stays the default (nobody), the group is the one named
  group_only.gid = gid_of("adm");
  REQUIRE(resolve_run_as(group_only, who).empty());
  CHECK(who->uid == uid_of("nobody"));
  CHECK(who->gid == gid_of("adm"));
}

TEST_CASE("command checks run with the configured identity (rsd as root)") {
  // CI runs the tests as root; this proves the identity change itself.
  REQUIRE_MESSAGE(::geteuid() == 0, "this test starts programs as other users: run it as root");
  const std::string nobody = std::to_string(uid_of("nobody"));
  const std::string nogroup = std::to_string(gid_of("nogroup"));

  auto r = run_command(kIdCommand, RunAs{});
  CHECK_MESSAGE(r.ok, r.output);
  CHECK(r.output ==
        "exit 0: " + nobody + " " + nogroup + " " + nogroup + " /nonexistent nobody nobody");

  RunAs root;
  root.uid = 0;
  r = run_command(kIdCommand, root);
  CHECK_MESSAGE(r.ok, r.output);
  CHECK(r.output.rfind("exit 0: 0 0 0", 0) == 0);
  CHECK(r.output.find(" /root root root") != std::string::npos);

  RunAs daemon_adm;
  daemon_adm.uid = uid_of("daemon");
  daemon_adm.gid = gid_of("adm");
  r = run_command("/bin/sh -c 'echo $(id -u) $(id -g) $USER'", daemon_adm);
  CHECK_MESSAGE(r.ok, r.output);
  CHECK(r.output == "exit 0: " + std::to_string(uid_of("daemon")) + " " +
                        std::to_string(gid_of("adm")) + " daemon");

  // A command nobody may not execute: the reason names the identity.
  char tmpl[] = "/tmp/rsd_run_as_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);  // 0700, root's
  const auto script = dir / "check.sh";
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  r = run_command(script.string(), RunAs{});
  CHECK_FALSE(r.ok);
  CHECK(r.output ==
        "cannot run '" + script.string() +
            "' as user nobody (uid 65534), group nogroup (gid 65534): Permission denied");
  r = run_command(script.string(), root);
  CHECK_MESSAGE(r.ok, r.output);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an unprivileged daemon asked for another user fails the start, loudly") {
  REQUIRE_MESSAGE(::geteuid() == 0, "this test drops to nobody in a child: run it as root");
  const uid_t nobody = uid_of("nobody");
  const gid_t nogroup = gid_of("nogroup");
  const uid_t daemon_uid = uid_of("daemon");
  // The daemon after `rsd -u nobody`: a forked copy of this test that dropped root.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      ::_exit(unprivileged_daemon(nobody, nogroup, daemon_uid));
    } catch (...) {
      ::_exit(20);  // a failed REQUIRE: never go on with the test runner in this copy
    }
  }
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
}
