#!/usr/bin/env python3
"""Route-server workloads (W1-W5), run side by side against rsd and BIRD 2.

Called by scripts/bench; see docs/performance.md. Every process is started here, tracked by PID
and stopped by PID (SIGTERM, then SIGKILL) on exit, whatever happens. Only loopback is used:
route servers listen on 127.0.0.10 (rsd) / 127.0.0.11 (BIRD), feeders bind 127.1.x.y, edges
127.2.0.x (tests/tools/bgp_tool.hpp).
"""
import argparse, atexit, json, os, platform, queue, signal, statistics, subprocess, sys, tempfile
import socket, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("RSD_BENCH_BUILD", os.path.join(ROOT, "build-bench"))
TOOLS = os.path.join(BUILD, "tests", "tools")
RSD = os.path.join(BUILD, "rs", "rsd")
BIRD = "/usr/sbin/bird"
PROCS = []


def cleanup():
    for p in PROCS:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.time() + 3
    for p in PROCS:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
signal.signal(signal.SIGINT, lambda *_: sys.exit(1))


class Fail(Exception):
    pass


class Tool:
    """A bgp_blaster / bgp_sink child: commands on stdin, result lines from stdout."""

    def __init__(self, args, log):
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=log, text=True, bufsize=1)
        PROCS.append(self.p)
        self.q = queue.Queue()
        self.backlog = []
        self.name = os.path.basename(args[0])
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def send(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()

    def expect(self, word, timeout, collect=None):
        """Waits for a line starting with `word`; lines starting with `collect` are gathered."""
        end = time.time() + timeout
        got = []
        keep = []
        while True:
            if self.backlog:
                line = self.backlog.pop(0)
            else:
                left = end - time.time()
                if left <= 0:
                    self.backlog = keep + self.backlog
                    raise Fail(f"{self.name}: no '{word}' within {timeout:.0f} s")
                try:
                    line = self.q.get(timeout=left)
                except queue.Empty:
                    continue
            if line is None:
                raise Fail(f"{self.name} exited")
            f = line.split()
            if f and f[0] in ("churn-done", "sent", "probe-done") and f[0] != word:
                keep.append(line)  # asynchronous completions: left for a later expect
                continue
            if f and f[0] == word:
                self.backlog = keep + self.backlog
                return (f, got) if collect else f
            if collect and f and f[0] == collect:
                got.append(f)
            elif f and f[0] in ("down", "error"):
                print(f"   [{self.name}] {line}", file=sys.stderr)

    def stop(self):
        if self.p.poll() is None:
            try:
                self.send("quit")
                self.p.wait(2)
            except Exception:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()


# ---- /proc ------------------------------------------------------------------------------------

def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise Fail(f"no {key} for {pid}")


def show_memory_text(ctl):
    """rsd's `show memory` reply as text ('' on failure)."""
    try:
        with socket.socket(socket.AF_UNIX) as c:
            c.settimeout(5)
            c.connect(ctl)
            c.sendall(b"show memory\n")
            data = b""
            while b"Resident" not in data or not data.endswith(b"\n"):
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data.decode()
    except OSError:
        return ""


def dump_memory(pid, ctl, label):
    """BENCH_MEMORY_DUMP=1: where rsd's memory is at W1's end (`show memory`, smaps_rollup), on
    stderr."""
    out = [f"== {label}: pid {pid}", show_memory_text(ctl)]
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            out.append(f.read())
    except OSError:
        pass
    print("\n".join(out), file=sys.stderr, flush=True)


def show_memory_total(ctl):
    """rsd's `show memory` over the control socket: the Total line in bytes, None on failure."""
    units = {"B": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    try:
        for line in show_memory_text(ctl).splitlines():
            if "Total:" in line:
                num, unit = line.split("Total:")[1].split()
                return float(num) * units[unit]
    except (ValueError, KeyError, IndexError):
        return None
    return None


def cpu_s(pid):
    """CPU seconds of every thread, from schedstat (nanoseconds; /proc/PID/stat counts 10 ms ticks)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


def wait_quiet(pid, limit=10.0):
    """Waits until the process used no CPU for 200 ms; returns its CPU seconds then."""
    last = cpu_s(pid)
    end = time.time() + limit
    while time.time() < end:
        time.sleep(0.2)
        now = cpu_s(pid)
        if now - last < 0.001:  # under 1 ms in 200 ms: keepalives only
            return now
        last = now
    return last


def listening(port):
    want = f":{port:04X}"
    for path in ("/proc/net/tcp",):
        with open(path) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[1].endswith(want) and parts[3] == "0A":
                    return True
    return False


def listen_drops():
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for i in range(0, len(lines), 2):
        if lines[i].startswith("TcpExt:"):
            d = dict(zip(lines[i].split()[1:], map(int, lines[i + 1].split()[1:])))
            return d.get("ListenOverflows", 0) + d.get("ListenDrops", 0)
    return 0


# ---- route servers ----------------------------------------------------------------------------

def feeder_addr(i):
    return f"127.{1 + 0}.{i // 250}.{i % 250 + 1}"


def edge_addr(e):
    return f"127.2.0.{e + 1}"


class RouteServer:
    def __init__(self, kind, feeders, edges, workdir, port):
        self.kind, self.port, self.dir = kind, port, workdir
        self.addr = "127.0.0.10" if kind == "rsd" else "127.0.0.11"
        conf = os.path.join(workdir, f"{kind}.conf")
        with open(conf, "w") as f:
            f.write(self.config(feeders, edges))
        self.log = open(os.path.join(workdir, f"{kind}.log"), "w")
        if kind == "rsd":
            args = [RSD, "-f", "-c", conf, "-s", os.path.join(workdir, "rsd.ctl")]
        else:
            args = [BIRD, "-f", "-c", conf, "-s", os.path.join(workdir, "bird.ctl"),
                    "-P", os.path.join(workdir, "bird.pid")]
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        PROCS.append(self.p)
        end = time.time() + 30
        while not listening(port):
            if self.p.poll() is not None:
                raise Fail(f"{kind} exited with {self.p.returncode}; see {self.log.name}")
            if time.time() > end:
                raise Fail(f"{kind} does not listen on {port}")
            time.sleep(0.02)

    @property
    def pid(self):
        return self.p.pid

    def config(self, feeders, edges):
        # One shape for both: route-server clients (RFC 7947), feeders import only, edges export
        # only; eBGP (feeders AS 65001, edges AS 65101+e). No debug logging.
        c = [f"router id 192.0.2.{10 if self.kind == 'rsd' else 11};"]
        if self.kind == "bird":
            # eBGP on loopback is not "directly connected" for BIRD: the sessions are multihop and
            # next hops (127.1.x.y) resolve recursively through one static route.
            c += ["log stderr { error, fatal, bug };", "protocol device { scan time 600; }",
                  "protocol static { ipv4; route 127.0.0.0/8 via \"lo\"; }"]
            extra = "  multihop;\n"
        else:
            c += ["log stderr { error, fatal, bug };"]
            extra = ""
        c.append(f"""template bgp feeder {{
  local {self.addr} port {self.port} as 65000;
  rs client;
  passive;
{extra}  ipv4 {{ import all; export none; }};
}}""")
        c.append(f"""template bgp edge {{
  local {self.addr} port {self.port} as 65000;
  rs client;
  passive;
{extra}  ipv4 {{ import none; export all; }};
}}""")
        for i in range(feeders):
            c.append(f"protocol bgp f{i} from feeder {{ neighbor {feeder_addr(i)} as 65001; }}")
        for e in range(edges):
            c.append(f"protocol bgp e{e} from edge {{ neighbor {edge_addr(e)} as {65101 + e}; }}")
        return "\n".join(c) + "\n"

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


def plan_args(feeders, prefixes, length, base, med_mod):
    return [f"--feeders={feeders}", f"--prefixes={prefixes}", f"--length={length}",
            f"--base={base}", f"--med-mod={med_mod}"]


# ---- workloads --------------------------------------------------------------------------------

def run_feed(kind, port, want, results, workdir, w4_seconds):
    """W1 (+W5, W2, W4 as asked) on one fresh route server."""
    rs = RouteServer(kind, 10, 2, workdir, port)
    log = open(os.path.join(workdir, f"tools-{kind}.log"), "a")
    plan = plan_args(10, 100000, 24, "16.0.0.0", 10)
    target = f"--target={rs.addr}:{port}"
    sink = Tool([os.path.join(TOOLS, "bgp_sink"), target, "--edges=2"] + plan, log)
    blaster = Tool([os.path.join(TOOLS, "bgp_blaster"), target] + plan, log)
    try:
        blaster.expect("encoded", 60)
        sink.send("wait-established")
        blaster.send("wait-established")
        sink.expect("established", 30)
        blaster.expect("established", 30)
        time.sleep(0.3)
        idle_kib = status_kib(rs.pid, "VmRSS")
        cpu0 = cpu_s(rs.pid)
        sink.send("wait w1")
        blaster.send("announce all")
        t0 = int(blaster.expect("step", 10)[2])
        t1 = int(sink.expect("converged", 120)[2])
        cpu1 = wait_quiet(rs.pid)
        hwm = status_kib(rs.pid, "VmHWM")
        rss = status_kib(rs.pid, "VmRSS")
        if kind == "rsd" and os.environ.get("BENCH_MEMORY_DUMP"):
            dump_memory(rs.pid, os.path.join(workdir, "rsd.ctl"), "W1 end")
        sink.send("counters")
        _, cnt = sink.expect("counters-end", 10, collect="counters")
        add(results, "W1 feed: time to converge (s)", kind, (t1 - t0) / 1e9)
        add(results, "W1 peak RSS (MiB)", kind, hwm / 1024)
        add(results, "W1 CPU (s)", kind, cpu1 - cpu0)
        add(results, "W1 prefixes received per edge", kind,
            sum(int(c[3]) for c in cnt) / len(cnt))
        if "W5" in want:
            add(results, "W5 bytes per path (1M paths)", kind,
                (rss - idle_kib) * 1024 / 1e6)
            add(results, "W5 idle RSS (MiB)", kind, idle_kib / 1024)
            if kind == "rsd":
                total = show_memory_total(os.path.join(workdir, "rsd.ctl"))
                if total is not None:
                    add(results, "W5 rsd accounted bytes per path (show memory Total)", kind, total / 1e6)
        if "W2" in want or "W4" in want:
            sink.send("reset-counters")
            sink.send("dead 0")
            sink.send("wait w2")
            cpu0 = cpu_s(rs.pid)
            blaster.send("withdraw-all 0")
            t0 = int(blaster.expect("step", 10)[2])
            t1 = int(sink.expect("converged", 60)[2])
            cpu1 = wait_quiet(rs.pid)
            sink.send("counters")
            _, cnt = sink.expect("counters-end", 10, collect="counters")
            add(results, "W2 failover: time to converge (s)", kind, (t1 - t0) / 1e9)
            add(results, "W2 CPU (s)", kind, cpu1 - cpu0)
            add(results, "W2 UPDATEs per edge", kind, sum(int(c[2]) for c in cnt) / len(cnt))
            add(results, "W2 prefixes per edge", kind,
                sum(int(c[3]) + int(c[4]) for c in cnt) / len(cnt))
        if "W4" in want:
            sink.send("alive 0")
            sink.send("wait w2b")
            blaster.send("announce 0")
            sink.expect("converged", 60)
            blaster.send("announce-probe")
            time.sleep(0.5)
            sink.send("probe-dump")
            sink.expect("probe-end", 10)
            count = int(w4_seconds * 100)
            cpu0 = cpu_s(rs.pid)
            blaster.send(f"churn 5000 {w4_seconds}")
            blaster.send(f"probe 10 {count}")
            _, sent = blaster.expect("probe-done", w4_seconds + 60, collect="probe")
            blaster.expect("churn-done", 30)
            add(results, "W4 CPU share during churn (%)", kind,
                100 * (wait_quiet(rs.pid) - cpu0) / w4_seconds)
            time.sleep(0.5)
            sink.send("probe-dump")
            _, got = sink.expect("probe-end", 10, collect="probe")
            lat = probe_latencies(sent, got)
            missing = 2 * len(sent) - len(lat)
            if lat:
                lat.sort()
                add(results, "W4 latency p50 (ms)", kind, pct(lat, 50) * 1e3)
                add(results, "W4 latency p99 (ms)", kind, pct(lat, 99) * 1e3)
                add(results, "W4 latency max (ms)", kind, lat[-1] * 1e3)
            add(results, "W4 probe flips not seen", kind, missing)
    finally:
        blaster.stop()
        sink.stop()
        rs.stop()
        log.close()


def probe_latencies(sent, got):
    """Per edge, the latency of each probe flip: from its send time to the first change the edge
    saw that reflects it. A flip that makes feeder 0 best carries its own MED ((K/2) mod 50), so
    the edge's record names it exactly; a flip back to feeder 1 is the first odd flip after the
    one the previous record reflected. Flips the route server coalesced with later ones (an edge
    only ever saw the newer state) get no latency and count as not seen; matching by identity
    keeps one lost flip from shifting every later pairing (which read as a standing 10-40 ms
    lag after any stall)."""
    probes = [(int(f[1]), int(f[2]), f[3], int(f[4])) for f in sent]  # k, t, nh, med
    probes.sort()
    by_id = {}
    for k, t, nh, med in probes:
        if k % 2 == 0:
            by_id.setdefault(med, []).append((t, k))
    by_edge = {}
    for f in got:
        by_edge.setdefault(f[1], []).append((int(f[2]), f[3], int(f[4])))
    out = []
    feeder0 = probes[0][2] if probes else None
    for edge, recs in by_edge.items():
        last = -1  # index of the flip the previous record reflected
        seen = set()
        for r, nh, med in recs:
            cause = None
            if nh == feeder0:  # feeder 0 best: its MED names the flip
                cands = [k for t, k in by_id.get(med, []) if t <= r and k > last]
                cause = cands[-1] if cands else None
            else:
                k = last + 1 + ((last + 1) % 2 == 0)  # the next odd flip
                if k < len(probes) and probes[k][1] <= r:
                    cause = k
            if cause is None:
                continue
            if cause not in seen:
                seen.add(cause)
                out.append((r - probes[cause][1]) / 1e9)
            last = cause
    return out


def pct(v, p):
    k = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


def run_anycast(kind, port, feeders, prefixes, results, workdir, label):
    rs = RouteServer(kind, feeders, 2, workdir, port)
    log = open(os.path.join(workdir, f"tools-{kind}.log"), "a")
    plan = plan_args(feeders, prefixes, 32, "100.64.0.0", feeders)
    target = f"--target={rs.addr}:{port}"
    sink = blaster = None
    try:
        sink = Tool([os.path.join(TOOLS, "bgp_sink"), target, "--edges=2", "--probe=100.63.255.255"]
                    + plan, log)
        sink.send("wait-established")
        sink.expect("established", 30)
        many = feeders >= 1000
        time.sleep(1.0)  # the daemon has started its protocols: nodes reconnect to a running server
        drops0 = listen_drops()
        blaster = Tool([os.path.join(TOOLS, "bgp_blaster"), target, "--probe=100.63.255.255"]
                       + plan + (["--announce-on-establish"] if many else ["--connect-batch=4"]),
                       log)
        blaster.expect("encoded", 60)
        sink.send(f"wait {label}")
        blaster.send("wait-established")
        if many:
            try:
                est = blaster.expect("established", 30)
            except Fail:
                blaster.send("status")
                st = blaster.expect("status", 5)
                add(results, f"{label}: sessions Established (s)", kind, float("inf"))
                raise Fail(f"not all sessions Established after 30 s: {' '.join(st[1:])}")
            t1 = int(sink.expect("converged", 120)[2])
            first, alle = int(est[1]), int(est[2])
            add(results, f"{label}: sessions Established (s)", kind, (alle - first) / 1e9)
            # all sessions up and the best paths at the edges, whichever came last
            add(results, f"{label}: converged from first connect (s)", kind,
                (max(t1, alle) - first) / 1e9)
            add(results, f"{label}: connect errors + resets", kind, int(est[3]) + int(est[4]))
            add(results, f"{label}: listen queue drops", kind, listen_drops() - drops0)
        else:
            blaster.expect("established", 60)
            time.sleep(0.3)
            blaster.send("announce all")
            t0 = int(blaster.expect("step", 10)[2])
            t1 = int(sink.expect("converged", 60)[2])
            add(results, f"{label}: time to converge (s)", kind, (t1 - t0) / 1e9)
        wait_quiet(rs.pid)
        add(results, f"{label}: peak RSS (MiB)", kind, status_kib(rs.pid, "VmHWM") / 1024)
    finally:
        for t in (blaster, sink):
            if t:
                t.stop()
        rs.stop()
        log.close()


def run_tools(results, workdir):
    """The harness itself: the blaster straight into the sink (no route server), W1's 1M paths."""
    log = open(os.path.join(workdir, "tools-direct.log"), "a")
    plan = plan_args(10, 100000, 24, "16.0.0.0", 10)
    sink = Tool([os.path.join(TOOLS, "bgp_sink"), "--listen=127.0.0.12:11792"] + plan, log)
    blaster = None
    try:
        time.sleep(0.2)
        blaster = Tool([os.path.join(TOOLS, "bgp_blaster"), "--target=127.0.0.12:11792"] + plan,
                       log)
        enc = blaster.expect("encoded", 60)
        blaster.send("wait-established")
        blaster.expect("established", 30)
        sink.send("wait-count direct")
        blaster.send("announce all")
        t0 = int(blaster.expect("step", 10)[2])
        t1 = int(sink.expect("converged", 60)[2])
        add(results, "tools: 1M paths blaster->sink, no RS (s)", "tools", (t1 - t0) / 1e9)
        add(results, "tools: pre-encoding 3M paths (s)", "tools", float(enc[6]))
    finally:
        for t in (blaster, sink):
            if t:
                t.stop()
        log.close()


def add(results, figure, kind, value):
    results.setdefault(figure, {}).setdefault(kind, []).append(value)


# ---- main -------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("workloads", nargs="*", default=["W1", "W2", "W3", "W4", "W5"])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 3)))
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--daemons", default=os.environ.get("BENCH_DAEMONS", "rsd,bird"))
    ap.add_argument("--w4-seconds", type=float, default=float(os.environ.get("BENCH_W4_SECONDS", 30)))
    ap.add_argument("--keep", action="store_true", help="keep the work directory (configs, logs)")
    a = ap.parse_args()
    want = set(w.upper() for w in a.workloads)
    daemons = [d for d in a.daemons.split(",") if d]
    work = tempfile.mkdtemp(prefix="rsd-bench-")
    results = {}
    failures = []
    started = time.time()
    ports = {"rsd": 11790, "bird": 11791}
    for run in range(a.runs):
        if "TOOLS" in want:
            try:
                run_tools(results, work)
            except Fail as e:
                failures.append(f"run {run + 1} tools: {e}")
        for kind in daemons:
            steps = []
            if want & {"W1", "W2", "W4", "W5"}:
                steps.append(("feed", lambda k=kind: run_feed(k, ports[k], want, results, work,
                                                              a.w4_seconds)))
            if "W3" in want:
                steps.append(("W3", lambda k=kind: run_anycast(k, ports[k], 200, 300, results,
                                                               work, "W3 200 peers x 300")))
                steps.append(("W3b", lambda k=kind: run_anycast(k, ports[k], 1000, 30, results,
                                                                work, "W3 1000 peers x 30")))
            for name, fn in steps:
                print(f"-- run {run + 1}/{a.runs} {kind} {name}", file=sys.stderr, flush=True)
                try:
                    fn()
                except Fail as e:
                    failures.append(f"run {run + 1} {kind} {name}: {e}")
                    print(f"   FAILED: {e}", file=sys.stderr, flush=True)
                    cleanup_children()
    report(results, daemons, failures, a, time.time() - started)
    if not a.keep:
        subprocess.run(["rm", "-rf", work])
    else:
        print(f"work directory: {work}", file=sys.stderr)
    return 1 if failures else 0


def cleanup_children():
    for p in PROCS:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


def summary(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v}


def report(results, daemons, failures, a, elapsed):
    load = open("/proc/loadavg").read().split()[:3]
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    bird_v = subprocess.run([BIRD, "--version"], capture_output=True, text=True)
    machine = {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
               "loadavg_end": load, "bird": (bird_v.stderr or bird_v.stdout).strip(),
               "runs": a.runs, "elapsed_s": round(elapsed, 1)}
    print(f"\n{cpu}, {os.cpu_count()} cores, Linux {platform.release()}; load average at the end "
          f"{' '.join(load)}; {machine['bird']}; median of {a.runs} runs [min-max]; {elapsed:.0f} s")
    cols = daemons + (["tools"] if any(k.startswith("tools") for k in results) else [])
    hdr = f"{'figure':44}" + "".join(f"{c:>26}" for c in cols) + (
        f"{'rsd/bird':>10}" if "rsd" in cols and "bird" in cols else "")
    print(hdr)
    print("-" * len(hdr))
    out = {"machine": machine, "figures": {}, "failures": failures}
    for fig, per in results.items():
        row = f"{fig:44}"
        entry = {}
        for c in cols:
            v = per.get(c)
            if not v:
                row += f"{'-':>26}"
                continue
            s = summary(v)
            entry[c] = s
            row += f"{fmt(s['median']):>10} [{fmt(s['min'])}-{fmt(s['max'])}]".rjust(26)
        if "rsd" in entry and "bird" in entry and entry["bird"]["median"]:
            r = entry["rsd"]["median"] / entry["bird"]["median"]
            entry["ratio_rsd_bird"] = r
            row += f"{r:>10.2f}"
        out["figures"][fig] = entry
        print(row)
    for f in failures:
        print(f"FAILED {f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)


def fmt(x):
    if isinstance(x, int) or float(x).is_integer() and abs(x) >= 100:
        return f"{int(x)}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


if __name__ == "__main__":
    sys.exit(main())
