#!/usr/bin/env python3
"""`scripts/bench health`: from a health check's verdict to the edge router holding the new best path.

The health failover benchmark; see docs/performance.md ("Health failover"). One service IP (203.0.113.80/32),
two service nodes: A (next hop 127.3.0.1, up MED 100) and B (127.3.0.2, up MED 200), down MED 1000,
both AS 65001; one edge router (bgp_sink, 127.2.0.1, AS 65101) behind a route server. The check of
each node is `health_probe STATE LOG` (tests/tools/health_probe.cpp): up while STATE says "up", and
it logs each run's end time (CLOCK_MONOTONIC) and result. The script flips A's STATE N times (down,
up, down, ...); the verdict is the run that completed `fall` (or `rise`) consecutive results, the
arrival is the first UPDATE at the edge that gives the prefix the new best next hop (B when A went
down, A when it came back). Systems, same check settings, same run:

  rsd-hc     rsd with two built-in `healthcheck` blocks (command check)
  rsd-proc   rsd with two `process` blocks running ExaBGP's own health-check program
             (`python3 -m exabgp healthcheck --config FILE`, unchanged; it waits for the `done`
             answer after each command, so rsd's `ack` and ExaBGP's exabgp.api.ack stay on)
  rsd-exa    two ExaBGP 4.2 nodes running that same program, BGP to rsd (nodes that speak BGP)
  bird-exa   two ExaBGP 4.2 nodes running that same program, BIRD 2 as route server

For the rsd systems it also reads rsd's own failover accounting (`show health`: verdict -> UPDATE
handed to the edge's socket) against the aim "rsd adds under 5 ms p99".

Addresses and ports of its own: route servers 127.0.0.20:11795 (rsd) and 127.0.0.21:11796 (BIRD),
nodes 127.3.0.1-2. Every process is started here in its own process group and stopped by its id.
"""
import argparse, json, os, platform, queue, random, shutil, signal, statistics, subprocess, sys
import tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("RSD_BENCH_BUILD", os.path.join(ROOT, "build-bench"))
TOOLS = os.path.join(BUILD, "tests", "tools")
RSD = os.path.join(BUILD, "rs", "rsd")
RSC = os.path.join(BUILD, "cli", "rsc")
BIRD = shutil.which("bird") or "/usr/sbin/bird"
EXABGP = shutil.which("exabgp") or "/usr/sbin/exabgp"
PYTHON = "/usr/bin/python3"
PREFIX = "203.0.113.80"
NODE = {"a": "127.3.0.1", "b": "127.3.0.2"}
UP_MED = {"a": 100, "b": 200}
EDGE = "127.2.0.1"  # bgp_sink's edge 0 (tests/tools/bgp_tool.hpp)
RS_ADDR = {"rsd": "127.0.0.20", "bird": "127.0.0.21"}
RS_PORT = {"rsd": 11795, "bird": 11796}
PROCS = []
DUMPCAP = shutil.which("dumpcap")
TSHARK = shutil.which("tshark")


class Fail(Exception):
    pass


def start(args, log, env=None, stdin=None, stdout=None):
    p = subprocess.Popen(args, stdout=stdout or log, stderr=log if stdout else subprocess.STDOUT,
                         stdin=stdin, env=env, start_new_session=True, text=True)
    PROCS.append(p)
    return p


def stop(p):
    """SIGTERM to the group of a process started here, SIGKILL after 5 s."""
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def cleanup():
    for p in reversed(PROCS):
        stop(p)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
signal.signal(signal.SIGINT, lambda *_: sys.exit(1))


def listening(port):
    want = f":{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1].endswith(want) and parts[3] == "0A":
                return True
    return False


class Sink:
    """bgp_sink as the edge: probe-dump gives every next-hop change of the prefix with its time."""

    def __init__(self, target, log):
        args = [os.path.join(TOOLS, "bgp_sink"), f"--target={target}", "--edges=1", "--feeders=1",
                "--prefixes=1", "--length=32", "--base=198.18.255.1", "--med-mod=1",
                f"--probe={PREFIX}"]
        self.p = start(args, log, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.q = queue.Queue()
        self.changes = []  # (t_ns, next hop)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.split())
        self.q.put(None)

    def send(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()

    def expect(self, word, timeout, collect=None):
        end = time.time() + timeout
        got = []
        while True:
            try:
                f = self.q.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                raise Fail(f"bgp_sink: no '{word}' within {timeout} s")
            if f is None:
                raise Fail("bgp_sink exited")
            if f and f[0] == word:
                return got
            if collect and f and f[0] == collect:
                got.append(f)

    def poll(self):
        self.send("probe-dump")
        for f in self.expect("probe-end", 10, collect="probe"):
            self.changes.append((int(f[2]), f[3]))

    def current(self):
        return self.changes[-1][1] if self.changes else None

    def wait_for(self, nh, after_ns, timeout):
        end = time.time() + timeout
        while time.time() < end:
            self.poll()
            for t, h in self.changes:
                if t >= after_ns and h == nh:
                    return t
            time.sleep(0.02)
        raise Fail(f"edge: next hop {nh} not seen within {timeout} s (changes: {self.changes[-4:]})")


# ---- configurations ---------------------------------------------------------------------------

def exa_hc_config(path, node, state, log, s):
    """ExaBGP healthcheck options (the same settings as rsd's healthcheck blocks)."""
    with open(path, "w") as f:
        f.write(f"""name = node_{node}
command = {os.path.join(TOOLS, 'health_probe')} {state} {log}
no-ip-setup
ip = {PREFIX}/32
next-hop = {NODE[node]}
up-metric = {UP_MED[node]}
down-metric = 1000
disabled-metric = 500
interval = {s.interval}
fast-interval = {s.fast_interval}
timeout = {s.timeout}
rise = {s.rise}
fall = {s.fall}
no-syslog
""")
    return path


def rsd_config(kind, work, s):
    c = ["router id 192.0.2.20;", "log stderr { error, fatal, bug };",
         f'health {{ startup hold 10 s; state file "{work}/rsd-state.db"; }}']
    for n in ("a", "b"):
        state, log = f"{work}/{n}.state", f"{work}/{kind}-{n}.log"
        if kind == "rsd-exa":
            # the same BGP sessions as BIRD's below: the node speaks BGP, rsd checks nothing
            c.append(f"""protocol bgp node_{n} {{
  local {RS_ADDR['rsd']} port {RS_PORT['rsd']} as 65000;
  neighbor {NODE[n]} as 65001;
  rs client; passive; multihop;
  ipv4 {{ import all; export none; }};
}}""")
        elif kind == "rsd-hc":
            c.append(f"""healthcheck node_{n} {{
  command "{os.path.join(TOOLS, 'health_probe')} {state} {log}";
  route {PREFIX}/32 next hop {NODE[n]} med {UP_MED[n]};
  down med 1000; disabled med 500;
  interval {int(s.interval * 1000)} ms; fast interval {int(s.fast_interval * 1000)} ms;
  timeout {s.timeout} s; rise {s.rise}; fall {s.fall};
}}""")
        else:
            cfg = exa_hc_config(f"{work}/{kind}-{n}.hc", n, state, log, s)
            c.append(f"""process node_{n} {{
  run "{PYTHON} -m exabgp healthcheck --config {cfg}";
  next hop {NODE[n]};
}}""")
    c.append(f"""protocol bgp edge0 {{
  local {RS_ADDR['rsd']} port {RS_PORT['rsd']} as 65000;
  neighbor {EDGE} as 65101;
  rs client;
  passive;
  ipv4 {{ import none; export all; next hop keep; }};
}}""")
    return "\n".join(c) + "\n"


def bird_config(work):
    a, p = RS_ADDR["bird"], RS_PORT["bird"]
    c = [f'router id 192.0.2.21;', f'log "{work}/bird.log" {{ error, fatal, bug, warning }};',
         "protocol device { scan time 600; }",
         'protocol static { ipv4; route 127.0.0.0/8 via "lo"; }']
    for n in ("a", "b"):
        c.append(f"""protocol bgp node_{n} {{
  local {a} port {p} as 65000; neighbor {NODE[n]} as 65001;
  rs client; passive; multihop;
  ipv4 {{ import all; export none; }};
}}""")
    c.append(f"""protocol bgp edge0 {{
  local {a} port {p} as 65000; neighbor {EDGE} as 65101;
  rs client; passive; multihop;
  ipv4 {{ import none; export all; next hop keep; }};
}}""")
    return "\n".join(c) + "\n"


def exa_node_config(work, n, hc, rs_kind):
    return f"""process health {{
    run {PYTHON} -m exabgp healthcheck --config {hc};
    encoder text;
}}
neighbor {RS_ADDR[rs_kind]} {{
    router-id {NODE[n]};
    local-address {NODE[n]};
    local-as 65001;
    peer-as 65000;
    connect {RS_PORT[rs_kind]};
    hold-time 90;
    group-updates true;
    family {{ ipv4 unicast; }}
    api {{ processes [ health ]; }}
}}
"""


# ---- one system -------------------------------------------------------------------------------

def write_state(path, up):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("up\n" if up else "down\n")
    os.replace(tmp, path)


def read_runs(path):
    runs = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 2:
                    runs.append((int(p[0]), p[1] == "up"))
    except FileNotFoundError:
        pass
    return runs


def verdict_time(runs, flip_ns, up, k):
    """End of the k-th consecutive run with the new result after the flip."""
    count = 0
    for t, r in runs:
        if t < flip_ns:
            continue
        if r == up:
            count += 1
            if count == k:
                return t
        else:
            count = 0
    return None


def wire_transit(pcap, rs_addr, port, since):
    """Route server transit on the wire: each UPDATE a node sent to the route server, to the next
    UPDATE the route server sent the edge (ms). Only the node's UPDATEs move the best path here."""
    out = subprocess.run([TSHARK, "-r", pcap, "-d", f"tcp.port=={port},bgp", "-Y", "bgp.type == 2", "-T", "fields",
                          "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ip.dst"],
                         capture_output=True, text=True, timeout=120).stdout
    transit, pending = [], None
    for line in out.splitlines():
        p = line.split()
        if len(p) != 3:
            continue
        t, src, dst = float(p[0]), p[1], p[2]
        if t < since:
            continue  # the initial announcements are not failovers
        if src in NODE.values() and dst == rs_addr:
            pending = pending if pending is not None else t
        elif src == rs_addr and dst == EDGE and pending is not None:
            transit.append((t - pending) * 1000)
            pending = None
    return transit


def run_system(kind, s, work, results):
    log = open(os.path.join(work, f"{kind}.out"), "w")
    for n in ("a", "b"):
        write_state(f"{work}/{n}.state", True)
        try:
            os.unlink(f"{work}/{kind}-{n}.log")
        except FileNotFoundError:
            pass
    rs_kind = "bird" if kind == "bird-exa" else "rsd"
    exa_nodes = kind in ("bird-exa", "rsd-exa")
    port = RS_PORT[rs_kind]
    procs = []
    sink = None
    cap = None
    pcap = os.path.join(work, f"{kind}.pcap")
    try:
        if exa_nodes and DUMPCAP and TSHARK:
            # the nodes' UPDATEs are timed on the wire: what the route server itself adds
            cap = start([DUMPCAP, "-q", "-i", "lo", "-f", f"tcp port {port}", "-w", pcap], log)
            end = time.time() + 10
            while not os.path.exists(pcap) and time.time() < end:
                time.sleep(0.02)
        if rs_kind == "rsd":
            for f in ("rsd-state.db",):
                if os.path.exists(os.path.join(work, f)):
                    os.unlink(os.path.join(work, f))
            conf = os.path.join(work, f"{kind}.conf")
            with open(conf, "w") as f:
                f.write(rsd_config(kind, work, s))
            sock = os.path.join(work, f"{kind}.ctl")
            procs.append(start([RSD, "-f", "-c", conf, "-s", sock], log))
        else:
            conf = os.path.join(work, "bird.conf")
            with open(conf, "w") as f:
                f.write(bird_config(work))
            procs.append(start([BIRD, "-f", "-c", conf, "-s", os.path.join(work, "bird.ctl"),
                                "-P", os.path.join(work, "bird.pid")], log))
        end = time.time() + 30
        while not listening(port):
            if procs[0].poll() is not None:
                raise Fail(f"{rs_kind} exited with {procs[0].returncode}; see {log.name}")
            if time.time() > end:
                raise Fail(f"{rs_kind} does not listen on {port}")
            time.sleep(0.02)
        if exa_nodes:
            for n in ("a", "b"):
                hc = exa_hc_config(f"{work}/{kind}-{n}.hc", n, f"{work}/{n}.state",
                                   f"{work}/{kind}-{n}.log", s)
                cf = os.path.join(work, f"exa-{n}.conf")
                with open(cf, "w") as f:
                    f.write(exa_node_config(work, n, hc, rs_kind))
                env = dict(os.environ)
                env.update({"exabgp.daemon.user": "root", "exabgp.daemon.drop": "false",
                            "exabgp.daemon.daemonize": "false", "exabgp.tcp.bind": "",
                            "exabgp.log.destination": os.path.join(work, f"exa-{n}.log"),
                            "exabgp.log.level": "WARNING", "exabgp.api.cli": "false",
                            "exabgp.api.ack": "true", "exabgp.tcp.delay": "0",
                            "exabgp.tcp.attempts": "0", "exabgp.daemon.pid": ""})
                procs.append(start([EXABGP, cf], log, env=env))
        sink = Sink(f"{RS_ADDR[rs_kind]}:{port}", log)
        procs.append(sink.p)
        sink.send("wait-established")
        sink.expect("established", 30)
        sink.wait_for(NODE["a"], 0, 60)
        time.sleep(1.0)  # both nodes settled and quiet
        lat, missing = [], 0
        up = True
        first_flip = time.time()
        for i in range(s.failovers):
            time.sleep(random.uniform(0.1, 0.1 + s.interval))  # decorrelate from the check clock
            up = not up
            flip = time.monotonic_ns()
            write_state(f"{work}/a.state", up)
            want = NODE["a"] if up else NODE["b"]
            try:
                arrival = sink.wait_for(want, flip, 30)
            except Fail as e:
                missing += 1
                print(f"   {kind}: failover {i + 1}: {e}", file=sys.stderr)
                continue
            # the verdict is logged by the probe when the run ends; give the log a moment
            v = None
            for _ in range(50):
                v = verdict_time(read_runs(f"{work}/{kind}-a.log"), flip, up, s.rise if up else s.fall)
                if v is not None:
                    break
                time.sleep(0.02)
            if v is None:
                missing += 1
                continue
            lat.append((arrival - v) / 1e6)
            sink.changes = sink.changes[-1:]
        results[kind] = {"edge_ms": lat, "missing": missing}
        if cap:
            time.sleep(0.5)  # the last frames reach the capture file
            stop(cap)
            cap = None
            results[kind]["transit_ms"] = wire_transit(pcap, RS_ADDR[rs_kind], port, first_flip)
        if kind in ("rsd-hc", "rsd-proc"):
            p = subprocess.run([RSC, "-s", sock, "--json", "show", "health"], capture_output=True,
                               text=True, timeout=10)
            doc = json.loads(p.stdout)
            key = "health" if kind == "rsd-hc" else "processes"
            own = []
            for item in doc.get(key, []):
                if item.get("name") == "node_a":
                    for f in item.get("failovers", []):
                        own.append(f["latency_us"] / 1000)
            # the last N samples are this run's failovers (the first is the initial announcement)
            results[kind]["rsd_ms"] = own[-s.failovers:]
    finally:
        if sink:
            try:
                sink.send("quit")
            except Exception:
                pass
        for p in reversed(procs):
            stop(p)
        if cap:
            stop(cap)
        log.close()


# ---- report -----------------------------------------------------------------------------------

def pct(v, p):
    v = sorted(v)
    k = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


def report(results, s, elapsed, json_path):
    kinds = [k for k in ("rsd-hc", "rsd-proc", "rsd-exa", "bird-exa") if k in results]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    bird_v = subprocess.run([BIRD, "--version"], capture_output=True, text=True)
    print(f"\n{cpu}, {os.cpu_count()} cores, Linux {platform.release()}; load average at the end {load}; "
          f"{(bird_v.stderr or bird_v.stdout).strip()}; ExaBGP 4.2; {elapsed:.0f} s")
    print(f"checks: interval {s.interval} s, fast interval {s.fast_interval} s, timeout {s.timeout} s, "
          f"rise {s.rise}, fall {s.fall}; {s.failovers} failovers per system (A down, A up, ...)")
    hdr = f"{'figure':46}" + "".join(f"{k:>11}" for k in kinds)
    ratios = [k for k in ("rsd-hc", "rsd-proc", "rsd-exa") if k in results and "bird-exa" in results]
    if any(k in results for k in ("rsd-exa", "bird-exa")) and not (DUMPCAP and TSHARK):
        print("RS transit on the wire: not measured (dumpcap and tshark are needed: scripts/setup)")
    hdr += "".join(f"{k + '/bird':>15}" for k in ratios)
    print(hdr)
    print("-" * len(hdr))
    out = {"settings": vars(s), "figures": {}}

    def row(name, fn):
        vals = {}
        line = f"{name:46}"
        for k in kinds:
            try:
                vals[k] = fn(results[k])
                line += f"{vals[k]:>11.2f}" if isinstance(vals[k], float) else f"{vals[k]:>11}"
            except (KeyError, ValueError, IndexError):
                line += f"{'-':>11}"
        for k in ratios:
            if k in vals and "bird-exa" in vals and isinstance(vals[k], float) and vals["bird-exa"]:
                r = vals[k] / vals["bird-exa"]
                vals[k + "/bird"] = r
                line += f"{r:>15.3f}"
            else:
                line += f"{'-':>15}"
        out["figures"][name] = vals
        print(line)

    row("verdict -> edge best path p50 (ms)", lambda r: pct(r["edge_ms"], 50))
    row("verdict -> edge best path p90 (ms)", lambda r: pct(r["edge_ms"], 90))
    row("verdict -> edge best path p99 (ms)", lambda r: pct(r["edge_ms"], 99))
    row("verdict -> edge best path max (ms)", lambda r: max(r["edge_ms"]))
    row("failovers measured", lambda r: len(r["edge_ms"]))
    row("failovers not seen / no verdict", lambda r: r["missing"])
    row("RS transit on the wire p50 (ms)", lambda r: pct(r["transit_ms"], 50))
    row("RS transit on the wire p99 (ms)", lambda r: pct(r["transit_ms"], 99))
    row("RS transit on the wire max (ms)", lambda r: max(r["transit_ms"]))
    row("RS transit samples", lambda r: len(r["transit_ms"]))
    row("rsd: verdict -> UPDATE to socket p50 (ms)", lambda r: pct(r["rsd_ms"], 50))
    row("rsd: verdict -> UPDATE to socket p99 (ms)", lambda r: pct(r["rsd_ms"], 99))
    row("rsd: verdict -> UPDATE to socket max (ms)", lambda r: max(r["rsd_ms"]))
    row("rsd: samples", lambda r: len(r["rsd_ms"]))
    for k in ("rsd-hc", "rsd-proc"):
        if k in results and results[k].get("rsd_ms"):
            p99 = pct(results[k]["rsd_ms"], 99)
            print(f"aim 'rsd adds under 5 ms p99' ({k}, verdict -> UPDATE handed to the socket): "
                  f"{p99:.2f} ms: {'met' if p99 < 5 else 'NOT met'}")
    if json_path:
        out["raw"] = results
        with open(json_path, "w") as f:
            json.dump(out, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--failovers", type=int, default=int(os.environ.get("BENCH_FAILOVERS", 100)))
    ap.add_argument("--systems", default=os.environ.get("BENCH_HEALTH_SYSTEMS", "rsd-hc,rsd-proc,rsd-exa,bird-exa"))
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--fast-interval", type=float, default=0.1)
    ap.add_argument("--timeout", type=int, default=1)
    ap.add_argument("--rise", type=int, default=2)
    ap.add_argument("--fall", type=int, default=2)
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    s = ap.parse_args()
    for exe in (RSD, RSC, os.path.join(TOOLS, "bgp_sink"), os.path.join(TOOLS, "health_probe")):
        if not os.access(exe, os.X_OK):
            print(f"bench health: {exe} missing (build with -DRSD_BENCH=ON)", file=sys.stderr)
            return 2
    systems = [k for k in s.systems.split(",") if k]
    if any(k in ("rsd-proc", "rsd-exa", "bird-exa") for k in systems):
        ok = subprocess.run([PYTHON, "-m", "exabgp", "healthcheck", "--help"], capture_output=True).returncode == 0
        if not ok or (not os.path.exists(BIRD) and "bird-exa" in systems):
            print("bench health: ExaBGP 4.2 or BIRD 2 missing (scripts/setup): only rsd-hc", file=sys.stderr)
            systems = [k for k in systems if k == "rsd-hc"]
    work = tempfile.mkdtemp(prefix="rsd-bench-health-")
    # Run as root, rsd starts the probes and programs as nobody: they read their state files and
    # write their logs here.
    os.chmod(work, 0o777)
    results, failures = {}, []
    t0 = time.time()
    try:
        for k in systems:
            print(f"-- health {k}: {s.failovers} failovers", file=sys.stderr, flush=True)
            try:
                run_system(k, s, work, results)
            except Fail as e:
                failures.append(f"{k}: {e}")
                print(f"   FAILED: {e}", file=sys.stderr, flush=True)
        report(results, s, time.time() - t0, s.json)
        for f in failures:
            print(f"FAILED {f}")
    finally:
        cleanup()
        if s.keep or failures:
            print(f"work directory: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
