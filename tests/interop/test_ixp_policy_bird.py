#!/usr/bin/env python3
"""BIRD 2 as the oracle for tests/data/bird-configs/ixp-rs.conf's policy.

test_conf_bird_configs.cpp runs the config's import and export filters in rsd's filter VM on sample
routes and checks verdicts and attributes. This runs the same filters, on the same routes, in the
real BIRD: the config's definitions, functions and filters (its `protocol bgp` blocks cut out) with
one static protocol per case whose route carries the case's AS_PATH, next hop and communities, and
the filter under test as its import filter (`import keep filtered`, so rejected routes stay
visible). The only change to the policy: `source = RTS_BGP` reads `source = RTS_STATIC`. BIRD's
verdicts, communities, AS_PATHs and next hops must be those the C++ test expects of rsd.

Usage: test_ixp_policy_bird.py SOURCE_DIR. BIRD is started in a temp dir with its own socket and
stopped by its PID. A missing bird fails the test.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIRD = shutil.which("bird") or "/usr/sbin/bird"
BIRDC = shutil.which("birdc") or "/usr/sbin/birdc"

# (filter, prefix, AS_PATH, next hop, communities, large communities) ->
#   (accepted, communities after, large communities after, AS_PATH after, next hop after, local pref)
# None after = not checked. Every case is one of test_conf_bird_configs.cpp's.
CASES = [
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501], "192.0.2.11", [], [],
     (True, ["(64499,1)"], ["(64500, 1000, 1)", "(64500, 1001, 1)"], None, None, None)),
    ("receive_from_AS64501_1", "198.51.100.0/25", [64501], "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/29", [64501], "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "10.0.0.0/24", [64501], "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501], "192.0.2.12", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64502, 64501], "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501, 64512, 64501], "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501, 174, 64511], "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501, 64511], "192.0.2.11", [], [], (True,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501, 64502], "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501] * 33, "192.0.2.11", [], [], (False,)),
    ("receive_from_AS64501_1", "203.0.113.0/24", [64501], "192.0.2.11",
     ["(64499,9)", "(0,64502)", "(65535,0)"], ["(64500,1000,9)", "(64500,0,65550)"],
     (True, ["(0,64502)", "(65535,0)", "(64499,1)"],
      ["(64500, 0, 65550)", "(64500, 1000, 1)", "(64500, 1001, 1)"], None, None, 0)),
    ("receive_from_AS64501_1", "203.0.113.7/32", [64501], "192.0.2.11", ["(65535,666)"], [], (True,)),
    ("receive_from_AS64501_1", "192.0.2.0/32", [64501], "192.0.2.11", ["(65535,666)"], [], (False,)),
    ("receive_from_AS64501_2", "2001:db8:1::/48", [64501], "2001:db8:ff::11", [], [], (True,)),
    ("receive_from_AS64501_2", "2001:db8:1:100::/56", [64501], "2001:db8:ff::11", [], [], (False,)),
    ("receive_from_AS64501_2", "2001:db8:1::/64", [64501], "2001:db8:ff::11", [], [], (False,)),
    ("receive_from_AS64501_2", "fc00:1::/48", [64501], "2001:db8:ff::11", [], [], (False,)),
    ("receive_from_AS64501_2", "2001:db8:1::1/128", [64501], "2001:db8:ff::11", [], ["(64500,666,0)"],
     (True,)),
    ("announce_to_AS64502_1", "203.0.113.0/24", [64501], "192.0.2.11", ["(0,64502)"], [], (False,)),
    ("announce_to_AS64502_1", "203.0.113.0/24", [64501], "192.0.2.11", ["(0,64500)"], [], (False,)),
    ("announce_to_AS64502_1", "203.0.113.0/24", [64501], "192.0.2.11",
     ["(0,64500)", "(64500,64502)", "(64499,1)"], [], (True, ["(64499,1)"], None, None, None, None)),
    ("announce_to_AS64502_1", "203.0.113.0/24", [64501], "192.0.2.11", [], ["(64500,0,64502)"], (False,)),
    ("announce_to_AS64501_1", "198.51.100.128/25", [64501], "192.0.2.11", [], ["(64500,0,64502)"], (True,)),
    ("announce_to_AS64502_1", "203.0.113.0/24", [64501], "192.0.2.11", ["(65502,64502)"], [],
     (True, [], None, "64501 64501 64501", None, None)),
    ("announce_to_AS65550_1", "203.0.113.0/24", [64501], "192.0.2.11", ["(65502,64502)"], [],
     (True, None, None, "64501", None, None)),
    ("announce_to_AS64501_2", "2001:db8:2::/48", [64502], "2001:db8:ff::12", ["(65501,0)"], [],
     (True, [], None, "64502 64502", None, None)),
    ("announce_to_AS65550_1", "203.0.113.0/24", [64501], "192.0.2.11", ["(0,64600)"], [], (False,)),
    ("announce_to_AS65550_2", "2001:db8:1::/48", [64501], "2001:db8:ff::11", ["(0,64600)"], [], (False,)),
    ("announce_to_AS65550_1", "203.0.113.0/24", [64501], "192.0.2.11", [], ["(64500,0,65550)"], (False,)),
    ("announce_to_AS64502_1", "203.0.113.0/24", [64501], "192.0.2.11", [], ["(64500,0,65550)"], (True,)),
    ("announce_to_AS64502_1", "203.0.113.7/32", [64501], "192.0.2.11", ["(65535,666)"], [],
     (True, None, None, None, "192.0.2.66", None)),
    ("announce_to_AS65550_2", "2001:db8:1::1/128", [64501], "2001:db8:ff::11", ["(65535,666)"], [],
     (True, None, None, None, "2001:db8:ff::66", None)),
]


def strip_bgp_protocols(text):
    """The config without its `protocol bgp NAME { ... }` blocks (braces matched)."""
    out, i = [], 0
    for m in re.finditer(r"^protocol bgp \S+ \{", text, re.M):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 0, m.end() - 1
        while True:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        i = j + 1
    out.append(text[i:])
    return "".join(out)


def case_protocol(n, case):
    filt, prefix, path, nh, comms, large, _ = case
    fam = "ipv6" if ":" in prefix else "ipv4"
    attrs = ["bgp_origin = ORIGIN_IGP;", "bgp_local_pref = 100;", "bgp_next_hop = %s;" % nh]
    attrs += ["bgp_path.prepend(%d);" % a for a in reversed(path)]
    attrs += ["bgp_community.add(%s);" % c for c in comms]
    attrs += ["bgp_large_community.add(%s);" % c for c in large]
    return ("protocol static case%d {\n  %s { import filter %s; import keep filtered on; };\n"
            "  route %s blackhole { %s };\n}\n" % (n, fam, filt, prefix, " ".join(attrs)))


def birdc(sock, *words):
    r = subprocess.run([BIRDC, "-s", sock] + list(words), capture_output=True, text=True, timeout=20)
    if r.returncode != 0 or "Unable to connect" in r.stdout:
        raise RuntimeError("birdc %s: %s %s" % (" ".join(words), r.stdout, r.stderr))
    return r.stdout


def attr(text, name):
    m = re.search(r"^\s+BGP\.%s: ?(.*)$" % name, text, re.M)
    return None if m is None else m.group(1).strip()


def main():
    if len(sys.argv) != 2:
        print("usage: test_ixp_policy_bird.py SOURCE_DIR")
        return 2
    if not (os.path.exists(BIRD) and os.path.exists(BIRDC)):
        print("FAIL: bird2 is not installed (scripts/setup installs it)")
        return 1
    with open(os.path.join(sys.argv[1], "tests/data/bird-configs/ixp-rs.conf")) as f:
        policy = strip_bgp_protocols(f.read())
    policy = policy.replace("!(source = RTS_BGP)", "!(source = RTS_STATIC)")
    tmp = tempfile.mkdtemp(prefix="rsd-ixp-oracle-")
    conf, sock, pidf = (os.path.join(tmp, n) for n in ("bird.conf", "bird.ctl", "bird.pid"))
    with open(conf, "w") as f:
        f.write(policy.replace("log stderr all;", 'log "%s/bird.log" all;' % tmp))
        for n, case in enumerate(CASES):
            f.write(case_protocol(n, case))
    pid = None
    failures = []
    try:
        r = subprocess.run([BIRD, "-c", conf, "-s", sock, "-P", pidf], capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            print("FAIL: bird did not start: %s %s" % (r.stdout, r.stderr))
            return 1
        # BIRD creates its pid file before it writes the number: wait for the number itself.
        def read_pid():
            try:
                with open(pidf) as f:
                    text = f.read().strip()
            except FileNotFoundError:
                return None
            return int(text) if text.isdigit() else None

        end = time.time() + 15
        while time.time() < end and not (read_pid() and os.path.exists(sock)):
            time.sleep(0.05)
        pid = read_pid()
        if pid is None:
            print("FAIL: bird wrote no pid to %s within 15 s" % pidf)
            return 1
        for n, case in enumerate(CASES):
            filt, prefix, path, nh, comms, large, want = case
            what = "case%d %s %s path %s comms %s %s" % (n, filt, prefix, path, comms, large)
            end = time.time() + 10
            while True:
                acc = birdc(sock, "show", "route", "all", "protocol", "case%d" % n)
                rej = birdc(sock, "show", "route", "all", "filtered", "protocol", "case%d" % n)
                accepted = prefix.split("/")[0] in acc
                rejected = prefix.split("/")[0] in rej
                if accepted or rejected or time.time() > end:
                    break
                time.sleep(0.1)
            if accepted == rejected:
                failures.append("%s: route neither accepted nor filtered:\n%s%s" % (what, acc, rej))
                continue
            if accepted != want[0]:
                failures.append("%s: BIRD %s it" % (what, "accepted" if accepted else "rejected"))
                continue
            if not accepted or len(want) == 1:
                continue
            w_comms, w_large, w_path, w_nh, w_lp = want[1:]
            got_c = (attr(acc, "community") or "").split(") (")
            got_c = [] if got_c == [""] else ["(" + x.strip("()") + ")" for x in got_c]
            if w_comms is not None and got_c != w_comms:
                failures.append("%s: communities %s, want %s" % (what, got_c, w_comms))
            if w_large is not None:
                got_l = re.findall(r"\(\d+, \d+, \d+\)", attr(acc, "large_community") or "")
                if got_l != w_large:
                    failures.append("%s: large communities %s, want %s" % (what, got_l, w_large))
            if w_path is not None and attr(acc, "as_path") != w_path:
                failures.append("%s: AS_PATH %r, want %r" % (what, attr(acc, "as_path"), w_path))
            if w_nh is not None and attr(acc, "next_hop") != w_nh:
                failures.append("%s: next hop %r, want %r" % (what, attr(acc, "next_hop"), w_nh))
            if w_lp is not None and attr(acc, "local_pref") != str(w_lp):
                failures.append("%s: local pref %r, want %r" % (what, attr(acc, "local_pref"), w_lp))
    finally:
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if failures:
            log = os.path.join(tmp, "bird.log")
            if os.path.exists(log):
                with open(log) as f:
                    print("--- bird.log (tail)\n" + f.read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    print("%d cases, %d differ from what rsd's test expects" % (len(CASES), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
