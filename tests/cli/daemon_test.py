#!/usr/bin/env python3
"""How rsd starts as a daemon (Python 3 stdlib; every process started here is stopped by its PID).

Detach     detaching, `rsd` exits 0 only once everything is bound (pid file written, control socket
           answering); a BGP port, a metrics port or a control socket path that cannot be bound
           makes it exit non-zero with the reason on stderr.
Privileges `-u nobody` (as root): the socket and port binds happen first, then the process runs as
           nobody with CAP_NET_BIND_SERVICE only, its history database owned by nobody; `-u` with
           an unknown user fails at once.
Notify     under a $NOTIFY_SOCKET (as systemd's Type=notify gives), READY=1 arrives once the control
           socket exists, STOPPING=1 on SIGTERM.
"""
import argparse
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsdtest import fail_on_skips, free_port  # noqa: E402

ARGS = None


def conf_text(bgp_port, metrics_port=None, sock=None):
    text = ("router id 192.0.2.1;\n"
            "protocol bgp peer1 {\n"
            "  local 127.0.0.1 port %d as 65000;\n"
            "  neighbor 127.0.0.2 as 65001;\n"
            "  passive;\n"
            "  ipv4 { import all; export all; };\n"
            "}\n" % bgp_port)
    if metrics_port:
        text += "metrics { listen 127.0.0.1 port %d; }\n" % metrics_port
    if sock:
        text += 'control socket "%s";\n' % sock
    return text


def wait_for(pred, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def stop_pid(pid):
    """SIGTERM, then SIGKILL after 10 s; pid is ours (read from our own pid file)."""
    if not pid or not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    if not wait_for(lambda: not pid_alive(pid), 10):
        os.kill(pid, signal.SIGKILL)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rsd-daemon-")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "rsd.conf")
        self.sock = os.path.join(self.dir, "rsd.ctl")
        self.pidfile = os.path.join(self.dir, "rsd.pid")
        self.pids = []
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for pid in self.pids:
            stop_pid(pid)
        subprocess.run(["rm", "-rf", self.dir])

    def write(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def rsc(self, *words):
        return subprocess.run([ARGS.rsc, "-s", self.sock] + list(words), capture_output=True, text=True,
                              timeout=20)

    def start_detached(self, *extra):
        """rsd without -f: returns (exit code of the started command, stderr)."""
        p = subprocess.run([ARGS.rsd, "-c", self.conf, "-s", self.sock, "-P", self.pidfile] + list(extra),
                           capture_output=True, text=True, timeout=30)
        if os.path.exists(self.pidfile):
            with open(self.pidfile) as f:
                txt = f.read().strip()
            if txt:
                self.pids.append(int(txt))
        return p.returncode, p.stderr


class Detach(Base):
    def test_ready_when_it_returns(self):
        self.write(conf_text(free_port(), free_port()))
        rc, err = self.start_detached()
        self.assertEqual(rc, 0, err)
        # No waiting: everything is bound when the started command has exited.
        self.assertEqual(len(self.pids), 1, "no pid file when rsd returned")
        self.assertTrue(pid_alive(self.pids[0]))
        r = self.rsc("show", "protocols")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("peer1", r.stdout)

    def test_bgp_port_in_use(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        try:
            self.write(conf_text(port))
            rc, err = self.start_detached()
        finally:
            busy.close()
        self.assertNotEqual(rc, 0, "rsd detached although its BGP port was taken")
        self.assertIn("cannot listen on", err)
        self.assertIn("port %d: Address already in use" % port, err)
        self.assertIn("Address already in use", err)
        self.assertFalse(os.path.exists(self.sock), "control socket left behind")

    def test_metrics_port_in_use(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        try:
            self.write(conf_text(free_port(), port))
            rc, err = self.start_detached()
        finally:
            busy.close()
        self.assertNotEqual(rc, 0)
        self.assertIn("metrics: cannot listen on 127.0.0.1:%d" % port, err)
        self.assertFalse(os.path.exists(self.sock), "control socket left behind")

    def test_control_socket_cannot_be_created(self):
        self.write(conf_text(free_port()))
        with open(os.path.join(self.dir, "file"), "w") as f:
            f.write("a file where the socket's directory should be\n")
        self.sock = os.path.join(self.dir, "file", "rsd.ctl")
        rc, err = self.start_detached()
        self.assertNotEqual(rc, 0)
        self.assertIn("control:", err)

    def test_config_error(self):
        self.write("router id 192.0.2.1;\nprotocol bgp p { nonsense; }\n")
        rc, err = self.start_detached()
        self.assertEqual(rc, 1)
        self.assertIn("rsd.conf:2:", err)


class Privileges(Base):
    def setUp(self):
        super().setUp()
        self.assertEqual(os.geteuid(), 0, "the privilege tests need root (CI runs as root)")

    def test_user_nobody(self):
        nobody = pwd.getpwnam("nobody")
        state = os.path.join(self.dir, "state")  # as StateDirectory= would give it
        os.mkdir(state)
        os.chown(state, nobody.pw_uid, nobody.pw_gid)
        db = os.path.join(state, "history.db")
        self.write(conf_text(free_port(), free_port()) + 'history "%s";\n' % db)
        p = subprocess.Popen([ARGS.rsd, "-f", "-u", "nobody", "-c", self.conf, "-s", self.sock],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        self.assertTrue(wait_for(lambda: os.path.exists(self.sock) or p.poll() is not None, 15))
        self.assertIsNone(p.poll(), "rsd -u nobody exited")
        # Dropping comes right after the last bind: wait until the ids changed, then check all.

        def status():
            with open("/proc/%d/status" % p.pid) as f:
                return dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        self.assertTrue(wait_for(lambda: status()["Uid"].split()[0] == str(nobody.pw_uid), 10), status()["Uid"])
        st = status()
        self.assertEqual(st["Uid"].split(), [str(nobody.pw_uid)] * 4)
        self.assertEqual(st["Gid"].split(), [str(nobody.pw_gid)] * 4)
        self.assertEqual(int(st["CapEff"], 16), 1 << 10, "only CAP_NET_BIND_SERVICE may stay")
        self.assertEqual(int(st["CapPrm"], 16), 1 << 10)
        r = self.rsc("show", "protocols")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("peer1", r.stdout)
        # The history database is the user's, so that it still opens after a restart as that user.
        self.assertEqual(os.stat(db).st_uid, nobody.pw_uid)
        r = self.rsc("show", "history")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_unknown_user(self):
        self.write(conf_text(free_port()))
        rc, err = self.start_detached("-u", "no-such-user-rsd")
        self.assertEqual(rc, 1)
        self.assertIn("unknown user 'no-such-user-rsd'", err)


class Notify(Base):
    def test_ready_and_stopping(self):
        path = os.path.join(self.dir, "notify")
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.bind(path)
        n.settimeout(15)
        try:
            self.write(conf_text(free_port()))
            env = dict(os.environ, NOTIFY_SOCKET=path)
            p = subprocess.Popen([ARGS.rsd, "-f", "-c", self.conf, "-s", self.sock], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.append(p)
            msg = n.recv(4096).decode()
            self.assertIn("READY=1", msg.splitlines())
            self.assertIn("MAINPID=%d" % p.pid, msg.splitlines())
            self.assertTrue(os.path.exists(self.sock), "READY=1 before the control socket exists")
            p.send_signal(signal.SIGTERM)
            self.assertIn("STOPPING=1", n.recv(4096).decode().splitlines())
            self.assertEqual(p.wait(10), 0)
        finally:
            n.close()


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ap.add_argument("--rsc", required=True)
    ARGS, rest = ap.parse_known_args()
    fail_on_skips(unittest.main(argv=[sys.argv[0]] + rest, verbosity=2, exit=False).result)


if __name__ == "__main__":
    main()
