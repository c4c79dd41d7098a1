#!/usr/bin/env python3
"""The demo (README command one): the ExaBGP high-availability route-server pattern, on loopback.

    web1 ─ ExaBGP + health check of http://127.0.100.11:8080/ ─┐
    web2 ─ ExaBGP + health check of http://127.0.100.12:8080/ ─┼─ route server ── BIRD edge
    web3 ─ ExaBGP + health check of http://127.0.100.13:8080/ ─┘   (rsd or BIRD)

Each web node runs a tiny HTTP service (python3 -m http.server on its own
loopback address) and an ExaBGP 4.2 whose health-check process announces the
service IPs 203.0.113.10-12/32 and 2001:db8:30::1-3/128 with the wiki's MEDs
while the service answers, and withdraws them when it does not.  The demo
shows which node serves each service IP at the edge, stops web1's service,
measures how long the edge takes to move web1's IPs, restores the service,
and tears everything down (also on Ctrl-C), checking that nothing is left.

Env: RS_IMPL=rsd (default) | bird; RSD_BIN (set by scripts/demo).
Built on tests/interop/harness.py.  Python 3 stdlib only.
"""

import os
import signal
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
os.environ.setdefault("INTEROP_VERBOSE", "0")         # harness chatter off: the demo talks

import harness as h                                     # noqa: E402

SLOT = 100
HTTP_PORT = 8080
T0 = time.monotonic()


def say(msg: str = "") -> None:
    print(msg, flush=True)


def step(msg: str) -> None:
    print(f"  {time.monotonic() - T0:6.2f}s  {msg}", flush=True)


def edge_table(edge) -> dict:
    out = {}
    for afi in ("ipv4", "ipv6"):
        out.update(edge.routes(afi))
    return out


def serving(edge) -> dict:
    """{service prefix: web node number or None}."""
    t = edge_table(edge)
    return {p: (t[p].node() if p in t else None) for p in h.SERVICE_V4 + h.SERVICE_V6}


def print_table(edge) -> None:
    t = edge_table(edge)
    say(f"    {'service IP':<20} {'served by':<10} {'next hop':<14} {'MED':>4}")
    for p in h.SERVICE_V4 + h.SERVICE_V6:
        r = t.get(p)
        if r:
            say(f"    {p:<20} {'web%d' % r.node():<10} {r.next_hop:<14} {r.med:>4}")
        else:
            say(f"    {p:<20} {'(none)':<10}")


def expected(alive) -> dict:
    prim = h.expected_primary(h.MEDS, alive)
    out = {}
    for i in range(3):
        out[h.SERVICE_V4[i]] = prim[i]
        out[h.SERVICE_V6[i]] = prim[i]
    return out


def main() -> int:
    impl = h.rs_impl() if os.environ.get("RS_IMPL") else "rsd"
    os.environ["RS_IMPL"] = impl
    missing = h.missing_tools()
    if missing:
        say(f"demo: missing {' '.join(missing)}: run scripts/setup")
        return 1
    lab = h.Lab("demo", SLOT)
    www = {}
    try:
        say(f"rsd demo: ExaBGP high-availability pattern on loopback, route server: {impl}")
        rs = h.make_route_server(lab, "rs1", lab.addr(1), impl=impl, asn=65000)
        edge = h.BirdRouter(lab, "edge", lab.addr(21), 65000, [("rs1", rs.addr, rs.port, 65000)],
                            debug="")
        rs.add(h.Neighbor("edge", edge.addr, 65000, port=edge.port, role="edge"))
        nodes = {}
        for n in (1, 2, 3):
            addr = lab.addr(10 + n)
            url = f"http://{addr}:{HTTP_PORT}/"
            nodes[n] = h.ExaNode(lab, n, addr, [(rs.addr, rs.port)], 65000, 65000,
                                 h.SERVICE_V4, h.SERVICE_V6, outside=False, http_url=url,
                                 name=f"web{n}")
            rs.add(h.Neighbor(f"web{n}", addr, 65000, role="node", passive=True))
        docroot = lab.path("www")
        os.makedirs(docroot)
        with open(os.path.join(docroot, "index.html"), "w") as f:
            f.write("ok\n")

        def start_www(n):
            www[n] = lab.start(f"www{n}", [h.PYTHON, "-m", "http.server", str(HTTP_PORT),
                                           "--bind", lab.addr(10 + n), "--directory", docroot])
            h.wait_until(lambda: h.port_open(lab.addr(10 + n), HTTP_PORT), 10, f"www{n} up")

        step(f"work dir {lab.dir}")
        for n in (1, 2, 3):
            start_www(n)
        step("3 HTTP services up: " + ", ".join(f"web{n} {lab.addr(10 + n)}:{HTTP_PORT}"
                                                 for n in (1, 2, 3)))
        try:
            rs.start()
        except h.RsdUnavailable as e:
            say(f"\ndemo: {e}\n      (compare with BIRD 2 as the route server: RS_IMPL=bird scripts/demo)")
            return 1
        edge.start()
        for node in nodes.values():
            node.start()
        t = time.monotonic()
        h.wait_until(lambda: serving(edge) == expected((1, 2, 3)), 60, "initial best paths")
        step(f"route server ({impl}), BIRD edge and 3 ExaBGP nodes up; edge converged in "
             f"{time.monotonic() - t:.2f} s")
        say()
        say("  At the edge, each service IP goes to its primary node (lowest MED):")
        print_table(edge)
        say()

        step(f"stopping web1's HTTP service ({lab.addr(11)}:{HTTP_PORT})")
        t = time.monotonic()
        www[1].stop()
        h.wait_until(lambda: serving(edge) == expected((2, 3)), 30, "failover")
        moved = time.monotonic() - t
        step(f"edge moved web1's IPs to web2 in {moved:.2f} s "
             "(health check every 0.2 s, BGP withdrawal via the route server)")
        say()
        print_table(edge)
        say()

        step("restoring web1's HTTP service")
        t = time.monotonic()
        start_www(1)
        h.wait_until(lambda: serving(edge) == expected((1, 2, 3)), 30, "failback")
        back = time.monotonic() - t
        step(f"edge moved them back to web1 in {back:.2f} s")
        say()
        say(f"  summary: failover {moved:.2f} s, failback {back:.2f} s (route server: {impl})")
        return 0
    except h.Timeout as e:
        say(f"\ndemo: {e}")
        lab.dump_logs(sys.stdout, tail=10, skip=("www",))
        return 1
    finally:
        pids = [p.pid for p in lab.procs]
        lab.close()
        left = []
        for pid in pids:
            try:
                os.killpg(pid, 0)
                left.append(pid)
            except ProcessLookupError:
                pass
            except PermissionError:
                left.append(pid)
        step(f"stopped {len(pids)} processes; " +
             ("nothing left running" if not left else f"STILL RUNNING: {left}"))


if __name__ == "__main__":
    def _interrupted(signum, _frame):
        say("\n  interrupted: tearing down")
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
