#!/usr/bin/env python3
"""Interop scenario 8: a redundant pair of route servers; kill -9 of one changes nothing at the edges.

Two route servers (rs1 127.0.S.1, rs2 127.0.S.2, both of the implementation
under test); every ExaBGP node and every edge (BIRD 2 and GoBGP) peers with
both.  Once the edges hold the wiki's best paths, rs1 is killed with SIGKILL.
A sampler reads both edges' tables every 50 ms from before the kill until the
edges have dropped rs1's session.  Asserted: every sample shows, for every
service IP, the primary node's path (the next hop never changes and never
disappears), and afterwards the edges hold it via rs2 only.
"""

import json
import re
import threading
import time

import harness as h
from topology import Star


def bird_paths(bird, proto: str) -> int:
    """How many service IPs the BIRD edge holds a path (best or not) for from proto."""
    text = bird.cmd(f"show route protocol {proto}") + bird.cmd(f"show route table master6 protocol {proto}")
    return sum(1 for p in h.SERVICE_V4 + h.SERVICE_V6 if re.search(rf"^{re.escape(p)}\s", text, re.M))


def has_paths(bird, proto: str) -> bool:
    return bird_paths(bird, proto) > 0


def gobgp_path_counts(gobgp) -> list:
    out = []
    for afi in ("ipv4", "ipv6"):
        data = json.loads(gobgp.cli("global", "rib", "-a", afi, "-j") or "{}")
        out += [len(v) for k, v in data.items() if h.canonical(k) in h.SERVICE_V4 + h.SERVICE_V6]
    return out


class RedundantPair(h.InteropTest):
    SLOT = 18

    def test_kill_one_rs(self):
        star = Star(self.lab, edges=("bird", "gobgp"), n_rs=2).start()
        star.wait_primaries([1, 2, 3], 40, what="initial best paths via both RSes")
        bird, gobgp = star.edges["bird"], star.edges["gobgp"]
        rs1, rs2 = star.rs
        h.wait_until(lambda: bird.established("rs1") and bird.established("rs2")
                     and gobgp.established(rs1.addr) and gobgp.established(rs2.addr),
                     20, "edges established with both RSes")
        # both RSes' paths are at the edges (BIRD shows every path; check rs2's exist)
        # every service IP has a path from each RS at each edge
        h.wait_until(lambda: bird_paths(bird, "rs1") == 6 and bird_paths(bird, "rs2") == 6
                     and gobgp_path_counts(gobgp) == [2] * 6, 20, "paths from both RSes at the edges")

        bad, samples = [], [0]
        stop = threading.Event()
        poller = h.Poller("redundant-pair sampler")

        def sample():
            while not stop.is_set():
                ok, good = poller.sample(lambda: star.primaries_ok([1, 2, 3]))
                if ok:
                    if not good:
                        bad.append((time.monotonic(), star.describe()))
                    samples[0] += 1
                time.sleep(0.05)
        th = threading.Thread(target=sample, daemon=True)
        th.start()
        try:
            h.wait_until(lambda: samples[0] >= 5, 20, "samples before the kill")
            rs1.kill9()
            h.wait_until(lambda: not bird.established("rs1") and not gobgp.established(rs1.addr),
                         30, "edges notice rs1 is gone")
            h.wait_until(lambda: not has_paths(bird, "rs1"), 30, "rs1's paths gone from the BIRD edge")
            n = samples[0]
            h.wait_until(lambda: samples[0] >= n + 5, 20, "samples after rs1 is gone")
        finally:
            stop.set()
            th.join(5)
        poller.check(self)
        self.assertEqual(bad[:1], [], "an edge's best path changed when rs1 died")
        for afi, svc in (("ipv4", h.SERVICE_V4), ("ipv6", h.SERVICE_V6)):
            r = bird.routes(afi)
            for p in svc:
                self.assertEqual(r[p].from_addr, rs2.addr, f"{p} not via rs2")


if __name__ == "__main__":
    h.main()
