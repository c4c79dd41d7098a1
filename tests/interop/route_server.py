"""route_server.py - the route server under test: one description, two implementations.

RouteServer describes neighbours, filters and options once and writes BIRD 2
syntax, which rsd reads too.  BirdRouteServer runs BIRD 2 (adding BIRD-only
lines: an IGP table for next-hop resolution, `import table on`, debug; -R when
restarted); RsdRouteServer runs $RSD_BIN after `rsd --check` and raises RsdUnavailable (a test
failure) when rsd cannot run.
make_route_server() picks one from $RS_IMPL.  Python 3 stdlib only.
"""

import os
import signal
import subprocess
import unittest
from dataclasses import dataclass, field
from typing import Optional

from core import (BIRD, IMPORT_V4, IMPORT_V6, Lab, Proc, Timeout, birdc, parse_bird_protocols,
                  wait_until)

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
    options: list[str] = field(default_factory=list)  # extra protocol statements, as written
    channel_options: dict[str, str] = field(default_factory=dict)  # afi -> extra channel statements
    channels: tuple[str, ...] = ("ipv4", "ipv6")
    # Edge export policies per family (BIRD syntax after `export`); None: the defaults below.
    export4: Optional[str] = None
    export6: Optional[str] = None


# Every edge gets a different export filter per family, each passing only its own family's
# routes: were one family's routes ever run through the other family's channel filter (the
# classic dual-stack mistake), every IPv4 or IPv6 check of every scenario would see it.
EDGE_EXPORT_V4 = "filter { if net.type = NET_IP4 && net.len >= 24 then accept; reject; }"
EDGE_EXPORT_V6 = "where net.type = NET_IP6 && net.len >= 48"


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
    strict_bind: bool = True        # listen on the local address only (BIRD's default: off)
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
        extra += nb.channel_options.get(afi, "")
        if nb.role == "node":
            return f"    {afi} {{ import filter {{ {flt} }}; export none;{extra} }};\n"
        if afi == "ipv4":
            export = nb.export4 or EDGE_EXPORT_V4
        else:
            export = nb.export6 or EDGE_EXPORT_V6
        return f"    {afi} {{ import none; export {export};{extra} }};\n"

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
        # Each route server listens on its own address only (BIRD's default is the wildcard).
        if self.strict_bind:
            lines.append("    strict bind on;")
        lines += [f"    {o}" for o in nb.options]
        body = "\n".join(lines) + "\n" + "".join(self.channel(afi, nb) for afi in nb.channels) + "}\n"
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


class RsdUnavailable(AssertionError):
    """rsd cannot run the scenario (no binary, or a feature it lacks): the test fails."""


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


