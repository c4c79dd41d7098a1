"""harness.py - run real BGP daemons on loopback for rsd's interop tests.

Design
------
A test builds a small network out of real daemons, all on 127.0.0.0/8 (and
::1), none on port 179, none touching the kernel routing table:

* ``Lab`` owns one test's resources: a private temp dir, an address block
  ``127.0.SLOT.0/24`` (one slot per test module, so tests run in parallel),
  a port block ``20000 + 100*SLOT ...`` and every process it starts.  Every
  process runs in its own process group; ``Lab.close()`` stops each group it
  started (SIGTERM, then SIGKILL), always: via try/finally in the tests, an
  atexit hook and SIGTERM/SIGINT/SIGHUP handlers.  Daemon logs stay in the
  temp dir and are printed when a test fails (``Lab.dump_logs``).
* Daemons: ``ExaNode`` (ExaBGP 4.2 with a health-check process that announces
  what a small state file says), ``BirdRouter`` (BIRD 2 edge router),
  ``GobgpRouter`` (gobgpd with a private gRPC port), ``FrrRouter`` (FRR bgpd
  standalone: -Z -S -n, vty socket in the temp dir).  Each edge has
  ``routes(afi)`` returning ``{prefix: Route}`` (the best path only) and
  ``established(peer)``.
* Route servers: ``RouteServer`` describes the RS (neighbours, filters,
  options) once; ``BirdRouteServer`` runs it with BIRD 2 and
  ``RsdRouteServer`` with ``$RSD_BIN``.  rsd's configuration language is
  BIRD 2's, so both write the same text; BIRD gets three additions that rsd
  must not need: a private IGP table with a device route for 192.0.2.0/24 and
  2001:db8::/32 (BIRD resolves iBGP next hops recursively; rsd treats next hops
  as opaque), ``import table on`` (BIRD's Adj-RIB-In, which rsd always keeps)
  and ``-R`` (graceful-restart recovery) when restarted.
  ``make_route_server()`` picks the implementation from ``$RS_IMPL``
  (bird|rsd, default bird); when rsd cannot run the test is skipped (exit
  code 77 under ctest).
* ``wait_until(predicate, timeout)`` polls; tests never sleep blindly.

Service nodes announce next hops from 192.0.2.0/24 and 2001:db8::/32 (GoBGP
treats 127/8 next hops as invalid).  Python 3 stdlib only.
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


# --------------------------------------------------------------- ExaBGP --

HEALTH_SCRIPT = os.path.join(HERE, "healthcheck.py")


class ExaNode:
    """A service node: ExaBGP 4.2 plus a health-check process.

    The health-check process (healthcheck.py) re-reads a small JSON state file
    every 0.1 s and announces/withdraws accordingly; tests change the node's
    behaviour by rewriting that file (set_state)."""

    def __init__(self, lab: Lab, n: int, addr: str, peers: list[tuple[str, int]], asn: int,
                 peer_as: int, services4: Iterable[str] = (), services6: Iterable[str] = (),
                 meds: Optional[list[int]] = None, outside: bool = True, md5: Optional[str] = None,
                 http_url: Optional[str] = None, name: Optional[str] = None,
                 extra_routes: int = 0, hold: int = 90, graceful_restart: bool = False):
        self.lab, self.n, self.addr = lab, n, addr
        self.name = name or f"node{n}"
        self.state_file = lab.path(f"{self.name}.state.json")
        self.services4, self.services6 = list(services4), list(services6)
        state = {"mode": "up", "meds": meds or MEDS.get(n, [100, 100, 100]), "outside": outside,
                 "v4": self.services4, "v6": self.services6,
                 "nh4": node_nh4(n), "nh6": node_nh6(n), "extra": extra_routes, "bump": 0}
        self.state = state
        self._write_state()
        argv = [PYTHON, HEALTH_SCRIPT, "--state", self.state_file]
        if http_url:
            argv += ["--http", http_url]
        neighbors = []
        # Without graceful restart a killed node's routes go at once (a helper keeps them).
        gr = "capability { graceful-restart 120; }" if graceful_restart else ""
        for peer_addr, peer_port in peers:
            md5_line = f"md5-password \"{md5}\";" if md5 else ""
            neighbors.append(textwrap.dedent(f"""\
                neighbor {peer_addr} {{
                    description "{self.name} -> {peer_addr}:{peer_port}";
                    router-id 192.0.2.{10 + n};
                    local-address {addr};
                    local-as {asn};
                    peer-as {peer_as};
                    connect {peer_port};
                    hold-time {hold};
                    group-updates true;
                    {md5_line}
                    family {{ ipv4 unicast; ipv6 unicast; }}
                    {gr}
                    api {{ processes [ health ]; }}
                }}
                """))
        conf = "process health {\n    run " + " ".join(argv) + ";\n    encoder text;\n}\n" + "".join(neighbors)
        self.conf = lab.write(f"{self.name}.exabgp.conf", conf)
        self.proc: Optional[Proc] = None

    def start(self) -> "ExaNode":
        env = {"exabgp.daemon.user": "root", "exabgp.daemon.drop": "false",
               "exabgp.daemon.daemonize": "false", "exabgp.tcp.bind": "",
               "exabgp.log.destination": self.lab.path(f"{self.name}.log"),
               "exabgp.log.level": "INFO", "exabgp.api.cli": "false", "exabgp.api.ack": "false",
               "exabgp.tcp.delay": "0", "exabgp.tcp.attempts": "0",
               "exabgp.daemon.pid": ""}
        self.proc = self.lab.start(self.name, [EXABGP, self.conf], env)
        return self

    def _write_state(self) -> None:
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f)
        os.replace(tmp, self.state_file)

    def set_state(self, **kw) -> None:
        """mode='up'|'down' (withdraw everything), meds=[...], outside=bool."""
        self.state.update(kw)
        self._write_state()
        log(f"{self.lab.name}: {self.name} state {kw}")

    def kill9(self) -> None:
        assert self.proc
        self.proc.kill9()

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()

    def connect_count(self) -> int:
        """How many sessions ExaBGP has established so far (its log)."""
        try:
            with open(self.lab.path(f"{self.name}.log"), errors="replace") as f:
                return sum(1 for line in f if "connected to peer" in line)
        except FileNotFoundError:
            return 0


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


class BirdRouter:
    """A BIRD 2 edge router peering with one or more route servers."""

    def __init__(self, lab: Lab, name: str, addr: str, asn: int,
                 peers: list[tuple[str, int, int, str]], graceful_restart: bool = False,
                 md5: Optional[str] = None, hold: int = 90, transport6: Optional[str] = None,
                 port: Optional[int] = None, debug: str = "states, events, routes"):
        """peers: (name, addr, port, asn) of each route server."""
        self.lab, self.name, self.addr, self.asn = lab, name, addr, asn
        self.port = port or lab.port()
        self.sock = lab.path(f"{name}.ctl")
        self.log_path = lab.path(f"{name}.log")
        blocks = []
        for pname, paddr, pport, pasn in peers:
            local = addr if ":" not in paddr else (transport6 or "::1")
            ebgp = pasn != asn
            blocks.append(textwrap.dedent(f"""\
                protocol bgp {pname} {{
                    local {local} port {self.port} as {asn};
                    neighbor {paddr} port {pport} as {pasn};
                    {'multihop 8;' if ebgp else ''}
                    {'enforce first as off;' if ebgp else ''}
                    strict bind on;
                    hold time {hold};
                    connect delay time 1;
                    connect retry time 2;
                    error wait time 1, 2;
                    {'graceful restart on; graceful restart time 120;' if graceful_restart else 'graceful restart off;'}
                    {f'password "{md5}";' if md5 else ''}
                    ipv4 {{ import all; export none; igp table igp4; }};
                    ipv6 {{ import all; export none; igp table igp6; }};
                }}
                """))
        conf = textwrap.dedent(f"""\
            log "{self.log_path}" all;
            router id {addr if ':' not in addr else '192.0.2.254'};
            timeformat protocol iso long;
            timeformat route iso long;
            {f'debug protocols {{ {debug} }};' if debug else ''}
            ipv4 table igp4;
            ipv6 table igp6;
            protocol device {{ scan time 10; }}
            protocol static igp_v4 {{ ipv4 {{ table igp4; }}; route 192.0.2.0/24 via "lo"; }}
            protocol static igp_v6 {{ ipv6 {{ table igp6; }}; route 2001:db8::/32 via "lo"; }}
            """) + "".join(blocks)
        self.conf = lab.write(f"{name}.conf", conf)
        self.proc: Optional[Proc] = None

    def start(self) -> "BirdRouter":
        self.proc = self.lab.start(self.name, [BIRD, "-f", "-c", self.conf, "-s", self.sock,
                                               "-P", self.lab.path(f"{self.name}.pid")])
        wait_until(lambda: os.path.exists(self.sock) or not self.proc.alive(), 10,
                   f"{self.name} control socket")
        if not self.proc.alive():
            with open(self.proc.log_path, errors="replace") as f:
                raise RuntimeError(f"{self.name}: bird exited: {f.read().strip()}")
        return self

    def cmd(self, c: str) -> str:
        return birdc(self.sock, c)

    def routes(self, afi: str = "ipv4") -> dict[str, Route]:
        t = "master4" if afi == "ipv4" else "master6"
        return parse_bird_routes(self.cmd(f"show route all table {t}"))

    def protocols(self) -> dict[str, dict]:
        return parse_bird_protocols(self.cmd("show protocols"))

    def established(self, peer: str) -> bool:
        p = self.protocols().get(peer)
        return bool(p and p["state"] == "up" and "Established" in p["info"])

    def since(self, peer: str) -> str:
        return self.protocols()[peer]["since"]

    def established_count(self, peer: str) -> int:
        """How many times the session with peer came up (needs debug `states`/`events`)."""
        with open(self.log_path, errors="replace") as f:
            return sum(1 for line in f if f"{peer}: BGP session established" in line)


# ----------------------------------------------------------------- GoBGP --

class GobgpRouter:
    """gobgpd as an edge router; queried through its private gRPC port."""

    def __init__(self, lab: Lab, name: str, addr: str, asn: int,
                 peers: list[tuple[str, int, int, str]], hold: int = 90):
        self.lab, self.name, self.addr, self.asn = lab, name, addr, asn
        self.port = lab.port()
        self.api_port = lab.port()
        nbrs = []
        for _pname, paddr, pport, pasn in peers:
            ebgp = pasn != asn
            nbrs.append(textwrap.dedent(f"""\
                [[neighbors]]
                  [neighbors.config]
                    neighbor-address = "{paddr}"
                    peer-as = {pasn}
                  [neighbors.timers.config]
                    connect-retry = 1
                    hold-time = {hold}
                  [neighbors.transport.config]
                    local-address = "{addr}"
                    remote-port = {pport}
                  [neighbors.ebgp-multihop.config]
                    enabled = {'true' if ebgp else 'false'}
                    multihop-ttl = 8
                  [neighbors.graceful-restart.config]
                    enabled = true
                    restart-time = 120
                  [[neighbors.afi-safis]]
                    [neighbors.afi-safis.config]
                      afi-safi-name = "ipv4-unicast"
                  [[neighbors.afi-safis]]
                    [neighbors.afi-safis.config]
                      afi-safi-name = "ipv6-unicast"
                """))
        conf = textwrap.dedent(f"""\
            [global.config]
              as = {asn}
              router-id = "{addr}"
              port = {self.port}
              local-address-list = ["{addr}"]
            """) + "".join(nbrs)
        self.conf = lab.write(f"{name}.toml", conf)
        self.proc: Optional[Proc] = None

    def start(self) -> "GobgpRouter":
        self.proc = self.lab.start(self.name, [GOBGPD, "-f", self.conf, "-p", "--api-hosts",
                                               f"127.0.0.1:{self.api_port}", "--pprof-disable",
                                               "--log-level", "info"])
        wait_until(lambda: port_open("127.0.0.1", self.api_port), 15, f"{self.name} gRPC port")
        return self

    def cli(self, *args: str) -> str:
        r = subprocess.run([GOBGP, "-u", "127.0.0.1", "-p", str(self.api_port), *args],
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise RuntimeError(f"gobgp {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def routes(self, afi: str = "ipv4") -> dict[str, Route]:
        data = json.loads(self.cli("global", "rib", "-a", afi, "-j") or "{}")
        out = {}
        for pfx, paths in data.items():
            for p in paths:
                if not p.get("best"):
                    continue
                nh, med, path = "", None, ""
                for a in p.get("attrs", []):
                    if a.get("type") == 3:
                        nh = a.get("nexthop", "")
                    elif a.get("type") == 14:
                        nh = a.get("nexthop", nh)
                    elif a.get("type") == 4:
                        med = a.get("metric")
                    elif a.get("type") == 2:
                        segs = a.get("as_paths", [])
                        path = " ".join(str(x) for s in segs for x in s.get("asns", []))
                out[canonical(pfx)] = Route(canonical(pfx), nh, med, p.get("neighbor-ip", ""), path)
        return out

    def neighbor(self, addr: str) -> dict:
        return json.loads(self.cli("neighbor", addr, "-j"))

    def established(self, peer_addr: str) -> bool:
        st = self.neighbor(peer_addr).get("state", {})
        return st.get("session_state") == 6 or st.get("session-state") in (6, "established")

    def uptime(self, peer_addr: str) -> object:
        n = self.neighbor(peer_addr)
        return n.get("timers", {}).get("state", {}).get("uptime")


# ------------------------------------------------------------------- FRR --

class FrrRouter:
    """FRR bgpd standalone (no zebra, no kernel) as an edge router."""

    def __init__(self, lab: Lab, name: str, addr: str, asn: int,
                 peers: list[tuple[str, int, int, str]], hold: int = 90):
        self.lab, self.name, self.addr, self.asn = lab, name, addr, asn
        self.port = lab.port()
        self.vty_dir = lab.path(f"{name}.vty")
        os.makedirs(self.vty_dir, exist_ok=True)
        lines = [
            "frr defaults traditional", f"hostname {name}",
            f"log file {lab.path(name + '.log')} informational", "!",
            f"router bgp {asn}", f" bgp router-id {addr}", " no bgp ebgp-requires-policy",
            " no bgp default ipv4-unicast",
        ]
        for _pname, paddr, pport, pasn in peers:
            lines += [f" neighbor {paddr} remote-as {pasn}", f" neighbor {paddr} port {pport}",
                      f" neighbor {paddr} update-source {addr}",
                      f" neighbor {paddr} timers connect 1", f" neighbor {paddr} timers 30 {hold}"]
            if pasn != asn:
                lines += [f" neighbor {paddr} ebgp-multihop 8"]
        for fam in ("ipv4", "ipv6"):
            lines.append(f" address-family {fam} unicast")
            for _pname, paddr, _pport, _pasn in peers:
                lines.append(f"  neighbor {paddr} activate")
            lines.append(" exit-address-family")
        lines.append("exit")
        self.conf = lab.write(f"{name}.bgpd.conf", "\n".join(lines) + "\n")
        self.proc: Optional[Proc] = None

    def start(self) -> "FrrRouter":
        self.proc = self.lab.start(self.name, [
            FRR_BGPD, "-f", self.conf, "-i", self.lab.path(f"{self.name}.pid"), "-Z", "-S", "-n",
            "-p", str(self.port), "-l", self.addr, "-A", "127.0.0.1", "-P", "0",
            "--vty_socket", self.vty_dir])
        wait_until(lambda: os.path.exists(os.path.join(self.vty_dir, "bgpd.vty")), 10,
                   f"{self.name} vty socket")
        return self

    def vtysh(self, *cmds: str) -> str:
        argv = [VTYSH, "--vty_socket", self.vty_dir, "-d", "bgpd"]
        for c in cmds:
            argv += ["-c", c]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise RuntimeError(f"vtysh {cmds}: {r.stdout.strip()} {r.stderr.strip()}")
        return r.stdout

    def routes(self, afi: str = "ipv4") -> dict[str, Route]:
        data = json.loads(self.vtysh(f"show bgp {afi} unicast json") or "{}")
        out = {}
        for pfx, paths in data.get("routes", {}).items():
            for p in paths:
                if not p.get("bestpath"):
                    continue
                nhs = p.get("nexthops", [])
                nh = next((x.get("ip", "") for x in nhs if x.get("scope", "global") == "global"), "")
                out[canonical(pfx)] = Route(canonical(pfx), nh, p.get("metric"),
                                            p.get("peerId", ""), p.get("path", ""))
        return out

    def neighbor(self, addr: str) -> dict:
        return json.loads(self.vtysh(f"show bgp neighbors {addr} json")).get(addr, {})

    def established(self, peer_addr: str) -> bool:
        return self.neighbor(peer_addr).get("bgpState") == "Established"

    def established_count(self, peer_addr: str) -> int:
        return int(self.neighbor(peer_addr).get("connectionsEstablished", 0))

    def uptime(self, peer_addr: str) -> object:
        n = self.neighbor(peer_addr)
        # bgpTimerUpEstablishedEpoch: when the session came up (stable while up)
        return n.get("bgpTimerUpEstablishedEpoch")


# ----------------------------------------------------------- route server --

@dataclass
class Neighbor:
    name: str
    addr: str                       # remote address
    asn: int
    port: int = 179                 # remote port (for active connects)
    local: Optional[str] = None     # local address (default: the RS's)
    role: str = "node"              # node (import filtered, export none) | edge (export all)
    passive: bool = False
    password: Optional[str] = None
    range_: bool = False            # addr is a `neighbor range` prefix
    local_port: Optional[int] = None  # own listening port for this neighbour (default: the RS's)


@dataclass
class RouteServer:
    """What a test wants from the route server, independent of the implementation."""
    lab: Lab
    name: str
    addr: str
    asn: int = 65000
    port: int = 0
    router_id: str = ""
    neighbors: list[Neighbor] = field(default_factory=list)
    import_v4: str = IMPORT_V4
    import_v6: str = IMPORT_V6
    graceful_restart: bool = False
    hold: int = 90
    addr6: Optional[str] = None     # local address for IPv6-transport neighbours
    port6: Optional[int] = None
    debug: str = "states, events"   # BIRD `debug protocols` classes (BIRD only)
    impl = "abstract"

    def __post_init__(self):
        if not self.port:
            self.port = self.lab.port()
        if not self.router_id:
            self.router_id = self.addr
        self.sock = self.lab.path(f"{self.name}.ctl")
        self.conf_path = self.lab.path(f"{self.name}.conf")
        self.log_path = self.lab.path(f"{self.name}.log")
        self.proc: Optional[Proc] = None

    # --- config (BIRD 2 syntax: both implementations read it) ---
    def add(self, nb: Neighbor) -> Neighbor:
        self.neighbors.append(nb)
        return nb

    def bird_extras(self) -> bool:
        """True: add BIRD-only statements (IGP table, import table)."""
        return False

    def channel(self, afi: str, nb: Neighbor) -> str:
        flt = self.import_v4 if afi == "ipv4" else self.import_v6
        extra = ""
        if self.bird_extras():
            extra = f" igp table igp{afi[-1]}; import table on;"
        if nb.role == "node":
            return f"    {afi} {{ import filter {{ {flt} }}; export none;{extra} }};\n"
        return f"    {afi} {{ import none; export all;{extra} }};\n"

    def protocol(self, nb: Neighbor) -> str:
        six = ":" in nb.addr
        local = (nb.local or (self.addr6 if six else self.addr) or "::1")
        lport = nb.local_port or ((self.port6 or self.port) if six else self.port)
        ebgp = nb.asn != self.asn
        lines = [f"protocol bgp {nb.name} {{",
                 f"    local {local} port {lport} as {self.asn};",
                 (f"    neighbor range {nb.addr} as {nb.asn};" if nb.range_ else
                  f"    neighbor {nb.addr} port {nb.port} as {nb.asn};")]
        if ebgp:
            lines.append("    multihop 8;")
        # RFC 7947 route server client on eBGP; BIRD (and so the config language) allows only
        # `rr client` on iBGP sessions, which is how the wiki's iBGP route server reflects.
        lines += ["    rs client;" if ebgp else "    rr client;", f"    hold time {self.hold};", "    connect delay time 1;",
                  "    connect retry time 2;", "    error wait time 1, 2;"]
        if nb.passive or nb.range_:
            lines.append("    passive on;")
        if nb.password:
            lines.append(f"    password \"{nb.password}\";")
        if self.graceful_restart:
            lines.append("    graceful restart on;")
        if self.bird_extras():
            lines.append("    strict bind on;")
        body = "\n".join(lines) + "\n" + self.channel("ipv4", nb) + self.channel("ipv6", nb) + "}\n"
        return body

    def config_text(self) -> str:
        head = [f"log \"{self.log_path}\" all;", f"router id {self.router_id};",
                "timeformat protocol iso long;"]
        if self.bird_extras():
            head += [f"debug protocols {{ {self.debug} }};", "ipv4 table igp4;", "ipv6 table igp6;",
                     "protocol device { scan time 10; }",
                     'protocol static igp_v4 { ipv4 { table igp4; }; route 192.0.2.0/24 via "lo"; }',
                     'protocol static igp_v6 { ipv6 { table igp6; }; route 2001:db8::/32 via "lo"; }']
        return "\n".join(head) + "\n" + "".join(self.protocol(nb) for nb in self.neighbors)

    def write_config(self) -> str:
        return self.lab.write(f"{self.name}.conf", self.config_text())

    # --- lifecycle ---
    def start(self, recovering: bool = False) -> "RouteServer":
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()

    def kill9(self) -> None:
        assert self.proc
        self.proc.kill9()
        try:
            os.unlink(self.sock)
        except FileNotFoundError:
            pass

    def reload(self) -> None:
        """Soft reconfiguration: SIGHUP (BIRD and rsd both reload on it)."""
        assert self.proc
        os.kill(self.proc.pid, signal.SIGHUP)

    # --- queries over the control socket (BIRD's reply protocol; rsd speaks it too) ---
    def protocols(self) -> dict[str, dict]:
        return parse_bird_protocols(birdc(self.sock, "show protocols"))

    def established(self, name: str) -> bool:
        p = self.protocols().get(name)
        return bool(p and p["state"] == "up" and "Established" in p["info"])


class BirdRouteServer(RouteServer):
    impl = "bird"

    def bird_extras(self) -> bool:
        return True

    def start(self, recovering: bool = False) -> "BirdRouteServer":
        self.write_config()
        argv = [BIRD, "-f", "-c", self.conf_path, "-s", self.sock,
                "-P", self.lab.path(f"{self.name}.pid")]
        if recovering:
            argv.append("-R")
        self.proc = self.lab.start(self.name, argv)
        wait_until(lambda: os.path.exists(self.sock) or not self.proc.alive(), 10,
                   f"{self.name} control socket")
        if not self.proc.alive():
            raise RuntimeError(f"{self.name}: bird exited: see {self.proc.log_path}")
        return self


class RsdUnavailable(unittest.SkipTest):
    pass


def rsd_bin() -> str:
    return os.environ.get("RSD_BIN", "")


def rsd_unavailable_reason(conf_path: Optional[str] = None) -> Optional[str]:
    """Why rsd cannot run these tests, or None when it can."""
    b = rsd_bin()
    if not b:
        return "RSD_BIN is not set"
    if not (os.path.isfile(b) and os.access(b, os.X_OK)):
        return f"RSD_BIN={b} is not an executable file"
    if conf_path:
        try:
            r = subprocess.run([b, "--check", "-c", conf_path], capture_output=True, text=True,
                               timeout=20)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"rsd --check failed to run: {e}"
        msg = (r.stdout + r.stderr).strip()
        if "not part of" in msg:
            return f"rsd cannot run yet: {msg}"
        if r.returncode != 0:
            # A config rsd rejects is a real failure, not a skip: report it.
            raise AssertionError(f"rsd --check rejected the generated config ({conf_path}):\n{msg}")
    return None


class RsdRouteServer(RouteServer):
    impl = "rsd"

    def start(self, recovering: bool = False) -> "RsdRouteServer":
        self.write_config()
        why = rsd_unavailable_reason(self.conf_path)
        if why:
            raise RsdUnavailable(why)
        self.proc = self.lab.start(self.name, [rsd_bin(), "-c", self.conf_path, "-s", self.sock,
                                               "-f", "-P", self.lab.path(f"{self.name}.pid")])
        try:
            wait_until(lambda: os.path.exists(self.sock) or not self.proc.alive(), 15,
                       f"{self.name} control socket")
        except Timeout:
            pass                            # no control socket yet: sessions still tell
        if not self.proc.alive():
            with open(self.proc.log_path, errors="replace") as f:
                out = f.read()
            if "not part of" in out:
                raise RsdUnavailable(f"rsd cannot run yet: {out.strip()}")
            raise RuntimeError(f"{self.name}: rsd exited at start: {out.strip()}")
        return self


def rs_impl() -> str:
    return os.environ.get("RS_IMPL", "bird")


def make_route_server(lab: Lab, name: str, addr: str, impl: Optional[str] = None, **kw) -> RouteServer:
    impl = impl or rs_impl()
    if impl == "bird":
        return BirdRouteServer(lab, name, addr, **kw)
    if impl == "rsd":
        return RsdRouteServer(lab, name, addr, **kw)
    raise ValueError(f"RS_IMPL={impl}: expected bird or rsd")


# ---------------------------------------------------------- test helpers --

class InteropTest(unittest.TestCase):
    """Base class: one Lab per test method, logs printed on failure."""

    SLOT = 0                          # set by each scenario module
    maxDiff = None
    lab: Lab

    def setUp(self):
        self.lab = Lab(f"{type(self).__name__}.{self._testMethodName}", self.SLOT)
        self.t0 = time.monotonic()

    def tearDown(self):
        failed = self._outcome_failed()
        if failed:
            self.lab.dump_logs()
            self.lab.keep = True            # configs and full logs stay for a post-mortem
        self.lab.close()
        log(f"{self.lab.name}: {'FAILED' if failed else 'done'} in {time.monotonic() - self.t0:.1f} s")

    def _outcome_failed(self) -> bool:
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        res = getattr(outcome, "result", None)
        errs = list(getattr(res, "errors", [])) + list(getattr(res, "failures", []))
        return any(t is self for t, _ in errs) or not getattr(outcome, "success", True)

    def skip_for_bird(self, why: str) -> None:
        if rs_impl() == "bird" and os.environ.get("INTEROP_NO_BIRD_SKIP") != "1":
            self.skipTest(f"RS_IMPL=bird: {why}")


def expected_primary(meds: dict[int, list[int]], alive: Iterable[int]) -> list[int]:
    """For each service index, the node with the lowest MED among alive nodes."""
    alive = list(alive)
    return [min(alive, key=lambda n: (meds[n][i], n)) for i in range(3)]


def missing_tools() -> list[str]:
    return [t for t in (BIRD, BIRDC, EXABGP, GOBGPD, GOBGP, FRR_BGPD, VTYSH)
            if not (os.path.isfile(t) and os.access(t, os.X_OK))]


def main() -> None:
    """unittest main that maps 'all tests skipped' to exit code 77 for ctest."""
    missing = missing_tools()
    if missing:
        print(f"SKIP: missing daemons/tools: {' '.join(missing)} (scripts/setup installs them)")
        sys.exit(SKIP_CODE)
    if rs_impl() == "rsd":
        why = rsd_unavailable_reason()
        if why:
            print(f"SKIP: RS_IMPL=rsd: {why}")
            sys.exit(SKIP_CODE)
    # A deadline below ctest's TIMEOUT: fail with logs and a clean teardown instead of being killed.
    deadline = float(os.environ.get("INTEROP_DEADLINE", "0") or 0)
    if deadline > 0:
        def _deadline(_signum, _frame):
            raise Timeout(f"scenario deadline of {deadline:.0f} s (INTEROP_DEADLINE) reached")
        signal.signal(signal.SIGALRM, _deadline)
        signal.alarm(int(deadline))
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(SKIP_CODE)
    sys.exit(0)
