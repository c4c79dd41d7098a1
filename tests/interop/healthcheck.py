#!/usr/bin/env python3
"""healthcheck.py - the health-check process of a test service node (ExaBGP API).

ExaBGP runs this as `process health { run ...; encoder text; }`; every line it
prints on stdout is an ExaBGP API command.  What to announce comes from a JSON
state file that the test (or the demo) rewrites; it is re-read every 0.1 s:

    {"mode": "up"|"down", "meds": [m0, m1, m2], "v4": [...], "v6": [...],
     "nh4": "192.0.2.11", "nh6": "2001:db8::11", "outside": true,
     "extra": N, "bump": K}

* mode "up": announce service IP i of v4 and v6 with MED meds[i] and the
  node's next hops; with "outside", also 198.51.100.0/24 and 2001:db8:99::/48
  (which the route server's import filter must drop); "extra" adds N more
  /128s 2001:db8:30::1:0..N-1 with MED 200+bump (load for churn tests).
* mode "down": withdraw everything.
* --http URL: additionally, when GET URL fails (checked every 0.2 s, 1 s
  timeout) the node behaves as "down" (the wiki's health check).

Only changes are sent: the script remembers what it announced.  It exits when
its parent (ExaBGP) goes away.  Python 3 stdlib only.
"""

import argparse
import json
import os
import sys
import time
import urllib.request


def desired(state: dict, healthy: bool) -> dict:
    """prefix -> announce attributes (string) for the given state."""
    out = {}
    if state.get("mode", "up") != "up" or not healthy:
        return out
    meds = state.get("meds", [100, 100, 100])
    nh4, nh6 = state["nh4"], state["nh6"]
    for i, p in enumerate(state.get("v4", [])):
        out[p] = f"next-hop {nh4} med {meds[i % len(meds)]}"
    for i, p in enumerate(state.get("v6", [])):
        out[p] = f"next-hop {nh6} med {meds[i % len(meds)]}"
    if state.get("outside", False):
        out["198.51.100.0/24"] = f"next-hop {nh4} med 100"
        out["2001:db8:99::/48"] = f"next-hop {nh6} med 100"
    bump = int(state.get("bump", 0))
    for k in range(int(state.get("extra", 0))):
        out[f"2001:db8:30::1:{k:x}/128"] = f"next-hop {nh6} med {200 + bump}"
    return out


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return 200 <= r.status < 400
    except Exception:       # noqa: BLE001 - any failure means unhealthy
        return False


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--http")
    ap.add_argument("--interval", type=float, default=0.1)
    args = ap.parse_args()
    parent = os.getppid()
    sent: dict = {}
    last_http = 0.0
    healthy = True
    mtime = None
    state: dict = {}
    while True:
        if os.getppid() != parent:
            return 0
        try:
            st = os.stat(args.state)
            if (st.st_mtime_ns, st.st_ino) != mtime:
                with open(args.state) as f:
                    state = json.load(f)
                mtime = (st.st_mtime_ns, st.st_ino)
        except (OSError, ValueError):
            pass
        if args.http and time.monotonic() - last_http >= 0.2:
            healthy = http_ok(args.http)
            last_http = time.monotonic()
        if state:
            want = desired(state, healthy)
            lines = []
            for p in sorted(set(sent) - set(want)):
                lines.append(f"withdraw route {p} {sent[p]}")
            for p in sorted(want):
                if sent.get(p) != want[p]:
                    lines.append(f"announce route {p} {want[p]}")
            if lines:
                try:
                    sys.stdout.write("\n".join(lines) + "\n")
                    sys.stdout.flush()
                except BrokenPipeError:
                    return 0
                sent = want
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
