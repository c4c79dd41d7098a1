"""topology.py - the wiki's route-server pattern, built from harness parts.

    node1 ExaBGP ─┐                    ┌─ edge BIRD 2
    node2 ExaBGP ─┼── route server(s) ─┼─ edge GoBGP
    node3 ExaBGP ─┘   (BIRD or rsd)    └─ edge FRR

Addresses in the lab's 127.0.SLOT.0/24: route servers .1, .2; nodes .11-.13;
edges .21 (BIRD), .22 (GoBGP), .23 (FRR), .24 (second BIRD).  iBGP: everyone
in AS 65000 (as on the ExaBGP wiki).  eBGP: nodes AS 65001, route server AS
65000, edges AS 65002.
"""

from __future__ import annotations

from typing import Optional

import harness as h


class Star:
    def __init__(self, lab: h.Lab, ebgp: bool = False, edges=("bird", "gobgp", "frr"),
                 n_nodes: int = 3, n_rs: int = 1, rs_kw: Optional[dict] = None,
                 node_kw: Optional[dict] = None, edge_kw: Optional[dict] = None,
                 node_asn: Optional[int] = None, edge_asn: Optional[int] = None):
        self.lab = lab
        self.rs_asn = 65000
        self.node_asn = node_asn or (65001 if ebgp else 65000)
        self.edge_asn = edge_asn or (65002 if ebgp else 65000)
        self.rs: list[h.RouteServer] = []
        for i in range(n_rs):
            self.rs.append(h.make_route_server(lab, f"rs{i + 1}", lab.addr(1 + i), asn=self.rs_asn,
                                               **(rs_kw or {})))
        self.nodes: dict[int, h.ExaNode] = {}
        for n in range(1, n_nodes + 1):
            self.nodes[n] = h.ExaNode(lab, n, lab.addr(10 + n),
                                      [(rs.addr, rs.port) for rs in self.rs],
                                      asn=self.node_asn, peer_as=self.rs_asn,
                                      services4=h.SERVICE_V4, services6=h.SERVICE_V6,
                                      **(node_kw or {}))
            for rs in self.rs:
                rs.add(h.Neighbor(f"node{n}", lab.addr(10 + n), self.node_asn, port=179,
                                  role="node", passive=True,
                                  password=(node_kw or {}).get("md5")))
        self.edges: dict[str, object] = {}
        peers = [(rs.name, rs.addr, rs.port, self.rs_asn) for rs in self.rs]
        kinds = {"bird": (h.BirdRouter, 21), "gobgp": (h.GobgpRouter, 22), "frr": (h.FrrRouter, 23),
                 "bird2": (h.BirdRouter, 24)}
        for kind in edges:
            cls, host = kinds[kind]
            e = cls(lab, f"edge_{kind}", lab.addr(host), self.edge_asn, peers, **(edge_kw or {}))
            self.edges[kind] = e
            for rs in self.rs:
                rs.add(h.Neighbor(f"edge_{kind}", e.addr, self.edge_asn, port=e.port, role="edge"))

    def start(self) -> "Star":
        for rs in self.rs:
            rs.start()
        for e in self.edges.values():
            e.start()
        for n in self.nodes.values():
            n.start()
        return self

    # --- what the edges hold ---
    def edge_view(self, edge, afi: str) -> dict[str, Optional[int]]:
        """{service prefix: node number of the edge's best path (None: absent)}."""
        routes = edge.routes(afi)
        svc = h.SERVICE_V4 if afi == "ipv4" else h.SERVICE_V6
        return {p: (routes[p].node() if p in routes else None) for p in svc}

    def primaries_ok(self, expected: list[Optional[int]], edges=None) -> bool:
        """Every edge's best path for service IP i is node expected[i] (None: no route)."""
        for kind, e in self.edges.items():
            if edges and kind not in edges:
                continue
            for afi, svc in (("ipv4", h.SERVICE_V4), ("ipv6", h.SERVICE_V6)):
                view = self.edge_view(e, afi)
                if [view[p] for p in svc] != expected:
                    return False
        return True

    def describe(self) -> str:
        out = []
        for kind, e in self.edges.items():
            for afi in ("ipv4", "ipv6"):
                try:
                    out.append(f"{kind}/{afi}: {self.edge_view(e, afi)}")
                except Exception as exc:   # noqa: BLE001
                    out.append(f"{kind}/{afi}: error {exc}")
        return "\n".join(out)

    def wait_primaries(self, expected: list[Optional[int]], timeout: float = 30.0, edges=None,
                       what: str = "") -> float:
        t0 = __import__("time").monotonic()
        try:
            h.wait_until(lambda: self.primaries_ok(expected, edges), timeout,
                         what or f"edges' best paths = nodes {expected}")
        except h.Timeout as e:
            raise h.Timeout(f"{e}\nedges now:\n{self.describe()}") from None
        return __import__("time").monotonic() - t0
