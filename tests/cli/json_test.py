#!/usr/bin/env python3
"""The control socket's JSON mode (`json on`, `rsc --json`) against its text replies.

One rsd with IPv4 and IPv6 configured differently (import filters, `import keep filtered` on IPv6
only, preferences, static routes with communities and special destinations), a BGP speaker
announcing routes of both families (IPv6 through MP_REACH_NLRI, one with a link-local next hop),
a health check, a process and the history. Every show command is asked in text and in JSON, and
the JSON must carry the same values as the text: protocol rows and channel counters, routes
(prefix, next hop, MED, communities, AS path, decision), counts, memory, symbols, health,
services, history. Also: the framing (1040 lines, then 0000 or the error), the envelope of
actions and errors, the mode staying per connection, and rsc's exit codes.

Usage: json_test.py --rsd PATH --rsc PATH [unittest args]
"""
import argparse
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsdtest import Conn, Rsd, Speaker, bgp_msg, fail_on_skips, final_code  # noqa: E402

ARGS = None

CONF = """
router id 192.0.2.1;
history "@DIR@/history.db" { keep 1 d; routes where net ~ [ 10.1.0.0/16+ ]; }
filter v4_in { bgp_local_pref = 150; accept; }
filter v6_in { if bgp_med >= 50 then accept; reject; }

protocol static st4 {
  ipv4;
  route 198.51.100.0/24 via 192.0.2.3 { bgp_med = 7; bgp_community.add((65000, 7)); bgp_large_community.add((65000, 7, 7)); };
  route 198.51.100.128/25 blackhole;
}

protocol static st6 {
  ipv6 { preference 90; };
  route 2001:db8:100::/48 via 2001:db8::1 { bgp_med = 66; bgp_community.add((65000, 66)); };
  route 2001:db8:dead::/48 unreachable;
}

protocol bgp peer1 {
  description "v4 and v6";
  local 127.0.0.1 port @PORT@ as 65000;
  neighbor 127.0.0.1 as 65001;
  passive; hold time 3; min hold time 3;
  ipv4 { import filter v4_in; export all; };
  ipv6 { import filter v6_in; import keep filtered; export none; preference 120; };
}

protocol bgp peer2 {
  local 127.0.0.1 port @PORT@ as 65000;
  neighbor 127.0.0.3 as 65002;
  passive;
  disabled;
  ipv4 { import none; export none; };
}

healthcheck web {
  command "/bin/true";
  route 203.0.113.10/32 next hop 192.0.2.11 med 100;
  interval 60 s; fast interval 60 s; timeout 2 s;
  rise 1; fall 1;
}

process feed {
  shell "echo 'announce route 203.0.113.30/32 next-hop self med 150'; exec sleep 1000";
  next hop 192.0.2.14;
}
"""

ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$"


# ---- UPDATEs of both families ----------------------------------------------------------------

def attr(flags, kind, data):
    if len(data) > 255:
        return struct.pack("!BBH", flags | 0x10, kind, len(data)) + data
    return struct.pack("!BBB", flags, kind, len(data)) + data


def common_attrs(as_path, med, communities=(), large=()):
    a = attr(0x40, 1, b"\x00")  # ORIGIN IGP
    a += attr(0x40, 2, bytes([2, len(as_path)]) + b"".join(struct.pack("!I", x) for x in as_path))
    if med is not None:
        a += attr(0x80, 4, struct.pack("!I", med))
    if communities:
        a += attr(0xC0, 8, b"".join(struct.pack("!HH", x, y) for x, y in communities))
    if large:
        a += attr(0xC0, 32, b"".join(struct.pack("!III", *c) for c in large))
    return a


def nlri(prefixes, family):
    out = b""
    for p in prefixes:
        addr, length = p.split("/")
        length = int(length)
        raw = socket.inet_pton(family, addr)
        out += bytes([length]) + raw[: (length + 7) // 8]
    return out


def update_v4(prefixes, next_hop, as_path, med=None, communities=(), large=()):
    a = common_attrs(as_path, med, communities, large) + attr(0x40, 3, socket.inet_aton(next_hop))
    return bgp_msg(2, struct.pack("!H", 0) + struct.pack("!H", len(a)) + a + nlri(prefixes, socket.AF_INET))


def update_v6(prefixes, next_hop, as_path, med=None, communities=(), link_local=None):
    nh = socket.inet_pton(socket.AF_INET6, next_hop)
    if link_local:
        nh += socket.inet_pton(socket.AF_INET6, link_local)
    mp = struct.pack("!HBB", 2, 1, len(nh)) + nh + b"\x00" + nlri(prefixes, socket.AF_INET6)
    a = common_attrs(as_path, med, communities) + attr(0x80, 14, mp)
    return bgp_msg(2, struct.pack("!H", 0) + struct.pack("!H", len(a)) + a)


# ---- the text replies, parsed (the test's side only: the daemon never parses text) -----------

def texts(lines, code=None):
    """(code, text) of each reply line, continuations attributed to their code."""
    out, cur = [], None
    for l in lines:
        if len(l) >= 5 and l[:4].isdigit() and l[4] in "- ":
            cur, t = int(l[:4]), l[5:]
        else:
            t = l[1:]
        if code is None or cur == code:
            out.append((cur, t))
    return out


ROUTE_RE = re.compile(r"^(\S*)\s+(unicast|blackhole|unreachable|prohibited) \[(.+?) (\d\d:\d\d:\d\d\.\d{3})(?: from (\S+))?\]"
                      r"( \*)? \((\d+)\)(?: \[(?:AS(\d+))?([ie?])\])?$")


def text_routes(lines):
    routes, prefix = [], None
    for code, t in texts(lines):
        if code == 1007:
            m = ROUTE_RE.match(t)
            if m:
                prefix = m.group(1) or prefix
                routes.append(dict(prefix=prefix, type=m.group(2), protocol=m.group(3), since=m.group(4),
                                   from_=m.group(5), best=bool(m.group(6)), preference=int(m.group(7)),
                                   origin_as=int(m.group(8)) if m.group(8) else None, next_hop=None,
                                   attrs={}, info=None))
            elif t.startswith("\tvia "):
                routes[-1]["next_hop"] = t[5:]
        elif code == 1008 and t.startswith("\tDecision: "):
            routes[-1]["decision"] = t[len("\tDecision: "):]
        elif code == 1008 and t.startswith("\tType: "):
            routes[-1]["kind"] = t[len("\tType: "):]
        elif code == 1012:
            k, _, v = t[1:].partition(": ")
            routes[-1]["attrs"][k.rstrip(":")] = v
    return routes


def decision_text(d):
    if d["state"] == "filtered":
        return "filtered (rejected by the import filter)"
    if d["state"] == "best":
        return "best (%s)" % d["reason"]
    if d["state"] == "not best":
        return "not best (lost to %s on %s)" % (d["lost_to"], d["reason"])
    return d["state"]


def as_path_text(segments):
    parts = []
    for s in segments:
        asns = " ".join(str(a) for a in s["asns"])
        parts.append(asns if s["type"] == "sequence" else "{%s}" % asns)
    return " ".join(parts)


def size_text(b):
    if b < 1024:
        return "%6.1f  B" % b
    if b < 1024 * 1024:
        return "%6.1f kB" % (b / 1024)
    if b < 1024 ** 3:
        return "%6.1f MB" % (b / 1024 / 1024)
    return "%6.1f GB" % (b / 1024 / 1024 / 1024)


def local_ms(iso):
    """"2026-12-06T06:10:07.123+00:00" -> "2026-12-06 06:10:07.123" (the text's local time)."""
    return iso[:23].replace("T", " ")


class Json(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rsd = Rsd(ARGS.rsd, conf_text=CONF)
        try:
            cls.sp = Speaker(cls.rsd.port, families=((1, 1), (2, 1)))
            sp = cls.sp
            sp.send(update_v4(["10.1.0.0/24"], "192.0.2.100", [65001, 64500], med=5, communities=[(65001, 1), (65001, 2)]))
            sp.send(update_v4(["10.1.1.0/24"], "192.0.2.101", [65001, 64501, 64502], med=20, large=[(65001, 1, 2)]))
            sp.send(update_v4(["198.51.100.0/24"], "192.0.2.100", [65001], med=1))
            sp.send(update_v6(["2001:db8:1::/48"], "2001:db8::99", [65001, 64600], med=60, communities=[(65001, 6)]))
            sp.send(update_v6(["2001:db8:2::/48"], "2001:db8::99", [65001], med=10))
            sp.send(update_v6(["2001:db8:3::/48"], "2001:db8::98", [65001, 64700], med=70, link_local="fe80::1"))
            cls.c = Conn(cls.rsd.sock)
            deadline = time.time() + 20
            while not (any("2001:db8:3::/48" in l for l in cls.c.cmd("show route table master6")) and
                       any("203.0.113.30/32" in l for l in cls.c.cmd("show route")) and
                       any("203.0.113.10/32" in l for l in cls.c.cmd("show route"))):
                if time.time() > deadline:
                    raise RuntimeError("routes did not arrive: " + "\n".join(cls.c.cmd("show route all")))
                time.sleep(0.05)
            cls.j = Conn(cls.rsd.sock)
            assert cls.j.cmd("json on") == ["0000 "]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "sp", None):
            cls.sp.close()
        cls.rsd.stop()

    def text(self, cmd):
        lines = self.c.cmd(cmd)
        self.assertNotIn(1040, [c for c, _ in texts(lines)], cmd)
        return lines

    def doc(self, cmd, ok=True):
        """The JSON document of `cmd` on the JSON connection; checks the framing."""
        lines = self.j.cmd(cmd)
        body = lines[:-1]
        self.assertTrue(body, lines)
        self.assertTrue(body[0].startswith("1040-"), lines)
        # a streamed reply repeats the code at the start of each slice
        self.assertTrue(all(l.startswith(" ") or l.startswith("1040-") for l in body[1:]), lines)
        doc = json.loads("\n".join(l[5:] if l.startswith("1040-") else l[1:] for l in body))
        self.assertEqual(doc["schema"], 1)
        self.assertIsInstance(doc["command"], (str, type(None)))
        self.assertEqual(doc["ok"], ok, doc)
        if ok:
            self.assertEqual(lines[-1], "0000 ")
        else:
            self.assertEqual(lines[-1], "%04d %s" % (doc["code"], doc["message"]))
        return doc

    # ---- show route ---------------------------------------------------------------------------

    def compare_routes(self, cmd, min_routes=1):
        t = text_routes(self.text(cmd))
        doc = self.doc(cmd)
        self.assertEqual(doc["command"], "show route")
        j = doc["routes"]
        self.assertGreaterEqual(len(t), min_routes, cmd)
        self.assertEqual([(r["prefix"], r["protocol"]) for r in t], [(r["prefix"], r["protocol"]) for r in j], cmd)
        for tr, jr in zip(t, j):
            what = (cmd, tr, jr)
            self.assertEqual(tr["type"], jr["type"], what)
            self.assertEqual(tr["best"], jr["best"], what)
            self.assertEqual(tr["preference"], jr["preference"], what)
            self.assertEqual(tr["origin_as"], jr["origin_as"], what)
            self.assertEqual(tr["next_hop"], jr["next_hop"], what)
            self.assertRegex(jr["since"], ISO)
            self.assertEqual(tr["since"], jr["since"][11:23], what)  # `iso short ms` of the same instant
            if tr["from_"]:
                self.assertEqual(tr["from_"], jr["from"], what)
            self.assertEqual(jr["source"], "bgp" if jr["protocol"].startswith("peer") else "static", what)
            self.assertEqual(jr["table"], "master6" if ":" in jr["prefix"] else "master4", what)
            if " all" not in cmd:
                self.assertNotIn("attributes", jr)
                continue
            self.assertEqual(tr["kind"], "BGP univ" if jr["source"] == "bgp" else "static univ")
            self.assertEqual(tr["decision"], decision_text(jr["decision"]), what)
            ta, ja = tr["attrs"], jr["attributes"]
            self.assertEqual(ta.get("BGP.origin"), ja.get("origin"), what)
            self.assertEqual(ta["BGP.as_path"], as_path_text(ja["as_path"]), what)
            nh = ja.get("next_hop")
            if nh and ja.get("next_hop_link_local"):
                nh += " " + ja["next_hop_link_local"]
            self.assertEqual(ta.get("BGP.next_hop"), nh, what)
            self.assertEqual(ta.get("BGP.med"), str(ja["med"]) if "med" in ja else None, what)
            self.assertEqual(ta.get("BGP.local_pref"), str(ja["local_pref"]) if "local_pref" in ja else None, what)
            self.assertEqual(ta.get("BGP.community"),
                             " ".join("(%d,%d)" % tuple(c) for c in ja["communities"]) if "communities" in ja else None,
                             what)
            self.assertEqual(ta.get("BGP.large_community"),
                             " ".join("(%d, %d, %d)" % tuple(c) for c in ja["large_communities"])
                             if "large_communities" in ja else None, what)
        return doc

    def test_route_all_both_families(self):
        doc = self.compare_routes("show route all", 8)
        by = {(r["prefix"], r["protocol"]): r for r in doc["routes"]}
        # IPv4: the import filter's local preference, the communities, typed
        r = by[("10.1.0.0/24", "peer1")]
        self.assertEqual(r["attributes"]["local_pref"], 150)
        self.assertEqual(r["attributes"]["med"], 5)
        self.assertEqual(r["attributes"]["communities"], [[65001, 1], [65001, 2]])
        self.assertEqual(r["attributes"]["as_path"], [{"type": "sequence", "asns": [65001, 64500]}])
        self.assertEqual(by[("10.1.1.0/24", "peer1")]["attributes"]["large_communities"], [[65001, 1, 2]])
        self.assertEqual(by[("198.51.100.0/24", "st4")]["attributes"]["large_communities"], [[65000, 7, 7]])
        self.assertTrue(by[("198.51.100.0/24", "st4")]["best"])
        self.assertEqual(by[("198.51.100.0/24", "peer1")]["decision"],
                         {"state": "not best", "reason": by[("198.51.100.0/24", "peer1")]["decision"]["reason"],
                          "lost_to": "st4"})
        self.assertEqual(by[("198.51.100.128/25", "st4")]["type"], "blackhole")
        self.assertIsNone(by[("198.51.100.128/25", "st4")]["next_hop"])
        # IPv6: its own channel's preference and filter (med 10 refused: not shown without `filtered`)
        r = by[("2001:db8:1::/48", "peer1")]
        self.assertEqual(r["preference"], 120)
        self.assertEqual(r["next_hop"], "2001:db8::99")
        self.assertEqual(r["attributes"]["communities"], [[65001, 6]])
        self.assertEqual(r["attributes"]["local_pref"], 100)  # not the IPv4 filter's 150
        self.assertEqual(by[("2001:db8:3::/48", "peer1")]["attributes"]["next_hop_link_local"], "fe80::1")
        self.assertNotIn(("2001:db8:2::/48", "peer1"), by)
        self.assertEqual(by[("2001:db8:100::/48", "st6")]["preference"], 90)
        self.assertEqual(by[("2001:db8:dead::/48", "st6")]["type"], "unreachable")
        self.assertEqual(by[("203.0.113.30/32", "process feed")]["attributes"]["med"], 150)

    def test_route_variants(self):
        self.compare_routes("show route")
        self.compare_routes("show route table master6 all", 4)
        self.compare_routes("show route table master4")
        doc = self.compare_routes("show route filtered all", 1)
        self.assertEqual([(r["prefix"], r["filtered"]) for r in doc["routes"]], [("2001:db8:2::/48", True)])
        self.assertEqual(doc["routes"][0]["decision"]["state"], "filtered")
        self.compare_routes("show route for 10.1.0.77 all")
        self.compare_routes("show route 2001:db8:1::/48 all")
        self.compare_routes("show route for 2001:db8:3::1")
        self.compare_routes("show route protocol st6 all", 2)
        self.compare_routes("show route protocol peer1")
        self.compare_routes("show route where bgp_med > 10 all", 3)
        self.compare_routes("show route primary")
        self.compare_routes("show route export peer1", 2)
        self.compare_routes("show route noexport peer1")

    def counts_of(self, cmd):
        lines = self.text(cmd)
        counts, total = [], None
        for code, t in texts(lines):
            m = re.match(r"^(\d+) of (\d+) routes for (\d+) networks in table (\S+)$", t)
            if m:
                counts.append({"table": m.group(4), "shown": int(m.group(1)), "routes": int(m.group(2)),
                               "networks": int(m.group(3))})
            m = re.match(r"^Total: (\d+) of (\d+) routes for (\d+) networks in (\d+) tables$", t)
            if m:
                total = dict(zip(("shown", "routes", "networks", "tables"), map(int, m.groups())))
        return counts, total

    def test_route_counts(self):
        for cmd in ("show route count", "show route stats", "show route count table master6",
                    "show route filtered count", "show route where bgp_med > 10 count", "show route count protocol peer1"):
            counts, total = self.counts_of(cmd)
            doc = self.doc(cmd)
            self.assertEqual(doc["counts"], counts, cmd)
            self.assertEqual(doc["total"], total, cmd)
            if "count" in cmd:
                self.assertEqual(doc["routes"], [], cmd)
        doc = self.doc("show route count")
        self.assertEqual([c["table"] for c in doc["counts"]], ["master4", "master6"])
        # 2001:db8:2::/48 is refused but kept: counted only by `filtered`
        self.assertEqual(self.doc("show route filtered count")["counts"][1]["shown"], 1)

    # ---- show protocols -------------------------------------------------------------------------

    def test_protocols(self):
        lines = self.text("show protocols")
        doc = self.doc("show protocols")
        rows = [t for c, t in texts(lines, 1002)]
        self.assertEqual(len(rows), len(doc["protocols"]))
        for t, p in zip(rows, doc["protocols"]):
            name, proto, table, state, since = t.split()[:5]
            info = t.split(None, 5)[5] if len(t.split()) > 5 else ""
            self.assertEqual((name, proto, table, state), (p["name"], p["proto"], p["table"] or "---", p["state"]))
            self.assertEqual(info.strip(), p["info"].strip())
            self.assertRegex(p["since"], ISO)
            self.assertEqual(since, p["since"][11:23])
            self.assertNotIn("channels", p)
        self.assertEqual([p["name"] for p in doc["protocols"]], ["st4", "st6", "peer1", "peer2"])

    def test_protocols_all(self):
        lines = self.text("show protocols all")
        doc = self.doc("show protocols all")
        # the text's blocks: per protocol, its key/value lines and its channels'
        blocks, cur, ch = {}, None, None
        for code, t in texts(lines):
            if code == 1002:
                cur = blocks.setdefault(t.split()[0], {"channels": {}, "keys": {}})
                ch = None
            elif code == 1006 and cur is not None and t.strip():
                s = t.strip()
                if s.startswith("Channel "):
                    ch = cur["channels"].setdefault(s[8:], {})
                    continue
                k, _, v = s.partition(":")
                (ch if ch is not None else cur["keys"])[k] = v.strip()
        for p in doc["protocols"]:
            b = blocks[p["name"]]
            what = (p, b)
            self.assertEqual(sorted(b["channels"]), sorted(c["name"] for c in p["channels"]), what)
            for c in p["channels"]:
                tc = b["channels"][c["name"]]
                self.assertEqual(tc["State"], c["state"].upper(), what)
                self.assertEqual(tc["Table"], c["table"], what)
                self.assertEqual(int(tc["Preference"]), c["preference"], what)
                self.assertEqual(tc["Input filter"], c["import_filter"], what)
                self.assertEqual(tc["Output filter"], c["export_filter"], what)
                if c["state"] == "down":
                    self.assertNotIn("routes", c)
                    continue
                r = c["routes"]
                want = "%d imported, " % r["imported"]
                if c["import_keep_filtered"]:
                    want += "%d filtered, " % r["filtered"]
                else:
                    self.assertIsNone(r["filtered"])
                want += "%d exported, %d preferred" % (r["exported"], r["preferred"])
                self.assertEqual(tc["Routes"], want, what)
                for key, label in (("import_updates", "Import updates"), ("import_withdraws", "Import withdraws"),
                                   ("export_updates", "Export updates"), ("export_withdraws", "Export withdraws")):
                    cols = ["---" if c[key][n] is None else str(c[key][n])
                            for n in ("received", "rejected", "filtered", "ignored", "accepted")]
                    self.assertEqual(tc[label].split(), cols, (key, what))
            if p["proto"] == "BGP" and "bgp" in p:
                g, k = p["bgp"], b["keys"]
                self.assertEqual(k["BGP state"], g["state"])
                self.assertEqual(k.get("Neighbor address"), g["neighbor_address"])
                self.assertEqual(int(k["Neighbor AS"]), g["neighbor_as"])
                self.assertEqual(int(k["Local AS"]), g["local_as"])
                if "neighbor_id" in g:
                    self.assertEqual(k["Neighbor ID"], g["neighbor_id"])
                    self.assertEqual(int(k["Hold time"]), g["hold_time"])
                    self.assertEqual(int(k["Keepalive time"]), g["keepalive_time"])
                    self.assertEqual(k["Source address"], g["source_address"])
                    self.assertEqual(k["Session"], "%s AS4" % g["session"]["type"])
                self.assertEqual(k.get("Description"), p["description"])
        peer1 = [p for p in doc["protocols"] if p["name"] == "peer1"][0]
        v4, v6 = peer1["channels"]
        # the two families configured differently, and their counters apart
        self.assertEqual((v4["name"], v4["import_filter"], v4["preference"], v4["import_keep_filtered"]),
                         ("ipv4", "v4_in", 100, False))
        self.assertEqual((v6["name"], v6["import_filter"], v6["preference"], v6["import_keep_filtered"]),
                         ("ipv6", "v6_in", 120, True))
        self.assertEqual(v4["routes"]["imported"], 3)
        self.assertEqual((v6["routes"]["imported"], v6["routes"]["filtered"]), (2, 1))
        self.assertEqual(v6["import_updates"]["filtered"], 1)
        self.assertEqual(peer1["bgp"]["state"], "Established")

    # ---- the other shows ------------------------------------------------------------------------

    def test_status(self):
        lines = self.text("show status")
        doc = self.doc("show status")
        t = dict((c, x) for c, x in texts(lines) if c != 1011)
        u = [x for c, x in texts(lines, 1011)]
        self.assertEqual(t[1000], doc["version"])
        self.assertEqual(t[13], doc["status"])
        self.assertIn("Router ID is " + doc["router_id"], u)
        self.assertEqual(doc["router_id"], "192.0.2.1")
        self.assertIn("Hostname is " + doc["hostname"], u)
        self.assertIn("Last reboot on " + local_ms(doc["last_reboot"]), u)
        self.assertIn("Last reconfiguration on " + local_ms(doc["last_reconfiguration"]), u)
        for k in ("server_time", "last_reboot", "last_reconfiguration"):
            self.assertRegex(doc[k], ISO)

    def test_memory(self):
        labels = {"Routing tables": "routing_tables", "Prefix table": "prefix_table", "Paths": "paths",
                  "Route attributes": "route_attributes", "Attribute sets": "attribute_sets",
                  "AS paths": "as_paths", "Communities": "communities", "Adj-RIB-Out": "adj_rib_out",
                  "Export buckets": "export_buckets", "Journal": "journal", "History queue": "history_queue",
                  "Total": "total", "Resident (RSS)": "resident"}
        text = {}
        for _, t in texts(self.text("show memory"), 1018):
            k, _, v = t.partition(":")
            if k.strip() in labels:
                text[labels[k.strip()]] = v.strip()
        mem = self.doc("show memory")["memory"]
        self.assertEqual(set(text), set(mem))
        for k, v in mem.items():
            self.assertIsInstance(v, int, k)
            if k != "resident":  # the process's RSS moves between two calls; the structures do not
                self.assertEqual(size_text(v).strip(), text[k], k)
        self.assertEqual(mem["total"], sum(mem[k] for k in ("routing_tables", "route_attributes", "adj_rib_out",
                                                          "export_buckets", "journal", "history_queue")))
        self.assertGreater(mem["resident"], mem["total"])

    def test_symbols(self):
        for cmd in ("show symbols", "show symbols filter", "show symbols table", "show symbols peer1"):
            rows = [t.split("\t") for _, t in texts(self.text(cmd), 1010)]
            doc = self.doc(cmd)
            self.assertEqual([[n.strip(), k] for n, k in rows], [[s["name"], s["kind"]] for s in doc["symbols"]], cmd)
        self.assertIn({"name": "v6_in", "kind": "filter"}, self.doc("show symbols")["symbols"])

    def test_health_and_services(self):
        lines = self.text("show health")
        doc = self.doc("show health")
        blocks, cur = {}, None
        for _, t in texts(lines, 1031):
            if not t.startswith("\t"):
                cur = blocks.setdefault(t.rstrip(":"), {})
            else:
                k, _, v = t[1:].partition(": ")
                cur.setdefault(k, []).append(v)
        web = doc["health"][0]
        b = blocks["web"]
        self.assertEqual(web["name"], "web")
        self.assertEqual([web["state"], web["phase"], web["score"]], [b["State"][0], b["Phase"][0], b["Score"][0]])
        for k in ("runs", "successes", "failures", "timeouts", "transitions", "announcements"):
            self.assertEqual(str(web[k]), b[k.capitalize()][0], k)
        self.assertEqual(b["Flags"], ["none"])
        self.assertFalse(any(web["flags"].values()))
        self.assertEqual(b["Route"], ["%s announced med %d" % (r["prefix"], r["med"]) for r in web["routes"]])
        self.assertEqual(b["Last result"], ["success" if web["last_ok"] else "failure"])
        self.assertRegex(web["last_run"], ISO)
        feed = doc["processes"][0]
        b = blocks["process feed"]
        self.assertEqual(b["State"], ["running (pid %d)" % feed["pid"]])
        self.assertEqual(str(feed["routes"]), b["Routes"][0])
        self.assertEqual(b["Route"], ["%s announced med %d" % (r["prefix"], r["med"]) for r in feed["route_list"]])
        self.assertEqual(self.doc("show health web")["health"][0]["name"], "web")
        err = self.doc("show health nosuch", ok=False)
        self.assertEqual(err["code"], 8003)

        lines = self.text("show services")
        doc = self.doc("show services")
        paths = []
        for _, t in texts(lines, 1032):
            if not t.startswith("\t"):
                prefix = t
            else:
                paths.append([prefix] + t[1:].split("\t"))
        jpaths = []
        for s in doc["services"]:
            for p in s["paths"]:
                state = p["health"] or p["session"] or "-"
                if p["node"]:
                    state = ("" if state == "-" else state + " ") + "[" + p["node"] + "]"
                jpaths.append([s["prefix"], p["source"], p["next_hop"], "-" if p["med"] is None else str(p["med"]),
                               "-" if p["med_received"] is None else str(p["med_received"]),
                               state, decision_text(p["decision"])])
        self.assertEqual(paths, jpaths)
        self.assertEqual(len(jpaths), 2)

    def test_history(self):
        deadline = time.time() + 10
        while not any("\tsession\tpeer1\t" in l for l in self.text("show history protocol peer1")):
            self.assertLess(time.time(), deadline, "no session event in the history")
            time.sleep(0.1)
        for cmd, code in (("show history protocol peer1", 1033), ("show history limit 5", 1033),
                          ("show failovers", 1034)):
            deadline = time.time() + 10
            while True:  # new events may land between the two queries: until both agree
                rows = [t.split("\t") for _, t in texts(self.text(cmd), code)]
                doc = self.doc(cmd)
                if code == 1033:
                    j = [[local_ms(e["time"]), e["kind"],
                          (e["health"] if e["kind"] == "health" else e["prefix"] if e["kind"] in ("route", "failover")
                           else e["protocol"]) or "-", e["event"]] for e in doc["events"]]
                else:
                    j = [[local_ms(f["time"]), f["prefix"], f["old_best"] or "-", f["new_best"] or "-",
                          "-" if f["latency_us"] is None else "%.3f ms" % (f["latency_us"] / 1000), f["cause"] or "-"]
                         for f in doc["failovers"]]
                if rows == j or time.time() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(rows, j, cmd)
        self.assertTrue(self.doc("show history protocol peer1")["events"])

    # ---- envelope, errors, modes ------------------------------------------------------------------

    def test_errors_and_actions(self):
        doc = self.doc("show route for 192.0.2.99", ok=False)
        self.assertEqual((doc["command"], doc["code"], doc["message"]), ("show route", 8001, "Network not found"))
        doc = self.doc("show protocols nosuch", ok=False)
        self.assertEqual(doc["code"], 9001)
        doc = self.doc("no such command", ok=False)
        self.assertIsNone(doc["command"])
        self.assertEqual(doc["code"], 9001)
        doc = self.doc("enable peer2")
        self.assertEqual(doc["messages"], [{"code": 11, "text": "peer2: enabled"}])
        self.assertEqual(doc["message"], "peer2: enabled")
        self.assertEqual(texts(self.text("disable peer2")), [(9, "peer2: disabled"), (0, "")])

    def test_configure_check(self):
        """`configure check FILE` in JSON: the protocols' changes and each route that would change, as the
        text's 1030 lines say them (IPv4 and IPv6 filters changed differently)."""
        changed = CONF.replace("bgp_local_pref = 150", "bgp_local_pref = 160").replace("bgp_med >= 50", "bgp_med >= 65")
        path = self.rsd.write_conf(changed, os.path.join(self.rsd.dir, "changed.conf"))
        lines = self.text('configure check "%s"' % path)
        self.assertEqual(final_code(lines), 20, lines)
        doc = self.doc('configure check "%s"' % path)
        self.assertEqual((doc["command"], doc["code"], doc["file"], doc["changes"]), ("configure check", 20, path, True))
        report = [t for c, t in texts(lines, 1030)]
        routes = sorted(t for t in report if re.match(r"^\S+: \S+/\d+ would be ", t))
        self.assertEqual(routes, sorted("%s: %s would be %s" % (r["protocol"], r["prefix"], r["change"])
                                        for r in doc["routes"]))
        self.assertEqual(sorted((r["prefix"], r["change"]) for r in doc["routes"]),
                         [("10.1.0.0/24", "changed"), ("10.1.1.0/24", "changed"), ("198.51.100.0/24", "changed"),
                          ("2001:db8:1::/48", "rejected")])
        self.assertEqual(doc["totals"], [{"protocol": "peer1", "accepted": 0, "rejected": 1, "changed": 3}])
        self.assertIn("peer1: 0 routes would be accepted, 1 rejected, 3 changed", report)
        self.assertEqual([p["name"] for p in doc["protocols"]], ["peer1"])
        p = doc["protocols"][0]
        self.assertEqual((p["import"], p["export"]), (True, False))
        line = [t for t in report if t.startswith("peer1: " + p["action"] + " (import)")]
        self.assertEqual(len(line), 1, report)
        for reason in p["reasons"]:
            self.assertIn(reason, line[0])
        # The import changes' prefixes are listed once more, with the best path before and after.
        pre = {p["prefix"]: p for p in doc["prefixes"]}
        self.assertIsNone(pre["2001:db8:1::/48"]["best_after"])
        self.assertEqual(pre["2001:db8:1::/48"]["imports"], [{"protocol": "peer1", "change": "rejected"}])
        self.assertEqual(doc["summary"]["complete"], True)
        self.assertEqual([s["fate"] for s in doc["sessions"] if s["name"] == "peer1"], ["soft reload"])
        doc = self.doc("configure check")
        self.assertEqual((doc["changes"], doc["protocols"], doc["routes"], doc["totals"]), (False, [], [], []))
        self.assertEqual((doc["prefixes"], doc["summary"]["prefixes"], doc["summary"]["changed"]), ([], 0, 0))
        self.assertTrue(all(s["fate"] == "untouched" for s in doc["sessions"]))
        doc = self.doc('configure check "/nonexistent.conf"', ok=False)
        self.assertEqual(doc["code"], 8002)

    def test_mode_is_per_connection(self):
        other = Conn(self.rsd.sock)
        try:
            self.assertTrue(other.cmd("show status")[0].startswith("1000-rsd "))
            self.assertEqual(other.cmd("json on"), ["0000 "])
            self.assertTrue(other.cmd("show status")[0].startswith("1040-{"))
            self.assertTrue(other.cmd("json off")[0].startswith("1040-{"))  # answered in the mode it came in
            self.assertTrue(other.cmd("show status")[0].startswith("1000-rsd "))
            self.assertEqual(final_code(other.cmd("json")), 9001)
        finally:
            other.close()
        self.assertTrue(self.c.cmd("show status")[0].startswith("1000-rsd "))

    def test_rsc(self):
        def rsc(*words, socket_path=None):
            return subprocess.run([ARGS.rsc, "-s", socket_path or self.rsd.sock, *words], capture_output=True,
                                  text=True, timeout=60)
        p = rsc("--json", "show", "route", "for", "2001:db8:1::/48", "all")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith('{\n  "schema": 1,\n  "command": "show route",'), p.stdout[:200])
        doc = json.loads(p.stdout)
        self.assertEqual(doc, self.doc("show route for 2001:db8:1::/48 all"))
        p = rsc("--json", "show", "route", "for", "192.0.2.99")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout)["code"], 8001)
        p = rsc("--json", "-r", "show", "symbols", socket_path=self.rsd.sock)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = rsc("--json", "-r", "disable", "peer1")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout)["code"], 8007)
        # several commands on a pipe: one document each
        p = subprocess.run([ARGS.rsc, "-s", self.rsd.sock, "--json"], input="show status\nshow memory\n",
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        docs = [json.loads(d) for d in re.split(r"(?m)^(?=\{)", p.stdout) if d.strip()]
        self.assertEqual([d["command"] for d in docs], ["show status", "show memory"])
        # without --json: the text, unchanged
        p = rsc("show", "route", "for", "2001:db8:1::/48")
        self.assertIn("2001:db8:1::/48", p.stdout)
        self.assertNotIn("{", p.stdout)

    def test_z_large_table_streams(self):
        """20,000 more routes: `rsc --json show route` streams them all (one document, every route) while
        the session with hold time 3 s stays up. Runs last: the other tests count fewer routes."""
        self.sp.announce(["172.%d.%d.0/24" % (16 + i // 256, i % 256) for i in range(20000)], med=3)
        count = lambda: self.doc("show route count table master4")["counts"][0]["shown"]
        deadline = time.time() + 30
        while count() < 20007:
            self.assertLess(time.time(), deadline, "routes did not arrive")
            time.sleep(0.1)
        t0 = time.time()
        p = subprocess.run([ARGS.rsc, "-s", self.rsd.sock, "--json", "show", "route", "all"], capture_output=True,
                           text=True, timeout=120)
        elapsed = time.time() - t0
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(len(doc["routes"]), doc["total"]["shown"])
        self.assertEqual(doc["counts"][0]["shown"], 20007)
        self.assertEqual(len({(r["prefix"], r["protocol"]) for r in doc["routes"]}), len(doc["routes"]))
        self.assertFalse(self.sp.closed, self.sp.notification)
        self.assertLess(self.sp.max_gap, 3.0)
        print("\n  json show route all: %d routes in %.2f s" % (len(doc["routes"]), elapsed), file=sys.stderr)

    def test_rsc_interactive_json(self):
        """Interactive `rsc --json`: names are completed from the JSON replies, documents printed."""
        import pty
        import select
        home = os.path.join(self.rsd.dir, "home")
        os.makedirs(home, exist_ok=True)
        master, slave = pty.openpty()
        env = dict(os.environ, HOME=home, TERM="dumb")
        p = subprocess.Popen([ARGS.rsc, "-s", self.rsd.sock, "--json"], stdin=slave, stdout=slave, stderr=slave,
                             env=env)
        os.close(slave)
        out = b""

        def read_until(needle, timeout=10):
            nonlocal out
            deadline = time.time() + timeout
            while needle not in out and time.time() < deadline:
                r, _, _ = select.select([master], [], [], 0.2)
                if r:
                    try:
                        out += os.read(master, 65536)
                    except OSError:
                        break
            return needle in out

        try:
            self.assertTrue(read_until(b"rsc> "), out)
            os.write(master, b"sh\tpro\tpee\t1\n")  # `show protocols peer1`: a protocol name completed
            self.assertTrue(read_until(b'"info": "Established"'), out)
            os.write(master, b"show route filter v6\t\n")  # a filter name completed
            self.assertTrue(read_until(b'"prefix": "2001:db8:1::/48"'), out)
            os.write(master, b"quit\n")
            p.wait(10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(master)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ap.add_argument("--rsc", required=True)
    ARGS, rest = ap.parse_known_args()
    for prog in (ARGS.rsd, ARGS.rsc):
        if not os.access(prog, os.X_OK):
            print("missing program: " + prog)
            sys.exit(1)
    r = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    fail_on_skips(r)


if __name__ == "__main__":
    main()
