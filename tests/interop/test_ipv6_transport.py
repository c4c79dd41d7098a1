#!/usr/bin/env python3
"""Interop scenario 2: IPv6 routes over IPv4 transport and over IPv6 transport (::1).

    node1 ExaBGP  127.0.S.11 (IPv4 session) ─┐                  ┌─ edge_bird6  BIRD 2 over ::1
    node2 ExaBGP  ::1        (IPv6 session) ─┴─ route server ───┴─ edge_gobgp GoBGP over IPv4

Both nodes announce 2001:db8:30::1-3/128 with explicit global next hops
(2001:db8::11 / ::12) in MP_REACH_NLRI, and IPv4 service IPs with IPv4 next
hops (so node2's IPv4 routes travel over the IPv6 session).  Only ::1 exists
on loopback, so everything on ::1 is told apart by port: the route server
listens on its own port per ::1 neighbour (`local ::1 port N`), and must match
an incoming connection to the protocol by remote address *and* local port.
Asserted at both edges: next hops unchanged, MED decides (node1 primary for
::1 and ::3, node2 for ::2), and node2's withdrawal moves ::2 to node1.
"""

import harness as h


class Ipv6Transport(h.InteropTest):
    SLOT = 12

    def test_ipv6_over_both_transports(self):
        lab = self.lab
        rs = h.make_route_server(lab, "rs1", lab.addr(1), asn=65000, addr6="::1")
        meds = {1: [100, 101, 100], 2: [101, 100, 101]}
        node1 = h.ExaNode(lab, 1, lab.addr(11), [(rs.addr, rs.port)], 65000, 65000,
                          h.SERVICE_V4, h.SERVICE_V6, meds=meds[1])
        node2_rs_port = lab.port()         # the RS's own listening port for node2 (::1)
        node2 = h.ExaNode(lab, 2, "::1", [("::1", node2_rs_port)], 65000, 65000,
                          h.SERVICE_V4, h.SERVICE_V6, meds=meds[2])
        rs.add(h.Neighbor("node1", node1.addr, 65000, role="node", passive=True))
        rs.add(h.Neighbor("node2", "::1", 65000, role="node", passive=True,
                          local_port=node2_rs_port))
        edge6_rs_port = lab.port()
        edge6 = h.BirdRouter(lab, "edge_bird6", "::1", 65000, [("rs1", "::1", edge6_rs_port, 65000)])
        edge4 = h.GobgpRouter(lab, "edge_gobgp", lab.addr(22), 65000,
                              [("rs1", rs.addr, rs.port, 65000)])
        rs.add(h.Neighbor("edge_bird6", "::1", 65000, port=edge6.port, role="edge",
                          local_port=edge6_rs_port))
        rs.add(h.Neighbor("edge_gobgp", edge4.addr, 65000, port=edge4.port, role="edge"))
        rs.start()
        edge6.start()
        edge4.start()
        node1.start()
        node2.start()

        def view(edge, afi):
            svc = h.SERVICE_V4 if afi == "ipv4" else h.SERVICE_V6
            r = edge.routes(afi)
            return [(r[p].node(), r[p].next_hop, r[p].med) if p in r else None for p in svc]

        want6 = [(1, "2001:db8::11", 100), (2, "2001:db8::12", 100), (1, "2001:db8::11", 100)]
        want4 = [(1, "192.0.2.11", 100), (2, "192.0.2.12", 100), (1, "192.0.2.11", 100)]

        def converged(w6, w4):
            return all(view(e, "ipv6") == w6 and view(e, "ipv4") == w4 for e in (edge6, edge4))

        def state():
            return {e.name: (view(e, "ipv6"), view(e, "ipv4")) for e in (edge6, edge4)}

        try:
            h.wait_until(lambda: converged(want6, want4), 40, "IPv6 routes over both transports")
        except h.Timeout as e:
            self.fail(f"{e}\n{state()}")
        self.assertTrue(rs.established("node2"), "node2 over ::1")
        self.assertTrue(rs.established("edge_bird6"), "edge over ::1")

        node2.set_state(mode="down")
        moved6 = [(1, "2001:db8::11", 100), (1, "2001:db8::11", 101), (1, "2001:db8::11", 100)]
        moved4 = [(1, "192.0.2.11", 100), (1, "192.0.2.11", 101), (1, "192.0.2.11", 100)]
        try:
            h.wait_until(lambda: converged(moved6, moved4), 20, "node2's withdrawal over ::1")
        except h.Timeout as e:
            self.fail(f"{e}\n{state()}")


if __name__ == "__main__":
    h.main()
