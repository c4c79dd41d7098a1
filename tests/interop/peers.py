"""peers.py - the real BGP daemons around the route server: ExaBGP nodes and BIRD/GoBGP/FRR edges.

ExaNode: ExaBGP 4.2 plus healthcheck.py, which announces what a JSON state file
says.  BirdRouter, GobgpRouter, FrrRouter: edge routers peering with one or more
route servers; each has routes(afi) -> {prefix: best Route}, established(peer)
and a session-reset counter.  Python 3 stdlib only.
"""

import json
import os
import subprocess
import textwrap
from typing import Iterable, Optional

from core import (BIRD, EXABGP, FRR_BGPD, GOBGP, GOBGPD, HERE, MEDS, PYTHON, VTYSH, BIRDC, Lab, Proc,
                  Route, birdc, canonical, log, node_nh4, node_nh6, parse_bird_protocols,
                  parse_bird_routes, port_open, wait_until)

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



def missing_tools() -> list[str]:
    return [t for t in (BIRD, BIRDC, EXABGP, GOBGPD, GOBGP, FRR_BGPD, VTYSH)
            if not (os.path.isfile(t) and os.access(t, os.X_OK))]
