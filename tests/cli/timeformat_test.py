#!/usr/bin/env python3
"""`timeformat protocol|route` as BIRD 2.0.12 prints it: for each form (none, iso short|long with
ms / us, a strftime format, one with a limit) a real bird and rsd run the same static protocol, and
stock birdc's `show protocols` line and `show route` time of each must be equal once digits are
masked (the times themselves differ by the start-up moment). Both daemons are stopped by PID.

usage: timeformat_test.py --rsd RSD [--bird BIRD --birdc BIRDC]
BIRD is the oracle: without bird or birdc the test fails."""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsdtest import Rsd  # noqa: E402

ARGS = None

FORMATS = [
    None,  # BIRD 2.0.12's default: iso short ms
    "iso short",
    "iso short ms",
    "iso short us",
    "iso long",
    "iso long ms",
    "iso long us",
    '"%d.%m.%Y %H:%M"',
    '"%H-%M-%S" 86400 "%F"',
]


def wait_for(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def config(fmt, route):
    tf = "" if fmt is None else "timeformat protocol %s;\ntimeformat route %s;\n" % (fmt, fmt)
    return "router id 192.0.2.1;\n%sprotocol static s4 { ipv4; route 198.51.100.0/24 %s; }\n" % (tf, route)


class Bird:
    def __init__(self, conf_text):
        self.dir = tempfile.mkdtemp(prefix="rsd-tf-bird-")
        self.sock = os.path.join(self.dir, "bird.ctl")
        conf = os.path.join(self.dir, "bird.conf")
        with open(conf, "w") as f:
            f.write(conf_text)
        self.log = open(os.path.join(self.dir, "bird.log"), "w")
        self.proc = subprocess.Popen([ARGS.bird, "-f", "-c", conf, "-s", self.sock,
                                      "-P", os.path.join(self.dir, "bird.pid")],
                                     stdout=self.log, stderr=self.log)
        if not wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None):
            self.stop()
            raise RuntimeError("bird did not start")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def birdc(sock, *words):
    p = subprocess.run([ARGS.birdc, "-s", sock, *words], capture_output=True, text=True, timeout=30)
    return p.stdout


def masked(text):
    return re.sub(r"\d", "N", text)


def protocol_line(sock):
    for line in birdc(sock, "show", "protocols").splitlines():
        if line.startswith("s4 "):
            return line
    return None


def route_time(sock):
    m = re.search(r"\[s4 ([^\]]*)\]", birdc(sock, "show", "route"))
    return m and m.group(1)


class TimeFormat(unittest.TestCase):
    def test_formats_as_bird(self):
        for fmt in FORMATS:
            with self.subTest(timeformat=fmt):
                bird = Bird(config(fmt, "blackhole"))
                try:
                    rsd = Rsd(ARGS.rsd, conf_text=config(fmt, "via 192.0.2.3"))
                    try:
                        self.assertTrue(wait_for(lambda: route_time(bird.sock) and route_time(rsd.sock)))
                        b, r = protocol_line(bird.sock), protocol_line(rsd.sock)
                        self.assertIsNotNone(b)
                        self.assertEqual(masked(r), masked(b), "show protocols, timeformat %s" % fmt)
                        self.assertEqual(masked(route_time(rsd.sock)), masked(route_time(bird.sock)),
                                         "show route, timeformat %s" % fmt)
                    finally:
                        rsd.stop()
                finally:
                    bird.stop()

    def test_default_is_iso_short_ms(self):
        rsd = Rsd(ARGS.rsd, conf_text=config(None, "via 192.0.2.3"))
        try:
            self.assertRegex(protocol_line(rsd.sock), r"^s4 +Static +master4 +up +\d\d:\d\d:\d\d\.\d{3}  $")
        finally:
            rsd.stop()


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ap.add_argument("--bird", default=shutil.which("bird") or "/usr/sbin/bird")
    ap.add_argument("--birdc", default=shutil.which("birdc") or "/usr/sbin/birdc")
    ARGS, rest = ap.parse_known_args()
    for prog in (ARGS.bird, ARGS.birdc):
        if not os.access(prog, os.X_OK):
            print("FAIL: %s not found (BIRD is this test's oracle)" % prog)
            return 1
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    sys.exit(main())
