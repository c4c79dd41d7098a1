#!/usr/bin/env python3
"""Interop scenario 3: 50 dynamic neighbours from one `neighbor range`.

One ExaBGP 4.2 process speaks for 50 service nodes: 50 neighbour blocks, each
from its own loopback address 127.0.S.128+i (i = 0..49), all towards the one
route server protocol `protocol bgp dyn { neighbor range 127.0.S.128/26 as
65000; passive on; ... }`.  Node i announces 203.0.113.(100+i)/32 with next hop
192.0.2.(100+i) and 2001:db8:30::(100+i)/128 (hex) with next hop
2001:db8::(100+i).  Asserted: the route server spawned 50 established
protocols, and a BIRD edge holds all 100 routes with the right next hops.
"""

import textwrap

import harness as h

N = 50


class DynamicNeighbors(h.InteropTest):
    SLOT = 13

    def test_fifty_from_one_range(self):
        lab = self.lab
        rs = h.make_route_server(lab, "rs1", lab.addr(1), asn=65000)
        rs.add(h.Neighbor("dyn", f"{lab.addr(128)}/26", 65000, role="node", range_=True))
        edge = h.BirdRouter(lab, "edge_bird", lab.addr(21), 65000, [("rs1", rs.addr, rs.port, 65000)],
                            debug="")
        rs.add(h.Neighbor("edge_bird", edge.addr, 65000, port=edge.port, role="edge"))

        blocks, want4, want6 = [], {}, {}
        for i in range(N):
            v4, nh4 = f"203.0.113.{100 + i}/32", f"192.0.2.{100 + i}"
            v6, nh6 = f"2001:db8:30::{100 + i:x}/128", f"2001:db8::{100 + i:x}"
            want4[v4], want6[v6] = nh4, nh6
            blocks.append(textwrap.dedent(f"""\
                neighbor {rs.addr} {{
                    router-id 192.0.2.{100 + i};
                    local-address {lab.addr(128 + i)};
                    local-as 65000;
                    peer-as 65000;
                    connect {rs.port};
                    hold-time 90;
                    family {{ ipv4 unicast; ipv6 unicast; }}
                    static {{
                        route {v4} next-hop {nh4} med 100;
                        route {v6} next-hop {nh6} med 100;
                    }}
                }}
                """))
        conf = lab.write("nodes.exabgp.conf", "".join(blocks))
        rs.start()
        edge.start()
        lab.start("nodes", [h.EXABGP, conf], {
            "exabgp.daemon.user": "root", "exabgp.daemon.drop": "false",
            "exabgp.daemon.daemonize": "false", "exabgp.tcp.bind": "", "exabgp.api.cli": "false",
            "exabgp.log.destination": lab.path("nodes.log"), "exabgp.log.level": "INFO",
            "exabgp.daemon.pid": ""})

        def spawned():
            return [n for n, p in rs.protocols().items()
                    if p["proto"] == "BGP" and n not in ("dyn", "edge_bird")
                    and p["state"] == "up" and "Established" in p["info"]]

        def edge_has_all():
            r4, r6 = edge.routes("ipv4"), edge.routes("ipv6")
            return all(p in r4 and r4[p].next_hop == nh for p, nh in want4.items()) and \
                all(p in r6 and r6[p].next_hop == nh for p, nh in want6.items())

        try:
            h.wait_until(lambda: len(spawned()) == N, 60, f"{N} established dynamic protocols")
            h.wait_until(edge_has_all, 30, f"all {2 * N} routes at the edge")
        except h.Timeout as e:
            self.fail(f"{e}\nspawned: {len(spawned())}, edge: {len(edge.routes('ipv4'))} IPv4, "
                      f"{len(edge.routes('ipv6'))} IPv6 routes")
        self.assertEqual(len(edge.routes("ipv4")), N)
        self.assertEqual(len(edge.routes("ipv6")), N)


if __name__ == "__main__":
    h.main()
