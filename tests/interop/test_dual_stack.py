#!/usr/bin/env python3
"""Interop scenario: one dual-stack session per edge, a different export policy per family.

Three ExaBGP nodes announce the service IPs 203.0.113.10-12/32 and 2001:db8:30::1-3/128 (the
wiki's MED table) plus 203.0.113.20/32 and 2001:db8:30::20/128.  Each edge (BIRD 2, GoBGP, FRR)
has one session carrying both families, with BIRD-language channels that differ:

    ipv4 { export filter { if net ~ [ 203.0.113.10/32, 203.0.113.11/32, 203.0.113.20/32 ]
                           then accept; reject; }; }     # .12 stays out
    ipv6 { export filter { if net = 2001:db8:30::20/128 then reject;
                           bgp_med = bgp_med + 7; accept; }; }  # ::20 stays out, MEDs + 7

Asserted route by route at every edge: exactly the prefixes each family's filter lets through,
with each family's own attributes, and a failover that moves only what the filters allow.  The same
scenario passes with BIRD 2 as the route server (RS_IMPL=bird), the reference.
"""

import unittest

import harness as h
from topology import Star

EXTRA_V4 = "203.0.113.20/32"
EXTRA_V6 = "2001:db8:30::20/128"
EXPORT_V4 = ("filter { if net ~ [ 203.0.113.10/32, 203.0.113.11/32, 203.0.113.20/32 ] "
             "then accept; reject; }")
EXPORT_V6 = ("filter { if net = 2001:db8:30::20/128 then reject; "
             "bgp_med = bgp_med + 7; accept; }")
# MEDs per service index (the extra prefix is the fourth): node1 is primary for .10 and .20.
MEDS = {1: [100, 101, 102, 100], 2: [101, 100, 102, 101], 3: [102, 101, 100, 102]}


class DualStack(h.InteropTest):
    SLOT = 19

    def expected(self, primaries: dict[int, int]) -> dict[str, dict[str, tuple]]:
        """{afi: {prefix: (node, med)}} an edge must hold exactly, for primary node per index."""
        v4 = {}
        for i, p in enumerate(h.SERVICE_V4 + [EXTRA_V4]):
            if p == "203.0.113.12/32":
                continue
            n = primaries[i]
            v4[p] = (n, MEDS[n][i])
        v6 = {}
        for i, p in enumerate(h.SERVICE_V6):
            n = primaries[i]
            v6[p] = (n, MEDS[n][i] + 7)
        return {"ipv4": v4, "ipv6": v6}

    def held(self, edge) -> dict[str, dict[str, tuple]]:
        out = {}
        for afi in ("ipv4", "ipv6"):
            r = edge.routes(afi)
            out[afi] = {p: (x.node(), x.med) for p, x in r.items()}
        return out

    def run_pattern(self, ebgp: bool) -> None:
        star = Star(self.lab, ebgp=ebgp,
                    node_kw={"meds": None, "outside": False},
                    edge_kw=None)
        # Nodes announce the fourth prefix of each family too; edges get the per-family filters.
        for n, node in star.nodes.items():
            node.services4 = h.SERVICE_V4 + [EXTRA_V4]
            node.services6 = h.SERVICE_V6 + [EXTRA_V6]
            node.state.update({"v4": node.services4, "v6": node.services6, "meds": MEDS[n]})
            node._write_state()
        for rs in star.rs:
            for nb in rs.neighbors:
                if nb.role == "edge":
                    nb.export4, nb.export6 = EXPORT_V4, EXPORT_V6
        star.start()

        def converged(want):
            return all(self.held(e) == want for e in star.edges.values())

        def check(want, what):
            try:
                h.wait_until(lambda: converged(want), 40, what)
            except h.Timeout as e:
                got = {k: self.held(x) for k, x in star.edges.items()}
                self.fail(f"{e}\nwant {want}\nedges hold {got}")

        want = self.expected({0: 1, 1: 2, 2: 3, 3: 1})
        check(want, "per-family exports at every edge")
        # node1 fails: .10 moves to node2 (101), .20 to node2 (101); ::1 to node2 (101 + 7).
        star.nodes[1].set_state(mode="down")
        check(self.expected({0: 2, 1: 2, 2: 3, 3: 2}), "failover within each family's filter")
        star.nodes[1].set_state(mode="up")
        check(want, "failback")

    def test_ibgp(self):
        self.run_pattern(ebgp=False)

    def test_ebgp(self):
        self.run_pattern(ebgp=True)


if __name__ == "__main__":
    unittest.main()
