"""core.py - the interop harness's base: processes, labs, polling, routes, BIRD control-socket parsing.

Design: see harness.py (the module tests import).  A Lab owns one test's addresses
(127.0.SLOT.0/24), ports (20000+100*SLOT...), temp dir and processes; every
process runs in its own process group and is stopped by Lab.close(), which
runs from tearDown, an atexit hook and signal handlers.  Python 3 stdlib only.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP_CODE = 77                      # ctest SKIP_RETURN_CODE

BIRD = shutil.which("bird") or "/usr/sbin/bird"
BIRDC = shutil.which("birdc") or "/usr/sbin/birdc"
EXABGP = shutil.which("exabgp") or "/usr/sbin/exabgp"
GOBGPD = shutil.which("gobgpd") or "/usr/bin/gobgpd"
GOBGP = shutil.which("gobgp") or "/usr/bin/gobgp"
FRR_BGPD = "/usr/lib/frr/bgpd"
VTYSH = shutil.which("vtysh") or "/usr/bin/vtysh"
# ExaBGP is a Debian package for the system interpreter; run health checks
# with the same interpreter that runs the tests.
PYTHON = sys.executable or "python3"

SERVICE_V4 = ["203.0.113.10/32", "203.0.113.11/32", "203.0.113.12/32"]
SERVICE_V6 = ["2001:db8:30::1/128", "2001:db8:30::2/128", "2001:db8:30::3/128"]
# The wiki's MED table: MEDS[node][i] is node's MED for service IP i.
MEDS = {1: [100, 101, 102], 2: [101, 100, 102], 3: [102, 101, 100]}
# Import filters of the route server: service IPs only.
IMPORT_V4 = "if net ~ [ 203.0.113.0/24{32,32} ] then accept; reject;"
IMPORT_V6 = "if net ~ [ 2001:db8:30::/64{128,128} ] then accept; reject;"
# Prefixes every node also announces, which the import filter must drop.
OUTSIDE_V4 = "198.51.100.0/24"
OUTSIDE_V6 = "2001:db8:99::/48"


def node_nh4(n: int) -> str:
    """Next hop that service node n announces for IPv4 (documentation range)."""
    return f"192.0.2.{10 + n}"


def node_nh6(n: int) -> str:
    return f"2001:db8::{10 + n}"


def log(msg: str) -> None:
    if os.environ.get("INTEROP_VERBOSE", "1") != "0":
        sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
        sys.stderr.flush()


# --------------------------------------------------------------- polling --

class Timeout(AssertionError):
    pass


def wait_until(predicate: Callable[[], object], timeout: float, what: str = "",
               interval: float = 0.1) -> object:
    """Re-evaluate predicate until it returns something truthy; return that.

    Exceptions from the predicate count as 'not yet' (a daemon that is still
    starting refuses its control socket); the last one is reported."""
    deadline = time.monotonic() + timeout
    last_exc: Optional[BaseException] = None
    last_val: object = None
    while True:
        try:
            last_val = predicate()
            if last_val:
                return last_val
        except Exception as exc:        # noqa: BLE001 - reported below
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f"; last error: {last_exc!r}" if last_exc else f"; last value: {last_val!r}"
            raise Timeout(f"timed out after {timeout:.1f} s waiting for {what or predicate}{detail}")
        time.sleep(interval)


def port_open(addr: str, port: int) -> bool:
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((addr, port)) == 0


# ------------------------------------------------------------- processes --

_ALL_LABS: list["Lab"] = []


def _cleanup_all() -> None:
    for lab in list(_ALL_LABS):
        lab.close()


def _on_signal(signum, _frame) -> None:
    _cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_cleanup_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except ValueError:                  # not the main thread
        pass


class Proc:
    """One daemon started by a Lab: its own process group, its own log."""

    def __init__(self, lab: "Lab", name: str, argv: list[str], env: Optional[dict] = None,
                 cwd: Optional[str] = None):
        self.lab, self.name, self.argv = lab, name, argv
        self.log_path = os.path.join(lab.dir, f"{name}.out")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self._out = open(self.log_path, "ab")
        self.popen = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=full_env,
                                      cwd=cwd or lab.dir, start_new_session=True)
        self.pid = self.popen.pid
        lab.procs.append(self)
        log(f"{lab.name}: started {name} pid {self.pid}")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        """Signal the daemon's process group (it and its helpers)."""
        if self.alive():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill9(self) -> None:
        """kill -9 of the daemon itself (its helpers are left to notice)."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait()
        log(f"{self.lab.name}: killed -9 {self.name}")

    def stop(self, timeout: float = 5.0) -> None:
        if self.alive():
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait()
        # helpers that outlived their parent (same process group)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if not self._out.closed:
            self._out.close()


class Lab:
    """One test's private world: addresses, ports, temp dir, processes."""

    def __init__(self, name: str, slot: int):
        # INTEROP_SLOT_OFFSET moves every slot, for two test runs on one machine at once.
        slot += int(os.environ.get("INTEROP_SLOT_OFFSET", "0") or 0)
        assert 1 <= slot <= 120, "slot selects 127.0.SLOT.0/24 and ports 20000+100*SLOT"
        self.name, self.slot = name, slot
        self.dir = tempfile.mkdtemp(prefix=f"rsd-interop-{name}-")
        self.procs: list[Proc] = []
        self._next_port = 20000 + 100 * slot
        self.keep = os.environ.get("INTEROP_KEEP") == "1"
        self.closed = False
        _ALL_LABS.append(self)

    def addr(self, host: int) -> str:
        return f"127.0.{self.slot}.{host}"

    def port(self) -> int:
        p = self._next_port
        self._next_port += 1
        assert p < 20000 + 100 * (self.slot + 1)
        return p

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def write(self, name: str, text: str) -> str:
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def start(self, name: str, argv: list[str], env: Optional[dict] = None) -> Proc:
        return Proc(self, name, argv, env)

    def dump_logs(self, stream=sys.stderr, tail: int = 60, skip: tuple = ()) -> None:
        stream.write(f"\n===== logs of {self.name} in {self.dir} =====\n")
        for fn in sorted(os.listdir(self.dir)):
            if not (fn.endswith(".out") or fn.endswith(".log")) or fn.startswith(skip):
                continue
            try:
                with open(os.path.join(self.dir, fn), errors="replace") as f:
                    lines = f.readlines()
            except OSError:
                continue
            stream.write(f"----- {fn} (last {min(tail, len(lines))} of {len(lines)} lines) -----\n")
            stream.writelines(lines[-tail:])
        stream.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for p in reversed(self.procs):
            p.stop()
        if self in _ALL_LABS:
            _ALL_LABS.remove(self)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f"{self.name}: kept {self.dir}")


# ------------------------------------------------------------------ routes --

@dataclass(frozen=True)
class Route:
    """The best path an edge holds for one prefix."""
    prefix: str
    next_hop: str
    med: Optional[int] = None
    from_addr: str = ""             # the peer it was learned from
    as_path: str = ""

    def node(self) -> Optional[int]:
        """Which service node announced it (from the next hop), or None."""
        m = re.fullmatch(r"192\.0\.2\.1(\d)", self.next_hop) or \
            re.fullmatch(r"2001:db8::1(\d)", self.next_hop)
        return int(m.group(1)) if m else None


def canonical(prefix: str) -> str:
    import ipaddress
    return str(ipaddress.ip_network(prefix, strict=False))


# ------------------------------------------------------------------ BIRD --

def birdc(sock: str, cmd: str, timeout: float = 5.0) -> str:
    r = subprocess.run([BIRDC, "-s", sock] + cmd.split(), capture_output=True, text=True,
                       timeout=timeout)
    out = r.stdout
    if r.returncode != 0 or "Unable to connect" in out or out.startswith("Unable"):
        raise RuntimeError(f"birdc {cmd}: rc {r.returncode}: {out.strip()} {r.stderr.strip()}")
    return out


_ROUTE_LINE = re.compile(
    r"^(?P<net>\S+)?\s+(?P<type>unicast|unreachable|blackhole|prohibited)\s+\[(?P<proto>\S+)\s+"
    r"(?P<since>[^\]]*?)(?:\s+from\s+(?P<from>\S+))?\]\s+(?P<best>\*)?")


def parse_bird_routes(text: str) -> dict[str, Route]:
    """Parse `show route all` output into {prefix: best Route}."""
    best: dict[str, Route] = {}
    net = None
    cur: Optional[dict] = None

    def flush():
        if cur and cur["best"]:
            best[cur["net"]] = Route(cur["net"], cur.get("nh", ""), cur.get("med"),
                                     cur.get("from", ""), cur.get("path", ""))

    for line in text.splitlines():
        m = _ROUTE_LINE.match(line)
        if m:
            flush()
            if m.group("net"):
                net = canonical(m.group("net"))
            cur = {"net": net, "best": bool(m.group("best")), "from": m.group("from") or ""}
            continue
        if cur is None:
            continue
        s = line.strip()
        if s.startswith("BGP.next_hop:"):
            cur["nh"] = s.split(":", 1)[1].split()[0]
        elif s.startswith("BGP.med:"):
            cur["med"] = int(s.split(":", 1)[1])
        elif s.startswith("BGP.as_path:"):
            cur["path"] = s.split(":", 1)[1].strip()
    flush()
    return best


def parse_bird_protocols(text: str) -> dict[str, dict]:
    """`show protocols` -> {name: {proto, state, since, info}}."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[1] in ("BGP", "Static", "Device", "Direct", "Kernel"):
            # name proto table state since... info
            name, proto, _table, state = parts[:4]
            rest = parts[4:]
            # since is 1 or 2 tokens (iso long: date + time)
            if len(rest) >= 2 and re.match(r"\d{4}-\d\d-\d\d$", rest[0]):
                since, info = " ".join(rest[:2]), " ".join(rest[2:])
            else:
                since, info = rest[0], " ".join(rest[1:])
            out[name] = {"proto": proto, "state": state, "since": since, "info": info}
    return out


