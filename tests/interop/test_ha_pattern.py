#!/usr/bin/env python3
"""Interop scenario 1: the route-server pattern of the ExaBGP high-availability wiki page.

3 ExaBGP 4.2 nodes run a health-check process announcing 203.0.113.10-12/32 and
2001:db8:30::1-3/128 with the wiki's MED table (node1 100/101/102, node2
101/100/102, node3 102/101/100) plus two prefixes outside the route server's
import filter; the route server re-exports to three edge routers (BIRD 2,
GoBGP, FRR).  Asserted on what the edges hold:
  * each edge's best path for each service IP is the primary node's;
  * a node raising its MEDs to 1000-1002 loses its IPs to the next best;
  * a withdrawal and a killed node (kill -9: session drop) move traffic;
  * prefixes outside the import filter never reach an edge.
Run for iBGP (everyone AS 65000, `rr client`, as on the wiki) and eBGP
(nodes AS 65001, RS AS 65000 with `rs client`, edges AS 65002).
"""

import unittest

import harness as h
from topology import Star


class HaPattern(h.InteropTest):
    SLOT = 11

    def outside_absent(self, star: Star) -> bool:
        for kind, e in star.edges.items():
            if h.OUTSIDE_V4 in e.routes("ipv4") or h.OUTSIDE_V6 in e.routes("ipv6"):
                self.fail(f"edge {kind} holds a prefix the import filter rejects")
        return True

    def run_pattern(self, ebgp: bool) -> None:
        star = Star(self.lab, ebgp=ebgp).start()
        t = star.wait_primaries([1, 2, 3], 40, what="initial best paths")
        h.log(f"initial convergence {t:.2f} s")
        self.outside_absent(star)
        # eBGP: the route server must not prepend its AS (RFC 7947 2.2)
        r = star.edges["bird"].routes("ipv4")["203.0.113.10/32"]
        self.assertEqual(r.as_path, "65001" if ebgp else "")
        self.assertEqual(r.med, 100)

        n1, n3 = star.nodes[1], star.nodes[3]
        n1.set_state(meds=[1000, 1001, 1002])
        h.log(f"node1 MEDs raised: moved in {star.wait_primaries([2, 2, 3], 20):.2f} s")
        n1.set_state(meds=h.MEDS[1])
        star.wait_primaries([1, 2, 3], 20, what="node1 back")

        # node3 withdraws: .12 ties node1 (102) and node2 (102): lowest BGP identifier wins
        # (RFC 4271 9.1.2.2 f): node1, 192.0.2.11.
        n3.set_state(mode="down")
        h.log(f"node3 withdrew: moved in {star.wait_primaries([1, 2, 1], 20):.2f} s")
        n3.set_state(mode="up")
        star.wait_primaries([1, 2, 3], 20, what="node3 back")

        n1.kill9()
        h.log(f"node1 killed: moved in {star.wait_primaries([2, 2, 3], 20):.2f} s")
        self.outside_absent(star)
        # the route server still has sessions with the two remaining nodes
        for rs in star.rs:
            self.assertTrue(rs.established("node2") and rs.established("node3"))

    def test_ibgp(self):
        self.run_pattern(ebgp=False)

    def test_ebgp(self):
        self.run_pattern(ebgp=True)


if __name__ == "__main__":
    h.main()
