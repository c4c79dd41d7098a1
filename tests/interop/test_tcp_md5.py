#!/usr/bin/env python3
"""Interop scenario 4: TCP-MD5 (RFC 2385): the right key establishes, a wrong key never does.

The route server has `password "..."` on every node and on the edge.  node1
(ExaBGP `md5-password`) uses the right key, node2 a wrong key, node3 none.
Asserted: node1 and the BIRD edge (right key) establish and node1's routes
reach the edge; over an observation window that starts once that happened,
node2 and node3 never establish and none of their routes reach the edge
(Linux drops segments whose MD5 option does not verify, so their SYNs go
unanswered).
"""

import time

import harness as h

KEY = "rsd-interop-key"


def md5_counters() -> dict:
    """The kernel's TcpExt MD5 counters (/proc/net/netstat)."""
    with open("/proc/net/netstat") as f:
        rows = [line.split() for line in f if line.startswith("TcpExt:")]
    return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:]) if "MD5" in k}


class TcpMd5(h.InteropTest):
    SLOT = 14

    def test_right_key_only(self):
        lab = self.lab
        rs = h.make_route_server(lab, "rs1", lab.addr(1), asn=65000)
        keys = {1: KEY, 2: "wrong-key", 3: None}
        nodes = {}
        for n, key in keys.items():
            nodes[n] = h.ExaNode(lab, n, lab.addr(10 + n), [(rs.addr, rs.port)], 65000, 65000,
                                 h.SERVICE_V4, h.SERVICE_V6, md5=key)
            rs.add(h.Neighbor(f"node{n}", nodes[n].addr, 65000, role="node", passive=True,
                              password=KEY))
        edge = h.BirdRouter(lab, "edge_bird", lab.addr(21), 65000,
                            [("rs1", rs.addr, rs.port, 65000)], md5=KEY)
        rs.add(h.Neighbor("edge_bird", edge.addr, 65000, port=edge.port, role="edge", password=KEY))
        rs.start()
        edge.start()
        for n in nodes.values():
            n.start()

        def only_node1():
            r4, r6 = edge.routes("ipv4"), edge.routes("ipv6")
            return all(p in r4 and r4[p].node() == 1 for p in h.SERVICE_V4) and \
                all(p in r6 and r6[p].node() == 1 for p in h.SERVICE_V6)

        h.wait_until(only_node1, 40, "node1's routes (right key) at the edge")
        before = md5_counters()
        self.assertTrue(rs.established("node1"))
        self.assertTrue(edge.established("rs1"))
        # Observation window: the wrong-key and keyless nodes retry every second or so.
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            for n in (2, 3):
                self.assertFalse(rs.established(f"node{n}"), f"node{n} established without the key")
            self.assertTrue(only_node1(), "a route from a node without the right key")
            time.sleep(0.5)
        # The window was meaningful: the kernel dropped segments with a wrong MD5 digest
        # (node2) and without one (node3) while we watched.
        after = md5_counters()
        self.assertGreater(after["TCPMD5Failure"], before["TCPMD5Failure"], "no wrong-key segment seen")
        self.assertGreater(after["TCPMD5NotFound"], before["TCPMD5NotFound"], "no keyless segment seen")


if __name__ == "__main__":
    h.main()
