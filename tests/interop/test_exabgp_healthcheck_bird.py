#!/usr/bin/env python3
"""ExaBGP's own health-check program, unchanged, under rsd `process` blocks; a BIRD 2 edge follows it.

The ExaBGP wiki's high-availability pages send operators to ExaBGP's health-check program
(`python3 -m exabgp healthcheck`, shipped with ExaBGP 4.2: rise/fall, up/down/disabled metrics as
MEDs, a disable file, `next-hop self` unless --next-hop is given). Here it runs exactly as an ExaBGP
`process` would run it, from the installed package (not copied into this repository), for two
nodes of one service IP 203.0.113.60/32:

  node_a: up MED 100, next hop from the block (`next hop 192.0.2.21`: the program says `self`),
          rise 3 with 0.4 s between runs: it announces only after about a second;
  node_b: up MED 200, next hop 192.0.2.22, rise 1: it announces at once.

Asserted at the BIRD edge (own loopback addresses and ports, stopped by PID):
  * the startup hold waits for both processes: the first best path the edge ever sees is node_a's,
    never node_b's alone while node_a is still rising;
  * node_a's check fails: it announces its down MED (1000): the edge moves to node_b;
  * node_a recovers: back to node_a; node_a's disable file: disabled MED 500 > 200: node_b;
  * the program is killed: rsd restarts it and the edge comes back to node_a;
  * rsd's history (`history ... routes where`, SQLite) lists each of those moves in `show failovers`
    with old and new best path and the time to the UPDATE.

Usage: test_exabgp_healthcheck_bird.py RSD_BINARY SOURCE_DIR. Exit 0 = pass; a missing program fails.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_health_bird import BIRD, birdc, edge_protocol, free_port, start_bird_edge, wait_until  # noqa: E402

PREFIX = "203.0.113.60/32"
PYTHON = "/usr/bin/python3"


def exabgp_healthcheck_available():
    try:
        return subprocess.run([PYTHON, "-m", "exabgp", "healthcheck", "--help"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def best_next_hop(sock):
    """The BGP.next_hop of the edge's best route for PREFIX, or None."""
    best = False
    for line in birdc(sock, "show route all " + PREFIX).splitlines():
        s = line.strip()
        if "unicast [" in s or "unreachable [" in s:
            best = " * " in s or s.endswith("*")
            continue
        if best and s.startswith("BGP.next_hop:"):
            return s.split(":", 1)[1].split()[0]
    return None


def med_of_best(sock):
    out = birdc(sock, "show route all " + PREFIX)
    for line in out.splitlines():
        if "BGP.med:" in line:
            return int(line.split(":", 1)[1])
    return None


def control(path, command):
    """One command over rsd's control socket (BIRD's reply-code protocol); the reply's lines."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(10)
        c.connect(path)
        f = c.makefile("rw", encoding="utf-8", newline="\n")
        f.readline()  # 0001 welcome
        f.write(command + "\n")
        f.flush()
        lines = []
        while True:
            line = f.readline()
            if not line:
                raise AssertionError(f"{command}: connection closed after {lines}")
            lines.append(line.rstrip("\n"))
            if len(line) > 4 and line[:4].isdigit() and line[4] == " ":
                return lines


def main():
    if len(sys.argv) < 3:
        print("FAIL: usage: test_exabgp_healthcheck_bird.py RSD_BINARY SOURCE_DIR")
        return 2
    if not os.path.exists(BIRD):
        print("FAIL: bird2 not installed (scripts/setup installs it)")
        return 1
    if not exabgp_healthcheck_available():
        print("FAIL: ExaBGP 4.2 (python3 -m exabgp healthcheck) not installed (scripts/setup installs it)")
        return 1
    rsd = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="rsd_exa_hc_")
    # rsd runs as root here, so the programs run as nobody: they must reach the flag files.
    os.chmod(tmp, 0o755)
    procs = []
    ok = False
    try:
        rs_addr, edge_addr = "127.0.7.11", "127.0.7.12"
        rs_port, edge_port = free_port(rs_addr), free_port(edge_addr)
        flag_a, flag_b = os.path.join(tmp, "a-up"), os.path.join(tmp, "b-up")
        disable_a = os.path.join(tmp, "a-disabled")
        open(flag_a, "w").close()
        open(flag_b, "w").close()

        def hc(name, flag, up, rise, interval, extra=""):
            # The program's own options, as an ExaBGP `process` line would give them.
            return (f"{PYTHON} -m exabgp healthcheck --name {name} --no-syslog "
                    f"--no-ip-setup --ip {PREFIX} --cmd 'test -e {flag}' "
                    f"--interval {interval} --fast-interval {interval} --rise {rise} --fall 2 "
                    f"--up-metric {up} --down-metric 1000 --disabled-metric 500 {extra}")

        rsd_conf = os.path.join(tmp, "rsd.conf")
        with open(rsd_conf, "w") as f:
            f.write(f"""
router id 10.255.0.11;
health {{ startup hold 20 s; }}
history "{tmp}/history.db" {{ routes where net ~ [ 203.0.113.0/24+ ]; }}
process node_a {{
  run "{hc("a", flag_a, 100, 3, 0.4, "--disable " + disable_a)}";
  next hop 192.0.2.21;
}}
process node_b {{
  run "{hc("b", flag_b, 200, 1, 0.2, "--next-hop 192.0.2.22")}";
}}
{edge_protocol(rs_addr, rs_port, edge_addr, edge_port)}""")
        bird_sock = start_bird_edge(tmp, "10.255.0.12", rs_addr, rs_port, edge_addr, edge_port, procs)
        rsd_log = open(os.path.join(tmp, "rsd.log"), "w")
        rsd_ctl = os.path.join(tmp, "rsd.ctl")
        rs = subprocess.Popen([rsd, "-f", "-c", rsd_conf, "-s", rsd_ctl], stdout=rsd_log,
                              stderr=subprocess.STDOUT)
        procs.append(rs)

        # Startup: node_b announces within a fraction of a second, node_a after three runs 0.4 s
        # apart; the edge's first best path must be node_a's.
        seen = []
        end = time.time() + 40
        while time.time() < end:
            nh = best_next_hop(bird_sock)
            if nh and (not seen or seen[-1] != nh):
                seen.append(nh)
            if nh == "192.0.2.21":
                break
            time.sleep(0.05)
        assert seen and seen[0] == "192.0.2.21", f"first best paths seen at the edge: {seen}"
        assert med_of_best(bird_sock) == 100, birdc(bird_sock, "show route all " + PREFIX)

        os.unlink(flag_a)
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.22", 20, "failover to node_b")
        open(flag_a, "w").close()
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.21", 20, "failback to node_a")
        open(disable_a, "w").close()
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.22", 20, "node_a disabled")
        os.unlink(disable_a)
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.21", 20, "node_a enabled again")

        # Kill node_a's program (not its group: rsd must notice the exit and restart it).
        pids = subprocess.run(["pgrep", "-P", str(rs.pid), "-f", "healthcheck --name a "], capture_output=True, text=True).stdout.split()
        assert len(pids) == 1, f"node_a's program among rsd's children: {pids}"
        os.kill(int(pids[0]), signal.SIGKILL)
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.22", 20, "node_a's routes withdrawn at its exit")
        wait_until(lambda: best_next_hop(bird_sock) == "192.0.2.21", 30, "node_a restarted and back")
        # The history (SQLite) kept every move of the service IP the edge saw: node_a -> node_b and back
        # again, with old and new best path, cause and the time to the UPDATE.
        def failovers():
            rows = [l.lstrip(" ").split("\t") for l in control(rsd_ctl, "show failovers " + PREFIX)
                    if l.startswith("1034-") or l.startswith(" ")]
            return [r for r in rows if len(r) == 6]
        def moved(old, new):
            return [r for r in failovers() if old in r[2] and new in r[3]]
        wait_until(lambda: len(moved("via 192.0.2.21", "via 192.0.2.22")) >= 3, 10, "failovers to node_b in history")
        wait_until(lambda: len(moved("via 192.0.2.22", "via 192.0.2.21")) >= 3, 10, "failbacks to node_a in history")
        assert all(r[4].endswith(" ms") for r in moved("via 192.0.2.21", "via 192.0.2.22")), failovers()
        with open(os.path.join(tmp, "rsd.log"), errors="replace") as f:
            text = f.read()
        assert "malformed" not in text, "rsd logged a malformed line from ExaBGP's program"
        ok = True
        print("PASS: ExaBGP's healthcheck program under rsd process blocks; edge saw", seen)
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
