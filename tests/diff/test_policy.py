#!/usr/bin/env python3
"""test_policy.py - rsd's receive policies over the wire, next to what BIRD 2 does with the same.

Two route servers get the same BGP sessions as the differential test (run_diff.py): BIRD 2 and rsd,
rsd's feeder session once with the defaults and once with `forward unknown attributes on;
max as path length 20;`. The feeder sends routes with an unknown optional transitive attribute
(type 240), an unknown non-transitive one (241), a well-formed and a broken Tunnel Encapsulation
attribute (type 23, the catalogue's A21), and AS paths of 20, 21 and 300 hops. What the eBGP
client receives is checked:

  unknown transitive      BIRD: forwarded, Partial set   rsd: dropped (default) / forwarded + Partial
  unknown non-transitive  BIRD: dropped                  rsd: dropped
  Tunnel Encap, good      BIRD: forwarded                rsd: dropped (default) / forwarded
  Tunnel Encap, broken    BIRD: forwarded (!)            rsd: dropped, always
  path of 300             BIRD: exported                 rsd: withdrawn (default limit 255)
  path of 21 / 20         BIRD: exported                 rsd (limit 20): 21 withdrawn, 20 exported

Exit 0 when every expectation holds; a missing program is a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bgpwire as w  # noqa: E402
import run_diff as rd  # noqa: E402

UNKNOWN_T = (0xC0, 240, bytes.fromhex("deadbeef"))
UNKNOWN_NT = (0x80, 241, bytes.fromhex("deadbeef"))
TUNNEL_GOOD = (0xC0, 23, bytes.fromhex("0007000601040a000001"))
TUNNEL_BAD = (0xC0, 23, bytes.fromhex("0007000401ff"))


def routes() -> list:
    def r(prefix, unknown=(), hops=1):
        path = [rd.FEEDER_AS] + [64999] * (hops - 1)
        return w.Route(prefix, as_path=[("seq", path)], next_hop="192.0.2.11",
                       unknown=list(unknown))
    return [r("11.1.0.0/16", [UNKNOWN_T]), r("11.2.0.0/16", [UNKNOWN_NT]),
            r("11.3.0.0/16", [TUNNEL_GOOD]), r("11.4.0.0/16", [TUNNEL_BAD]),
            r("11.5.0.0/16", [UNKNOWN_T, TUNNEL_BAD]),
            r("11.20.0.0/16", hops=20), r("11.21.0.0/16", hops=21), r("11.30.0.0/16", hops=300),
            w.Route("2a01:1:1::/48", as_path=[("seq", [rd.FEEDER_AS])], next_hop="2001:db8::11",
                    unknown=[UNKNOWN_T])]


def run(impl: str, binary: str, slot: int, extra: str, workdir: str) -> dict:
    inst = rd.Instance(impl, binary, rd.Slot(slot), workdir, f"policy{slot}")
    text = rd.config_text(inst.slot, "", os.path.join(inst.dir, "rs.log"))
    if extra:
        text = text.replace("multihop; passive on; rs client;\n    ipv4 { import all;",
                            f"multihop; passive on; rs client;\n    {extra}\n    ipv4 {{ import all;",
                            1)
    ok, msg = inst.check(text)
    if not ok:
        raise AssertionError(f"{impl} rejects the configuration: {msg}")
    try:
        inst.start()
        rd.wait_until(inst.ready, 30, f"{impl} sessions")
        feed = b"".join(w.encode_update(r) for r in routes()) + w.EOR_V4 + w.EOR_V6
        inst.speakers["feeder"].send(feed)
        rd.converge([inst], 2.0, 60)
        return inst.speakers["client"].snapshot()
    finally:
        inst.stop()


def main() -> int:
    rsd = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("RSD_BIN", "")
    bird = shutil.which("bird") or ""
    for prog in (rsd, bird):
        if not prog or not os.access(prog, os.X_OK):
            print(f"FAIL: program not found: {prog!r}")
            return 1
    base = 126 + int(os.environ.get("INTEROP_SLOT_OFFSET", "0") or 0)
    workdir = tempfile.mkdtemp(prefix="rsd-policy-")
    failures, passed = [], []

    def expect(what: str, cond: bool) -> None:
        print(f"{'ok  ' if cond else 'FAIL'} {what}")
        (passed if cond else failures).append(what)

    def attr(rib, prefix, t):
        return rib.get(prefix, {}).get(t)

    v6 = "2a01:1:1::/48"
    try:
        b = run("bird", bird, base, "", workdir)
        d = run("rsd", rsd, base + 1, "", workdir)
        f = run("rsd", rsd, base + 2,
                "forward unknown attributes on; max as path length 20;", workdir)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL: {type(e).__name__}: {e}")
        return 1
    # BIRD 2.0.12, as measured (the reference for docs/config.md "For BIRD users").
    expect("BIRD forwards an unknown transitive attribute with Partial",
           attr(b, "11.1.0.0/16", 240) == (0xE0, "deadbeef"))
    expect("BIRD drops an unknown non-transitive attribute", attr(b, "11.2.0.0/16", 241) is None)
    expect("BIRD forwards a broken Tunnel Encapsulation attribute",
           attr(b, "11.4.0.0/16", 23) == (0xE0, "0007000401ff"))
    expect("BIRD exports a 300-hop path", "11.30.0.0/16" in b)
    # rsd, defaults.
    expect("rsd (default) drops an unknown transitive attribute, keeps the route",
           "11.1.0.0/16" in d and attr(d, "11.1.0.0/16", 240) is None)
    expect("rsd (default) drops an unknown transitive attribute on IPv6 too",
           v6 in d and attr(d, v6, 240) is None)
    expect("rsd (default) drops an unknown non-transitive attribute",
           "11.2.0.0/16" in d and attr(d, "11.2.0.0/16", 241) is None)
    expect("rsd (default) drops a well-formed Tunnel Encapsulation",
           "11.3.0.0/16" in d and attr(d, "11.3.0.0/16", 23) is None)
    expect("rsd (default) treats a 300-hop path as withdrawn", "11.30.0.0/16" not in d)
    expect("rsd (default) exports a 21-hop path", "11.21.0.0/16" in d)
    # rsd, forwarding on and a limit of 20.
    expect("rsd (forward on) forwards an unknown transitive attribute with Partial",
           attr(f, "11.1.0.0/16", 240) == (0xE0, "deadbeef"))
    expect("rsd (forward on) forwards it on IPv6 too", attr(f, v6, 240) == (0xE0, "deadbeef"))
    expect("rsd (forward on) still drops an unknown non-transitive attribute",
           "11.2.0.0/16" in f and attr(f, "11.2.0.0/16", 241) is None)
    expect("rsd (forward on) forwards a well-formed Tunnel Encapsulation",
           attr(f, "11.3.0.0/16", 23) == (0xE0, "0007000601040a000001"))
    expect("rsd (forward on) never forwards a broken Tunnel Encapsulation, keeps the route",
           "11.4.0.0/16" in f and attr(f, "11.4.0.0/16", 23) is None)
    expect("rsd (forward on) keeps the good unknown attribute beside a broken Tunnel Encapsulation",
           attr(f, "11.5.0.0/16", 240) == (0xE0, "deadbeef") and attr(f, "11.5.0.0/16", 23) is None)
    expect("rsd (limit 20) exports a 20-hop path", "11.20.0.0/16" in f)
    expect("rsd (limit 20) treats a 21-hop path as withdrawn", "11.21.0.0/16" not in f)
    if failures:
        print(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{len(passed)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
