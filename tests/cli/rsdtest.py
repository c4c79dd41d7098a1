"""Helpers for the process-level CLI tests: start rsd on a temporary directory, talk to its control
socket with BIRD's protocol, and a minimal BGP speaker (OPEN, KEEPALIVE, UPDATE) to keep a session
up and feed routes. Python 3 standard library only. rsd is always stopped by its PID."""
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "cli")


def terminate(proc, grace=10):
    """SIGTERM to a process this test started (by its PID), SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def free_port(addr="127.0.0.1"):
    """A port no socket holds, below the kernel's ephemeral range (32768 and up), the interop
    slots (20000 and up) and the unit tests' fixed ports (17391-17393): a port the kernel hands out for outgoing connections can be taken by
    another test's speakers between this choice and rsd's bind."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(10000, 17000)
        s = socket.socket()
        try:
            s.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port in 10000-16999")


class Rsd:
    """rsd in the foreground on its own socket in a temp dir."""

    def __init__(self, rsd, conf_template=None, conf_text=None):
        self.dir = tempfile.mkdtemp(prefix="rsd-cli-")
        self.port = free_port()
        self.sock = os.path.join(self.dir, "rsd.ctl")
        self.ro = os.path.join(self.dir, "ro.ctl")
        self.conf = os.path.join(self.dir, "rsd.conf")
        if conf_text is None:
            with open(conf_template or os.path.join(DATA, "rsd.conf.in")) as f:
                conf_text = f.read()
        self.write_conf(conf_text, self.conf)
        self.log = open(os.path.join(self.dir, "rsd.log"), "w")
        self.proc = subprocess.Popen([rsd, "-f", "-c", self.conf, "-s", self.sock], stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.time() > deadline:
                with open(os.path.join(self.dir, "rsd.log")) as f:
                    log = f.read()
                self.stop()
                raise RuntimeError("rsd did not start: " + log)
            time.sleep(0.05)

    def write_conf(self, text, path):
        text = text.replace("@PORT@", str(self.port)).replace("@DIR@", self.dir)
        with open(path, "w") as f:
            f.write(text)
        return path

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        terminate(self.proc)
        if not self.log.closed:
            self.log.close()
        if not os.environ.get("RSD_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


class Conn:
    """A raw control-socket connection: returns each reply as a list of raw lines."""

    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.welcome = self.read_reply()

    def read_line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def read_reply(self):
        lines = []
        while True:
            l = self.read_line()
            lines.append(l)
            if re.match(r"^\d{4} ", l):
                return lines

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\n")
        return self.read_reply()

    def close(self):
        self.s.close()


def final_code(lines):
    return int(lines[-1][:4])


def mask(text):
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", "DATETIME", text)
    text = re.sub(r"\d\d:\d\d:\d\d\.\d{3}", "TIME", text)
    text = re.sub(r"\d{4}-\d\d-\d\d", "DATE", text)
    return text


# ---- a minimal BGP speaker (RFC 4271) -------------------------------------------------------------

def bgp_msg(kind, body=b""):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), kind) + body


def open_msg(asn, hold, bgp_id, families=((1, 1),)):
    # multiprotocol (RFC 4760): one capability per (AFI, SAFI), IPv4 unicast by default
    caps = b"".join(bytes([1, 4]) + struct.pack("!HBB", afi, 0, safi) for afi, safi in families)
    caps += bytes([65, 4]) + struct.pack("!I", asn)  # 4-octet AS (RFC 6793)
    opt = bytes([2, len(caps)]) + caps
    return bgp_msg(1, struct.pack("!BHH4sB", 4, asn if asn < 65536 else 23456, hold, socket.inet_aton(bgp_id), len(opt)) + opt)


def update_msg(prefixes, next_hop, as_path, med=None):
    attrs = bytes([0x40, 1, 1, 0])  # ORIGIN IGP
    seg = bytes([2, len(as_path)]) + b"".join(struct.pack("!I", a) for a in as_path)
    attrs += bytes([0x40, 2, len(seg)]) + seg
    attrs += bytes([0x40, 3, 4]) + socket.inet_aton(next_hop)
    if med is not None:
        attrs += bytes([0x80, 4, 4]) + struct.pack("!I", med)
    nlri = b""
    for p in prefixes:
        addr, length = p.split("/")
        length = int(length)
        nlri += bytes([length]) + socket.inet_aton(addr)[: (length + 7) // 8]
    return bgp_msg(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri)


class Speaker:
    """Connects to rsd, establishes, keeps the session up with KEEPALIVEs every second and records
    the largest gap between messages from rsd (hold time 3 s: a gap >= 3 s means starvation)."""

    def __init__(self, port, asn=65001, hold=3, bgp_id="192.0.2.9", source=None, families=((1, 1),)):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                          source_address=(source, 0) if source else None)
        self.s.sendall(open_msg(asn, hold, bgp_id, families))
        self.buf = b""
        self.kinds = []
        self.max_gap = 0.0
        self.notification = None
        self.closed = False
        self.lock = threading.Lock()
        t, _ = self.read_msg()
        if t != 1:
            raise RuntimeError("expected OPEN, got %d" % t)
        self.s.sendall(bgp_msg(4))
        t, _ = self.read_msg()
        if t != 4:
            raise RuntimeError("expected KEEPALIVE, got %d" % t)
        self.last = time.time()
        self.stop_flag = False
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.writer = threading.Thread(target=self._keepalive_loop, daemon=True)
        self.reader.start()
        self.writer.start()

    def read_msg(self):
        while len(self.buf) < 19 or len(self.buf) < struct.unpack("!H", self.buf[16:18])[0]:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("BGP connection closed")
            self.buf += d
        n = struct.unpack("!H", self.buf[16:18])[0]
        m, self.buf = self.buf[:n], self.buf[n:]
        return m[18], m[19:]

    def _read_loop(self):
        # Blocking socket: a timeout would also apply to sendall() in announce() and fail it when
        # rsd, busy importing, reads slowly (backpressure is legitimate). select() gives the reader
        # its one-second tick instead.
        self.s.settimeout(None)
        while not self.stop_flag:
            try:
                if len(self.buf) < 19 and not select.select([self.s], [], [], 1.0)[0]:
                    now = time.time()
                    self.max_gap = max(self.max_gap, now - self.last)
                    continue
                t, body = self.read_msg()
            except (EOFError, OSError, ValueError):
                self.closed = True
                return
            now = time.time()
            with self.lock:
                self.max_gap = max(self.max_gap, now - self.last)
                self.last = now
                self.kinds.append(t)
                if t == 3:
                    self.notification = body
                    self.closed = True
                    return

    def _keepalive_loop(self):
        while not self.stop_flag and not self.closed:
            try:
                self.send(bgp_msg(4))
            except OSError:
                return
            time.sleep(1.0)

    def send(self, data):
        with self.lock:
            self.s.sendall(data)

    def announce(self, prefixes, next_hop="192.0.2.100", as_path=(65001,), med=None, per_msg=900):
        for i in range(0, len(prefixes), per_msg):
            self.send(update_msg(prefixes[i : i + per_msg], next_hop, list(as_path), med))

    def close(self):
        self.stop_flag = True
        try:
            self.s.close()
        except OSError:
            pass


def fail_on_skips(result) -> None:
    """Exit code for a unittest run under ctest: 1 on any failure, error or skip (a test that cannot
    run fails: scripts/setup installs everything the tests need), 0 otherwise."""
    import sys
    for t, why in result.skipped:
        print(f"SKIPPED (counted as a failure): {t.id()}: {why}")
    sys.exit(0 if result.wasSuccessful() and not result.skipped and result.testsRun else 1)
