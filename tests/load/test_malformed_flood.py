#!/usr/bin/env python3
"""Load: a malformed-input flood.

100 attacking peers connect at once and, over and over for SECONDS (60, `--seconds N` or
LOAD_FLOOD_SECONDS), send the malformed messages of the error catalogue (../shared/BGP-ERRORS.md):
OPENs rsd must refuse, UPDATEs whose broken attribute means treat-as-withdraw or attribute discard
(the session stays up, so each session sends all of them), then one message that must reset the
session (bad marker, length or type, attribute list overrun, a broken MP_REACH_NLRI, a KEEPALIVE
with a body). Meanwhile three valid peers feed routes that a BIRD 2 edge must hold. Asserted:
  * rsd stays up, and every reset case was answered with its NOTIFICATION at least once;
  * the edge holds exactly the valid peers' best paths, and no route whose attribute was broken
    (treat-as-withdraw cases; the attribute-discard ones may pass without the attribute);
  * rsd's resident set after the flood is within 1.5x of before it, and its open file descriptors
    are back to what they were.
"""

import ipaddress
import os
import random
import socket
import struct
import sys
import threading
import time

import loadlib as L
from loadlib import h
from speaker import _attr, message, open_message

ATTACKERS = 100
ATTACK_AS = 65400
TAW_NET = ipaddress.ip_network("198.18.0.0/16")   # routes that must never reach the edge
AD_NET = ipaddress.ip_network("198.19.0.0/16")    # may pass, without the broken attribute


def take_seconds() -> float:
    s = float(os.environ.get("LOAD_FLOOD_SECONDS", "60"))
    if "--seconds" in sys.argv:
        i = sys.argv.index("--seconds")
        s = float(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    return s


SECONDS = take_seconds()


def nlri(prefix: str) -> bytes:
    net = ipaddress.ip_network(prefix)
    n = (net.prefixlen + 7) // 8
    return bytes([net.prefixlen]) + net.network_address.packed[:n]


def origin(v: bytes = b"\x00") -> bytes:
    return _attr(0x40, 1, v)


def as_path(asn: int = ATTACK_AS) -> bytes:
    return _attr(0x40, 2, bytes([2, 1]) + struct.pack("!I", asn))


def next_hop(addr: str) -> bytes:
    return _attr(0x40, 3, socket.inet_aton(addr))


def upd(attrs: bytes, prefix: str, withdrawn: bytes = b"") -> bytes:
    return message(2, struct.pack("!H", len(withdrawn)) + withdrawn + struct.pack("!H", len(attrs)) +
                   attrs + nlri(prefix))


def taw_cases(k: int, nh: str) -> list[bytes]:
    """UPDATEs with one broken attribute that means treat-as-withdraw (RFC 7606), each for a
    prefix of TAW_NET, and ones that mean attribute discard, for prefixes of AD_NET."""
    base = origin() + as_path() + next_hop(nh)
    p = [f"198.18.{k}.{16 * j}/28" for j in range(12)]
    q = [f"198.19.{k}.{16 * j}/28" for j in range(4)]
    return [
        upd(origin(b"\x05") + as_path() + next_hop(nh), p[0]),                # ORIGIN value
        upd(origin(b"\x00\x00") + as_path() + next_hop(nh), p[1]),            # ORIGIN length
        upd(origin() + _attr(0x40, 2, bytes([0, 1]) + struct.pack("!I", ATTACK_AS)) +
            next_hop(nh), p[2]),                                              # AS_PATH segment type
        upd(origin() + _attr(0x40, 2, bytes([2, 3]) + struct.pack("!I", ATTACK_AS)) +
            next_hop(nh), p[3]),                                              # AS_PATH overrun
        upd(origin() + as_path() + _attr(0x40, 3, b"\x01\x02\x03\x04\x05"), p[4]),  # NEXT_HOP len
        upd(origin() + as_path() + next_hop("0.0.0.0"), p[5]),               # NEXT_HOP 0.0.0.0
        upd(base + _attr(0x80, 4, b"\x00\x00\x01"), p[6]),                    # MED length
        upd(base + _attr(0xC0, 8, b"\x00\x01\x02"), p[7]),                    # COMMUNITIES length
        upd(base + _attr(0xC0, 16, b"\x00" * 7), p[8]),                       # EXT_COMMUNITIES
        upd(origin() + as_path(), p[9]),                                      # NEXT_HOP missing
        upd(base + _attr(0xC0, 32, b"\x00" * 11), p[10]),                     # LARGE_COMMUNITY
        upd(origin() + _attr(0x40, 2, bytes([2, 0])) + next_hop(nh), p[11]),  # AS_PATH segment len 0
        upd(base + _attr(0x40, 5, struct.pack("!I", 200)), q[0]),             # LOCAL_PREF from eBGP
        upd(base + _attr(0x40, 6, b"\x01"), q[1]),                            # ATOMIC_AGGR length
        upd(base + _attr(0xC0, 7, b"\x00" * 5), q[2]),                        # AGGREGATOR length
        upd(base + _attr(0xC0, 99, b"junk"), q[3]),                           # unknown transitive
    ]


def reset_cases(nh: str) -> list[tuple[str, bytes, tuple[int, int]]]:
    """Messages that must end the session, with the NOTIFICATION (code, subcode) they deserve."""
    base = origin() + as_path() + next_hop(nh)
    ka = message(4, b"")
    mp_bad = _attr(0x80, 14, struct.pack("!HBB", 2, 1, 9) + b"\x00" * 9 + b"\x00" + b"\x30" +
                   b"\x20\x01\x0d\xb8\x00\x01")
    return [
        ("marker", b"\xfe" + ka[1:], (1, 1)),
        ("length", b"\xff" * 16 + struct.pack("!HB", 18, 4), (1, 2)),
        ("type", b"\xff" * 16 + struct.pack("!HB", 19, 9), (1, 3)),
        ("keepalive body", message(4, b"\x00"), (1, 2)),
        ("attribute list overrun", message(2, b"\x00\x00\x00\xff" + base), (3, 1)),
        ("withdrawn overrun", message(2, b"\x00\xff\x00\x00"), (3, 1)),
        ("MP_REACH next hop length", message(2, b"\x00\x00" + struct.pack("!H", len(
            origin() + as_path() + mp_bad)) + origin() + as_path() + mp_bad), (3, 1)),
    ]


def open_cases(local: str) -> list[tuple[str, bytes, tuple[int, int]]]:
    good = open_message(ATTACK_AS, local)
    body = bytearray(good[19:])
    v3 = bytearray(body)
    v3[0] = 3
    hold1 = bytearray(body)
    hold1[3:5] = struct.pack("!H", 1)
    id0 = bytearray(body)
    id0[5:9] = b"\x00\x00\x00\x00"
    return [("version", message(1, bytes(v3)), (2, 1)),
            ("hold time", message(1, bytes(hold1)), (2, 6)),
            ("identifier", message(1, bytes(id0)), (2, 3)),
            ("peer AS", open_message(ATTACK_AS - 1, local), (2, 2))]


class Conn:
    """A blocking BGP connection that reads whole messages."""

    def __init__(self, local: str, rs_addr: str, rs_port: int):
        self.s = socket.create_connection((rs_addr, rs_port), timeout=3, source_address=(local, 0))
        self.buf = b""

    def send(self, data: bytes) -> bool:
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def read(self):
        """(type, body) of the next message; None when the connection ended."""
        while True:
            if len(self.buf) >= 19:
                n = struct.unpack("!H", self.buf[16:18])[0]
                if n >= 19 and len(self.buf) >= n:
                    m, self.buf = self.buf[:n], self.buf[n:]
                    return m[18], m[19:]
            try:
                chunk = self.s.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk

    def notification(self):
        """Reads to the end; the (code, subcode) of the NOTIFICATION received, if any."""
        while True:
            m = self.read()
            if m is None:
                return None
            if m[0] == 3 and len(m[1]) >= 2:
                return (m[1][0], m[1][1])

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


class Attacker(threading.Thread):
    def __init__(self, k: int, local: str, rs_addr: str, rs_port: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.k, self.local, self.rs_addr, self.rs_port, self.stop = k, local, rs_addr, rs_port, stop
        self.rng = random.Random(k)
        self.answers: dict[str, set] = {}     # case name -> NOTIFICATIONs received for it
        self.sessions = 0                     # sessions that reached Established
        self.error = ""

    def run(self):
        cases = open_cases(self.local) + reset_cases(self.local)
        i = self.k
        while not self.stop.is_set():
            name, data, _want = cases[i % len(cases)]
            i += 1
            try:
                self.cycle(name, data)
            except (OSError, struct.error) as e:
                self.error = f"{type(e).__name__}: {e}"
            # Refused reconnections (rsd's error wait) just mean trying again shortly.
            self.stop.wait(0.05 + self.rng.random() * 0.1)

    def cycle(self, name: str, data: bytes):
        c = Conn(self.local, self.rs_addr, self.rs_port)
        try:
            if data[18] == 1:  # a broken OPEN: the answer comes instead of rsd's KEEPALIVE
                c.send(data)
                got = c.notification()
                self.answers.setdefault(name, set()).add(got)
                return
            if not c.send(open_message(ATTACK_AS, self.local)):
                return
            seen_open = False
            while True:  # rsd's OPEN, then its KEEPALIVE: Established once ours is in
                m = c.read()
                if m is None:
                    return
                if m[0] == 1 and not seen_open:
                    seen_open = True
                    c.send(message(4, b""))
                elif m[0] == 4 and seen_open:
                    break
                elif m[0] == 3:
                    return
            self.sessions += 1
            for u in taw_cases(self.k, self.local):
                if not c.send(u):
                    return
            c.send(data)
            self.answers.setdefault(name, set()).add(c.notification())
        finally:
            c.close()


def view(edge) -> dict[str, tuple[str, int]]:
    return {p: (r.next_hop, r.med) for p, r in edge.routes("ipv4").items()}


class MalformedFlood(h.InteropTest):
    SLOT = 54

    def test_malformed_flood(self):
        lab = self.lab
        rs = L.accept_all_rs(lab)
        feeders = [(f"good{k}", lab.addr(11 + k), 65300 + k) for k in range(3)]
        for name, addr, asn in feeders:
            rs.add(h.Neighbor(name, addr, asn, passive=True))
        for k in range(ATTACKERS):
            # A short error wait, so that the flood goes on at full rate after each reset.
            rs.add(h.Neighbor(f"bad{k}", lab.addr(101 + k), ATTACK_AS, passive=True,
                              options=["error wait time 1, 2;"]))
        edge = h.BirdRouter(lab, "edge0", lab.addr(21), 65201, [("rs1", rs.addr, rs.port, rs.asn)])
        rs.add(h.Neighbor("edge0", edge.addr, edge.asn, port=edge.port, role="edge"))
        rs.start()
        edge.start()
        sp = L.Speakers()
        stop = threading.Event()
        attackers = []
        try:
            # Each valid peer: 20 prefixes of its own and 4 shared ones (MED 10 + k: good0 wins).
            want = {}
            for k, (_name, addr, asn) in enumerate(feeders):
                p = L.Peer(addr, rs.addr, rs.port, asn, addr, f"2001:db8::{11 + k:x}")
                p.routes = {f"10.{k}.{j}.0/24": 100 for j in range(20)}
                p.routes.update({f"100.64.{j}.0/24": 10 + k for j in range(4)})
                sp.add(p)
                want.update({q: (addr, 100) for q in p.routes if q.startswith("10.")})
            want.update({f"100.64.{j}.0/24": (feeders[0][1], 10) for j in range(4)})
            h.wait_until(sp.all_established, 60, "the valid peers established")

            def valid_view():
                return {p: v for p, v in view(edge).items()
                        if not ipaddress.ip_network(p).subnet_of(AD_NET)}

            h.wait_until(lambda: valid_view() == want, 60, "the edge holds the valid routes")
            pid = rs.proc.pid
            rss0, fds0 = L.rss(pid), L.open_fds(pid)
            h.log(f"before the flood: RSS {L.mb(rss0)}, {fds0} open fds")

            for k in range(ATTACKERS):
                a = Attacker(k, lab.addr(101 + k), rs.addr, rs.port, stop)
                attackers.append(a)
                a.start()
            t0 = time.monotonic()
            while time.monotonic() - t0 < SECONDS:
                self.assertTrue(rs.proc.alive(), "rsd died during the flood")
                time.sleep(1)
                if int(time.monotonic() - t0) % 15 == 0:
                    h.log(f"{time.monotonic() - t0:.0f} s: {sum(a.sessions for a in attackers)} "
                          f"attacking sessions, RSS {L.mb(L.rss(pid))}, {L.open_fds(pid)} fds")
            stop.set()
            for a in attackers:
                a.join(10)
            self.assertTrue(rs.proc.alive(), "rsd died during the flood")
            sessions = sum(a.sessions for a in attackers)
            h.log(f"flood over: {sessions} attacking sessions reached Established in {SECONDS:.0f} s")
            self.assertGreaterEqual(sessions, ATTACKERS, "the attackers hardly got through")

            # Every case that must reset the session got its NOTIFICATION at least once.
            expect = {n: w for n, _, w in open_cases(lab.addr(101)) + reset_cases(lab.addr(101))}
            got: dict[str, set] = {}
            for a in attackers:
                for n, s in a.answers.items():
                    got.setdefault(n, set()).update(s)
            missing = {n: (w, sorted(map(str, got.get(n, set())))) for n, w in expect.items()
                       if w not in got.get(n, set())}
            self.assertFalse(missing, f"cases never answered with their NOTIFICATION: {missing}")

            h.wait_until(lambda: valid_view() == want, 10,
                         "the edge holds exactly the valid routes after the flood")
            taw = [p for p in view(edge) if ipaddress.ip_network(p).subnet_of(TAW_NET)]
            self.assertFalse(taw, f"routes with a broken attribute reached the edge: {taw[:5]}")
            h.wait_until(lambda: L.open_fds(pid) <= fds0, 10, f"rsd back to {fds0} open fds")
            rss1 = L.rss(pid)
            h.log(f"after the flood: RSS {L.mb(rss1)} ({rss1 / rss0:.3f}x), {L.open_fds(pid)} fds")
            self.assertLessEqual(rss1, 1.5 * rss0, "rsd's memory grew over the flood")
        finally:
            stop.set()
            for a in attackers:
                a.join(5)
            sp.close()


if __name__ == "__main__":
    h.main()
