#!/usr/bin/env python3
"""run_diff.py - differential test: rsd against BIRD 2, route by route, attribute by attribute.

For each filter of the corpus (tests/diff/filters/NAME.conf) both route servers get the SAME
configuration text: the filter file's definitions plus three sessions,

  rs_feeder   eBGP route-server client AS 64500 (127.0.S.11, IPv4 transport, IPv4 + IPv6)
  rs_client   eBGP route-server client AS 64511 (127.0.S.12, IPv4 transport, IPv4 + IPv6)
  rs_observer iBGP observer AS 65000 over ::1 (its own port), IPv4 + IPv6
  rs_peer     eBGP AS 64522, not a route-server client (127.0.S.14): the full eBGP rewrite

BIRD runs in slot S and rsd in slot S+1 at the same time (addresses 127.0.S.0/24, ports
20000+100*S...). Python speakers connect to both (the route servers are `passive on`), the feeder
sends the generated routes, then withdraws a fifth of them and re-announces a tenth with new
attributes; after each phase both receivers' tables (what each route server exported to them,
decoded to canonical attributes) are compared. Convergence is awaited by polling: every session
up, then no UPDATE received for a quiet period.

Channel statements: a filter file defines any of the filters `import4`, `import6`, `export4`,
`export6` (rs_client), `ibgp_export4`, `ibgp_export6` (rs_observer), used where defined (else
`import all` / `export all`); a line `#@ SESSION AFI: STATEMENTS` (SESSION feeder|client|observer,
AFI ipv4|ipv6) replaces that channel's body, e.g. `#@ feeder ipv4: import where net.len <= 24;
export none;`.

Long mode: an entry with a line `#@ long` runs only with --long (or when --filter names it):
the CI corpus (ctest interop_diff_bird) stays within its time budget, and `scripts/diff --long`
or a run with --long covers the whole corpus.

Known differences: known-differences.txt lists `NAME: reason` for corpus entries whose difference
is a known, recorded bug outside the export/rewrite path; they may differ without failing (and are
reported when they stop differing, to be taken off the list).

Exit status: 0 when every entry matched (or differed and is listed), 1 otherwise. A missing
program (bird, rsd) is a failure.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import fnmatch
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bgpwire as w  # noqa: E402
from gen import Generator  # noqa: E402
from speaker import Speaker  # noqa: E402

RS_AS, FEEDER_AS, CLIENT_AS, PEER_AS = 65000, 64500, 64511, 64522
CHANNEL_FILTERS = {("feeder", "ipv4"): "import4", ("feeder", "ipv6"): "import6",
                   ("client", "ipv4"): "export4", ("client", "ipv6"): "export6",
                   ("observer", "ipv4"): "ibgp_export4", ("observer", "ipv6"): "ibgp_export6",
                   ("peer", "ipv4"): "peer_export4", ("peer", "ipv6"): "peer_export6"}
RECEIVERS = ("client", "observer", "peer")
PROCS: list = []
PARTIAL_QUIRK = (8, 16, 32, 35)     # the community attributes and OTC
IGNORED: collections.Counter = collections.Counter()   # documented BIRD deviations, not diffs


def log(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------ processes --

class Proc:
    def __init__(self, name: str, argv: list, logfile: str):
        self.name, self.logfile = name, logfile
        self.out = open(logfile, "w")
        self.p = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        PROCS.append(self)

    def alive(self) -> bool:
        return self.p.poll() is None

    def stop(self) -> None:
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        self.out.close()
        if self in PROCS:
            PROCS.remove(self)


def stop_all(*_args) -> None:
    for p in list(PROCS):
        p.stop()
    if _args:
        sys.exit(1)


atexit.register(stop_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, stop_all)


def wait_until(pred, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


# --------------------------------------------------------------------- config --

@dataclass
class Slot:
    n: int

    @property
    def addr(self) -> str:
        return f"127.0.{self.n}.1"

    def peer(self, i: int) -> str:
        return f"127.0.{self.n}.{i}"

    @property
    def port(self) -> int:
        return 20000 + 100 * self.n + 1

    @property
    def port6(self) -> int:
        return 20000 + 100 * self.n + 2


def channel_bodies(text: str) -> dict:
    bodies = {}
    defined = set(re.findall(r"^\s*filter\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.M))
    for (sess, afi), fname in CHANNEL_FILTERS.items():
        if sess == "feeder":
            body = f"import filter {fname}; export none;" if fname in defined else \
                "import all; export none;"
        else:
            body = f"import none; export filter {fname};" if fname in defined else \
                "import none; export all;"
        bodies[(sess, afi)] = body
    for m in re.finditer(r"^#@\s*(feeder|client|observer)\s+(ipv4|ipv6)\s*:\s*(.*)$", text, re.M):
        bodies[(m.group(1), m.group(2))] = m.group(3).strip()
    return bodies


def config_text(slot: Slot, filter_text: str, logpath: str) -> str:
    b = channel_bodies(filter_text)

    def ch(sess: str) -> str:
        # The IPv6 channel of the IPv4-transport eBGP peer needs an IPv6 address for "next hop self".
        nh6 = " next hop address 2001:db8:ffff::1;" if sess == "peer" else ""
        return (f"    ipv4 {{ {b[(sess, 'ipv4')]} }};\n"
                f"    ipv6 {{ {b[(sess, 'ipv6')]}{nh6} }};\n")

    return (f'log "{logpath}" all;\n'
            f"router id {slot.addr};\n"
            "protocol device {}\n\n"
            f"{filter_text}\n\n"
            "protocol bgp rs_feeder {\n"
            f"    local {slot.addr} port {slot.port} as {RS_AS};\n"
            f"    neighbor {slot.peer(11)} as {FEEDER_AS};\n"
            "    multihop; passive on; rs client;\n" + ch("feeder") + "}\n"
            "protocol bgp rs_client {\n"
            f"    local {slot.addr} port {slot.port} as {RS_AS};\n"
            f"    neighbor {slot.peer(12)} as {CLIENT_AS};\n"
            "    multihop; passive on; rs client;\n" + ch("client") + "}\n"
            "protocol bgp rs_observer {\n"
            f"    local ::1 port {slot.port6} as {RS_AS};\n"
            f"    neighbor ::1 as {RS_AS};\n"
            "    passive on;\n" + ch("observer") + "}\n"
            "protocol bgp rs_peer {\n"
            f"    local {slot.addr} port {slot.port} as {RS_AS};\n"
            f"    neighbor {slot.peer(14)} as {PEER_AS};\n"
            "    multihop; passive on;\n" + ch("peer") + "}\n")


# ---------------------------------------------------------------- one server --

class Instance:
    """One route server (bird or rsd) in one slot, with its three speakers."""

    def __init__(self, impl: str, binary: str, slot: Slot, workdir: str, name: str,
                 kind: str = ""):
        self.impl, self.binary, self.slot = impl, binary, slot
        self.kind = kind or impl            # "bird" for the harness's own bird-vs-bird check
        self.dir = os.path.join(workdir, f"{name}.{impl}")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "rs.conf")
        self.sock = os.path.join(self.dir, "rs.ctl")
        self.proc = None
        self.speakers: dict = {}

    def check(self, text: str) -> tuple:
        with open(self.conf, "w") as f:
            f.write(text)
        argv = [self.binary, "-p", "-c", self.conf] if self.kind == "bird" else \
            [self.binary, "--check", "-c", self.conf]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    def start(self) -> None:
        argv = [self.binary, "-f", "-c", self.conf, "-s", self.sock, "-P",
                os.path.join(self.dir, "rs.pid")]
        self.proc = Proc(self.impl, argv, os.path.join(self.dir, "stdout.log"))
        s = self.slot
        self.speakers = {
            "feeder": Speaker(f"{self.impl}.feeder", FEEDER_AS, s.peer(11), s.peer(11), s.addr,
                              s.port),
            "client": Speaker(f"{self.impl}.client", CLIENT_AS, s.peer(12), s.peer(12), s.addr,
                              s.port),
            "observer": Speaker(f"{self.impl}.observer", RS_AS, s.peer(13), "::1", "::1",
                                s.port6),
            "peer": Speaker(f"{self.impl}.peer", PEER_AS, s.peer(14), s.peer(14), s.addr, s.port),
        }
        for sp in self.speakers.values():
            sp.connect(timeout=20)

    def ready(self) -> bool:
        if not self.proc or not self.proc.alive():
            raise RuntimeError(f"{self.impl} exited (see {self.proc.logfile if self.proc else '?'})")
        for sp in self.speakers.values():
            if sp.closed:
                raise RuntimeError(f"{sp.name}: session closed: {sp.closed}")
        return all(sp.established for sp in self.speakers.values())

    def snapshot(self, recv: str) -> dict:
        """What `recv` holds, the route server's own address in NEXT_HOP shown as "self"."""
        own = {self.slot.addr, "::ffff:" + self.slot.addr}
        out = {}
        for p, attrs in self.speakers[recv].snapshot().items():
            nh = attrs.get(3)
            if nh and any(h in own for h in nh[1].split()):
                attrs = dict(attrs)
                attrs[3] = (nh[0], " ".join("self" if h in own else h for h in nh[1].split()))
            out[p] = attrs
        return out

    def quiet_for(self) -> float:
        now = time.monotonic()
        return min(now - sp.last_rx for n, sp in self.speakers.items() if n != "feeder")

    def stop(self) -> None:
        for sp in self.speakers.values():
            sp.close()
        if self.proc:
            self.proc.stop()

    def log_tail(self, n: int = 15) -> str:
        out = []
        for fn in ("stdout.log", "rs.log"):
            p = os.path.join(self.dir, fn)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out += [f"  [{self.impl} {fn}] {ln}" for ln in f.read().splitlines()[-n:]]
        return "\n".join(out)


# ------------------------------------------------------------------ comparing --

@dataclass
class Diff:
    receiver: str
    prefix: str
    attr: str
    rsd: str
    bird: str


def compare(receiver: str, rsd_rib: dict, bird_rib: dict, sent: dict) -> list:
    """Differences between the two tables; `sent` (prefix -> Route) tells which attributes the
    feeder itself sent with the Partial bit (those must keep it: no normalisation)."""
    out = []
    for p in sorted(set(rsd_rib) | set(bird_rib)):
        a, b = rsd_rib.get(p), bird_rib.get(p)
        if a is None or b is None:
            out.append(Diff(receiver, p, "(route)", "absent" if a is None else "exported",
                            "absent" if b is None else "exported"))
            continue
        for t in sorted(set(a) | set(b)):
            va, vb = a.get(t), b.get(t)
            src = sent.get(p)
            sent_partial = bool(src and t in getattr(src, "partial", ()))
            if va and vb and va[1] == vb[1] and t in PARTIAL_QUIRK and \
                    va[0] ^ vb[0] == w.PARTIAL:
                # BIRD 2.0.12 gives a community attribute or OTC that a filter touched fresh flags
                # (measured):
                # Partial set when the filter created it, cleared when it modified one that
                # arrived with Partial. RFC 4271 5: Partial marks an attribute passed on
                # unrecognised somewhere upstream; rsd sets it only then, and keeps it.
                if not sent_partial and vb[0] & w.PARTIAL:
                    IGNORED["BIRD: Partial bit on a community attribute or OTC created by a "
                            "filter"] += 1
                    continue
                if sent_partial and va[0] & w.PARTIAL:
                    IGNORED["BIRD: received Partial bit cleared when a filter modifies the "
                            "attribute"] += 1
                    continue
            if va != vb:
                fmt = (lambda v: "absent" if v is None else f"[{v[0]:02x}] {v[1]}")
                out.append(Diff(receiver, p, w.attr_name(t), fmt(va), fmt(vb)))
    return out


def diff_class(d: Diff) -> str:
    fam = "IPv6" if ":" in d.prefix else ("IPv4" if d.prefix != "-" else "")
    head = f"{d.receiver} {fam}".rstrip()
    if d.attr == "(route)":
        return f"{head}: route {'only from rsd' if d.rsd != 'absent' else 'only from BIRD'}"
    return f"{head}: {d.attr} differs"


# ---------------------------------------------------------------------- a run --

@dataclass
class Result:
    name: str
    routes: int = 0
    diffs: list = field(default_factory=list)
    error: str = ""
    exported: str = ""                  # routes each receiver holds at the end (BIRD's side)


def converge(insts: list, quiet: float, timeout: float) -> None:
    t0 = time.monotonic()
    for i in insts:                     # the quiet period counts from the end of the feed
        for sp in i.speakers.values():
            with sp.lock:
                sp.last_rx = max(sp.last_rx, t0)
    wait_until(lambda: all(i.ready() for i in insts) and time.monotonic() - t0 > quiet and
               all(i.quiet_for() > quiet for i in insts), timeout, "both route servers to go quiet")


def run_filter(name: str, text: str, args, workdir: str) -> Result:
    res = Result(name)
    base = args.slot + int(os.environ.get("INTEROP_SLOT_OFFSET", "0") or 0)
    insts = [Instance("bird", args.bird, Slot(base), workdir, name),
             Instance("rsd", args.bird if args.self_test else args.rsd, Slot(base + 1), workdir,
                      name, "bird" if args.self_test else "rsd")]
    try:
        checks = []
        for i in insts:
            cfg = config_text(i.slot, text, os.path.join(i.dir, "rs.log"))
            checks.append(i.check(cfg))
        if not checks[0][0]:
            res.error = f"BIRD rejects the configuration: {checks[0][1]}"
            return res
        if not checks[1][0]:
            res.diffs.append(Diff("config", "-", "rsd --check", checks[1][1][:300], "accepted"))
            return res
        for i in insts:
            i.start()
        wait_until(lambda: all(i.ready() for i in insts), 30, "sessions to establish")
        gen = Generator(args.seed, FEEDER_AS, RS_AS, [CLIENT_AS, FEEDER_AS, 64512, 196608])
        routes = gen.routes(args.routes)
        res.routes = len(routes)
        sent = {r.prefix: r for r in routes}
        feed = b"".join(w.encode_update(r) for r in routes) + w.EOR_V4 + w.EOR_V6
        for i in insts:
            i.speakers["feeder"].send(feed)
        converge(insts, args.quiet, args.timeout)
        for recv in RECEIVERS:
            res.diffs += [d for d in compare(recv, insts[1].snapshot(recv),
                                              insts[0].snapshot(recv), sent)]
        # Phase 2: withdraw a fifth, re-announce a tenth with other attributes.
        withdrawn = routes[::5]
        again = []
        for r in routes[1::10]:
            nr = gen.route(r.v6)
            gen.seen.discard(nr.prefix)
            nr.prefix = r.prefix
            again.append(nr)
        sent.update({r.prefix: r for r in again})
        feed = b"".join(w.encode_withdraw(r.prefix) for r in withdrawn) + \
            b"".join(w.encode_update(r) for r in again)
        for i in insts:
            i.speakers["feeder"].send(feed)
        converge(insts, args.quiet, args.timeout)
        for recv in RECEIVERS:
            res.diffs += [Diff(d.receiver + " (after changes)", d.prefix, d.attr, d.rsd, d.bird)
                          for d in compare(recv, insts[1].snapshot(recv),
                                           insts[0].snapshot(recv), sent)]
        res.exported = ", ".join(f"{k} {len(insts[0].speakers[k].snapshot())}"
                                 for k in RECEIVERS)
    except Exception as e:  # noqa: BLE001 - every failure is reported with the logs
        res.error = f"{type(e).__name__}: {e}\n" + "\n".join(i.log_tail() for i in insts)
    finally:
        for i in insts:
            i.stop()
    return res


def is_long(path: str) -> bool:
    with open(path) as f:
        return re.search(r"^#@\s*long\s*$", f.read(), re.M) is not None


def load_known(path: str) -> dict:
    known = {}
    if os.path.exists(path):
        with open(path) as f:
            for ln in f:
                ln = ln.strip()
                if ln and not ln.startswith("#") and ":" in ln:
                    k, why = ln.split(":", 1)
                    known[k.strip()] = why.strip()
    return known


def main() -> int:
    ap = argparse.ArgumentParser(description="rsd vs BIRD 2 differential test")
    ap.add_argument("--routes", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--filter", action="append", default=[],
                    help="corpus entry name or glob (repeatable; default: all)")
    ap.add_argument("--corpus", default=os.path.join(HERE, "filters"))
    ap.add_argument("--known", default=os.path.join(HERE, "known-differences.txt"))
    ap.add_argument("--rsd", default=os.environ.get("RSD_BIN", ""))
    ap.add_argument("--bird", default=shutil.which("bird") or "bird")
    ap.add_argument("--slot", type=int, default=120)
    ap.add_argument("--quiet", type=float, default=1.5, help="seconds without UPDATEs = converged")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--show", type=int, default=12, help="differences printed per entry")
    ap.add_argument("--long", action="store_true",
                    help="also run the entries marked `#@ long` (the CI run leaves them out)")
    ap.add_argument("--self-test", action="store_true",
                    help="run BIRD in both places (the harness must then find no difference)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    for prog in ([] if args.self_test else [args.rsd]) + [args.bird]:
        if not prog or not (os.path.isfile(prog) and os.access(prog, os.X_OK)):
            log(f"FAIL: program not found: {prog!r} (set --rsd / RSD_BIN; bird comes from bird2)")
            return 1
    names = sorted(f[:-5] for f in os.listdir(args.corpus) if f.endswith(".conf"))
    if args.filter:
        # An entry named exactly runs even when marked long; a glob follows --long.
        names = [n for n in names if n in args.filter or
                 (any(fnmatch.fnmatch(n, g) for g in args.filter)
                  and (args.long or not is_long(os.path.join(args.corpus, n + ".conf"))))]
    elif not args.long:
        skipped = [n for n in names if is_long(os.path.join(args.corpus, n + ".conf"))]
        names = [n for n in names if n not in skipped]
        if skipped:
            log(f"left out (marked `#@ long`; run with --long): {' '.join(skipped)}")
    if not names:
        log("FAIL: no corpus entry selected")
        return 1
    known = load_known(args.known)
    workdir = tempfile.mkdtemp(prefix="rsd-diff-")
    t0 = time.monotonic()
    failed = passed = known_hits = 0
    classes: dict = {}
    total_routes = 0
    for name in names:
        with open(os.path.join(args.corpus, name + ".conf")) as f:
            text = f.read()
        t1 = time.monotonic()
        r = run_filter(name, text, args, workdir)
        total_routes += r.routes
        dt = time.monotonic() - t1
        if r.error:
            failed += 1
            log(f"ERROR {name} ({dt:.1f} s): {r.error}")
            continue
        if not r.diffs:
            if name in known:
                log(f"ok    {name} ({r.routes} routes, {dt:.1f} s) - listed as a known difference "
                    f"but matches now: take it off {os.path.basename(args.known)}")
            else:
                log(f"ok    {name} ({r.routes} routes, exported to {r.exported}; {dt:.1f} s)")
            passed += 1
            continue
        for d in r.diffs:
            classes.setdefault(diff_class(d), set()).add(name)
        if name in known and re.fullmatch(r"\s*\[v6-export\]\s*", known[name]) and \
                any(":" not in d.prefix for d in r.diffs):
            # Listed for the IPv6 export filter bug only: an IPv4 difference is a new one.
            log(f"DIFF  {name}: listed as [v6-export] only, but IPv4 routes differ too")
            known.pop(name)
        tag = "KNOWN" if name in known else "DIFF "
        log(f"{tag} {name} ({r.routes} routes, {dt:.1f} s): {len(r.diffs)} differences"
            + (f" - known: {known[name]}" if name in known else ""))
        for d in r.diffs[:args.show]:
            log(f"        {d.receiver:<28} {d.prefix:<24} {d.attr:<18} rsd: {d.rsd}")
            log(f"        {'':<28} {'':<24} {'':<18} BIRD: {d.bird}")
        if name in known:
            known_hits += 1
        else:
            failed += 1
    if classes:
        log("difference classes (entries):")
        for c, ns in sorted(classes.items()):
            log(f"  {c}: {', '.join(sorted(ns))}")
    for what, n in IGNORED.items():
        log(f"not counted as differences (documented BIRD deviation): {what}: {n} attributes")
    log(f"compared {total_routes} routes through {len(names)} filter entries in "
        f"{time.monotonic() - t0:.1f} s (seed {args.seed})")
    if args.keep or failed:
        log(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"{passed + known_hits} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
