"""Control-socket suites about operating rsd: Logs, MillionRoutes, Health, Configure (see cli_test.py,
which runs them; they read its command line through cli_common.ARGS)."""
import json
import os
import re
import signal
import socket
import time
import unittest

import cli_common as common
from cli_common import rsc, start_scenario, wait_for  # noqa: F401
from rsdtest import DATA, Conn, Rsd, Speaker, final_code


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
        cls.rsd = Rsd(common.ARGS.rsd, conf_text=text)
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
        cls.rsd = Rsd(common.ARGS.rsd, conf_text=text + HEALTH_CONF)
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
        self.assertIn("\t192.0.2.11\t100\t100\tUP\t", web[0])
        svc = [l for l in lines if "\tsvc\t" in l]
        self.assertEqual(len(svc), 1, t)
        self.assertIn("\t300\t300\t-\t", svc[0])
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
        self.assertTrue(any(re.search(r"\t192\.0\.2\.14\t400\t400\trunning\t(best|not best) \(", l) for l in feed), t)
        # 203.0.113.20/32: the process's path and the failing check's (down MED): one is best
        both = [l for l in lines if "\thealth broken\t" in l or ("\tprocess feed\t" in l and "\t400\t" in l)]
        self.assertEqual(len(both), 2, t)
        self.assertEqual(sum(1 for l in both if re.search(r"\tbest \(.+\)$", l)), 1, t)
        self.assertEqual(sum(1 for l in both if "\tnot best (lost to " in l), 1, t)
        self.assertTrue(any(re.search(r"\t192\.0\.2\.14\t150\t150\trunning\tbest \(", l) for l in feed), t)
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
        self.assertEqual(sorted((r["prefix"], r["kept"], r["med"]) for r in feed["route_list"]),
                         [("203.0.113.20/32", False, 400), ("203.0.113.30/32", False, 150)])
        self.assertIsInstance(feed["failovers"], list)
        p = rsc(self.rsd, "--json", "show", "health", "web")
        doc = json.loads(p.stdout)
        self.assertEqual(doc["health"][0]["name"], "web")
        self.assertEqual(doc["health"][0]["state"], "UP")
        self.assertIsInstance(doc["health"][0]["runs"], int)
        self.assertEqual(doc["health"][0]["routes"], [{"prefix": "203.0.113.10/32", "announced": True, "med": 100}])

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

    def test_e2_process_node_drain_and_maintenance(self):
        """A `process` block is a service node too: by its name, or by its next hop per family."""
        def feed(prefix):
            lines = self.c.cmd("show services")
            cur, out = None, None
            for l in lines:
                body = l[5:] if re.match(r"^\d{4}[- ]", l) else l[1:]
                if not body.startswith("\t"):
                    cur = body
                elif cur == prefix and body.startswith("\tprocess feed\t"):
                    out = body.split("\t")[1:]
            return out   # source, next hop, MED, MED received, state, decision
        self.assertTrue(wait_for(lambda: (feed("203.0.113.30/32") or [None] * 3)[2] == "150", 15))
        self.assertEqual(final_code(self.c.cmd("maintenance feed on")), 30)
        self.assertTrue(wait_for(lambda: feed("203.0.113.30/32")[5] == "withdrawn by the operator"))
        row = feed("203.0.113.30/32")
        self.assertEqual(row[2:5], ["-", "150", "running [maintenance]"])
        self.assertIsNone(self.meds("203.0.113.30/32", "process feed"))
        self.assertEqual(final_code(self.c.cmd("maintenance feed off")), 30)
        self.assertTrue(wait_for(lambda: feed("203.0.113.30/32")[2] == "150"))
        # by next hop, held at the ceiling: 150 -> 650 at once (over 0 s), kept
        self.assertEqual(final_code(self.c.cmd("drain 192.0.2.14 over 0 s steps 1 to 650 keep")), 30)
        self.assertTrue(wait_for(lambda: self.meds("203.0.113.30/32", "process feed") == 650))
        self.assertEqual(feed("203.0.113.30/32")[4], "running [drained to 650 by 192.0.2.14]")
        p = rsc(self.rsd, "--json", "show", "services")
        doc = json.loads(p.stdout)
        by = {s["prefix"]: s for s in doc["services"]}
        path = [x for x in by["203.0.113.30/32"]["paths"] if x["source"] == "process feed"][0]
        self.assertEqual((path["med"], path["med_received"]), (650, 150))
        self.assertEqual(path["node"], "drained to 650 by 192.0.2.14")
        self.assertEqual(path["health"], "running")
        self.assertEqual(final_code(self.c.cmd("undrain 192.0.2.14")), 30)
        self.assertTrue(wait_for(lambda: self.meds("203.0.113.30/32", "process feed") == 150))
        self.assertEqual(final_code(self.c.cmd("undrain 192.0.2.14")), 8003)   # not drained
        self.assertEqual(final_code(self.c.cmd("drain web to 700")), 9001)     # node-only option

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
            r = Rsd(common.ARGS.rsd)
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
        r = Rsd(common.ARGS.rsd)
        self.assertTrue(os.path.exists(r.sock))
        r.stop()
        self.assertFalse(os.path.exists(r.sock))
        self.assertFalse(os.path.exists(r.ro))
