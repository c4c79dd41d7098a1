#!/usr/bin/env python3
"""BGP session options as BIRD 2 defines them, seen on the wire and by real peers.

Scripted speakers (bgp_raw.RawPeer) connect to the route server and record every message, next
to BIRD 2 edges that show what a real peer makes of it.  Each test runs unchanged against BIRD 2
as the route server (RS_IMPL=bird), the reference, and against rsd:

* `startup hold time`: a peer that never sends its OPEN gets Hold Timer Expired (4/0) after the
  startup hold time, not after `hold time`.
* `source address`: outgoing connections come from it.
* `strict bind`: off (BIRD's default) listens on the wildcard address and refuses connections to
  a local address the protocol does not use; on listens on the local address only.
* `enable as4 off`: no 4-octet AS capability; a path with 4-octet ASNs goes out as a 2-octet
  AS_PATH with AS_TRANS plus AS4_PATH (RFC 6793 4.2.2) and a BIRD edge rebuilds the same path;
  a 4-octet local AS is AS_TRANS in the OPEN.
* `capabilities off`: an OPEN without optional parameters; IPv4 unicast only.
* channel `mandatory`: a peer without the family's Multiprotocol capability is refused with
  2/7; without `mandatory` the session comes up without that family; with no family in common
  it is refused with 2/7 too.
* enhanced route refresh (RFC 7313): a refresh request re-sends only the family asked for,
  between BoRR and EoRR; a peer's BoRR ... EoRR removes the routes it did not send again; real
  peers: `birdc reload in` / `reload out` (BIRD 2, enhanced route refresh). GoBGP's `neighbor
  softresetin` re-reads its own Adj-RIB-In and sends no ROUTE-REFRESH, so it cannot serve here.
"""

import os
import time

import bgp_raw as raw
import harness as h

V4 = ["203.0.113.10/32", "203.0.113.11/32", "203.0.113.12/32"]
V6 = ["2001:db8:30::1/128", "2001:db8:30::2/128"]
NH4, NH6 = "192.0.2.11", "2001:db8::11"


def full_caps(asn: int, rr: bool = True, err: bool = True) -> list[bytes]:
    c = [raw.mp(raw.AFI_IPV4), raw.mp(raw.AFI_IPV6), raw.as4(asn)]
    if rr:
        c.append(raw.cap(raw.CAP_RR))
    if err:
        c.append(raw.cap(raw.CAP_ERR))
    return c


class SessionOptions(h.InteropTest):
    SLOT = 41

    # ---- helpers ----
    def rs(self, **kw):
        return h.make_route_server(self.lab, "rs1", self.lab.addr(1), asn=kw.pop("asn", 65000), **kw)

    def connect(self, rs, host: int, asn: int, caps: list[bytes], to: str = "") -> raw.RawPeer:
        """A scripted peer at 127.0.S.host connecting to the route server (retried while the
        route server starts)."""
        def attempt():
            try:
                return raw.RawPeer.connect(self.lab.addr(host), to or rs.addr, rs.port, timeout=2)
            except OSError:
                return None
        p = h.wait_until(attempt, 20, f"connection from .{host}")
        self.addCleanup(p.close)
        p.establish(raw.open_message(asn, self.lab.addr(host), caps))
        return p

    def feed(self, node: raw.RawPeer, asn: int, v6: bool = True, path_tail=()) -> None:
        node.send(raw.update_ipv4(V4, NH4, [asn, *path_tail]))
        if v6:
            node.send(raw.update_ipv6(V6, NH6, [asn, *path_tail]))

    # ---- startup hold time ----
    def test_startup_hold_time(self):
        rs = self.rs()
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True, options=["startup hold time 3;"]))
        rs.start()
        p = h.wait_until(lambda: _try_connect(self.lab.addr(11), rs.addr, rs.port), 20, "connect")
        self.addCleanup(p.close)
        first = p.wait_for(lambda m: m.type == raw.OPEN, 10, "OPEN")
        n = p.wait_for(lambda m: m.type == raw.NOTIFICATION, 15, "NOTIFICATION")
        waited = n.at - first.at
        self.assertEqual((n.code, n.subcode), (4, 0), "Hold Timer Expired")
        self.assertGreater(waited, 2.0, "before the startup hold time")
        self.assertLess(waited, 8.0, "the startup hold time (3 s) was not used")

    # ---- source address ----
    def test_source_address(self):
        rs = self.rs()
        port = self.lab.port()
        rs.add(h.Neighbor("e1", self.lab.addr(21), 65021, port=port, role="edge",
                          options=[f"source address {self.lab.addr(5)};"]))
        rs.start()
        p = raw.RawPeer.accept(self.lab.addr(21), port, timeout=20)
        self.addCleanup(p.close)
        self.assertEqual(p.sock.getpeername()[0], self.lab.addr(5))
        self.assertEqual(p.sock.getsockname()[1], port)

    # ---- strict bind ----
    def test_strict_bind_off_listens_on_wildcard(self):
        rs = self.rs(strict_bind=False)
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True))
        rs.start()
        p = self.connect(rs, 11, 65011, full_caps(65011))
        h.wait_until(lambda: rs.established("n1"), 20, "n1 established")
        p.close()
        # Another local address reaches the wildcard socket, but it is not n1's local address:
        # refused without an OPEN.
        q = h.wait_until(lambda: _try_connect(self.lab.addr(11), self.lab.addr(9), rs.port), 20,
                         "TCP connect to another local address")
        self.addCleanup(q.close)
        q.collect(3)
        self.assertTrue(q.closed, "a connection to another local address was kept")
        self.assertFalse([m for m in q.received if m.type == raw.OPEN], "OPEN on another local address")

    def test_strict_bind_on_listens_on_local_address(self):
        rs = self.rs(strict_bind=True)
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True))
        rs.start()
        self.connect(rs, 11, 65011, full_caps(65011))
        h.wait_until(lambda: rs.established("n1"), 20, "n1 established")
        with self.assertRaises(ConnectionRefusedError):
            raw.RawPeer.connect(self.lab.addr(11), self.lab.addr(9), rs.port, timeout=2)

    # ---- enable as4 off ----
    def test_as4_off_path_and_as_trans(self):
        rs = self.rs()
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True))
        edge = h.BirdRouter(self.lab, "edge_bird", self.lab.addr(21), 65021,
                            [("rs1", rs.addr, rs.port, 65000)])
        rs.add(h.Neighbor("edge_bird", edge.addr, 65021, port=edge.port, role="edge",
                          options=["enable as4 off;"]))
        rs.add(h.Neighbor("e2", self.lab.addr(22), 65022, role="edge", passive=True,
                          options=["enable as4 off;"]))
        rs.start()
        edge.start()
        node = self.connect(rs, 11, 65011, full_caps(65011))
        self.feed(node, 65011, v6=False, path_tail=(4200000005, 65535))
        e2 = self.connect(rs, 22, 65022, full_caps(65022))
        rs_open = e2.wait_for(lambda m: m.type == raw.OPEN, 5, "OPEN")
        self.assertNotIn(raw.CAP_AS4, rs_open.caps, "4-octet AS capability with enable as4 off")
        u = e2.wait_for(lambda m: m.type == raw.UPDATE and V4[0] in m.announced, 30, "UPDATE")
        self.assertEqual(u.as_path(2), [65011, raw.AS_TRANS, 65535], "2-octet AS_PATH")
        self.assertEqual(u.as4_path, [65011, 4200000005, 65535], "AS4_PATH")
        routes = h.wait_until(lambda: V4[0] in edge.routes("ipv4") and edge.routes("ipv4"), 30,
                              "route at the BIRD edge")
        self.assertEqual(routes[V4[0]].as_path, "65011 4200000005 65535")

    def test_as4_off_four_octet_local_as(self):
        rs = self.rs(asn=4200000000)
        rs.add(h.Neighbor("e2", self.lab.addr(22), 65022, role="edge", passive=True,
                          options=["enable as4 off;"]))
        rs.start()
        e2 = self.connect(rs, 22, 65022, full_caps(65022))
        o = e2.wait_for(lambda m: m.type == raw.OPEN, 5, "OPEN")
        self.assertEqual(o.my_as, raw.AS_TRANS)
        self.assertNotIn(raw.CAP_AS4, o.caps)
        h.wait_until(lambda: rs.established("e2"), 20, "e2 established")

    # ---- capabilities off ----
    def test_capabilities_off(self):
        rs = self.rs()
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True))
        edge = h.BirdRouter(self.lab, "edge_bird", self.lab.addr(21), 65021,
                            [("rs1", rs.addr, rs.port, 65000)])
        rs.add(h.Neighbor("edge_bird", edge.addr, 65021, port=edge.port, role="edge",
                          options=["capabilities off;"]))
        rs.add(h.Neighbor("e2", self.lab.addr(22), 65022, role="edge", passive=True,
                          options=["capabilities off;"]))
        rs.start()
        edge.start()
        node = self.connect(rs, 11, 65011, full_caps(65011))
        self.feed(node, 65011, path_tail=(4200000005,))
        e2 = self.connect(rs, 22, 65022, full_caps(65022))
        o = e2.wait_for(lambda m: m.type == raw.OPEN, 5, "OPEN")
        self.assertEqual(o.opt_len, 0, "optional parameters with capabilities off")
        u = e2.wait_for(lambda m: m.type == raw.UPDATE and V4[0] in m.announced, 30, "IPv4 UPDATE")
        self.assertEqual(u.as_path(2), [65011, raw.AS_TRANS])
        r4 = h.wait_until(lambda: all(p in edge.routes("ipv4") for p in V4) and edge.routes("ipv4"),
                          30, "IPv4 routes at the BIRD edge")
        self.assertEqual(r4[V4[0]].as_path, "65011 4200000005")
        e2.collect(2)
        self.assertFalse([p for m in e2.received if m.type == raw.UPDATE for p in m.announced if ":" in p],
                         "IPv6 routes without the Multiprotocol capability")
        self.assertEqual(edge.routes("ipv6"), {}, "IPv6 routes at the BIRD edge")

    # ---- mandatory ----
    def test_mandatory_family(self):
        rs = self.rs()
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True,
                          channel_options={"ipv6": " mandatory;"}))
        rs.add(h.Neighbor("n2", self.lab.addr(12), 65012, passive=True))
        rs.add(h.Neighbor("n3", self.lab.addr(13), 65013, passive=True, channels=("ipv6",)))
        rs.start()
        v4_only = [raw.mp(raw.AFI_IPV4), raw.as4(65011)]
        p = h.wait_until(lambda: _try_connect(self.lab.addr(11), rs.addr, rs.port), 20, "connect")
        self.addCleanup(p.close)
        p.send(raw.open_message(65011, self.lab.addr(11), v4_only))
        n = p.wait_for(lambda m: m.type == raw.NOTIFICATION, 10, "NOTIFICATION")
        self.assertEqual((n.code, n.subcode), (2, 7), "Unsupported Capability")
        self.assertFalse(rs.established("n1"))
        # No family in common (IPv6 only against IPv4 only): refused the same way.
        p3 = h.wait_until(lambda: _try_connect(self.lab.addr(13), rs.addr, rs.port), 20, "connect")
        self.addCleanup(p3.close)
        p3.send(raw.open_message(65013, self.lab.addr(13), [raw.mp(raw.AFI_IPV4), raw.as4(65013)]))
        n3 = p3.wait_for(lambda m: m.type == raw.NOTIFICATION, 10, "NOTIFICATION")
        self.assertEqual((n3.code, n3.subcode), (2, 7), "no family in common")
        # Not mandatory: the session comes up with IPv4 only.
        q = self.connect(rs, 12, 65012, [raw.mp(raw.AFI_IPV4), raw.as4(65012)])
        h.wait_until(lambda: rs.established("n2"), 20, "n2 established")
        q.collect(1)
        self.assertFalse([m for m in q.received if m.type == raw.NOTIFICATION])

    # ---- enhanced route refresh ----
    def test_route_refresh_one_family_enhanced(self):
        rs = self.rs()
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True))
        rs.add(h.Neighbor("e1", self.lab.addr(21), 65021, role="edge", passive=True))
        rs.add(h.Neighbor("e2", self.lab.addr(22), 65022, role="edge", passive=True))
        rs.start()
        node = self.connect(rs, 11, 65011, full_caps(65011))
        self.feed(node, 65011)
        for host, asn, err in ((21, 65021, True), (22, 65022, False)):
            e = self.connect(rs, host, asn, full_caps(asn, err=err))
            for afi in (raw.AFI_IPV4, raw.AFI_IPV6):
                e.wait_for(lambda m, a=afi: m.type == raw.UPDATE and m.eor == a, 30, f"End-of-RIB {afi}")
            h.wait_until(lambda: e.collect(0.2) or _announced(e) >= set(V4 + V6), 30, "every route")
            mark = len(e.received)
            fam = raw.AFI_IPV4 if err else raw.AFI_IPV6
            e.send(raw.route_refresh(fam))
            if err:
                e.wait_for(lambda m: m.type == raw.ROUTE_REFRESH and m.subtype == 2, 20, "EoRR")
            else:
                h.wait_until(lambda: e.collect(0.2) or _announced(e, mark) >= set(V6), 20, "IPv6 re-sent")
            e.collect(1.5)
            after = e.received[mark:]
            seq = [("RR", m.afi, m.subtype) if m.type == raw.ROUTE_REFRESH else ("U", tuple(m.announced))
                   for m in after if m.type in (raw.ROUTE_REFRESH, raw.UPDATE)]
            wanted = V4 if err else V6
            other = V6 if err else V4
            self.assertEqual(_announced(e, mark), set(wanted), f"re-sent ({seq})")
            self.assertFalse(set(other) & _announced(e, mark), "the other family was re-sent")
            rr = [(m.afi, m.subtype) for m in after if m.type == raw.ROUTE_REFRESH]
            if err:
                self.assertEqual(rr, [(fam, 1), (fam, 2)], "BoRR then EoRR")
                kinds = [s[0] for s in seq]
                self.assertEqual(seq[0], ("RR", fam, 1), "BoRR first")
                self.assertEqual(seq[-1], ("RR", fam, 2), "EoRR after the last UPDATE")
                self.assertIn("U", kinds)
            else:
                self.assertEqual(rr, [], "BoRR/EoRR without enhanced route refresh")

    def test_enhanced_route_refresh_from_peer(self):
        rs = self.rs()
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True))
        edge = h.BirdRouter(self.lab, "edge_bird", self.lab.addr(21), 65021,
                            [("rs1", rs.addr, rs.port, 65000)])
        rs.add(h.Neighbor("edge_bird", edge.addr, 65021, port=edge.port, role="edge"))
        rs.start()
        edge.start()
        node = self.connect(rs, 11, 65011, full_caps(65011))
        self.feed(node, 65011)
        h.wait_until(lambda: set(V4) <= set(edge.routes("ipv4")) and set(V6) <= set(edge.routes("ipv6")),
                     40, "every route at the edge")
        # The node refreshes IPv4 and leaves out V4[2]: it goes at EoRR; IPv6 is untouched.
        node.send(raw.route_refresh(raw.AFI_IPV4, 1))
        node.send(raw.update_ipv4(V4[:2], NH4, [65011]))
        time.sleep(1)  # V4[2] must stay while the refresh runs (stale, still the best path)
        self.assertIn(V4[2], edge.routes("ipv4"), "removed before EoRR")
        node.send(raw.route_refresh(raw.AFI_IPV4, 2))
        h.wait_until(lambda: V4[2] not in edge.routes("ipv4"), 20, "stale route removed at EoRR")
        self.assertTrue(set(V4[:2]) <= set(edge.routes("ipv4")), "re-sent routes kept")
        self.assertTrue(set(V6) <= set(edge.routes("ipv6")), "IPv6 kept")

    def test_bird_edge_reload_in(self):
        """A real peer: `birdc reload in` makes BIRD ask for a route refresh; with enhanced
        route refresh agreed, BIRD keeps every route (no flap) through BoRR ... EoRR."""
        rs = self.rs()
        rs.add(h.Neighbor("n1", self.lab.addr(11), 65011, passive=True))
        edge = h.BirdRouter(self.lab, "edge_bird", self.lab.addr(21), 65021,
                            [("rs1", rs.addr, rs.port, 65000)])
        rs.add(h.Neighbor("edge_bird", edge.addr, 65021, port=edge.port, role="edge"))
        rs.start()
        edge.start()
        node = self.connect(rs, 11, 65011, full_caps(65011))
        self.feed(node, 65011)
        h.wait_until(lambda: set(V4) <= set(edge.routes("ipv4")) and set(V6) <= set(edge.routes("ipv6")),
                     40, "every route at the edge")
        before = _import_updates(edge)
        out = edge.cmd("reload in rs1")
        self.assertIn("reload", out.lower())
        h.wait_until(lambda: _import_updates(edge) >= before + len(V4) + len(V6), 20,
                     "the routes sent again")
        self.assertTrue(set(V4) <= set(edge.routes("ipv4")) and set(V6) <= set(edge.routes("ipv6")))
        with open(edge.log_path, errors="replace") as f:
            removed = [line for line in f if "rs1" in line and "removed" in line]
        self.assertEqual(removed, [], "routes removed by the refresh")


    def test_bird_node_reload_out(self):
        """A real peer's enhanced route refresh: `birdc reload out` on a BIRD node sends BoRR,
        its routes again, EoRR; the route server keeps them all (no flap at the edge)."""
        rs = self.rs()
        node_port = self.lab.port()
        node_addr = self.lab.addr(11)
        rs.add(h.Neighbor("n1", node_addr, 65011, port=node_port))
        edge = h.BirdRouter(self.lab, "edge_bird", self.lab.addr(21), 65021,
                            [("rs1", rs.addr, rs.port, 65000)])
        rs.add(h.Neighbor("edge_bird", edge.addr, 65021, port=edge.port, role="edge"))
        routes = "".join(f"route {p} blackhole; " for p in V4)
        sock = self.lab.path("node_bird.ctl")
        conf = self.lab.write("node_bird.conf", f"""
log "{self.lab.path('node_bird.log')}" all;
router id {node_addr};
debug protocols {{ states, events }};
protocol static s4 {{ ipv4; {routes}}}
protocol bgp rs1 {{
    local {node_addr} port {node_port} as 65011;
    neighbor {rs.addr} port {rs.port} as 65000;
    multihop 8; strict bind on; connect delay time 1; connect retry time 2; error wait time 1, 2;
    ipv4 {{ import none; export all; next hop address {NH4}; }};
}}
""")
        rs.start()
        edge.start()
        node = self.lab.start("node_bird", [h.BIRD, "-f", "-c", conf, "-s", sock,
                                            "-P", self.lab.path("node_bird.pid")])
        h.wait_until(lambda: os.path.exists(sock) or not node.alive(), 10, "node control socket")
        h.wait_until(lambda: set(V4) <= set(edge.routes("ipv4")), 40, "the node's routes at the edge")
        out = h.birdc(sock, "reload out rs1")
        self.assertIn("reloading", out)
        if rs.impl == "rsd":
            def logged(what):
                with open(rs.log_path, errors="replace") as f:
                    return what in f.read()
            h.wait_until(lambda: logged("n1: the peer ended its route refresh of ipv4"), 20,
                         "EoRR from the BIRD node")
            self.assertTrue(logged("n1: the peer begins a route refresh of ipv4"))
        time.sleep(2)  # the sweep after EoRR must leave every route in place
        self.assertTrue(set(V4) <= set(edge.routes("ipv4")), "routes lost by the node's refresh")
        with open(edge.log_path, errors="replace") as f:
            removed = [line for line in f if "removed" in line]
        self.assertEqual(removed, [], "routes flapped at the edge")


def _try_connect(local: str, remote: str, port: int):
    try:
        return raw.RawPeer.connect(local, remote, port, timeout=2)
    except OSError:
        return None


def _announced(p: raw.RawPeer, start: int = 0) -> set:
    return {x for m in p.received[start:] if m.type == raw.UPDATE for x in m.announced}


def _import_updates(edge) -> int:
    """BIRD's `Import updates` received count of the rs1 channels (both families)."""
    total = 0
    for line in edge.cmd("show protocols all rs1").splitlines():
        if line.strip().startswith("Import updates:"):
            total += int(line.split()[2])
    return total


if __name__ == "__main__":
    h.main()
