#!/usr/bin/env python3
"""Who rsd's operator programs run as (Python 3 stdlib; every rsd started here is stopped by its PID).

rsd runs as root (CI runs the tests as root; the test fails otherwise). Process blocks announce
one IPv4 route whose MED is their `id -u` and one IPv6 route whose MED is their `id -g`;
healthcheck commands exit 0 only when `id -u` / `id -g` are the expected ids, so their IPv4 and
IPv6 routes are announced (`withdraw on down`) only then, and a control check expecting root
without `user root;` must stay down.

Default    a block without `user` runs as nobody / nogroup (the script is a file in a 0755
           directory, run with `run`);
Explicit   `user root;` runs as 0 / 0 (and `rsd --check` warns about it); `user daemon; group
           adm;` runs as daemon / adm; `health { user ...; }` is the default of blocks naming
           neither;
Errors     an unknown user is a file:line:col error of `rsd --check`, and a `configure` with it
           fails and keeps the running programs;
Unprivileged  `rsd -u nobody`: a block without `user` runs as nobody, a block naming daemon fails
           to start with the reason in `show health` (no silent fallback to nobody).

Usage: run_as_test.py --rsd PATH [unittest args]
"""
import argparse
import grp
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsdtest import Conn, fail_on_skips, terminate  # noqa: E402

ARGS = None
NOBODY = pwd.getpwnam("nobody")
NOGROUP = grp.getgrnam("nogroup")
DAEMON = pwd.getpwnam("daemon")
ADM = grp.getgrnam("adm")

# Announces its ids as MEDs and stays (its routes go when it exits).
SCRIPT = """#!/bin/sh
echo "announce route $1 next-hop 192.0.2.1 med $(id -u)"
echo "announce route $2 next-hop 2001:db8::1 med $(id -g)"
exec sleep 3600
"""


def wait_for(pred, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def check_block(name, uid, gid, v4, v6, extra=""):
    test = "test $(id -u) = %d && test $(id -g) = %d" % (uid, gid)
    return ("healthcheck %s {\n"
            "  command \"/bin/sh -c '%s'\";\n"
            "  route %s next hop 192.0.2.1 med 100;\n"
            "  route %s next hop 2001:db8::1 med 200;\n"
            "  increase 0; rise 1; fall 1; interval 1 s; fast interval 200 ms; withdraw on down;\n"
            "  %s\n}\n" % (name, test, v4, v6, extra))


class Rsd:
    """rsd in the foreground, its config and control socket in a private dir."""

    def __init__(self, conf, *args):
        self.dir = tempfile.mkdtemp(prefix="rsd-runas-")
        os.chmod(self.dir, 0o755)  # `-u nobody`: the daemon reads nothing here after the drop
        self.conf = os.path.join(self.dir, "rsd.conf")
        self.sock = os.path.join(self.dir, "rsd.ctl")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.logpath = os.path.join(self.dir, "rsd.log")
        self.log = open(self.logpath, "w")
        self.proc = subprocess.Popen([ARGS.rsd, "-f", *args, "-c", self.conf, "-s", self.sock],
                                     stdout=self.log, stderr=self.log)
        if not wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None, 20) or \
                self.proc.poll() is not None:
            log = self.read_log()
            self.stop()
            raise RuntimeError("rsd did not start: " + log)
        self.c = Conn(self.sock)

    def read_log(self):
        with open(self.logpath) as f:
            return f.read()

    def health(self):
        """`show health` as {block name: [its lines]}."""
        blocks, cur = {}, None
        for line in self.c.cmd("show health"):
            text = line[5:] if re.match(r"^\d{4}[- ]", line) else line[1:] if line.startswith(" ") else line
            if text and not text.startswith("\t") and text.endswith(":"):
                cur = text[:-1]
                blocks[cur] = []
            elif cur and text.startswith("\t"):
                blocks[cur].append(text.strip())
        return blocks

    def process_meds(self, name):
        """{prefix: med} of the routes a process announced."""
        out = {}
        for l in self.health().get("process " + name, []):
            m = re.match(r"Route: (\S+) announced med (\d+)$", l)
            if m:
                out[m.group(1)] = int(m.group(2))
        return out

    def check_state(self, name):
        lines = self.health().get(name, [])
        state = [l.split(": ", 1)[1] for l in lines if l.startswith("State: ")]
        routes = [l for l in lines if l.startswith("Route: ")]
        return (state[0].lower() if state else None), routes

    def stop(self):
        if getattr(self, "c", None):
            self.c.close()
        terminate(self.proc)
        self.log.close()
        if not os.environ.get("RSD_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class RunAs(unittest.TestCase):
    def setUp(self):
        self.assertEqual(os.geteuid(), 0, "these tests start rsd as root (CI runs as root)")
        # The programs' own directory: readable and searchable by the users they run as.
        self.bin = tempfile.mkdtemp(prefix="rsd-runas-bin-")
        os.chmod(self.bin, 0o755)
        self.script = os.path.join(self.bin, "announce-ids")
        with open(self.script, "w") as f:
            f.write(SCRIPT)
        os.chmod(self.script, 0o755)
        self.rsds = []

    def tearDown(self):
        for r in self.rsds:
            r.stop()
        shutil.rmtree(self.bin, ignore_errors=True)

    def start(self, conf, *args):
        r = Rsd(conf, *args)
        self.rsds.append(r)
        return r

    def process(self, name, v4, v6, extra=""):
        return 'process %s { run "%s %s %s"; %s }\n' % (name, self.script, v4, v6, extra)

    def conf(self):
        return ("router id 192.0.2.1;\nprotocol device {}\n" +
                self.process("plain", "203.0.113.1/32", "2001:db8:1::/64") +
                self.process("root", "203.0.113.2/32", "2001:db8:2::/64", "user root;") +
                self.process("daemon", "203.0.113.3/32", "2001:db8:3::/64", "user daemon; group adm;") +
                check_block("hc_plain", NOBODY.pw_uid, NOGROUP.gr_gid, "198.51.100.1/32", "2001:db8:100::1/128") +
                check_block("hc_root", 0, 0, "198.51.100.2/32", "2001:db8:100::2/128", "user root;") +
                check_block("hc_daemon", DAEMON.pw_uid, ADM.gr_gid, "198.51.100.3/32", "2001:db8:100::3/128",
                            "user \"daemon\"; group adm;") +
                # The control: expects root but names no user, so it runs as nobody and fails.
                check_block("hc_control", 0, 0, "198.51.100.4/32", "2001:db8:100::4/128"))

    def test_identities(self):
        conf = self.conf()
        r = self.start(conf)
        want = {
            "plain": {"203.0.113.1/32": NOBODY.pw_uid, "2001:db8:1::/64": NOGROUP.gr_gid},
            "root": {"203.0.113.2/32": 0, "2001:db8:2::/64": 0},
            "daemon": {"203.0.113.3/32": DAEMON.pw_uid, "2001:db8:3::/64": ADM.gr_gid},
        }
        for name, meds in want.items():
            self.assertTrue(wait_for(lambda: r.process_meds(name) == meds),
                            "process %s: %s\n%s" % (name, r.process_meds(name), r.read_log()))
        for name, v4, v6 in (("hc_plain", "198.51.100.1/32", "2001:db8:100::1/128"),
                             ("hc_root", "198.51.100.2/32", "2001:db8:100::2/128"),
                             ("hc_daemon", "198.51.100.3/32", "2001:db8:100::3/128")):
            up = ("up", ["Route: %s announced med 100" % v4, "Route: %s announced med 200" % v6])
            self.assertTrue(wait_for(lambda: r.check_state(name) == up),
                            "%s: %s" % (name, r.health().get(name)))
        # The control check ran (so it could have passed) and is down: nothing announced.
        self.assertTrue(wait_for(lambda: r.check_state("hc_control")[0] == "down"),
                        r.health().get("hc_control"))
        self.assertEqual(r.check_state("hc_control")[1],
                         ["Route: 198.51.100.4/32 withdrawn", "Route: 2001:db8:100::4/128 withdrawn"])
        # The processes' routes are in the RIB with those MEDs, both families.
        out = "\n".join(r.c.cmd("show route 2001:db8:3::/64 all"))
        self.assertIn("2001:db8:3::/64", out)
        self.assertRegex(out, r"med:? %d\b" % ADM.gr_gid)

        # `user root;` is warned about by --check (and at load).
        chk = subprocess.run([ARGS.rsd, "--check", "-c", r.conf], capture_output=True, text=True)
        self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr)
        self.assertIn("warning: the programs of process 'root' run as root ('user root;')",
                      chk.stdout + chk.stderr)
        self.assertIn("warning: the programs of process 'root' run as root", r.read_log())

        # An unknown user: --check names file:line:col, and `configure` keeps the running config.
        pid_before = [l for l in r.health()["process plain"] if l.startswith("State: ")]
        bad = conf.replace("user daemon; group adm;", "user rsd_no_such_user; group adm;")
        lineno = [i + 1 for i, l in enumerate(bad.splitlines()) if "rsd_no_such_user" in l][0]
        col = bad.splitlines()[lineno - 1].index("rsd_no_such_user") + 1
        badpath = os.path.join(r.dir, "bad.conf")
        with open(badpath, "w") as f:
            f.write(bad)
        chk = subprocess.run([ARGS.rsd, "--check", "-c", badpath], capture_output=True, text=True)
        self.assertNotEqual(chk.returncode, 0)
        self.assertIn("%s:%d:%d: unknown user 'rsd_no_such_user'" % (badpath, lineno, col),
                      chk.stdout + chk.stderr)
        reply = r.c.cmd('configure "%s"' % badpath)
        self.assertIn("unknown user 'rsd_no_such_user'", "\n".join(reply))
        self.assertNotRegex(reply[-1], r"^0003 ")
        self.assertEqual([l for l in r.health()["process plain"] if l.startswith("State: ")], pid_before)
        self.assertEqual(r.process_meds("daemon"), want["daemon"])

    def test_health_default(self):
        # `health { user daemon; group adm; }` reaches the blocks naming neither; a block's own
        # `user root;` wins.
        conf = ("router id 192.0.2.1;\nprotocol device {}\nhealth { user daemon; group adm; }\n" +
                self.process("plain", "203.0.113.1/32", "2001:db8:1::/64") +
                self.process("root", "203.0.113.2/32", "2001:db8:2::/64", "user root;") +
                check_block("hc_plain", DAEMON.pw_uid, ADM.gr_gid, "198.51.100.1/32", "2001:db8:100::1/128"))
        r = self.start(conf)
        self.assertTrue(wait_for(lambda: r.process_meds("plain") == {
            "203.0.113.1/32": DAEMON.pw_uid, "2001:db8:1::/64": ADM.gr_gid}), r.health())
        self.assertTrue(wait_for(lambda: r.process_meds("root") == {
            "203.0.113.2/32": 0, "2001:db8:2::/64": 0}), r.health())
        self.assertTrue(wait_for(lambda: r.check_state("hc_plain")[0] == "up"), r.health())

    def test_unprivileged_rsd(self):
        # After `-u nobody` rsd cannot become daemon: that start fails, with the reason, and is
        # never run as nobody instead; a block without `user` runs as rsd's user (nobody).
        conf = ("router id 192.0.2.1;\nprotocol device {}\n" +
                self.process("plain", "203.0.113.1/32", "2001:db8:1::/64") +
                self.process("daemon", "203.0.113.3/32", "2001:db8:3::/64", "user daemon;") +
                check_block("hc_daemon", DAEMON.pw_uid, DAEMON.pw_gid, "198.51.100.3/32",
                            "2001:db8:100::3/128", "user daemon;"))
        r = self.start(conf, "-u", "nobody")
        self.assertTrue(wait_for(lambda: r.process_meds("plain") == {
            "203.0.113.1/32": NOBODY.pw_uid, "2001:db8:1::/64": NOBODY.pw_gid}), r.health())

        def last_exit():
            return [l for l in r.health().get("process daemon", []) if l.startswith("Last exit: ")]
        self.assertTrue(wait_for(lambda: last_exit() != []), r.health())
        self.assertIn("as user daemon (uid %d)" % DAEMON.pw_uid, last_exit()[0])
        self.assertIn("setgroups: Operation not permitted (rsd runs as uid %d, not root" % NOBODY.pw_uid,
                      last_exit()[0])
        self.assertEqual(r.process_meds("daemon"), {})
        self.assertIn("process daemon: cannot start", r.read_log())
        self.assertTrue(wait_for(lambda: r.check_state("hc_daemon")[0] == "down"), r.health())
        probe = [l for l in r.health()["hc_daemon"] if l.startswith("Probe: ")]
        self.assertIn("setgroups: Operation not permitted", probe[0])
        # Logged as an error once, not at every run.
        runs = lambda: int([l for l in r.health()["hc_daemon"] if l.startswith("Runs: ")][0].split()[1])
        self.assertTrue(wait_for(lambda: runs() >= 3), r.health())
        self.assertEqual(r.read_log().count("\": cannot start '/bin/sh' as user daemon"), 1, r.read_log())


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ARGS, rest = ap.parse_known_args()
    fail_on_skips(unittest.main(argv=[sys.argv[0]] + rest, verbosity=2, exit=False).result)


if __name__ == "__main__":
    main()
