#!/usr/bin/env python3
"""`ipv4 table master4 sorted;`: `show route` lists every route of a prefix in decision order
(best first, then the next best, ...), as BIRD keeps a sorted table; without `sorted` the best
comes first. Three speakers on 127.0.0.2-4 announce one prefix with AS paths of 3, 1 and 2 hops,
so the decision order (shortest path first) is p2, p3, p1. rsd is stopped by PID.

usage: sorted_table_test.py --rsd RSD"""
import argparse
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsdtest import Conn, Rsd, Speaker  # noqa: E402

ARGS = None

PEERS = [("p1", "127.0.0.2", 65001, (65001, 64500, 64501)),
         ("p2", "127.0.0.3", 65002, (65002,)),
         ("p3", "127.0.0.4", 65003, (65003, 64502))]


def config(sorted_table):
    text = "router id 192.0.2.254;\n" + ("ipv4 table master4 sorted;\n" if sorted_table else "")
    for name, addr, asn, _ in PEERS:
        text += ("protocol bgp %s { local 127.0.0.1 port @PORT@ as 65000; neighbor %s as %d; passive; "
                 "hold time 3; min hold time 3; ipv4 { import all; export none; }; }\n" % (name, addr, asn))
    return text


def order(sorted_table):
    with Rsd(ARGS.rsd, conf_text=config(sorted_table)) as r:
        speakers = []
        try:
            for i, (_, addr, asn, path) in enumerate(PEERS):
                sp = Speaker(r.port, asn=asn, bgp_id="192.0.2.%d" % (10 + i), source=addr)
                sp.announce(["10.0.0.0/24"], as_path=path)
                speakers.append(sp)
            c = Conn(r.sock)
            deadline = time.time() + 10
            got = []
            while time.time() < deadline:
                got = re.findall(r"\[(p\d) ", "\n".join(c.cmd("show route 10.0.0.0/24")))
                if len(got) == 3:
                    break
                time.sleep(0.05)
            c.close()
            return got
        finally:
            for sp in speakers:
                sp.close()


class SortedTable(unittest.TestCase):
    def test_sorted_lists_in_decision_order(self):
        self.assertEqual(order(True), ["p2", "p3", "p1"])

    def test_unsorted_lists_best_first(self):
        # Then the table's own order (by protocol), which here is not the decision order.
        self.assertEqual(order(False), ["p2", "p1", "p3"])


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
