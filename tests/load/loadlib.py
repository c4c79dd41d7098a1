"""loadlib.py - what the load tests share: the interop harness (tests/interop), rsd's own figures
(`show memory`, /proc), BIRD edges counted cheaply, and the route server set up for Python
speakers as feeders."""

from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

import harness as h  # noqa: E402
from speaker import Peer, Speakers  # noqa: E402,F401

UNITS = {"B": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def show_memory(rs) -> dict[str, int]:
    """`show memory` of rsd: {line name: bytes} (0.1-unit resolution)."""
    out = {}
    for line in h.birdc(rs.sock, "show memory").splitlines():
        m = re.match(r"^\s*(?:\d{4}-)?\s*([A-Za-z][A-Za-z ()/-]*?):\s+([\d.]+)\s+(B|kB|MB|GB)\s*$", line)
        if m:
            out[m.group(1).strip()] = int(float(m.group(2)) * UNITS[m.group(3)])
    if "Total" not in out:
        raise AssertionError(f"show memory: no Total line in {out}")
    return out


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def bird_count(edge, table: str, where: str = "") -> int:
    """Routes in a BIRD edge's table (optionally `where EXPR`), from `show route ... count`."""
    cmd = f"show route table {table}" + (f" where {where}" if where else "") + " count"
    out = edge.cmd(cmd)
    m = re.search(r"(\d+) of (\d+) routes", out)
    if not m:
        raise AssertionError(f"{edge.name}: {cmd}: {out!r}")
    return int(m.group(1))


def accept_all_rs(lab, name: str = "rs1", **kw):
    """A route server whose feeders' import filters accept everything."""
    return h.make_route_server(lab, name, lab.addr(1), import_v4="accept;", import_v6="accept;",
                               **kw)


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.2f} MB"
