#!/usr/bin/env python3
"""Drain and maintenance of BGP-fed service nodes at the route server (rsd only: BIRD has none).

Two ExaBGP 4.2 nodes announce the service IPs 203.0.113.10-12/32 and 2001:db8:30::1-3/128 over BGP
with the wiki's MED table (node1 100/101/102, node2 101/100/102); the edge is a real BIRD 2. The
operator acts on the nodes with `rsc`, at the route server only:
  * `maintenance node2 on` withdraws node2's paths at the edge (both families) while rsd's session
    with node2 stays Established; `off` brings them back from the kept Adj-RIB-In (no route
    refresh: ExaBGP announces nothing new);
  * `drain node1 over 6 s steps 3 to 700` (node2 in maintenance, so node1's paths stay best) shows
    the MED steps 300, 500, 700 at the edge, then the withdrawal; node1's session stays up;
  * the drain and the maintenance survive a restart of rsd (state file): after it, the nodes' paths
    stay withdrawn though both announce them again; `maintenance node2 off` and `undrain node1`
    bring the primaries back.
The edge is polled (never a blind sleep); every daemon is stopped by the harness, even on failure.
The route server is rsd whatever RS_IMPL says: BIRD has no such commands to compare with.
"""

import os
import subprocess

import harness as h
from topology import Star

V4, V6 = h.SERVICE_V4, h.SERVICE_V6


def rsc_bin() -> str:
    b = os.environ.get("RSC_BIN") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(h.rsd_bin() or "."))), "cli", "rsc")
    if not (os.path.isfile(b) and os.access(b, os.X_OK)):
        raise AssertionError(f"rsc not found ({b}): set RSC_BIN")
    return b


class NodeDrain(h.InteropTest):
    SLOT = 42

    def rsc(self, *args: str) -> str:
        r = subprocess.run([rsc_bin(), "-s", self.rs.sock, *args], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 0, f"rsc {' '.join(args)}: {r.stdout}{r.stderr}")
        return r.stdout

    def edge_med(self, afi: str, prefix: str):
        """(node, MED) of the edge's best path for prefix, or None when it holds none."""
        r = self.edge.routes(afi).get(prefix)
        return (r.node(), r.med) if r else None

    def sessions_up(self) -> None:
        for n in ("node1", "node2"):
            self.assertTrue(self.rs.established(n), f"{n}: session with rsd not Established")

    def test_drain_and_maintenance(self):
        star = Star(self.lab, n_nodes=2, edges=("bird",), rs_kw={"impl": "rsd"})
        self.rs, self.edge = star.rs[0], star.edges["bird"]
        state_file = self.lab.path("state.db")
        plain = self.rs.config_text
        self.rs.config_text = lambda: plain() + f'health {{ state file "{state_file}"; }}\n'
        star.start()
        star.wait_primaries([1, 2, 1], 40, what="initial best paths")
        self.sessions_up()

        # maintenance: node2's paths leave the edge, in both families; its session stays up.
        self.assertIn("maintenance on", self.rsc("maintenance", "node2", "on"))
        star.wait_primaries([1, 1, 1], 20, what="node2 in maintenance")
        self.sessions_up()
        svc = self.rsc("show", "services")
        self.assertIn("\tnode2\t192.0.2.12\t-\t100\tEstablished [maintenance]\twithdrawn by the "
                      "operator", svc)
        self.assertIn("\tnode1\t2001:db8::11\t100\t100\tEstablished\tbest (", svc)
        self.assertIn("maintenance off", self.rsc("maintenance", "node2", "off"))
        star.wait_primaries([1, 2, 1], 20, what="node2 out of maintenance")

        # drain: with node2 away, node1 stays best and the edge sees each MED step.
        self.rsc("maintenance", "node2", "on")
        star.wait_primaries([1, 1, 1], 20, what="node2 in maintenance again")
        out = self.rsc("drain", "node1", "over", "6", "s", "steps", "3", "to", "700")
        self.assertIn("draining over 6 s in 3 steps to med 700", out)
        seen = {"ipv4": [], "ipv6": []}
        firsts = {"ipv4": V4[0], "ipv6": V6[0]}

        def sample() -> bool:
            done = True
            for afi, prefix in firsts.items():
                m = self.edge_med(afi, prefix)
                v = m[1] if m else None
                if not seen[afi] or seen[afi][-1] != v:
                    seen[afi].append(v)
                done = done and v is None
            return done

        h.wait_until(sample, 30, "node1 drained to a withdrawal at the edge")
        h.log(f"MEDs seen at the edge during the drain: {seen}")
        for afi in seen:
            # The first step (300) may be in place before the first sample.
            steps = [v for v in seen[afi] if v != 100]
            self.assertEqual(steps, [300, 500, 700, None], f"{afi}: MEDs seen at the edge {seen}")
        self.sessions_up()
        # The drain and the maintenance survive a restart of rsd (both nodes announce again to the
        # new rsd, which never exports their paths).
        self.rs.stop()
        self.rs.start()
        h.wait_until(lambda: self.rs.established("node1") and self.rs.established("node2") and
                     self.edge.established(self.rs.name), 40, "sessions after the restart")

        def withdrawn(node: str, flag: str) -> bool:
            """The node's paths of every service IP are in the Adj-RIB-In, withdrawn by flag."""
            prefix, out = "", set()
            for l in self.rsc("show", "services").splitlines():
                if not l.startswith("\t"):
                    prefix = l.strip()
                elif (l.startswith(f"\t{node}\t") and f"[{flag}]" in l and
                      l.endswith("withdrawn by the operator")):
                    out.add(prefix)
            return out >= set(V4 + V6)

        h.wait_until(lambda: withdrawn("node1", "drained") and withdrawn("node2", "maintenance"),
                     30, "both nodes' paths received and withdrawn after the restart")
        star.wait_primaries([None, None, None], 20, what="nothing at the edge after the restart")
        # node2 back: it takes every service IP while node1 stays drained.
        self.rsc("maintenance", "node2", "off")
        star.wait_primaries([2, 2, 2], 20, what="node2 back, node1 drained")
        self.assertIn("drain cancelled", self.rsc("undrain", "node1"))
        star.wait_primaries([1, 2, 1], 20, what="node1 undrained")
        self.assertEqual(self.edge_med("ipv4", V4[0]), (1, 100))
        self.assertEqual(self.edge_med("ipv6", V6[0]), (1, 100))
        self.sessions_up()


if __name__ == "__main__":
    h.main()
