#!/usr/bin/env python3
"""Process-level tests of rsd's control socket and of rsc (ctest labels cli and interop).

  cli_test.py --rsd PATH --rsc PATH [--update] [unittest args, e.g. Golden]

Golden      `show protocols`, `show protocols all peer1`, `show route all`, `show route count`
            on the fixed scenario (tests/data/cli/rsd.conf.in plus a BGP speaker), times masked.
Interop     the real `birdc -s SOCKET` (Debian bird2) runs every supported command against rsd.
Rsc         rsc's exit codes, messages, -v, -r, and the --json schema of every show command.
BadInput    unknown commands, a 1 MiB line, 200 concurrent clients, clients vanishing mid-output,
            a slow reader, restricted sockets; a BGP session with hold time 3 s stays up meanwhile.
Health      `show health`, `show services` (text and --json) on healthchecks and a competing
            static route; drain and maintenance change the MED `show route` shows; restricted 8007.
Configure   `configure check` reports exactly the routes a filter change then changes; timeout/undo.
Logs        per-class `log` targets, logrotate (rename, SIGUSR1 / SIGHUP), `debug NAME all` lines.
MillionRoutes  (only when named) a million-route dump; the hold-time-3-s session stays up.
rsd is started per test class in a temp dir on its own socket and always stopped by PID."""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsdtest import DATA, Conn, Rsd, Speaker, fail_on_skips, final_code, mask  # noqa: E402

ARGS = None


def rsc(rsd, *words, socket_path=None, check=None):
    p = subprocess.run([ARGS.rsc, "-s", socket_path or rsd.sock, *words], capture_output=True, text=True, timeout=60)
    return p


def wait_for(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def start_scenario():
    """rsd with the fixed config and a speaker on peer1 announcing a few routes."""
    r = Rsd(ARGS.rsd)
    try:
        sp = Speaker(r.port)
        sp.announce(["10.0.0.0/24"], med=5)
        sp.announce(["10.0.1.0/24"], med=10, as_path=(65001, 64500))
        sp.announce(["10.0.2.0/24"], as_path=(65001, 64501, 64502))
        sp.announce(["203.0.113.0/24"], med=1)
        c = Conn(r.sock)
        assert wait_for(lambda: any("10.0.2.0/24" in l for l in c.cmd("show route protocol peer1"))), "no routes"
        c.close()
    except BaseException:
        r.stop()
        raise
    return r, sp


class Golden(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rsd, cls.sp = start_scenario()

    @classmethod
    def tearDownClass(cls):
        cls.sp.close()
        cls.rsd.stop()

    def check(self, command, name):
        c = Conn(self.rsd.sock)
        out = mask("\n".join(c.cmd(command))) + "\n"
        c.close()
        path = os.path.join(DATA, name + ".golden")
        if ARGS.update:
            with open(path, "w") as f:
                f.write(out)
        with open(path) as f:
            self.assertEqual(out, f.read(), "output of `%s` differs from %s" % (command, path))

    def test_show_protocols(self):
        self.check("show protocols", "show_protocols")

    def test_show_protocols_all(self):
        self.check("show protocols all peer1", "show_protocols_all_peer1")

    def test_show_route_all(self):
        self.check("show route all", "show_route_all")

    def test_show_route_count(self):
        self.check("show route count", "show_route_count")


class Interop(unittest.TestCase):
    """The stock birdc against rsd: it must connect, send each command and print our reply."""

    @classmethod
    def setUpClass(cls):
        cls.birdc_path = shutil.which("birdc") or "/usr/sbin/birdc"
        if not os.path.exists(cls.birdc_path):
            raise AssertionError("birdc (bird2) not installed (scripts/setup installs it)")
        cls.rsd, cls.sp = start_scenario()

    @classmethod
    def tearDownClass(cls):
        cls.sp.close()
        cls.rsd.stop()

    def birdc(self, *words, restricted=False, verbose=True):
        argv = [self.birdc_path, "-s", self.rsd.sock] + (["-r"] if restricted else []) + (["-v"] if verbose else [])
        p = subprocess.run(argv + list(words), capture_output=True, text=True, timeout=60)
        return p.stdout + p.stderr

    def expect(self, words, *needles):
        out = self.birdc(*words)
        self.assertIn("0001 rsd", out, out)
        for n in needles:
            self.assertRegex(out, n, "birdc %s" % " ".join(words))
        return out

    def test_show_commands(self):
        cases = [
            (["show", "status"], r"1000-rsd", r"0013 Daemon is up and running"),
            (["show", "protocols"], r"2002-Name +Proto", r"peer1 +BGP +--- +up"),
            (["show", "protocols", "all"], r"1006-", r"Channel ipv4"),
            (["show", "protocols", "all", "peer1"], r"BGP state: +Established", r"Neighbor ID: +192\.0\.2\.9"),
            (["show", "protocols", '"peer*"'], r"peer1", r"peer2"),
            (["show", "route"], r"1007-Table master4:", r"10\.0\.1\.0/24 +unicast \[peer1 "),
            (["show", "route", "all"], r"1008-\tType: BGP univ", r"\tBGP\.as_path: 65001 64500", r"Decision: "),
            (["show", "route", "count"], r"0014 Total: "),
            (["show", "route", "stats"], r"routes for \d+ networks in table master6", r"0014 Total"),
            (["show", "route", "for", "203.0.113.77"], r"203\.0\.113\.0/24"),
            (["show", "route", "for", "203.0.113.0/24", "all"], r"lost to st1 on preference"),
            (["show", "route", "203.0.113.0/24"], r"203\.0\.113\.0/24"),
            (["show", "route", "table", "master6"], r"2001:db8::/32"),
            (["show", "route", "protocol", "peer1"], r"10\.0\.0\.0/24"),
            (["show", "route", "filter", "med_only"], r"10\.0\.1\.0/24"),
            (["show", "route", "where", "bgp_med", "=", "10"], r"10\.0\.1\.0/24"),
            (["show", "route", "export", "peer1"], r"198\.51\.100\.0/24"),
            (["show", "route", "preexport", "peer1"], r"198\.51\.100\.0/24"),
            (["show", "route", "noexport", "peer1"], r"2001:db8::/32"),
            (["show", "route", "primary"], r"\* \(200\)"),
            (["show", "route", "filtered"], ONLY_WELCOME),
            (["show", "symbols"], r"1010-", r"med_only\s+filter"),
            (["show", "memory"], r"1018-rsd memory usage"),
            (["eval", "1+2"], r"0023 3"),
            (["echo", "all"], ONLY_WELCOME),
            (["debug", "all", "off"], ONLY_WELCOME),
            (["configure", "check"], r"0002-Reading configuration", r"0020 Configuration OK"),
            (["show", "route", "for", "192.0.2.99"], r"8001 Network not found"),
            (["show", "route", "table", "nope"], r"9001 "),
        ]
        for words, *needles in cases:
            with self.subTest(command=" ".join(words)):
                self.expect(words, *needles)

    def test_abbreviation_and_plain_output(self):
        out = self.birdc("sh", "ro", "cou", verbose=False)
        self.assertIn("Total:", out)
        self.assertNotRegex(out, r"\n\d{4}[- ]")

    def test_actions(self):
        self.expect(["disable", "peer2"], r"0008 ?-?peer2: already disabled|peer2: already disabled")
        self.expect(["enable", "peer2"], r"0011-peer2: enabled")
        self.expect(["disable", "peer2", '"maintenance until 10:00"'], r"0009-peer2: disabled")
        self.expect(["enable", '"nomatch*"'], r"8003 No protocols match")
        self.expect(["reload", "peer1"], r"0015-peer1: reloading")
        self.expect(["reload", "in", "peer1"], r"0015-peer1: reloading")
        self.expect(["reload", "out", "peer1"], r"0015-peer1: reloading")
        self.expect(["configure"], r"0002-Reading configuration", r"0003 Reconfigured")
        self.expect(["configure", "timeout", "30"], r"0022-Undo scheduled in 30 s", r"0003 Reconfigured")
        self.expect(["configure", "confirm"], r"0018 Reconfiguration confirmed")
        self.expect(["configure", "confirm"], r"0019 Nothing to do")
        self.expect(["configure", "undo"], r"0021-Undo requested", r"0003 Reconfigured")
        self.expect(["configure", "soft"], r"0003 Reconfigured")
        # The session survived all of it.
        self.assertFalse(self.sp.closed)

    def test_restricted(self):
        out = self.birdc("configure", restricted=True)
        self.assertIn("8007 Access denied", out)
        out = self.birdc("show", "status", restricted=True)
        self.assertIn("0013 Daemon is up and running", out)

    def test_z_down_removes_socket(self):
        # Last test of the class (alphabetical): `down` stops the daemon and removes the sockets.
        out = self.birdc("down")
        self.assertIn("0007 Shutdown ordered", out)
        self.assertTrue(wait_for(lambda: not self.rsd.alive(), 10))
        self.assertFalse(os.path.exists(self.rsd.sock))
        self.assertFalse(os.path.exists(self.rsd.ro))


# birdc -v does not print the closing "0000 " line: an empty reply shows only the welcome.
ONLY_WELCOME = r"\A0001 rsd [^\n]*\n\Z"

ROUTE_KEYS = {"table": str, "prefix": str, "protocol": str, "since": str, "best": bool, "preference": int,
              "next_hop": str, "attributes": dict, "kind": str}
NULLABLE_ROUTE_KEYS = {"from": str, "origin_as": int, "origin": str, "type": str, "decision": str}


class Rsc(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rsd, cls.sp = start_scenario()

    @classmethod
    def tearDownClass(cls):
        cls.sp.close()
        cls.rsd.stop()

    def test_exit_codes_and_messages(self):
        p = subprocess.run([ARGS.rsc, "-s", "/nonexistent/rsd.ctl", "show", "status"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("is rsd running?", p.stderr)
        stale = os.path.join(self.rsd.dir, "stale.ctl")
        s = socket.socket(socket.AF_UNIX)
        s.bind(stale)
        s.close()
        p = subprocess.run([ARGS.rsc, "-s", stale, "show", "status"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("rsd is not running", p.stderr)
        self.assertEqual(rsc(self.rsd, "show", "status").returncode, 0)
        if os.geteuid() == 0:
            # An unprivileged user on a 0660 root socket: permission denied, exit 2.
            os.chmod(self.rsd.dir, 0o755)
            p = subprocess.run([ARGS.rsc, "-s", self.rsd.sock, "show", "status"], capture_output=True, text=True,
                               preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("permission denied", p.stderr)
        p = rsc(self.rsd, "frobnicate")
        self.assertEqual(p.returncode, 1)
        self.assertIn("syntax error", p.stdout)
        p = rsc(self.rsd, "-r", "configure")
        self.assertEqual(p.returncode, 1)
        self.assertIn("Access denied", p.stdout)
        p = rsc(self.rsd, "-v", "show", "route", "count")
        self.assertRegex(p.stdout, r"^1007-", p.stdout)
        p = rsc(self.rsd, "show", "route", "for", "203.0.113.10")
        self.assertEqual(p.returncode, 0)
        self.assertIn("203.0.113.0/24", p.stdout)
        self.assertNotRegex(p.stdout, r"\d{4}-")
        p = rsc(self.rsd, "show", "protocols", "peer*")  # the shell word with a glob: rsc quotes it?
        p = subprocess.run([ARGS.rsc, "-s", self.rsd.sock], input="show status\nsh ro cou\n", capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("Total:", p.stdout)

    def test_interactive_completion_and_history(self):
        import pty
        import select

        home = os.path.join(self.rsd.dir, "home")
        os.makedirs(home, exist_ok=True)
        master, slave = pty.openpty()
        env = dict(os.environ, HOME=home, TERM="dumb")
        p = subprocess.Popen([ARGS.rsc, "-s", self.rsd.sock], stdin=slave, stdout=slave, stderr=slave, env=env)
        os.close(slave)
        out = b""

        def read_until(needle, timeout=10):
            nonlocal out
            deadline = time.time() + timeout
            while needle not in out and time.time() < deadline:
                r, _, _ = select.select([master], [], [], 0.2)
                if r:
                    try:
                        out += os.read(master, 65536)
                    except OSError:
                        break
            return needle in out

        try:
            self.assertTrue(read_until(b"rsc> "), out)
            os.write(master, b"sh\tpro\tp\t1\n")  # `show protocols peer1`: keywords, then names
            self.assertTrue(read_until(b"Established"), out)
            os.write(master, b"quit\n")
            p.wait(10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(master)
        self.assertIn(b"show protocols peer1", out)
        with open(os.path.join(home, ".rsc_history")) as f:
            self.assertIn("show protocols peer1", f.read().replace("\\040", " "))  # libedit escapes blanks

    def test_debug_changes_log(self):
        """`debug peer1 { routes }` logs each route peer1 sends; `debug peer1 off` stops it."""
        log = os.path.join(self.rsd.dir, "rsd.log")
        c = Conn(self.rsd.sock)
        try:
            self.assertEqual(c.cmd("debug peer1 { states, routes }"), ["0000 "])
            self.sp.announce(["10.7.0.0/24"], med=3)
            self.assertTrue(wait_for(lambda: "peer1 > added 10.7.0.0/24" in open(log).read()), open(log).read())
            self.assertEqual(c.cmd("debug peer1 off"), ["0000 "])
            self.sp.announce(["10.7.1.0/24"], med=3)
            self.assertTrue(wait_for(lambda: any("10.7.1.0/24" in l for l in c.cmd("show route for 10.7.1.0/24"))))
            self.assertNotIn("10.7.1.0/24", open(log).read())
            self.assertEqual(final_code(c.cmd("debug nosuch all")), 8003)
        finally:
            c.close()

    def json_of(self, *words):
        p = rsc(self.rsd, "--json", *words)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        for k, t in (("command", str), ("code", int), ("ok", bool)):
            self.assertIsInstance(doc[k], t)
        return doc

    def test_json_show_route(self):
        doc = self.json_of("show", "route", "all")
        self.assertEqual(set(doc) >= {"routes", "counts", "total"}, True)
        self.assertGreaterEqual(len(doc["routes"]), 6)
        for r in doc["routes"]:
            for k, t in ROUTE_KEYS.items():
                self.assertIsInstance(r[k], t, (k, r))
            for k, t in NULLABLE_ROUTE_KEYS.items():
                self.assertTrue(r[k] is None or isinstance(r[k], t), (k, r))
        by = {(r["prefix"], r["protocol"]): r for r in doc["routes"]}
        r = by[("10.0.1.0/24", "peer1")]
        self.assertEqual(r["attributes"]["as_path"], "65001 64500")
        self.assertEqual(r["attributes"]["med"], "10")
        self.assertEqual(r["origin_as"], 64500)
        self.assertEqual(r["origin"], "i")
        self.assertEqual(r["from"], "127.0.0.1")
        self.assertTrue(r["best"])
        self.assertFalse(by[("203.0.113.0/24", "peer1")]["best"])
        self.assertIn("lost to st1", by[("203.0.113.0/24", "peer1")]["decision"])
        doc = self.json_of("show", "route", "count")
        self.assertEqual([c["table"] for c in doc["counts"]], ["master4", "master6"])
        for c in doc["counts"]:
            for k in ("shown", "routes", "networks"):
                self.assertIsInstance(c[k], int)
        self.assertEqual(doc["total"]["tables"], 2)

    def test_json_show_protocols(self):
        doc = self.json_of("show", "protocols", "all")
        names = [p["name"] for p in doc["protocols"]]
        self.assertEqual(names, ["st1", "st6", "peer1", "peer2"])
        for p in doc["protocols"]:
            for k in ("name", "proto", "table", "state", "since", "info"):
                self.assertIsInstance(p[k], str)
            self.assertIsInstance(p["details"], dict)
            self.assertIsInstance(p["channels"], list)
        peer1 = doc["protocols"][2]
        self.assertEqual(peer1["state"], "up")
        self.assertEqual(peer1["details"]["bgp_state"], "Established")
        self.assertEqual(peer1["details"]["neighbor_as"], 65001)
        ch = peer1["channels"][0]
        self.assertEqual(ch["name"], "ipv4")
        self.assertEqual(ch["input_filter"], "ACCEPT")
        self.assertEqual(set(ch["import_updates"]), {"received", "rejected", "filtered", "ignored", "accepted"})
        self.assertIsNone(ch["import_withdraws"]["filtered"])

    def test_json_other_shows(self):
        doc = self.json_of("show", "status")
        self.assertEqual(doc["router_id"], "192.0.2.1")
        self.assertTrue(doc["version"].startswith("rsd "))
        self.assertEqual(doc["status"], "Daemon is up and running")
        doc = self.json_of("show", "symbols")
        self.assertIn({"name": "med_only", "kind": "filter"}, doc["symbols"])
        doc = self.json_of("show", "memory")
        self.assertIn("routing_tables", doc["memory"])
        p = rsc(self.rsd, "--json", "show", "route", "for", "192.0.2.99")
        self.assertEqual(p.returncode, 1)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["code"], 8001)
        self.assertFalse(doc["ok"])
        self.assertEqual(doc["error"], "Network not found")


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rsd, cls.sp = start_scenario()
        try:
            # A table big enough that `show route all` takes many slices.
            cls.sp.announce(["172.%d.%d.0/24" % (16 + i // 256, i % 256) for i in range(20000)], med=3)
            c = Conn(cls.rsd.sock)
            count = lambda: int(re.match(r"^1007-(\d+) of", c.cmd("show route count table master4")[0]).group(1))
            assert wait_for(lambda: count() >= 20006, 30), "routes did not arrive"
            c.close()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sp.close()
        cls.rsd.stop()

    def tearDown(self):
        # Routing is unaffected: the session with hold time 3 s never starved.
        self.assertTrue(self.rsd.alive())
        self.assertFalse(self.sp.closed, "the BGP session went down")
        self.assertLess(self.sp.max_gap, 3.0, "a keepalive gap reached the hold time")

    def test_unknown_and_bad_commands(self):
        c = Conn(self.rsd.sock)
        self.assertEqual(c.welcome[0][:5], "0001 ")
        for cmd, code in (("frobnicate", 9001), ("show", 9001), ("sh s", 9001), ("show route for x.y", 9001),
                          ("show route table nope", 9001), ('eval "abc', 9001), ("", 9001), ("enable nope", 9001),
                          ("show route where bgp_med ==== 3", 9001), ("show route for 192.0.2.99", 8001)):
            self.assertEqual(final_code(c.cmd(cmd)), code, cmd)
        self.assertEqual(final_code(c.cmd("show status")), 13)  # still usable
        c.close()

    def test_one_mib_line(self):
        c = Conn(self.rsd.sock)
        c.s.sendall(b"x" * (1 << 20) + b"\nshow status\n")
        self.assertEqual(c.read_reply(), ["9000 Command too long"])
        self.assertEqual(final_code(c.read_reply()), 13)
        c.close()

    def test_200_concurrent_clients(self):
        # 200 table walks (`count` shows nothing until the end) share 4 walk slots: the waiters are
        # woken when a slot frees, and a slice that produces no bytes is not throttled. (Before,
        # each empty slice slept 5 ms: 200 counts took ~17 s optimized and ~20 min in the debug
        # ASan build, where a slice is 4 prefixes.)
        start = time.time()
        conns = [Conn(self.rsd.sock) for _ in range(200)]
        for c in conns:
            c.s.sendall(b"show route count\n")
        for c in conns:
            reply = c.read_reply()
            self.assertEqual(final_code(reply), 14)
            self.assertRegex(reply[0], r"^1007-20006 of 20006 routes")
            c.close()
        self.assertLess(time.time() - start, 120)

    def test_count_is_not_throttled(self):
        c = Conn(self.rsd.sock)
        start = time.time()
        self.assertEqual(final_code(c.cmd("show route count")), 14)
        self.assertLess(time.time() - start, 5.0, "one count of 20006 prefixes")
        c.close()

    def test_concurrent_dumps(self):
        # More dumps than walk slots (4): the others wait, every client gets the whole table.
        conns = [Conn(self.rsd.sock) for _ in range(12)]
        results = [None] * len(conns)

        def dump(i):
            results[i] = conns[i].cmd("show route")

        threads = [threading.Thread(target=dump, args=(i,)) for i in range(len(conns))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        lengths = {len(r) for r in results}
        self.assertEqual(len(lengths), 1, lengths)
        self.assertGreater(lengths.pop(), 40000)
        # BIRD's order (family, address, length), although the walk sorts the table bucket by bucket.
        import ipaddress
        nets = [ipaddress.ip_network(m.group(1)) for m in
                (re.match(r"^(?:1007-| )([0-9a-f.:]+/\d+)\s", l) for l in results[0]) if m]
        self.assertGreater(len(nets), 20000)
        key = lambda n: (n.version, int(n.network_address), n.prefixlen)
        self.assertEqual(nets, sorted(nets, key=key))
        for c in conns:
            c.close()

    def test_disconnect_mid_output(self):
        for _ in range(20):
            s = socket.socket(socket.AF_UNIX)
            s.connect(self.rsd.sock)
            s.sendall(b"show route all\n")
            s.recv(1000)
            s.close()
        time.sleep(1)
        c = Conn(self.rsd.sock)
        self.assertEqual(final_code(c.cmd("show status")), 13)
        c.close()

    def test_full_dump_and_slow_reader(self):
        def rss():
            with open("/proc/%d/status" % self.rsd.proc.pid) as f:
                return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

        c = Conn(self.rsd.sock)
        reply = c.cmd("show route all")
        self.assertEqual(final_code(reply), 0)
        self.assertGreater(len(reply), 20000 * 5)
        before = rss()
        slow = socket.socket(socket.AF_UNIX)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(self.rsd.sock)
        slow.sendall(b"show route all\n")
        time.sleep(4)  # not reading: rsd must neither buffer the reply nor stall the session
        self.assertLess(rss() - before, 16 * 1024, "memory grew while the reader was stalled (kB)")
        self.assertEqual(final_code(c.cmd("show status")), 13)
        slow.close()
        c.close()

    def test_restricted(self):
        ro = Conn(self.rsd.ro)
        self.assertEqual(ro.cmd("configure"), ["8007 Access denied"])
        self.assertEqual(ro.cmd("disable peer1"), ["8007 Access denied"])
        self.assertEqual(ro.cmd("down"), ["8007 Access denied"])
        self.assertEqual(final_code(ro.cmd("show protocols")), 0)
        ro.close()
        self.assertEqual(oct(os.stat(self.rsd.ro).st_mode & 0o777), "0o666")
        self.assertEqual(oct(os.stat(self.rsd.sock).st_mode & 0o777), "0o660")
        import grp
        self.assertEqual(os.stat(self.rsd.ro).st_gid, grp.getgrnam("nogroup").gr_gid)
        c = Conn(self.rsd.sock)
        self.assertEqual(c.cmd("restrict"), ["0016 Access restricted"])
        self.assertEqual(c.cmd("configure"), ["8007 Access denied"])
        c.close()


class Logs(unittest.TestCase):
    """`log` targets with per-class selection, logrotate (rename + SIGUSR1 / SIGHUP), and the
    `debug NAME all` lines (filters, events, packets) seen through `echo` and in the log file."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(DATA, "rsd.conf.in")) as f:
            text = f.read()
        text = text.replace("ipv4 { import all; export all; };", "ipv4 { import filter med_only; export all; };")
        text += ('\nlog "@DIR@/all.log" all;\nlog "@DIR@/warn.log" { warning, error };\n'
                 'log "@DIR@/trace.log" { trace };\n')
        cls.rsd = Rsd(ARGS.rsd, conf_text=text)
        try:
            cls.sp = Speaker(cls.rsd.port)
        except BaseException:
            cls.rsd.stop()
            raise
        cls.all = os.path.join(cls.rsd.dir, "all.log")

    @classmethod
    def tearDownClass(cls):
        cls.sp.close()
        cls.rsd.stop()

    def read(self, name):
        with open(os.path.join(self.rsd.dir, name)) as f:
            return f.read()

    def test_classes_per_target(self):
        self.assertTrue(wait_for(lambda: "started with" in self.read("all.log")))
        c = Conn(self.rsd.sock)
        try:
            self.assertEqual(c.cmd("debug peer1 { states, routes }"), ["0000 "])
            self.sp.announce(["10.9.0.0/24"], med=20)
            self.assertTrue(wait_for(lambda: "peer1 > added 10.9.0.0/24" in self.read("trace.log")))
            self.assertEqual(c.cmd("debug peer1 off"), ["0000 "])
        finally:
            c.close()
        self.assertIn("peer1 > added 10.9.0.0/24", self.read("all.log"))
        self.assertNotIn("started with", self.read("trace.log"))  # info is not trace
        self.assertNotIn("peer1 >", self.read("warn.log"))
        self.assertNotIn("started with", self.read("warn.log"))

    def test_logrotate_sigusr1_and_sighup(self):
        self.assertTrue(wait_for(lambda: "started with" in self.read("all.log")))
        for sig, rotated, line in ((signal.SIGUSR1, "all.log.1", "SIGUSR1: log files reopened"),
                                   (signal.SIGHUP, "all.log.2", "SIGHUP: reloading")):
            os.rename(self.all, os.path.join(self.rsd.dir, rotated))
            os.kill(self.rsd.proc.pid, sig)
            self.assertTrue(wait_for(lambda: os.path.exists(self.all) and line in self.read("all.log")),
                            "no new log file after %s" % sig.name)
            self.assertNotIn(line, self.read(rotated))
            self.assertTrue(self.rsd.alive())
        self.assertIn("started with", self.read("all.log.1"))

    def test_debug_all_lines(self):
        c = Conn(self.rsd.sock)
        seen = []

        def saw(*needles):
            return lambda: all(any(n in l for l in seen) for n in needles)

        def pump(pred, timeout=15):
            deadline = time.time() + timeout
            c.s.settimeout(0.5)
            while time.time() < deadline and not pred():
                try:
                    seen.append(c.read_line())
                except socket.timeout:
                    pass
            c.s.settimeout(30)
            return pred()

        try:
            self.assertEqual(c.cmd("echo all"), ["0000 "])
            self.assertEqual(c.cmd("debug peer1 all"), ["0000 "])
            self.sp.announce(["10.9.1.0/24"], med=3)   # rejected by med_only
            self.sp.announce(["10.9.2.0/24"], med=30)  # accepted
            want = ("+peer1 < 10.9.1.0/24 rejected by import filter med_only",
                    "+peer1 < 10.9.2.0/24 accepted by import filter med_only",
                    "+peer1: got UPDATE, length ", "+peer1: got KEEPALIVE, length 19",
                    "+peer1: sending KEEPALIVE, length 19", "+peer1: event: keepalive timer fired in state Established")
            self.assertTrue(pump(saw(*want)), "\n".join(seen[-40:]))
            self.assertEqual(c.cmd("debug peer1 off"), ["0000 "])
        finally:
            c.close()
        log = self.read("all.log")
        for w in want:
            self.assertIn(w[1:], log)
        self.assertIn("peer1: got UPDATE", self.read("trace.log"))
        self.assertNotIn("peer1: got UPDATE", self.read("warn.log"))


class MillionRoutes(unittest.TestCase):
    """Dumping a million routes never starves the keepalives of a peer with hold time 3 s."""

    def test_dump(self):
        r, sp = start_scenario()
        try:
            n = 1000000
            prefixes = ["%d.%d.%d.0/24" % (20 + i // 65536, (i // 256) % 256, i % 256) for i in range(n)]
            sp.announce(prefixes, med=3)
            c = Conn(r.sock, timeout=120)
            count = lambda: int(re.match(r"^1007-(\d+) of", c.cmd("show route count table master4")[0]).group(1))
            self.assertTrue(wait_for(lambda: count() >= n, 300), "routes did not arrive")
            sp.max_gap = 0.0
            start = time.time()
            c.s.sendall(b"show route\n")
            lines = 0
            while True:
                l = c.read_line()
                lines += 1
                if re.match(r"^\d{4} ", l):
                    break
            self.assertGreaterEqual(lines, 2 * n)
            print("dumped %d lines in %.1f s, largest keepalive gap %.2f s" % (lines, time.time() - start, sp.max_gap))
            self.assertFalse(sp.closed)
            self.assertLess(sp.max_gap, 3.0)
            c.close()
        finally:
            sp.close()
            r.stop()


NEW_FILTER = """
filter tweak {
  if bgp_med = 10 then bgp_local_pref = 300;
  if bgp_med > 5 then accept;
  reject;
}
"""

HEALTH_CONF = """
healthcheck web {
  command "/bin/true";
  route 203.0.113.10/32 next hop 192.0.2.11 med 100;
  interval 1 s; fast interval 1 s; timeout 2 s;
  rise 1; fall 1;
}

healthcheck broken {
  command "/bin/false";
  route 203.0.113.20/32 next hop 192.0.2.12 med 100;
  interval 1 s; fast interval 1 s; timeout 2 s;
  rise 1; fall 1;
}

protocol static svc {
  ipv4;
  route 203.0.113.10/32 via 192.0.2.13 { bgp_med = 300; accept; };
}

process feed {
  shell "echo 'announce route 203.0.113.30/32 next-hop self med 150'; echo 'announce route 203.0.113.20/32 next-hop self med 400'; exec sleep 1000";
  next hop 192.0.2.14;
}
"""


class Health(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(DATA, "rsd.conf.in")) as f:
            text = f.read()
        cls.rsd = Rsd(ARGS.rsd, conf_text=text + HEALTH_CONF)
        cls.c = Conn(cls.rsd.sock)
        ok = wait_for(lambda: "\tState: UP" in "\n".join(cls.c.cmd("show health web"))
                      and "\tState: DOWN" in "\n".join(cls.c.cmd("show health broken")), 20)
        assert ok, "checks did not settle"

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.rsd.stop()

    def text(self, cmd):
        return "\n".join(self.c.cmd(cmd))

    def meds(self, prefix, source):
        """The BGP.med of `source`'s path for `prefix` in `show route for P all`, None without one."""
        cur = None
        for l in self.c.cmd("show route for %s all" % prefix):
            body = l[5:] if re.match(r"^\d{4}[- ]", l) else l[1:]
            m = re.search(r"unicast \[(.+?) \d\d:", body)
            if m:
                cur = m.group(1)
                continue
            m = re.match(r"\tBGP\.med: (\d+)", body)
            if m and cur == source:
                return int(m.group(1))
        return None

    def test_a_show_health(self):
        t = self.text("show health web")
        self.assertRegex(t, r"(?m)^1031-web:$")
        for needle in ("\tState: UP", "\tLast result: success", "\tRoute: 203.0.113.10/32 announced med 100",
                       "\tProbe: ", "\tLast run: "):
            self.assertIn(needle, t)
        self.assertRegex(t, r"\tRuns: [1-9]")
        t = self.text("show health broken")
        self.assertIn("\tState: DOWN", t)
        self.assertIn("\tLast result: failure", t)
        self.assertRegex(t, r"\tFailures: [1-9]")
        self.assertEqual(final_code(self.c.cmd("show health nosuch")), 8003)
        t = self.text("show health")
        self.assertRegex(t, r"(?m)^(1031-| )web:$")
        self.assertRegex(t, r"(?m)^(1031-| )broken:$")

    def test_b_show_services(self):
        lines = self.c.cmd("show services")
        t = "\n".join(lines)
        self.assertIn("203.0.113.10/32", t)
        self.assertIn("203.0.113.20/32", t)
        web = [l for l in lines if "\thealth web\t" in l]
        self.assertEqual(len(web), 1, t)
        self.assertIn("\t192.0.2.11\t100\tUP\t", web[0])
        svc = [l for l in lines if "\tsvc\t" in l]
        self.assertEqual(len(svc), 1, t)
        self.assertIn("\t300\t-\t", svc[0])
        # exactly one of the two paths is best, with a reason
        self.assertEqual(sum(1 for l in web + svc if re.search(r"\tbest \(.+\)$", l)), 1, t)
        self.assertTrue(any("not best (lost to " in l for l in web + svc), t)
        p = rsc(self.rsd, "--json", "show", "services")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        by = {s["prefix"]: s for s in doc["services"]}
        paths = {x["source"]: x for x in by["203.0.113.10/32"]["paths"]}
        self.assertEqual(paths["health web"]["med"], 100)
        self.assertEqual(paths["health web"]["health"], "UP")
        self.assertEqual(paths["health web"]["next_hop"], "192.0.2.11")
        self.assertIsNone(paths["svc"]["health"])
        self.assertEqual(paths["svc"]["best"] + paths["health web"]["best"], 1)
        # process routes are service IPs too: node, MED, state of the program, decision
        feed = [l for l in lines if "\tprocess feed\t" in l]
        self.assertEqual(len(feed), 2, t)
        self.assertTrue(any(re.search(r"\t192\.0\.2\.14\t400\trunning\t(best|not best) \(", l) for l in feed), t)
        # 203.0.113.20/32: the process's path and the failing check's (down MED): one is best
        both = [l for l in lines if "\thealth broken\t" in l or ("\tprocess feed\t" in l and "\t400\t" in l)]
        self.assertEqual(len(both), 2, t)
        self.assertEqual(sum(1 for l in both if re.search(r"\tbest \(.+\)$", l)), 1, t)
        self.assertEqual(sum(1 for l in both if "\tnot best (lost to " in l), 1, t)
        self.assertTrue(any(re.search(r"\t192\.0\.2\.14\t150\trunning\tbest \(", l) for l in feed), t)
        self.assertRegex(t, r"(?m)^(1032-| )203\.0\.113\.30/32$")
        proc = {x["source"]: x for x in by["203.0.113.30/32"]["paths"]}
        self.assertEqual(proc["process feed"]["med"], 150)
        self.assertEqual(proc["process feed"]["health"], "running")
        self.assertTrue(proc["process feed"]["best"])
        self.assertNotIn("process feed", {x["source"] for x in by["203.0.113.10/32"]["paths"]})
        p = rsc(self.rsd, "--json", "show", "health")
        doc = json.loads(p.stdout)
        feed = [x for x in doc["processes"] if x["name"] == "feed"][0]
        self.assertEqual(feed["routes"], 2)
        self.assertEqual(sorted(feed["route_list"]), ["203.0.113.20/32 announced med 400",
                                                  "203.0.113.30/32 announced med 150"])
        self.assertIsInstance(feed["failovers"], list)
        p = rsc(self.rsd, "--json", "show", "health", "web")
        doc = json.loads(p.stdout)
        self.assertEqual(doc["health"][0]["name"], "web")
        self.assertEqual(doc["health"][0]["state"], "UP")
        self.assertIsInstance(doc["health"][0]["runs"], int)
        self.assertEqual(doc["health"][0]["routes"], ["203.0.113.10/32 announced med 100"])

    def test_c_restricted(self):
        for cmd in ("drain web", "maintenance web on", "disable health web", "undrain web"):
            p = rsc(self.rsd, *cmd.split(), socket_path=self.rsd.ro)
            self.assertIn("Access denied", p.stdout + p.stderr, cmd)
            self.assertEqual(p.returncode, 1)
        p = rsc(self.rsd, "show", "services", socket_path=self.rsd.ro)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.meds("203.0.113.10/32", "health web"), 100)

    def test_d_maintenance_changes_med(self):
        self.assertEqual(self.meds("203.0.113.10/32", "health web"), 100)
        self.assertEqual(final_code(self.c.cmd("maintenance web on")), 30)
        self.assertTrue(wait_for(lambda: self.meds("203.0.113.10/32", "health web") == 500), self.text("show route all"))
        self.assertIn("\tState: DISABLED", self.text("show health web"))
        self.assertEqual(final_code(self.c.cmd("maintenance web off")), 30)
        self.assertTrue(wait_for(lambda: self.meds("203.0.113.10/32", "health web") == 100, 15))

    def test_e_drain_changes_med(self):
        self.assertTrue(wait_for(lambda: self.meds("203.0.113.10/32", "health web") == 100, 15))
        self.assertEqual(final_code(self.c.cmd("drain web over 100 s steps 2")), 30)
        self.assertTrue(wait_for(lambda: (self.meds("203.0.113.10/32", "health web") or 0) > 100))
        self.assertIn("draining", self.text("show health web"))
        self.assertEqual(final_code(self.c.cmd("undrain web")), 30)
        self.assertTrue(wait_for(lambda: self.meds("203.0.113.10/32", "health web") == 100))
        self.assertEqual(final_code(self.c.cmd("drain nosuch")), 8003)

    def test_f_enable_disable_health(self):
        self.assertEqual(final_code(self.c.cmd("disable health broken")), 30)
        self.assertIn("disabled", self.text("show health broken"))
        self.assertEqual(final_code(self.c.cmd("enable health broken")), 30)
        # `enable h` is still a protocol name, not `enable health`
        self.assertEqual(final_code(self.c.cmd("enable h")), 9001)

    def test_g_echo(self):
        """`echo all`: log lines arrive as BIRD's asynchronous '+' lines; `echo off` stops them."""
        e = Conn(self.rsd.sock)
        try:
            self.assertEqual(e.cmd("echo all"), ["0000 "])
            self.assertIn("0011-peer2: enabled", self.c.cmd("enable peer2"))
            self.assertEqual(e.read_line(), "+peer2: enabled by the operator")
            self.assertEqual(e.cmd("echo off")[-1], "0000 ")
            self.assertIn("0009-peer2: disabled", self.c.cmd("disable peer2"))
            e.s.settimeout(0.5)
            rest = e.buf
            try:
                rest += e.s.recv(4096)
            except socket.timeout:
                pass
            self.assertNotIn(b"disabled by the operator", rest)
        finally:
            e.close()


class Configure(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rsd, cls.sp = start_scenario()
        cls.sp.announce(["10.0.3.0/24"], med=7)
        with open(os.path.join(DATA, "rsd.conf.in")) as f:
            text = f.read()
        changed = text.replace("ipv4 { import all; export all; };", "ipv4 { import filter tweak; export all; };", 1)
        changed = changed.replace("protocol static st1", NEW_FILTER + "\nprotocol static st1", 1)
        cls.new_conf = cls.rsd.write_conf(changed, os.path.join(cls.rsd.dir, "new.conf"))

    @classmethod
    def tearDownClass(cls):
        cls.sp.close()
        cls.rsd.stop()

    def routes(self, c):
        """(prefix -> attribute lines) of peer1's accepted routes."""
        out = {}
        prefix = None
        for l in c.cmd("show route all protocol peer1"):
            body = l[5:] if re.match(r"^\d{4}[- ]", l) else l[1:]
            m = re.match(r"^(\S+/\d+)\s+unicast", body)
            if m:
                prefix = m.group(1)
                out[prefix] = []
            elif prefix and body.startswith("\tBGP."):
                out[prefix].append(body)
        return out

    def test_check_reports_exactly_what_changes(self):
        c = Conn(self.rsd.sock)
        self.assertTrue(wait_for(lambda: "10.0.3.0/24" in self.routes(c)))
        before = self.routes(c)
        report = c.cmd('configure check "%s"' % self.new_conf)
        self.assertEqual(final_code(report), 20, report)
        predicted = {}
        for l in report:
            m = re.search(r"peer1: (\S+) would be (accepted|rejected|changed)", l)
            if m:
                predicted[m.group(1)] = m.group(2)
        self.assertTrue(any("peer1: soft reload" in l for l in report), report)
        # Nothing was applied.
        self.assertEqual(self.routes(c), before)
        self.assertEqual(final_code(c.cmd('configure "%s"' % self.new_conf)), 3)
        self.assertTrue(wait_for(lambda: self.routes(c) != before))
        time.sleep(0.5)
        after = self.routes(c)
        actual = {}
        for p in set(before) | set(after):
            if p not in after:
                actual[p] = "rejected"
            elif p not in before:
                actual[p] = "accepted"
            elif before[p] != after[p]:
                actual[p] = "changed"
        self.assertEqual(predicted, actual)
        self.assertIn("10.0.0.0/24", actual)  # med 5: rejected
        self.assertEqual(actual.get("10.0.1.0/24"), "changed")  # local_pref 300
        # Back to the original for the other tests.
        self.assertEqual(final_code(c.cmd("configure undo")), 3)
        self.assertTrue(wait_for(lambda: self.routes(c) == before))
        c.close()

    def test_timeout_rolls_back(self):
        c = Conn(self.rsd.sock)
        self.assertTrue(wait_for(lambda: "10.0.3.0/24" in self.routes(c)))
        before = self.routes(c)
        reply = c.cmd('configure "%s" timeout 2' % self.new_conf)
        self.assertIn("0022-Undo scheduled in 2 s", reply)
        self.assertTrue(wait_for(lambda: self.routes(c) != before))
        self.assertTrue(wait_for(lambda: self.routes(c) == before, 10), "no rollback after the timeout")
        self.assertEqual(c.cmd("configure confirm"), ["0019 Nothing to do"])
        bad = self.rsd.write_conf("router id 1.2.3.4;\nprotocol bgp { nonsense; }\n", os.path.join(self.rsd.dir, "bad.conf"))
        reply = c.cmd('configure "%s"' % bad)
        self.assertEqual(final_code(reply), 8002)
        self.assertEqual(final_code(c.cmd('configure check "%s"' % bad)), 8002)
        self.assertFalse(self.sp.closed)
        c.close()

    def test_down_and_graceful_restart(self):
        for command, code, cease in (("down", "0007 Shutdown ordered", True),
                                     ("graceful restart", "0025 Graceful restart ordered", False)):
            r = Rsd(ARGS.rsd)
            sp = Speaker(r.port)
            try:
                c = Conn(r.sock)
                self.assertEqual(c.cmd(command), [code])
                self.assertTrue(wait_for(lambda: not r.alive(), 10))
                self.assertTrue(wait_for(lambda: sp.closed, 10))
                if cease:  # Cease (6) / Administrative Shutdown (2), RFC 4486
                    self.assertIsNotNone(sp.notification)
                    self.assertEqual(tuple(sp.notification[:2]), (6, 2))
                else:  # no NOTIFICATION: the peer may keep our routes (RFC 4724)
                    self.assertIsNone(sp.notification)
                self.assertFalse(os.path.exists(r.sock))
                c.close()
            finally:
                sp.close()
                r.stop()

    def test_sigterm_removes_sockets(self):
        r = Rsd(ARGS.rsd)
        self.assertTrue(os.path.exists(r.sock))
        r.stop()
        self.assertFalse(os.path.exists(r.sock))
        self.assertFalse(os.path.exists(r.ro))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ap.add_argument("--rsc", required=True)
    ap.add_argument("--update", action="store_true", help="rewrite the golden files")
    ARGS, rest = ap.parse_known_args()
    # Without suite names: every suite but the slow MillionRoutes (ctest runs it on its own).
    if not [a for a in rest if not a.startswith("-")]:
        rest += [n for n in ("Golden", "Rsc", "BadInput", "Configure", "Health", "Logs", "Interop")]
    fail_on_skips(unittest.main(argv=[sys.argv[0]] + rest, verbosity=2, exit=False).result)


if __name__ == "__main__":
    main()
