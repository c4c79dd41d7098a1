#!/usr/bin/env python3
"""Process-level tests of the history (docs/history.md), ctest label `cli`.

  history_test.py --rsd PATH --rsc PATH [unittest args, e.g. HistoryCli]

HistoryCli       sessions (up, down with the NOTIFICATION), health transitions, operator commands with
                 who and which socket, best-path changes and a failover with its cause and latency;
                 `show history` filters (prefix, protocol, health, since, until, limit) and
                 `show failovers`, text and rsc --json; the operator state in the same database.
HistoryCrash     rsd under load (a peer re-announcing selected prefixes with alternating MEDs) is
                 killed with SIGKILL at random moments 20 times: every time PRAGMA integrity_check is
                 ok, the database reopens, and committed rows survive.
HistoryDegraded  an immutable database directory, an immutable database file, and a database locked
                 by another process: history degrades (logged, gap rows) while routes still flow.
rsd is started in a temp dir on its own socket and always stopped by its PID."""
import argparse
import json
import os
import re
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsdtest  # noqa: E402
from rsdtest import DATA, Conn, Rsd, Speaker, bgp_msg, final_code, update_msg  # noqa: E402

ARGS = None

HISTORY_CONF = """
history "@DB@" { keep 30 d; max size 64 MB; routes where net ~ [ 203.0.113.0/24+, 10.0.0.0/8+ ]; }

healthcheck web {
  command "/usr/bin/test -f @DIR@/web.up";
  route 203.0.113.10/32 next hop 192.0.2.11 med 100;
  interval 1 s; fast interval 1 s; timeout 2 s;
  rise 1; fall 1;
}

healthcheck web2 {
  command "/bin/true";
  route 203.0.113.10/32 next hop 192.0.2.13 med 300;
  interval 1 s; fast interval 1 s; timeout 2 s;
  rise 1; fall 1;
}
"""


def base_conf():
    with open(os.path.join(DATA, "rsd.conf.in")) as f:
        return f.read()


def rsc(rsd, *words):
    return subprocess.run([ARGS.rsc, "-s", rsd.sock, *words], capture_output=True, text=True, timeout=60)


def wait_for(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def chattr(flag, path):
    return subprocess.run(["chattr", flag, path], capture_output=True).returncode == 0


def rows(lines, code):
    """Tab-separated columns of the lines with `code` (first line "CODE-", continuations " ")."""
    out = []
    cur = None
    for l in lines:
        if len(l) >= 5 and l[:4].isdigit() and l[4] in "- ":
            cur = int(l[:4])
            body = l[5:]
        else:
            body = l[1:]
        if cur == code:
            out.append(body.split("\t"))
    return out


class HistoryCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rsd-hist-")
        # The web check runs as nobody (rsd runs as root here): it must reach web.up.
        os.chmod(cls.tmp, 0o755)
        cls.db = os.path.join(cls.tmp, "history.db")
        open(os.path.join(cls.tmp, "web.up"), "w").close()
        conf = base_conf() + HISTORY_CONF.replace("@DB@", cls.db).replace("@DIR@", cls.tmp)
        cls.rsd = Rsd(ARGS.rsd, conf_text=conf)
        cls.c = Conn(cls.rsd.sock)
        cls.sp = Speaker(cls.rsd.port)
        ok = wait_for(lambda: "\tState: UP" in "\n".join(cls.c.cmd("show health web")), 20)
        assert ok, "web did not come up"

    @classmethod
    def tearDownClass(cls):
        cls.sp.close()
        cls.c.close()
        cls.rsd.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def hist(self, *args):
        return rows(self.c.cmd("show history " + " ".join(args)), 1033)

    def test_a_session_up_and_json(self):
        self.assertTrue(wait_for(lambda: any(r[1] == "session" and r[2] == "peer1" and r[3].startswith("up")
                                             for r in self.hist("protocol peer1"))), self.hist())
        lines = self.c.cmd("show history protocol peer1")
        self.assertTrue(lines[0].startswith("2033-Time\tKind\tSubject\tEvent"), lines)
        self.assertEqual(final_code(lines), 0)
        p = rsc(self.rsd, "--json", "show", "history", "protocol", "peer1")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        ev = [e for e in doc["events"] if e["kind"] == "session"]
        self.assertTrue(ev, doc)
        self.assertEqual(ev[0]["protocol"], "peer1")
        self.assertRegex(ev[0]["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
        # The same instant as the text row's time (local time, milliseconds).
        text_times = [r[0] for r in self.hist("protocol peer1") if r[1] == "session"]
        self.assertEqual(ev[0]["time"][:23].replace("T", " "), text_times[0])
        self.assertTrue(ev[0]["event"].startswith("up (127.0.0.1)"))

    def test_b_operator_command_who_and_socket(self):
        self.assertIn("0011-peer2: enabled", self.c.cmd("enable peer2"))
        self.assertTrue(wait_for(lambda: any(r[1] == "operator" and "enable peer2" in r[3] for r in self.hist())))
        op = [r for r in self.hist() if r[1] == "operator" and "enable peer2" in r[3]][-1]
        self.assertTrue(op[3].startswith("enable peer2 -> peer2: enabled (by "), op)
        self.assertIn("(by root uid 0 pid ", op[3])
        self.assertIn(" on " + self.rsd.sock + ")", op[3])
        # A show command is not an operator event.
        self.assertFalse(any("show" in r[3] for r in self.hist() if r[1] == "operator"))

    def test_c_failover_health_down(self):
        self.assertTrue(wait_for(lambda: any("health web via 192.0.2.11" in r[3] for r in self.hist("203.0.113.10/32"))),
                        self.hist())
        os.unlink(os.path.join(self.tmp, "web.up"))
        away = lambda: [f for f in rows(self.c.cmd("show failovers 203.0.113.10/32"), 1034) if f[2].startswith("health web ")]
        self.assertTrue(wait_for(away, 15), self.hist())
        fo = away()
        self.assertEqual(len(fo), 1, fo)
        t, prefix, old, new, latency, cause = fo[0]
        self.assertEqual(prefix, "203.0.113.10/32")
        self.assertEqual(old, "health web via 192.0.2.11 med 100")
        self.assertEqual(new, "health web2 via 192.0.2.13 med 300")
        self.assertRegex(latency, r"^\d+\.\d{3} ms$")
        self.assertRegex(cause, r"^health web (DOWN|FALLING)$")
        p = rsc(self.rsd, "--json", "show", "failovers")
        doc = json.loads(p.stdout)
        jf = [f for f in doc["failovers"] if f["old_best"] == old]
        self.assertEqual(len(jf), 1, doc)
        self.assertEqual(jf[0]["prefix"], "203.0.113.10/32")
        self.assertEqual(jf[0]["new_best"], new)
        self.assertIsInstance(jf[0]["latency_us"], int)
        self.assertAlmostEqual(jf[0]["latency_us"] / 1000.0, float(latency.split()[0]), delta=0.001)
        self.assertEqual(jf[0]["cause"], cause)
        # The health transition with the probe's output.
        h = self.hist("health web")
        self.assertTrue(any(r[3].startswith("UP -> ") and "failed" in r[3] for r in h), h)
        # The best-path change of the selected prefix.
        self.assertTrue(any(r[1] == "route" and "-> health web2 via 192.0.2.13" in r[3] for r in self.hist("203.0.113.10/32")))
        open(os.path.join(self.tmp, "web.up"), "w").close()

    def test_d_time_and_limit(self):
        self.assertEqual(len(self.hist("limit 1")), 1)
        every = self.hist("limit 1000")
        self.assertGreater(len(every), 3)
        self.assertEqual(self.hist("limit 2"), every[-2:])
        self.assertEqual(self.hist("until 2000-01-01"), [])
        self.assertEqual(self.hist("since 2000-01-01T00:00:00 limit 1000"), every)
        self.assertEqual(self.hist('since "10 min ago" limit 1000'), every)
        self.assertEqual(self.hist("since -10m limit 1000"), every)
        self.assertEqual(self.hist("since 1 s ago until now protocol nosuch"), [])
        first = every[0][0]  # "YYYY-MM-DD HH:MM:SS.mmm" local time
        self.assertEqual(self.hist("until " + first + " limit 1000")[0], every[0])
        self.assertEqual(self.hist("since " + every[-1][0] + " limit 1000")[-1], every[-1])
        for bad in ("since yesterday", "since 2026-13-01", "limit x", "until"):
            self.assertEqual(final_code(self.c.cmd("show history " + bad)), 9001, bad)

    def test_h_session_down_with_notification(self):
        self.sp.send(bgp_msg(3, bytes([6, 2, 4]) + b"bye!"))
        self.assertTrue(wait_for(lambda: any(r[1] == "session" and "received NOTIFICATION 6/2" in r[3]
                                             for r in self.hist("protocol peer1")), 10), self.hist())
        down = [r for r in self.hist("protocol peer1") if "NOTIFICATION" in r[3]][-1]
        self.assertIn("bye!", down[3])
        self.assertIn("flaps 1", down[3])

    def test_f_operator_state_in_the_same_database(self):
        self.assertEqual(final_code(self.c.cmd("maintenance web on")), 30)
        db = sqlite3.connect(self.db, timeout=5)
        try:
            self.assertEqual(db.execute("SELECT kind, value FROM operator_state WHERE name = 'web'").fetchall(),
                             [("maintenance", "on")])
        finally:
            db.close()
        self.assertEqual(final_code(self.c.cmd("maintenance web off")), 30)

    def test_f2_show_memory_counts_the_queue(self):
        # The queue grows with what waits for the writer; idle it holds (almost) nothing.
        lines = self.c.cmd("show memory")
        q = [l for l in lines if "History queue:" in l]
        self.assertEqual(len(q), 1, lines)
        self.assertTrue(re.search(r"History queue:\s+[0-9.]+\s+(B|kB)$", q[0].rstrip()), q)

    def test_g_not_configured(self):
        r = Rsd(ARGS.rsd, conf_text=base_conf())
        try:
            c = Conn(r.sock)
            self.assertEqual(final_code(c.cmd("show history")), 8003)
            self.assertEqual(final_code(c.cmd("show failovers")), 8003)
            self.assertFalse([l for l in c.cmd("show memory") if "History queue:" in l])
            c.close()
        finally:
            r.stop()


class Flapper(threading.Thread):
    """Re-announces 200 selected prefixes with alternating MEDs as fast as the socket takes them."""

    def __init__(self, sp):
        super().__init__(daemon=True)
        self.sp = sp
        self.stop_flag = False

    def run(self):
        prefixes = ["10.%d.%d.0/24" % (i // 256, i % 256) for i in range(200)]
        med = 1
        while not self.stop_flag and not self.sp.closed:
            try:
                self.sp.announce(prefixes, med=med, per_msg=200)
            except OSError:
                return
            med = 3 - med
            time.sleep(0.01)


def integrity(db):
    c = sqlite3.connect(db, timeout=5)
    try:
        ok = c.execute("PRAGMA integrity_check").fetchone()[0]
        n = c.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        c.close()
    return ok, n


class HistoryCrash(unittest.TestCase):
    def test_kill_9_twenty_times(self):
        tmp = tempfile.mkdtemp(prefix="rsd-hist-crash-")
        db = os.path.join(tmp, "history.db")
        conf = base_conf() + ('history "%s" { routes where net ~ [ 10.0.0.0/8+ ]; }\n' % db)
        rng = random.Random(8)
        before = 0
        try:
            for i in range(20):
                r = Rsd(ARGS.rsd, conf_text=conf)
                sp = None
                try:
                    sp = Speaker(r.port)
                    fl = Flapper(sp)
                    fl.start()
                    time.sleep(rng.uniform(0.3, 1.5))
                    os.kill(r.proc.pid, signal.SIGKILL)
                    r.proc.wait()
                    fl.stop_flag = True
                finally:
                    if sp:
                        sp.close()
                    r.stop()
                ok, n = integrity(db)
                self.assertEqual(ok, "ok", "after kill %d" % (i + 1))
                self.assertGreaterEqual(n, before, "committed rows lost after kill %d" % (i + 1))
                before = n
            # Each run selected 200 prefixes and re-announced them with new MEDs: hundreds of rows each.
            sys.stderr.write("history rows after 20 kills: %d\n" % before)
            self.assertGreater(before, 20 * 200)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class HistoryDegraded(unittest.TestCase):
    def routes_flow(self, conf):
        """rsd starts, the speaker's routes reach the table; returns the log text."""
        r = Rsd(ARGS.rsd, conf_text=conf)
        try:
            sp = Speaker(r.port)
            sp.announce(["10.9.0.0/24", "10.9.1.0/24"], med=5)
            c = Conn(r.sock)
            self.assertTrue(wait_for(lambda: any("10.9.1.0/24" in l for l in c.cmd("show route protocol peer1"))))
            self.assertTrue(r.alive())
            self.assertFalse(sp.closed)
            c.close()
            sp.close()
            time.sleep(0.3)
        finally:
            log_path = os.path.join(r.dir, "rsd.log")
            r.proc.send_signal(signal.SIGTERM)
            r.proc.wait(10)
            with open(log_path) as f:
                log = f.read()
            r.stop()
        return log

    def test_immutable_directory(self):
        tmp = tempfile.mkdtemp(prefix="rsd-hist-ro-")
        self.assertTrue(chattr("+i", tmp), "chattr +i failed: this test needs root on a file system with immutable flags")
        try:
            log = self.routes_flow(base_conf() + 'history "%s/h.db" { routes where net ~ [ 10.0.0.0/8+ ]; }\n' % tmp)
            self.assertIn("history " + tmp + "/h.db: cannot", log)
        finally:
            chattr("-i", tmp)
            shutil.rmtree(tmp, ignore_errors=True)

    def test_immutable_file(self):
        tmp = tempfile.mkdtemp(prefix="rsd-hist-ro-")
        db = os.path.join(tmp, "h.db")
        c = sqlite3.connect(db)
        c.execute("CREATE TABLE t(x)")
        c.close()
        self.assertTrue(chattr("+i", db), "chattr +i failed: this test needs root on a file system with immutable flags")
        try:
            log = self.routes_flow(base_conf() + 'history "%s" { routes where net ~ [ 10.0.0.0/8+ ]; }\n' % db)
            self.assertIn("history " + db + ": ", log)
            self.assertRegex(log, "read-?only")
        finally:
            chattr("-i", db)
            shutil.rmtree(tmp, ignore_errors=True)

    def test_locked_database(self):
        tmp = tempfile.mkdtemp(prefix="rsd-hist-lock-")
        db = os.path.join(tmp, "h.db")
        conf = base_conf() + 'history "%s" { routes where net ~ [ 10.0.0.0/8+ ]; }\n' % db
        r = Rsd(ARGS.rsd, conf_text=conf)
        try:
            c = Conn(r.sock)
            sp = Speaker(r.port)
            self.assertTrue(wait_for(lambda: rows(c.cmd("show history"), 1033)))
            lock = sqlite3.connect(db, timeout=5, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            t0 = time.time()
            sp.announce(["10.8.%d.0/24" % i for i in range(50)], med=5)
            self.assertTrue(wait_for(lambda: any("10.8.49.0/24" in l for l in c.cmd("show route protocol peer1"))))
            self.assertLess(time.time() - t0, 5)  # routing did not wait for the lock
            time.sleep(2.5)  # a batch or two fail on the lock
            self.assertEqual(final_code(c.cmd("show status")), 13)
            lock.execute("COMMIT")
            lock.close()
            sp.announce(["10.7.0.0/24"], med=5)  # the next batch writes the gap row
            self.assertTrue(wait_for(lambda: any(x[1] == "gap" and "events lost" in x[3]
                                                 for x in rows(c.cmd("show history"), 1033)), 15),
                            c.cmd("show history"))
            self.assertFalse(sp.closed)
            sp.close()
            c.close()
        finally:
            r.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ap.add_argument("--rsc", required=True)
    ARGS, rest = ap.parse_known_args()
    rsdtest.fail_on_skips(unittest.main(argv=[sys.argv[0]] + rest, verbosity=2, exit=False).result)


if __name__ == "__main__":
    main()
