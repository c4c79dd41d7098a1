#!/usr/bin/env python3
"""`configure check` previews a reload, then `configure` does exactly what it said (docs/cli.md).

One BIRD 2 process plays three peers of rsd on their own loopback addresses (rsd has one
address per peer, 127.0.0.11-13): `feed` (AS 65010, 127.0.0.2) announces IPv4 and IPv6 routes; `edge1` (AS 65020, 127.0.0.3, an `rs client`) and
`edge2` (AS 65030, 127.0.0.4) receive rsd's exports into tables of their own. rsd also runs three
healthchecks whose routes go to the edges too (one competes with a route from `feed`). The new
configuration changes edge1's IPv4 export filter, feed's IPv6 import filter (a different change),
one healthcheck's interval, removes another, adds a third, changes edge2's hold time (a session
reset) and a static route (which rsd loads at start only: reported as not applied, and it stays). The test asserts the report (text and JSON): the sessions, the health blocks, per
prefix the best path before and after, edge1's routes before and after; then applies the file and
polls until edge1's table (read with birdc) is what the preview said, prefix by prefix, with the
attributes that matter (next hop, MED, AS path, communities).

usage: configure_preview_test.py --rsd RSD [--bird BIRD --birdc BIRDC]
Without bird or birdc the test fails."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsdtest import Conn, Rsd, fail_on_skips, final_code, free_port, terminate  # noqa: E402

ARGS = None

RSD_CONF = """
router id 192.0.2.1;
healthcheck hc_keep {{ command "/bin/true"; route 10.30.1.1/32 next hop 192.0.2.31 med 100;
  interval 1 s; rise 1; fall 1; }}
healthcheck hc_change {{ command "/bin/true"; route 10.30.2.1/32 next hop 192.0.2.32 med {hc_med};
  interval {hc_interval}; rise 1; fall 1; }}
{hc_gone}
{hc_new}
protocol static st {{ ipv4; route {static_route} via 192.0.2.40; }}
protocol bgp feed {{
  local 127.0.0.11 port @PORT@ as 65000;
  neighbor 127.0.0.2 port {feed_port} as 65010;
  hold time 30;
  connect retry time 1;
  multihop 8;
  ipv4 {{ import all; export none; }};
  ipv6 {{ import filter {{ {feed_import6} accept; }}; export none; }};
}}
protocol bgp edge1 {{
  local 127.0.0.12 port @PORT@ as 65000;
  neighbor 127.0.0.3 port {edge1_port} as 65020;
  rs client;
  hold time 30;
  connect retry time 1;
  multihop 8;
  ipv4 {{ import none; export filter {{ {edge1_export4} accept; }}; }};
  ipv6 {{ import none; export all; }};
}}
protocol bgp edge2 {{
  local 127.0.0.13 port @PORT@ as 65000;
  neighbor 127.0.0.4 port {edge2_port} as 65030;
  rs client;
  hold time {edge2_hold};
  connect retry time 1;
  multihop 8;
  ipv4 {{ import none; export all; }};
  ipv6 {{ import none; export all; }};
}}
"""

HC_GONE = """healthcheck hc_gone { command "/bin/true"; route 10.30.3.1/32 next hop 192.0.2.33 med 100;
  interval 1 s; rise 1; fall 1; }"""
HC_NEW = """healthcheck hc_new { command "/bin/true"; route 10.30.4.1/32 next hop 192.0.2.34 med 100;
  interval 1 s; rise 1; fall 1; }"""

OLD = dict(static_route="10.40.0.0/24", hc_med=100, hc_interval="1 s", hc_gone=HC_GONE, hc_new="", edge2_hold=30,
           feed_import6="if net = 2001:db8:12::/48 then reject;",
           edge1_export4="if net = 10.10.2.0/24 then reject;")
NEW = dict(static_route="10.40.1.0/24", hc_med=150, hc_interval="2 s", hc_gone="", hc_new=HC_NEW, edge2_hold=40,
           feed_import6="if net = 2001:db8:11::/48 then reject; "
                        "if net = 2001:db8:13::/48 then bgp_med = 77;",
           edge1_export4="if net = 10.10.1.0/24 then reject; "
                         "if net = 10.10.3.0/24 then bgp_community.add((65000,777));")

BIRD_CONF = """
log "{dir}/bird.log" all;
router id 192.0.2.50;
ipv4 table igp4; ipv6 table igp6;
ipv4 table e1_4; ipv6 table e1_6; ipv4 table e2_4; ipv6 table e2_6;
protocol device {{ scan time 10; }}
protocol static igp_v4 {{ ipv4 {{ table igp4; }}; route 192.0.2.0/24 via "lo"; }}
protocol static igp_v6 {{ ipv6 {{ table igp6; }}; route 2001:db8::/32 via "lo"; }}
protocol static s4 {{ ipv4; route 10.10.1.0/24 blackhole; route 10.10.2.0/24 blackhole;
  route 10.10.3.0/24 blackhole; route 10.30.3.1/32 blackhole; }}
protocol static s6 {{ ipv6; route 2001:db8:11::/48 blackhole; route 2001:db8:12::/48 blackhole;
  route 2001:db8:13::/48 blackhole; }}
protocol bgp feed {{
  local 127.0.0.2 port {feed_port} as 65010; neighbor 127.0.0.11 port {rsd_port} as 65000;
  strict bind on; multihop 8; hold time 30; connect delay time 1; connect retry time 1; error wait time 1, 2;
  ipv4 {{ import none; next hop address 192.0.2.2;
    export filter {{ if net = 10.10.1.0/24 then bgp_med = 10; if net = 10.10.3.0/24 then bgp_med = 30;
      if net = 10.30.3.1/32 then bgp_med = 50; accept; }}; }};
  ipv6 {{ import none; next hop address 2001:db8::2;
    export filter {{ if net = 2001:db8:13::/48 then bgp_med = 5; accept; }}; }};
}}
"""
BIRD_EDGE = """
protocol bgp {name} {{
  local {addr} port {port} as {asn}; neighbor {rsd_addr} port {rsd_port} as 65000;
  strict bind on; multihop 8; enforce first as off; hold time 30;
  connect delay time 1; connect retry time 1; error wait time 1, 2;
  ipv4 {{ table {t4}; import all; export none; igp table igp4; }};
  ipv6 {{ table {t6}; import all; export none; igp table igp6; }};
}}
"""


def wait_for(pred, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)  # polling interval, not a wait for an event
    return pred()


def birdc(sock, *words):
    p = subprocess.run([ARGS.birdc, "-s", sock, *words], capture_output=True, text=True, timeout=30)
    return p.stdout


def bird_routes(sock, table):
    """prefix -> {next_hop, as_path, med, communities} of a BIRD table (`show route all`)."""
    out, cur = {}, None
    for line in birdc(sock, "show", "route", "table", table, "all").splitlines():
        m = re.match(r"^(\S+/\d+)\s+unicast", line)
        if m:
            cur = out.setdefault(m.group(1), {"next_hop": None, "as_path": "", "med": None,
                                              "communities": ""})
            continue
        m = re.match(r"^\s+BGP\.(\w+): ?(.*)$", line)
        if m and cur is not None:
            k, v = m.group(1), m.group(2).strip()
            if k == "next_hop":
                cur["next_hop"] = v.split()[0]
            elif k == "as_path":
                cur["as_path"] = v
            elif k == "med":
                cur["med"] = int(v)
            elif k == "community":
                cur["communities"] = v
    return out


def preview_route(r):
    """The same fields from a `configure check` JSON edge route."""
    a = r["attributes"]
    comms = " ".join("(%d,%d)" % tuple(c) for c in a.get("communities", []))
    return {"next_hop": r["next_hop"], "as_path": " ".join(str(x) for x in flatten(a.get("as_path", []))),
            "med": a.get("med"), "communities": comms}


def flatten(path):
    out = []
    for seg in path:
        if isinstance(seg, dict):
            out.extend(seg.get("asns", []))
        elif isinstance(seg, list):
            out.extend(seg)
        else:
            out.append(seg)
    return out


def json_doc(lines):
    body = lines[:-1]
    return json.loads("\n".join(l[5:] if l.startswith("1040-") else l[1:] for l in body))


class Bird:
    def __init__(self, conf_text):
        self.dir = tempfile.mkdtemp(prefix="rsd-preview-bird-")
        self.sock = os.path.join(self.dir, "bird.ctl")
        conf = os.path.join(self.dir, "bird.conf")
        with open(conf, "w") as f:
            f.write(conf_text.replace("{dir}", self.dir))
        self.out = open(os.path.join(self.dir, "bird.out"), "w")
        self.proc = subprocess.Popen([ARGS.bird, "-f", "-c", conf, "-s", self.sock,
                                      "-P", os.path.join(self.dir, "bird.pid")],
                                     stdout=self.out, stderr=self.out)
        if not wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None, 10) \
                or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("bird did not start")

    def stop(self):
        terminate(self.proc)
        self.out.close()
        if not os.environ.get("RSD_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class ConfigurePreview(unittest.TestCase):
    def setUp(self):
        self.ports = dict(feed_port=free_port("127.0.0.2"), edge1_port=free_port("127.0.0.3"),
                          edge2_port=free_port("127.0.0.4"))
        self.rsd = Rsd(ARGS.rsd, conf_text=RSD_CONF.format(**OLD, **self.ports))
        self.addCleanup(self.rsd.stop)
        # BIRD starts one session per neighbour address: each peer has its own rsd address.
        edges = "".join(BIRD_EDGE.format(name=n, addr=a, port=self.ports[n + "_port"], asn=asn,
                                         rsd_addr=ra, rsd_port=self.rsd.port, t4=t4, t6=t6)
                        for n, a, ra, asn, t4, t6 in (
                            ("edge1", "127.0.0.3", "127.0.0.12", 65020, "e1_4", "e1_6"),
                            ("edge2", "127.0.0.4", "127.0.0.13", 65030, "e2_4", "e2_6")))
        self.bird = Bird(BIRD_CONF.format(dir="{dir}", rsd_port=self.rsd.port, **self.ports) + edges)
        self.addCleanup(self.bird.stop)
        self.c = Conn(self.rsd.sock)
        self.addCleanup(self.c.close)

    def edge(self, table):
        return bird_routes(self.bird.sock, table)

    def bird_since(self, name):
        """(state, since) of a BIRD protocol: the time changes when its session goes down."""
        for line in birdc(self.bird.sock, "show", "protocols").splitlines():
            f = line.split()
            if f and f[0] == name:
                return (f[3], f[4])
        return None

    def test_preview_then_apply(self):
        # The initial state: every route at the edges (health routes once their checks are up).
        v4 = {"10.10.1.0/24", "10.10.3.0/24", "10.30.1.1/32", "10.30.2.1/32", "10.30.3.1/32",
              "10.40.0.0/24"}
        self.assertTrue(wait_for(lambda: set(self.edge("e1_4")) == v4, 60),
                        (self.edge("e1_4"), birdc(self.bird.sock, "show", "protocols")))
        self.assertTrue(wait_for(lambda: set(self.edge("e1_6")) == {"2001:db8:11::/48", "2001:db8:13::/48"}))
        self.assertTrue(wait_for(lambda: "10.10.2.0/24" in self.edge("e2_4")))
        # The health route of hc_gone beats feed's (shorter AS path).
        self.assertEqual(self.edge("e1_4")["10.30.3.1/32"]["next_hop"], "192.0.2.33")
        before4, before6 = self.edge("e1_4"), self.edge("e1_6")
        before_e2 = self.edge("e2_4")
        since = {n: self.bird_since(n) for n in ("feed", "edge1", "edge2")}
        new_conf = self.rsd.write_conf(RSD_CONF.format(**NEW, **self.ports),
                                       os.path.join(self.rsd.dir, "new.conf"))

        # ---- text
        text = self.c.cmd('configure check "%s"' % new_conf)
        self.assertEqual(final_code(text), 20, text)
        t = "\n".join(l[5:] if l[:4].isdigit() else l[1:] for l in text)
        self.assertIn("edge2: restart: hold time changed; the session would restart", t)
        self.assertRegex(t, r"Sessions: reset: edge2 \(\d+ prefixes withdrawn from it\); "
                            r"soft reload: edge1, feed")
        self.assertIn("healthcheck hc_change: changed (route, interval): restarts from INIT; its routes "
                      "stay announced as they are until the new check has a verdict; "
                      "then: 10.30.2.1/32 med 100 -> 150", t)
        self.assertIn("healthcheck hc_gone: removed: stops; its routes are withdrawn at once", t)
        self.assertIn("healthcheck hc_new: added: starts; announces its routes once it has a verdict", t)
        # rsd loads static routes at start: the reload leaves 10.40.0.0/24 (checked after it).
        self.assertIn("st: static protocol routes changed; not applied", t)
        self.assertIn("feed: 2001:db8:11::/48 would be rejected", t)
        self.assertIn("feed: 2001:db8:12::/48 would be accepted", t)
        self.assertIn("feed: 2001:db8:13::/48 would be changed", t)
        self.assertIn("feed: 1 routes would be accepted, 1 rejected, 1 changed", t)
        self.assertIn("10.30.3.1/32:\n\tbest now:   health hc_gone via 192.0.2.33", t)
        self.assertIn("\tbest after: feed via 192.0.2.2 as path [65010] med 50", t)
        self.assertIn("\tedge1 after: nothing", t)  # 10.10.1.0/24 rejected by the new filter
        self.assertRegex(t, r"edge1 ipv4: 1 announced, 1 withdrawn, 2 changed")
        self.assertRegex(t, r"edge1 ipv6: 1 announced, 1 withdrawn, 1 changed")
        # edge2 resets: what it gets once it is back, against what it holds now (counted only).
        self.assertIn("edge2 (once re-established) ipv4: 0 announced, 0 withdrawn, 1 changed", t)
        # Stock birdc shows the same report.
        out = subprocess.run([ARGS.birdc, "-s", self.rsd.sock, 'configure check "%s"' % new_conf],
                             capture_output=True, text=True, timeout=30).stdout
        self.assertIn("\n10.30.3.1/32:\n\tbest now:   health hc_gone via 192.0.2.33", out)
        self.assertIn("\nedge1 ipv6: 1 announced, 1 withdrawn, 1 changed\n", out)
        self.assertIn("\nedge2 (once re-established) ipv6: 1 announced, 1 withdrawn, 1 changed\n"
                      "Configuration OK", out)
        # Nothing was applied.
        self.assertEqual(self.edge("e1_4"), before4)
        self.assertEqual(final_code(self.c.cmd("show health hc_gone")), 0)

        # ---- JSON, and the bound
        self.assertEqual(self.c.cmd("json on"), ["0000 "])
        doc = json_doc(self.c.cmd('configure check "%s" limit 2' % new_conf))
        self.assertEqual(len(doc["prefixes"]), 2)
        self.assertFalse(doc["summary"]["complete"])
        doc = json_doc(self.c.cmd('configure check "%s" all' % new_conf))
        self.assertTrue(doc["summary"]["complete"])
        self.assertEqual(final_code(self.c.cmd("json off")), 0)
        tallies = {(e["protocol"], e["family"], e["reset"]): (e["announced"], e["withdrawn"], e["changed"])
                   for e in doc["summary"]["edges"]}
        self.assertEqual(tallies, {("edge1", "ipv4", False): (1, 1, 2), ("edge1", "ipv6", False): (1, 1, 1),
                                   ("edge2", "ipv4", True): (0, 0, 1), ("edge2", "ipv6", True): (1, 1, 1)})
        fates = {s["name"]: s["fate"] for s in doc["sessions"]}
        self.assertEqual(fates, {"edge1": "soft reload", "edge2": "reset", "feed": "soft reload"})
        health = {h["name"]: (h["action"], h["changed"]) for h in doc["health"]}
        self.assertEqual(health, {"hc_keep": ("unchanged", []), "hc_change": ("changed", ["route", "interval"]),
                                  "hc_new": ("added", []), "hc_gone": ("removed", [])})
        self.assertEqual(sorted((r["prefix"], r["change"]) for r in doc["routes"]),
                         [("2001:db8:11::/48", "rejected"), ("2001:db8:12::/48", "accepted"),
                          ("2001:db8:13::/48", "changed")])
        by_prefix = {p["prefix"]: p for p in doc["prefixes"]}
        p = by_prefix["10.30.3.1/32"]
        self.assertEqual((p["best_now"]["source"], p["best_after"]["source"]), ("health hc_gone", "feed"))
        p = by_prefix["2001:db8:13::/48"]
        self.assertEqual((p["best_now"]["attributes"]["med"], p["best_after"]["attributes"]["med"]), (5, 77))
        self.assertIsNone(by_prefix["2001:db8:11::/48"]["best_after"])
        self.assertEqual(by_prefix["2001:db8:12::/48"]["best_now"], None)
        # edge2 resets: said per session, not per prefix.
        self.assertFalse(any(e["protocol"] == "edge2" for p in doc["prefixes"] for e in p["edges"]))
        # What edge1 holds now is what the preview says it holds now.
        expected = {"e1_4": dict(before4), "e1_6": dict(before6)}
        listed = set()
        for p in doc["prefixes"]:
            table = "e1_6" if ":" in p["prefix"] else "e1_4"
            for e in p["edges"]:
                if e["protocol"] != "edge1":
                    continue
                listed.add(p["prefix"])
                now = [preview_route(r) for r in e["now"]]
                self.assertEqual(now, [before4, before6][table == "e1_6"].get(p["prefix"]) and
                                 [[before4, before6][table == "e1_6"][p["prefix"]]] or [], p)
                if e["after"]:
                    expected[table][p["prefix"]] = preview_route(e["after"][0])
                else:
                    expected[table].pop(p["prefix"], None)
        self.assertEqual(listed, {"10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24", "10.30.3.1/32",
                                  "2001:db8:11::/48", "2001:db8:12::/48", "2001:db8:13::/48"})
        self.assertEqual(expected["e1_4"]["10.10.3.0/24"]["communities"], "(65000,777)")

        # ---- apply: edge1 ends up with exactly the preview, plus what the health lines said comes
        # once a new instance has its verdict: hc_change's new MED and hc_new's route.
        self.assertEqual(final_code(self.c.cmd('configure "%s"' % new_conf)), 3)
        expected["e1_4"]["10.30.2.1/32"] = dict(expected["e1_4"]["10.30.2.1/32"], med=150)
        expected["e1_4"]["10.30.4.1/32"] = {"next_hop": "192.0.2.34", "as_path": "", "med": 100,
                                            "communities": ""}
        for table in ("e1_4", "e1_6"):
            ok = wait_for(lambda: self.edge(table) == expected[table], 30)
            self.assertTrue(ok, (table, self.edge(table), expected[table]))
        # edge2 was reset and is back: it exports everything, so it holds what edge1 holds for
        # the prefixes whose change the preview counted for it, the rest as before.
        expected_e2 = dict(before_e2)
        for prefix in ("10.30.2.1/32", "10.30.3.1/32", "10.30.4.1/32"):
            expected_e2[prefix] = expected["e1_4"][prefix]
        self.assertTrue(wait_for(lambda: self.edge("e2_4") == expected_e2, 30),
                        (self.edge("e2_4"), expected_e2))
        self.assertTrue(wait_for(lambda: self.edge("e2_6") == expected["e1_6"], 30))
        # As the preview said: edge2's session was reset, the others were not.
        self.assertNotEqual(self.bird_since("edge2"), since["edge2"])
        self.assertEqual(self.bird_since("edge2")[0], "up")
        self.assertEqual({n: self.bird_since(n) for n in ("feed", "edge1")},
                         {n: since[n] for n in ("feed", "edge1")})


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ap.add_argument("--bird", default=shutil.which("bird") or "/usr/sbin/bird")
    ap.add_argument("--birdc", default=shutil.which("birdc") or "/usr/sbin/birdc")
    ARGS, rest = ap.parse_known_args()
    for prog in (ARGS.bird, ARGS.birdc):
        if not os.access(prog, os.X_OK):
            print("missing program: " + prog, file=sys.stderr)
            sys.exit(1)
    runner = unittest.TextTestRunner(verbosity=2)
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, testRunner=runner).result
    fail_on_skips(result)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
