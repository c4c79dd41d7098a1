#!/usr/bin/env python3
"""End to end: rsd with health ingestion and a BIRD 2 edge router; the edge's best path follows health.

Two service nodes offer 203.0.113.50/32. Node A is a `process` block running the ExaBGP-style HA
script (tests/interop/ha_healthcheck.py, next hop 192.0.2.11, MED 100); node B is a built-in
`healthcheck` (a command check, next hop 192.0.2.12, MED 200). The edge (BIRD, own loopback address
and port, stopped by PID) must prefer A while A is healthy, move to B when A's check fails, and come
back to A when it recovers. Also checked: the first export waits for the health checks (startup
hold): the edge never sees B alone while A is healthy at start.

Usage: test_health_bird.py RSD_BINARY SOURCE_DIR. Exit 0 = pass; no bird is a failure.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIRD = shutil.which("bird") or "/usr/sbin/bird"
BIRDC = shutil.which("birdc") or "/usr/sbin/birdc"
PREFIX = "203.0.113.50/32"


def free_port(addr):
    """A free port below the ephemeral range (see tests/cli/rsdtest.py): one the kernel hands out
    for outgoing connections can be taken by another test between this choice and the bind."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(10000, 17000)
        with socket.socket() as s:
            try:
                s.bind((addr, port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 10000-16999")


def wait_until(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)

def edge_protocol(rs_addr, rs_port, edge_addr, edge_port):
    """rsd's side of the session to the BIRD edge (route-server client, next hop kept)."""
    return f"""protocol bgp edge {{
  local {rs_addr} port {rs_port} as 65000;
  neighbor {edge_addr} port {edge_port} as 65100;
  multihop 8;
  rs client;
  hold time 30;
  connect delay time 1;
  connect retry time 1;
  ipv4 {{ import none; export all; next hop keep; }};
}}
"""


def start_bird_edge(tmp, router_id, rs_addr, rs_port, edge_addr, edge_port, procs):
    """Starts BIRD 2 as the edge router peering with rsd (192.0.2.0/24 resolvable via lo); the
    process is appended to `procs` (the caller stops it). Returns BIRD's control socket path."""
    bird_conf = os.path.join(tmp, "bird.conf")
    bird_sock = os.path.join(tmp, "bird.ctl")
    with open(bird_conf, "w") as f:
        f.write(f"""
log "{tmp}/bird.log" all;
router id {router_id};
ipv4 table igp4;
protocol device {{ scan time 10; }}
protocol static igp_v4 {{ ipv4 {{ table igp4; }}; route 192.0.2.0/24 via "lo"; }}
protocol bgp rsd1 {{
  local {edge_addr} port {edge_port} as 65100;
  neighbor {rs_addr} port {rs_port} as 65000;
  multihop 8;
  enforce first as off;
  strict bind on;
  hold time 30;
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 2;
  ipv4 {{ import all; export none; igp table igp4; }};
}}
""")
    with open(os.path.join(tmp, "bird.err"), "w") as err:
        procs.append(subprocess.Popen([BIRD, "-f", "-c", bird_conf, "-s", bird_sock, "-P",
                                       os.path.join(tmp, "bird.pid")], stdout=subprocess.DEVNULL, stderr=err))
    wait_until(lambda: os.path.exists(bird_sock), 10, "bird control socket")
    return bird_sock



def birdc(sock, cmd):
    r = subprocess.run([BIRDC, "-s", sock] + cmd.split(), capture_output=True, text=True, timeout=5)
    return r.stdout


def best_next_hop(sock):
    """The BGP.next_hop of the best route for PREFIX at the edge, or None."""
    out = birdc(sock, "show route all " + PREFIX)
    best = False
    for line in out.splitlines():
        s = line.strip()
        if "unicast [" in s or "unreachable [" in s:
            best = s.rstrip().endswith("*") or " * " in s or "] *" in s
            continue
        if best and s.startswith("BGP.next_hop:"):
            return s.split(":", 1)[1].split()[0]
    return None


def main():
    if len(sys.argv) < 3:
        print("FAIL: usage: test_health_bird.py RSD_BINARY SOURCE_DIR")
        return 2
    if not os.path.exists(BIRD):
        print("FAIL: bird2 not installed (scripts/setup installs it)")
        return 1
    rsd, src = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="rsd_health_bird_")
    # rsd runs as root here, so the script and the check run as nobody: they must reach the flags.
    os.chmod(tmp, 0o755)
    procs = []
    ok = False
    try:
        rs_addr, edge_addr = "127.0.7.1", "127.0.7.2"
        rs_port, edge_port = free_port(rs_addr), free_port(edge_addr)
        flag_a = os.path.join(tmp, "a-up")
        flag_b = os.path.join(tmp, "b-up")
        open(flag_a, "w").close()
        open(flag_b, "w").close()
        rsd_conf = os.path.join(tmp, "rsd.conf")
        with open(rsd_conf, "w") as f:
            f.write(f"""
router id 10.255.0.1;
health {{ startup hold 20 s; state file "{tmp}/state.db"; }}
process node_a {{
  run "python3 {src}/tests/interop/ha_healthcheck.py --flag {flag_a} --prefix {PREFIX} --med 100 --interval 0.1";
  next hop 192.0.2.11;
}}
healthcheck node_b {{
  command "/usr/bin/test -e {flag_b}";
  interval 200 ms; fast interval 800 ms; timeout 2 s; rise 5; fall 2;
  route {PREFIX} next hop 192.0.2.12 med 200;
  increase 0;
}}
{edge_protocol(rs_addr, rs_port, edge_addr, edge_port)}""")
        bird_sock = start_bird_edge(tmp, "10.255.0.2", rs_addr, rs_port, edge_addr, edge_port, procs)
        rsd_log = open(os.path.join(tmp, "rsd.log"), "w")
        rs = subprocess.Popen([rsd, "-f", "-c", rsd_conf], stdout=rsd_log, stderr=subprocess.STDOUT)
        procs.append(rs)

        # Health-aware start: node B needs 5 good runs 0.8 s apart (~3.2 s) to settle; A's route
        # is in the RIB at once and the session comes up in about a second, yet the edge must
        # receive nothing before B settled; then A's route (never B alone while A is fine).
        seen = []
        first_seen = None
        end = time.time() + 40
        while time.time() < end:
            nh = best_next_hop(bird_sock)
            if nh and first_seen is None:
                first_seen = time.time()
            if nh and (not seen or seen[-1] != nh):
                seen.append(nh)
            if nh == "192.0.2.11":
                break
            time.sleep(0.05)
        assert seen and seen[0] == "192.0.2.11", f"first best path seen at the edge: {seen}"
        rsd_log.flush()
        settled = None
        established = None
        with open(os.path.join(tmp, "rsd.log")) as f:
            for line in f:
                stamp = line[0:23]  # BIRD's log line: `YYYY-MM-DD HH:MM:SS.mmm <CLASS> text`
                if "healthcheck node_b: RISING -> UP" in line and settled is None:
                    settled = time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) + float("0" + stamp[19:])
                if "edge: established" in line and established is None:
                    established = time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) + float("0" + stamp[19:])
        assert settled and established, "rsd log lacks the settle / established lines"
        assert established + 0.5 < settled, "the session came up too late for the hold to matter"
        assert first_seen >= settled - 0.05, f"edge saw a route {settled - first_seen:.2f} s before the checks settled"
        print(f"held: session up {settled - established:.2f} s before the checks settled")

        # A fails: the edge moves to B.
        os.unlink(flag_a)
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.12", 15, "failover to node B")
        # A recovers: back to A (lower MED).
        open(flag_a, "w").close()
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.11", 15, "failback to node A")
        # Both fail: B is announced with its down MED (1000) as long as it is the only path; A gone.
        os.unlink(flag_a)
        os.unlink(flag_b)
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.12", 15, "B only")
        out = birdc(bird_sock, "show route all " + PREFIX)
        try:
            wait_until(lambda: "BGP.med: 1000" in birdc(bird_sock, "show route all " + PREFIX), 15, "B at down MED")
        except AssertionError:
            print(birdc(bird_sock, "show route all " + PREFIX))
            raise

        # Restart rsd under maintenance (set in the state file, as `maintenance node_b on` stores
        # it): B is healthy again, yet the edge only ever sees it with the disabled MED (500).
        rs.send_signal(signal.SIGTERM)
        rs.wait(timeout=10)
        import sqlite3
        db = sqlite3.connect(os.path.join(tmp, "state.db"))
        db.execute("INSERT OR REPLACE INTO operator_state(name, kind, value, since) VALUES ('node_b', 'maintenance', 'on', 0)")
        db.commit()
        db.close()
        open(flag_b, "w").close()
        wait_until(lambda: best_next_hop(bird_sock) is None, 20, "routes gone with rsd")
        rs = subprocess.Popen([rsd, "-f", "-c", rsd_conf], stdout=rsd_log, stderr=subprocess.STDOUT)
        procs.append(rs)
        meds = set()
        end = time.time() + 12
        while time.time() < end:
            out = birdc(bird_sock, "show route all " + PREFIX)
            for line in out.splitlines():
                if "BGP.med:" in line:
                    meds.add(int(line.split(":", 1)[1]))
            time.sleep(0.1)
        assert meds == {500}, f"MEDs seen at the edge after a restart under maintenance: {meds}"
        ok = True
        print("PASS: edge best path followed health:", seen, out.count("BGP.next_hop"))
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp, "for inspection")
            for name in ("rsd.log", "bird.log", "bird.err"):
                try:
                    with open(os.path.join(tmp, name), errors="replace") as f:
                        print("----", name)
                        print(f.read()[-4000:])
                except FileNotFoundError:
                    pass


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAIL:", e)
        sys.exit(1)
