#!/usr/bin/env python3
"""Load: a session flap storm.

100 peers (Python speakers on one asyncio loop, one AS, so MEDs compare) each announce prefixes of
their own (3 IPv4 /24s, 2 IPv6 /48s) and the same anycast prefixes (4 IPv4, 2 IPv6) with MED 10 + k;
two BIRD 2 edges. For SECONDS (60, `--seconds N` or LOAD_FLAP_SECONDS for a long run) about 10
sessions a second end, alternately abruptly (RST) and with a Cease NOTIFICATION; each peer
reconnects and re-announces everything. Asserted afterwards:
  * both edges hold exactly the expected best paths within 5 s of the storm's end;
  * rsd's resident set is within 1.1x of what it was after the first convergence;
  * rsd's open file descriptors (/proc/PID/fd) are back to what they were before the storm.
"""

import os
import random
import sys
import time

import loadlib as L
from loadlib import h

PEERS = 100
RATE = 10.0                 # flaps per second


def take_seconds() -> float:
    s = float(os.environ.get("LOAD_FLAP_SECONDS", "60"))
    if "--seconds" in sys.argv:
        i = sys.argv.index("--seconds")
        s = float(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    return s


SECONDS = take_seconds()


def nh4(k: int) -> str:
    return f"192.0.2.{101 + k}"


def nh6(k: int) -> str:
    return f"2001:db8::{101 + k:x}"


def own(k: int) -> dict[str, int]:
    r = {f"10.{k}.{j}.0/24": 100 for j in range(3)}
    r.update({h.canonical(f"2001:db8:{0x100 * k + j:x}::/48"): 100 for j in range(2)})
    return r


ANYCAST = [f"100.64.{j}.0/24" for j in range(4)] + [f"2001:db8:{0xf000 + j:x}::/48" for j in range(2)]


def expected() -> dict[str, tuple[str, int]]:
    want = {}
    for k in range(PEERS):
        for p, med in own(k).items():
            want[p] = (nh4(k) if ":" not in p else nh6(k), med)
    for p in ANYCAST:
        want[p] = (nh4(0) if ":" not in p else nh6(0), 10)
    return want


def view(edge) -> dict[str, tuple[str, int]]:
    out = {}
    for afi in ("ipv4", "ipv6"):
        for p, r in edge.routes(afi).items():
            out[p] = (r.next_hop, r.med)
    return out


def exact(edges, want, last: dict) -> bool:
    """Both edges hold `want`; the differences of the last look are kept in last["diff"]."""
    for e in edges:
        got = view(e)
        if got != want:
            bad = sorted(p for p in set(got) | set(want) if got.get(p) != want.get(p))
            last["diff"] = f"{e.name}: {len(bad)} differ, e.g. " + ", ".join(
                f"{p}: {got.get(p)} (want {want.get(p)})" for p in bad[:4])
            return False
    return True


class FlapStorm(h.InteropTest):
    SLOT = 52

    def test_flap_storm(self):
        lab = self.lab
        rs = L.accept_all_rs(lab)
        for k in range(PEERS):
            rs.add(h.Neighbor(f"peer{k}", lab.addr(101 + k), 65300, passive=True))
        edges = [h.BirdRouter(lab, f"edge{k}", lab.addr(21 + k), 65201 + k,
                              [("rs1", rs.addr, rs.port, rs.asn)], debug="states")
                 for k in (0, 1)]
        for k, e in enumerate(edges):
            rs.add(h.Neighbor(f"edge{k}", e.addr, e.asn, port=e.port, role="edge"))
        rs.start()
        for e in edges:
            e.start()
        sp = L.Speakers()
        try:
            self.storm(rs, edges, sp)
        finally:
            sp.close()

    def storm(self, rs, edges, sp):
        lab = self.lab
        peers = []
        for k in range(PEERS):
            p = L.Peer(lab.addr(101 + k), rs.addr, rs.port, 65300, nh4(k), nh6(k))
            p.routes = dict(own(k))
            p.routes.update({a: 10 + k for a in ANYCAST})
            peers.append(sp.add(p))
        want = expected()
        h.wait_until(sp.all_established, 60, "every peer established")
        last = {"diff": ""}
        try:
            h.wait_until(lambda: exact(edges, want, last), 60, "the edges converged")
        except h.Timeout:
            h.log(last["diff"])
            raise
        pid = rs.proc.pid
        rss0, fds0 = L.rss(pid), L.open_fds(pid)
        h.log(f"before the storm: RSS {L.mb(rss0)}, {fds0} open fds")

        rng = random.Random(1)
        flaps, done, cease = 0, 0, False
        t0 = time.monotonic()
        while True:
            now = time.monotonic() - t0
            if now >= SECONDS:
                break
            due = int(now * RATE)
            while flaps < due:
                up = sp.call(lambda: [i for i, p in enumerate(peers) if p.established])
                if up:
                    sp.call(peers[rng.choice(up)].flap, cease)
                    cease = not cease
                    done += 1
                flaps += 1
            time.sleep(max(0.0, (flaps + 1) / RATE - (time.monotonic() - t0)))
            if flaps % 100 == 0 and flaps:
                h.log(f"{flaps} flaps, RSS {L.mb(L.rss(pid))}, {L.open_fds(pid)} fds")
        t_end = time.monotonic()
        h.log(f"storm over: {done} flaps in {t_end - t0:.1f} s")
        try:
            h.wait_until(lambda: sp.all_established() and exact(edges, want, last), 5,
                         "both edges exact within 5 s of the storm's end")
        except h.Timeout:
            h.log(last["diff"])
            raise
        converged = time.monotonic() - t_end
        h.wait_until(lambda: L.open_fds(pid) == fds0, 5, f"rsd back to {fds0} open fds")
        rss1 = L.rss(pid)
        h.log(f"after the storm: edges exact {converged:.2f} s after it; RSS {L.mb(rss1)} "
              f"({rss1 / rss0:.3f}x), {L.open_fds(pid)} fds")
        # Every flap ended one session and the peer came back with a new one.
        self.assertEqual(sp.call(lambda: sum(p.sessions for p in peers)), PEERS + done)
        self.assertLessEqual(rss1, 1.1 * rss0, "rsd's memory grew over the storm")
        self.assertEqual(L.open_fds(pid), fds0)


if __name__ == "__main__":
    h.main()
