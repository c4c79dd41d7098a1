#!/usr/bin/env python3
"""Interop scenario 6: a filter change by SIGHUP re-evaluates routes without any session reset.

The wiki pattern (3 ExaBGP nodes, edges BIRD 2, GoBGP, FRR).  The ExaBGP nodes
do not offer route refresh, so the route server must re-run its import filter
from its Adj-RIB-In (BIRD: `import table on`; rsd: always).  The IPv4 import
filter is replaced by one that
  * also accepts 198.51.100.0/24 (rejected before: must appear without the
    nodes sending it again),
  * rejects 203.0.113.11/32 (must be withdrawn at the edges),
  * sets MED 50 on node3's 203.0.113.10/32 (the best path must move to node3),
then the route server gets SIGHUP.  Asserted: the edges converge to exactly
that; no session was reset anywhere (the BIRD edge's log, GoBGP's uptime,
FRR's established-connections counter, each ExaBGP node's connect count and
the route server's own protocol timestamps are unchanged); IPv6, whose filter
did not change, is untouched.
"""

import time

import harness as h
from topology import Star

NEW_IMPORT_V4 = ("if net = 203.0.113.11/32 then reject; "
                 "if net = 203.0.113.10/32 && bgp_next_hop = 192.0.2.13 then bgp_med = 50; "
                 "if net ~ [ 203.0.113.0/24{32,32}, 198.51.100.0/24 ] then accept; reject;")


class FilterReload(h.InteropTest):
    SLOT = 16

    def sessions(self, star: Star) -> dict:
        e = star.edges
        rs_addr = star.rs[0].addr
        return {
            "edge_bird": e["bird"].established_count("rs1"),
            "edge_gobgp": e["gobgp"].uptime(rs_addr),
            "edge_frr": e["frr"].established_count(rs_addr),
            **{f"node{n}": node.connect_count() for n, node in star.nodes.items()},
            **{f"rs:{k}": v["since"] for k, v in star.rs[0].protocols().items() if v["proto"] == "BGP"},
        }

    def test_sighup_reevaluates_without_reset(self):
        star = Star(self.lab).start()
        star.wait_primaries([1, 2, 3], 40, what="initial best paths")
        # all sessions up and counted before the reload
        for n in star.nodes.values():
            h.wait_until(lambda: n.connect_count() == 1, 10, f"{n.name} connected once")
        h.wait_until(lambda: star.edges["frr"].established(star.rs[0].addr), 10, "FRR established")
        before = self.sessions(star)
        for kind, e in star.edges.items():
            self.assertNotIn(h.OUTSIDE_V4, e.routes("ipv4"), kind)
        v6_before = {k: star.edge_view(e, "ipv6") for k, e in star.edges.items()}

        rs = star.rs[0]
        rs.import_v4 = NEW_IMPORT_V4
        rs.write_config()
        t0 = time.monotonic()
        rs.reload()

        def converged():
            for e in star.edges.values():
                r = e.routes("ipv4")
                if not (h.OUTSIDE_V4 in r and "203.0.113.11/32" not in r
                        and r.get("203.0.113.10/32") and r["203.0.113.10/32"].node() == 3
                        and r["203.0.113.10/32"].med == 50
                        and r.get("203.0.113.12/32") and r["203.0.113.12/32"].node() == 3):
                    return False
            return True
        try:
            h.wait_until(converged, 30, "edges re-evaluated after SIGHUP")
        except h.Timeout as e:
            self.fail(f"{e}\n{star.describe()}")
        h.log(f"re-evaluated at all edges {time.monotonic() - t0:.2f} s after SIGHUP")
        time.sleep(3.0)          # observation window: a reset, if any, shows in the counters
        self.assertEqual(self.sessions(star), before, "a session was reset by the reload")
        self.assertEqual({k: star.edge_view(e, "ipv6") for k, e in star.edges.items()}, v6_before)


if __name__ == "__main__":
    h.main()
