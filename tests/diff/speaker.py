"""speaker.py - a small BGP speaker: connects to the route server, feeds UPDATEs, records a RIB.

One Speaker is one session. It connects actively from a chosen source address to the route
server (which is `passive on`), exchanges OPENs, answers KEEPALIVEs and keeps the last state of
every prefix it was sent (the route server's Adj-RIB-Out towards this peer) in `rib`. A feeder
sends its UPDATEs with `send()`. Each session runs in one thread; nothing sleeps blindly: callers
poll `established`, `updates` and `last_rx`.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Optional

import bgpwire as w


class Speaker:
    def __init__(self, name: str, asn: int, router_id: str, src: str, dst: str, port: int,
                 src_port: int = 0):
        self.name, self.asn, self.router_id = name, asn, router_id
        self.src, self.dst, self.port, self.src_port = src, dst, port, src_port
        self.sock: Optional[socket.socket] = None
        self.rib: dict = {}            # prefix -> canonical attrs
        self.updates = 0               # UPDATE messages received (End-of-RIB included)
        self.eor: set = set()
        self.last_rx = time.monotonic()
        self.established = False
        self.closed: Optional[str] = None
        self.error: Optional[str] = None
        self.lock = threading.Lock()
        self.thread: Optional[threading.Thread] = None
        self._stop = False

    # --- life cycle ---
    def connect(self, timeout: float = 20) -> None:
        """Connect (retrying while the route server is not listening yet) and start reading."""
        fam = socket.AF_INET6 if ":" in self.dst else socket.AF_INET
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((self.src, self.src_port))
                s.settimeout(2)
                s.connect((self.dst, self.port))
                break
            except OSError as e:
                s.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name}: cannot connect to {self.dst}:{self.port}: {e}")
                time.sleep(0.2)
        s.settimeout(None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        s.sendall(w.build_open(self.asn, self.router_id))
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop = True
        if self.sock:
            try:
                self.sock.sendall(w.message(3, b"\x06\x02"))
            except OSError:
                pass
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        if self.thread:
            self.thread.join(5)

    def send(self, data: bytes) -> None:
        assert self.sock
        self.sock.sendall(data)

    # --- reading ---
    def _run(self) -> None:
        buf = b""
        last_ka = time.monotonic()
        sock = self.sock
        assert sock
        sock.settimeout(1.0)
        try:
            while not self._stop:
                if time.monotonic() - last_ka > 20:
                    sock.sendall(w.KEEPALIVE)
                    last_ka = time.monotonic()
                try:
                    data = sock.recv(1 << 16)
                except socket.timeout:
                    continue
                if not data:
                    self.closed = "peer closed"
                    return
                buf += data
                while len(buf) >= 19:
                    length = struct.unpack("!H", buf[16:18])[0]
                    if len(buf) < length:
                        break
                    msg, buf = buf[:length], buf[length:]
                    self._handle(msg)
                    if self.closed:
                        return
        except OSError as e:
            if not self._stop:
                self.closed = f"socket error: {e}"
        except Exception as e:          # a decoding bug must show, not hang the run
            self.error = f"{type(e).__name__}: {e}"
            self.closed = self.error

    def _handle(self, msg: bytes) -> None:
        t = msg[18]
        if t == 1:
            self.sock.sendall(w.KEEPALIVE)
        elif t == 4:
            self.established = True
        elif t == 3:
            self.closed = f"NOTIFICATION {msg[19]}/{msg[20] if len(msg) > 20 else 0}"
        elif t == 2:
            d = w.decode_update(msg)
            with self.lock:
                self.updates += 1
                self.last_rx = time.monotonic()
                if d.eor:
                    self.eor.add(d.eor)
                for p in d.withdrawn:
                    self.rib.pop(p, None)
                self.rib.update(d.announced)

    def snapshot(self) -> dict:
        with self.lock:
            return dict(self.rib)
