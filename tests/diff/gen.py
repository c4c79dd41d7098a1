"""gen.py - a seeded generator of realistic routes (IPv4 and IPv6) for the differential harness.

The same (seed, count, feeder AS, route server AS) always gives the same routes. The mix is what an
IXP route server sees plus the edge cases filters and the export path must get right: AS paths of 1
to 12 hops with prepends, 2- and 4-octet ASNs, AS_SETs in the middle and at the end, paths looping
through the route server's AS, a first AS that is not the feeder's; every ORIGIN; MED absent or at
its edges; LOCAL_PREF arriving over eBGP; ATOMIC_AGGREGATE and AGGREGATOR; standard, large and
extended communities (transitive and non-transitive types, the RFC well-known ones); bogon, too
long and too short prefixes. Prefixes are unique per family.
"""

from __future__ import annotations

import ipaddress
import random
import struct

from bgpwire import Route

WELL_KNOWN = [0xFFFFFF01, 0xFFFFFF02, 0xFFFFFF03, 0xFFFF029A, 0xFFFF0000, 0xFFFF0001, 0xFFFF0006,
              0xFFFF0007, 0xFFFFFF04]
MED_EDGES = [0, 1, 2 ** 31, 2 ** 32 - 1]
BOGONS_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
             "169.254.0.0/16", "192.0.2.0/24", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
             "0.0.0.0/8"]
BOGONS_V6 = ["fc00::/7", "fe80::/10", "2001:db8::/32", "ff00::/8", "::/8", "3ffe::/16",
             "2002::/16"]


class Generator:
    def __init__(self, seed: int, feeder_as: int, rs_as: int, peer_as: list[int]):
        self.rnd = random.Random(seed)
        self.feeder_as, self.rs_as, self.peer_as = feeder_as, rs_as, peer_as
        self.seen: set = set()

    # --- pieces ---
    def asn(self) -> int:
        r = self.rnd.random()
        if r < 0.45:
            return self.rnd.randint(1, 64495)                 # public 2-octet
        if r < 0.55:
            return self.rnd.randint(64512, 65534)             # private 2-octet
        if r < 0.85:
            return self.rnd.randint(131072, 399999)           # public 4-octet
        if r < 0.95:
            return self.rnd.randint(4200000000, 4294967294)   # private 4-octet
        return self.rnd.choice(self.peer_as + [23456, 65535])

    def as_path(self) -> list:
        rnd = self.rnd
        hops = rnd.randint(1, 12)
        first = self.feeder_as if rnd.random() < 0.92 else self.asn()
        seq = [first]
        while len(seq) < hops:
            a = self.asn()
            if rnd.random() < 0.04:
                a = self.rs_as                                # a loop through the route server
            seq += [a] * (1 + (rnd.randint(1, 4) if rnd.random() < 0.15 else 0))
        if rnd.random() < 0.15 and len(seq) > 1:              # prepends of the first AS
            seq = [first] * rnd.randint(1, 5) + seq
        seq = seq[:24]
        r = rnd.random()
        if r < 0.06:                                          # AS_SET at the end
            return [("seq", seq), ("set", sorted({self.asn() for _ in range(rnd.randint(1, 4))}))]
        if r < 0.09 and len(seq) > 2:                         # AS_SET in the middle
            cut = rnd.randint(1, len(seq) - 1)
            return [("seq", seq[:cut]), ("set", [self.asn(), self.asn()]), ("seq", seq[cut:])]
        return [("seq", seq)]

    def prefix(self, v6: bool) -> str:
        rnd = self.rnd
        while True:
            r = rnd.random()
            if not v6:
                if r < 0.08:
                    base = ipaddress.ip_network(rnd.choice(BOGONS_V4))
                    plen = rnd.randint(base.prefixlen, 32)
                    addr = int(base.network_address) + rnd.getrandbits(32 - base.prefixlen)
                else:
                    plen = rnd.choice([7, 8, 12, 16, 19, 20, 21, 22, 23, 24, 24, 24, 24, 25, 28,
                                       32]) if r < 0.3 else rnd.randint(16, 24)
                    addr = rnd.randint(1, 223) << 24 | rnd.getrandbits(24)
                net = ipaddress.IPv4Network((addr & ~((1 << (32 - plen)) - 1), plen))
            else:
                if r < 0.08:
                    base = ipaddress.ip_network(rnd.choice(BOGONS_V6))
                    plen = rnd.randint(base.prefixlen, min(128, base.prefixlen + 40))
                    addr = int(base.network_address) + (rnd.getrandbits(128 - base.prefixlen)
                                                        if base.prefixlen < 128 else 0)
                else:
                    plen = rnd.choice([12, 16, 19, 29, 32, 36, 40, 44, 48, 48, 48, 49, 56, 64,
                                       128]) if r < 0.3 else rnd.randint(29, 48)
                    addr = (0x2000 | rnd.getrandbits(12)) << 112 | rnd.getrandbits(112)
                # IPv6Network, not ip_network: a small integer (::/8) would be read as IPv4.
                net = ipaddress.IPv6Network((addr & ~((1 << (128 - plen)) - 1), plen))
            s = str(net)
            if s not in self.seen:
                self.seen.add(s)
                return s

    def communities(self) -> list:
        rnd = self.rnd
        out = []
        for _ in range(rnd.choice([0, 0, 1, 2, 3, 5, 8])):
            r = rnd.random()
            peer = rnd.choice(self.peer_as)
            if r < 0.15:
                out.append(rnd.choice(WELL_KNOWN))
            elif r < 0.3:
                out.append(peer)                                       # (0, peeras)
            elif r < 0.45:
                out.append(self.rs_as << 16 | peer)                    # (rs_as, peeras)
            elif r < 0.55:
                out.append(self.rs_as << 16 | rnd.choice([0, 666, 1000, 1001, 1002, 1003]))
            elif r < 0.7:
                out.append(self.feeder_as << 16 | rnd.randint(0, 65535))
            else:
                out.append(rnd.getrandbits(32))
        return out

    def large(self) -> list:
        rnd = self.rnd
        out = []
        for _ in range(rnd.choice([0, 0, 0, 1, 2, 4])):
            r = rnd.random()
            peer = rnd.choice(self.peer_as)
            if r < 0.4:
                out.append((self.rs_as, rnd.choice([0, 1, 2, 3, 101, 102, 103]), peer))
            elif r < 0.6:
                out.append((self.rs_as, rnd.choice([1000, 1001]), rnd.randint(0, 3)))
            elif r < 0.8:
                out.append((self.feeder_as, rnd.randint(0, 100), rnd.randint(0, 2 ** 32 - 1)))
            else:
                out.append((rnd.getrandbits(32), rnd.getrandbits(32), rnd.getrandbits(32)))
        return out

    def ext(self) -> list:
        rnd = self.rnd
        out = []
        for _ in range(rnd.choice([0, 0, 0, 1, 2, 3])):
            kind = rnd.randint(0, 9)
            if kind == 0:      # route target, 2-octet AS (transitive)
                out.append(struct.pack("!BBHI", 0x00, 0x02, rnd.choice(self.peer_as) & 0xFFFF,
                                       rnd.randint(0, 9)))
            elif kind == 1:    # route origin, IPv4 (transitive)
                out.append(struct.pack("!BB4sH", 0x01, 0x03, bytes([192, 0, 2, rnd.randint(0, 255)]),
                                       rnd.randint(0, 9)))
            elif kind == 2:    # route target, 4-octet AS (transitive)
                out.append(struct.pack("!BBIH", 0x02, 0x02, rnd.randint(65536, 400000), rnd.randint(0, 9)))
            elif kind == 3:    # generic, 2-octet AS, non-transitive (0x40)
                out.append(struct.pack("!BBHI", 0x40, rnd.choice([0x02, 0x04]), self.rs_as, rnd.randint(0, 9)))
            elif kind == 4:    # BGP origin validation state (RFC 8097: 0x43 0x00, non-transitive)
                out.append(struct.pack("!BB5xB", 0x43, 0x00, rnd.randint(0, 2)))
            elif kind == 5:    # IPv4 address specific, non-transitive
                out.append(struct.pack("!BB4sH", 0x41, 0x02, bytes([10, 0, 0, 1]), 7))
            elif kind == 6:    # 4-octet AS specific, non-transitive
                out.append(struct.pack("!BBIH", 0x42, 0x02, 4200000001, 5))
            elif kind == 7:    # transitive opaque (encapsulation, RFC 9012 0x03 0x0c)
                out.append(struct.pack("!BB4xH", 0x03, 0x0C, 8))
            elif kind == 8:    # flow spec traffic-rate (0x80 0x06, experimental range)
                out.append(struct.pack("!BBHI", 0x80, 0x06, 0, 0))
            else:              # EVPN MAC mobility (0x06 0x00)
                out.append(struct.pack("!BBBBI", 0x06, 0x00, 0, 0, rnd.randint(0, 99)))
        return out

    # --- a route ---
    def route(self, v6: bool) -> Route:
        rnd = self.rnd
        r = Route(prefix=self.prefix(v6))
        r.origin = rnd.choice([0, 0, 0, 1, 2])
        r.as_path = self.as_path()
        if v6:
            r.next_hop = "2001:db8::11" if rnd.random() < 0.9 else f"2001:db8:ffff::{rnd.randint(1, 99)}"
        else:
            r.next_hop = "192.0.2.11" if rnd.random() < 0.9 else f"198.51.100.{rnd.randint(1, 99)}"
        if rnd.random() < 0.5:
            r.med = rnd.choice(MED_EDGES) if rnd.random() < 0.5 else rnd.randint(0, 5000)
        if rnd.random() < 0.15:
            r.local_pref = rnd.choice([0, 50, 100, 200, 2 ** 32 - 1])
        r.atomic_aggregate = rnd.random() < 0.08
        if rnd.random() < 0.08:
            r.aggregator = (rnd.choice([self.feeder_as, self.asn()]), f"192.0.2.{rnd.randint(1, 254)}")
        r.communities = self.communities()
        r.large_communities = self.large()
        r.ext_communities = self.ext()
        if self.rnd.random() < 0.05:          # Partial set by some router upstream (RFC 4271 5)
            present = {8: r.communities, 16: r.ext_communities, 32: r.large_communities}
            r.partial = {t for t in (8, 16, 32) if self.rnd.random() < 0.5 and present[t]}
        if self.rnd.random() < 0.04:          # OTC (RFC 9234), from a session without roles
            r.otc = self.rnd.choice([self.feeder_as, self.asn()])
        return r

    def routes(self, n: int) -> list[Route]:
        """n routes, about a third IPv6, in a fixed order."""
        return [self.route(self.rnd.random() < 0.35) for _ in range(n)]
