#!/usr/bin/env python3
"""Interop scenario 7: a slow edge (SIGSTOP for 30 s) while nodes churn.

The wiki pattern with two BIRD 2 edges.  Each node also announces EXTRA more
/128s (2001:db8:30::1:0 ...), all with one MED per node that the test moves
around, so that every churn round moves the best path of every extra prefix
to another node (and flips node1's service MEDs): a few hundred route changes
per round, enough to fill the socket buffers towards a stopped peer.

edge_bird2 is stopped with SIGSTOP; for STOP seconds (default 30, env
INTEROP_SLOW_STOP) the nodes churn in rounds.  Asserted:
  * the running edge (edge_bird) reaches each round's exact state within
    ROUND_LIMIT seconds: the stopped edge does not delay it;
  * after SIGCONT the stopped edge converges to exactly the final state
    (every prefix, next hop and MED identical to the running edge's and to
    the expected state), and its session never dropped (hold time 90 s).
"""

import os
import signal
import time

import harness as h
from topology import Star

EXTRA = int(os.environ.get("INTEROP_SLOW_EXTRA", "300"))
STOP = float(os.environ.get("INTEROP_SLOW_STOP", "30"))
ROUND_LIMIT = 10.0


def extra_prefixes():
    return [f"2001:db8:30::1:{k:x}/128" for k in range(EXTRA)]


class SlowEdge(h.InteropTest):
    SLOT = 17

    def expected(self, leader: int, node1_raised: bool) -> dict:
        """{prefix: (node, med)} of the best paths after a round."""
        meds = dict(h.MEDS)
        if node1_raised:
            meds[1] = [1000, 1001, 1002]
        want = {}
        for i, (p4, p6) in enumerate(zip(h.SERVICE_V4, h.SERVICE_V6)):
            best = min((1, 2, 3), key=lambda n: (meds[n][i], n))
            want[p4] = want[p6] = (best, meds[best][i])
        for p in extra_prefixes():
            want[p] = (leader, 200)
        return want

    @staticmethod
    def bumps(leader: int) -> dict:
        return {n: (0 if n == leader else 10 + n) for n in (1, 2, 3)}

    @staticmethod
    def view(edge) -> dict:
        out = {}
        for afi in ("ipv4", "ipv6"):
            for p, r in edge.routes(afi).items():
                out[p] = (r.node(), r.med)
        return out

    def test_stopped_edge_does_not_delay_others(self):
        star = Star(self.lab, edges=("bird", "bird2"), node_kw={"extra_routes": EXTRA},
                    edge_kw={"debug": "states, events"})
        for n, node in star.nodes.items():
            node.state["bump"] = self.bumps(1)[n]
            node._write_state()
        star.start()
        fast, slow = star.edges["bird"], star.edges["bird2"]
        want = self.expected(1, False)
        h.wait_until(lambda: self.view(fast) == want and self.view(slow) == want, 60,
                     "initial state at both edges")
        est_before = slow.established_count("rs1")

        slow.proc.signal(signal.SIGSTOP)
        h.log("edge_bird2 stopped")
        t_stop = time.monotonic()
        lags, rnd = [], 0
        try:
            while time.monotonic() - t_stop < STOP or rnd < 3:
                rnd += 1
                leader = rnd % 3 + 1
                raised = rnd % 2 == 1
                for n, node in star.nodes.items():
                    node.state["bump"] = self.bumps(leader)[n]
                    if n == 1:
                        node.state["meds"] = [1000, 1001, 1002] if raised else h.MEDS[1]
                    node._write_state()
                want = self.expected(leader, raised)
                t0 = time.monotonic()
                h.wait_until(lambda: self.view(fast) == want, ROUND_LIMIT,
                             f"round {rnd} at the running edge")
                lags.append(time.monotonic() - t0)
                time.sleep(0.5)             # churn, not a CPU benchmark: leave the cores to others
            h.log(f"{rnd} churn rounds in {time.monotonic() - t_stop:.1f} s; running edge lag "
                  f"max {max(lags):.2f} s, mean {sum(lags) / len(lags):.2f} s")
            remaining = STOP - (time.monotonic() - t_stop)
            if remaining > 0:
                time.sleep(remaining)       # the edge stays stopped for the full STOP seconds
        finally:
            slow.proc.signal(signal.SIGCONT)
        h.log("edge_bird2 continued")
        t0 = time.monotonic()
        h.wait_until(lambda: self.view(slow) == want, 60, "the stopped edge converges")
        h.log(f"stopped edge converged {time.monotonic() - t0:.2f} s after SIGCONT")
        self.assertEqual(self.view(slow), self.view(fast))
        self.assertEqual(slow.established_count("rs1"), est_before, "the slow edge's session dropped")


if __name__ == "__main__":
    h.main()
