"""bgpwire.py - exact BGP UPDATE encoding and decoding for the differential harness.

Encoding takes a Route (generator output) and produces one UPDATE per route (IPv4 in the
classic NLRI field, IPv6 in MP_REACH_NLRI), every attribute with the flags the generator chose.
Decoding turns an UPDATE into (announced {prefix: attrs}, withdrawn [prefix]) where attrs is a
canonical dict {type: (flags, value)}: flags keep only the Optional, Transitive and Partial bits
(the Extended Length bit is an encoding choice), values are printable strings in a form that does
not depend on the encoding (AS numbers in 4 octets, community lists as sorted sets).

Sessions negotiate 4-octet AS numbers and IPv4 + IPv6 unicast; no ADD-PATH. Python stdlib only.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Optional

MARKER = b"\xff" * 16
OPTIONAL, TRANSITIVE, PARTIAL, EXTLEN = 0x80, 0x40, 0x20, 0x10
FLAG_MASK = OPTIONAL | TRANSITIVE | PARTIAL

ATTR_NAMES = {1: "ORIGIN", 2: "AS_PATH", 3: "NEXT_HOP", 4: "MED", 5: "LOCAL_PREF",
              6: "ATOMIC_AGGREGATE", 7: "AGGREGATOR", 8: "COMMUNITIES", 9: "ORIGINATOR_ID",
              10: "CLUSTER_LIST", 14: "MP_REACH_NLRI", 15: "MP_UNREACH_NLRI",
              16: "EXT_COMMUNITIES", 17: "AS4_PATH", 18: "AS4_AGGREGATOR", 23: "TUNNEL_ENCAP",
              32: "LARGE_COMMUNITIES", 35: "OTC"}
ORIGINS = {0: "IGP", 1: "EGP", 2: "INCOMPLETE"}
WELL_KNOWN_COMMUNITIES = {0xFFFFFF01: "NO_EXPORT", 0xFFFFFF02: "NO_ADVERTISE",
                          0xFFFFFF03: "NO_EXPORT_SUBCONFED", 0xFFFF029A: "BLACKHOLE",
                          0xFFFF0000: "GRACEFUL_SHUTDOWN", 0xFFFF0001: "ACCEPT_OWN",
                          0xFFFF0006: "LLGR_STALE", 0xFFFF0007: "NO_LLGR",
                          0xFFFFFF04: "NO_PEER"}


def attr_name(t: int) -> str:
    return ATTR_NAMES.get(t, f"ATTR{t}")


# ------------------------------------------------------------------ messages --

def message(msg_type: int, body: bytes = b"") -> bytes:
    return MARKER + struct.pack("!HB", 19 + len(body), msg_type) + body


def capability(code: int, value: bytes = b"") -> bytes:
    return struct.pack("!BB", code, len(value)) + value


def build_open(asn: int, router_id: str, hold: int = 90) -> bytes:
    caps = [capability(1, struct.pack("!HBB", 1, 0, 1)), capability(1, struct.pack("!HBB", 2, 0, 1)),
            capability(2), capability(65, struct.pack("!I", asn))]
    params = b"".join(struct.pack("!BB", 2, len(c)) + c for c in caps)
    my_as = asn if asn <= 0xFFFF else 23456
    body = struct.pack("!BHH4sB", 4, my_as, hold, ipaddress.IPv4Address(router_id).packed,
                       len(params)) + params
    return message(1, body)


KEEPALIVE = message(4)
EOR_V4 = message(2, b"\x00\x00\x00\x00")
EOR_V6 = message(2, b"\x00\x00\x00\x06\x80\x0f\x03\x00\x02\x01")


def attr(flags: int, t: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | EXTLEN, t, len(value)) + value
    return struct.pack("!BBB", flags & ~EXTLEN, t, len(value)) + value


def encode_prefix(net) -> bytes:
    n = (net.prefixlen + 7) // 8
    return bytes([net.prefixlen]) + net.network_address.packed[:n]


def decode_prefixes(data: bytes, v6: bool) -> list[str]:
    out, i, size = [], 0, 16 if v6 else 4
    while i < len(data):
        plen = data[i]
        n = (plen + 7) // 8
        raw = data[i + 1:i + 1 + n] + b"\x00" * (size - n)
        addr = ipaddress.IPv6Address(raw) if v6 else ipaddress.IPv4Address(raw)
        out.append(f"{addr}/{plen}")
        i += 1 + n
    return out


# ----------------------------------------------------------------- encoding --

@dataclass
class Route:
    """One generated route: the prefix and the path attributes exactly as sent."""
    prefix: str
    origin: int = 0
    as_path: list = field(default_factory=list)       # [("seq"|"set", [asn...]), ...]
    next_hop: str = ""
    med: Optional[int] = None
    local_pref: Optional[int] = None
    atomic_aggregate: bool = False
    aggregator: Optional[tuple] = None                 # (asn, "a.b.c.d")
    communities: list = field(default_factory=list)    # [int]
    ext_communities: list = field(default_factory=list)  # [bytes(8)]
    large_communities: list = field(default_factory=list)  # [(a, b, c)]
    unknown: list = field(default_factory=list)        # [(flags, type, bytes)]
    partial: set = field(default_factory=set)          # attribute types sent with Partial set
    otc: Optional[int] = None                          # Only to Customer (RFC 9234)

    @property
    def v6(self) -> bool:
        return ":" in self.prefix


def encode_as_path(segs) -> bytes:
    out = b""
    for kind, asns in segs:
        for i in range(0, len(asns), 255):       # a segment holds at most 255 ASNs
            part = asns[i:i + 255]
            out += struct.pack("!BB", 1 if kind == "set" else 2, len(part))
            out += b"".join(struct.pack("!I", a) for a in part)
    return out


def encode_attrs(r: Route) -> bytes:
    a = attr(0x40, 1, bytes([r.origin]))
    a += attr(0x40, 2, encode_as_path(r.as_path))
    if not r.v6:
        a += attr(0x40, 3, ipaddress.IPv4Address(r.next_hop).packed)
    if r.med is not None:
        a += attr(0x80, 4, struct.pack("!I", r.med))
    if r.local_pref is not None:
        a += attr(0x40, 5, struct.pack("!I", r.local_pref))
    if r.atomic_aggregate:
        a += attr(0x40, 6, b"")
    if r.aggregator:
        a += attr(0xC0, 7, struct.pack("!I", r.aggregator[0]) +
                  ipaddress.IPv4Address(r.aggregator[1]).packed)
    def opt(t):  # optional transitive, with Partial when the generator says so
        return 0xE0 if t in r.partial else 0xC0
    if r.communities:
        a += attr(opt(8), 8, b"".join(struct.pack("!I", c) for c in r.communities))
    if r.ext_communities:
        a += attr(opt(16), 16, b"".join(r.ext_communities))
    if r.large_communities:
        a += attr(opt(32), 32, b"".join(struct.pack("!III", *c) for c in r.large_communities))
    if r.otc is not None:
        a += attr(opt(35), 35, struct.pack("!I", r.otc))
    for flags, t, v in r.unknown:
        a += attr(flags, t, v)
    if r.v6:
        net = ipaddress.IPv6Network(r.prefix)
        nh = ipaddress.IPv6Address(r.next_hop).packed
        mp = struct.pack("!HBB", 2, 1, len(nh)) + nh + b"\x00" + encode_prefix(net)
        a += attr(0x80, 14, mp)
    return a


def encode_update(r: Route) -> bytes:
    attrs = encode_attrs(r)
    nlri = b"" if r.v6 else encode_prefix(ipaddress.IPv4Network(r.prefix))
    return message(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri)


def encode_withdraw(prefix: str) -> bytes:
    net = ipaddress.ip_network(prefix)
    if net.version == 4:
        w = encode_prefix(net)
        return message(2, struct.pack("!H", len(w)) + w + b"\x00\x00")
    mp = struct.pack("!HB", 2, 1) + encode_prefix(net)
    a = attr(0x80, 15, mp)
    return message(2, b"\x00\x00" + struct.pack("!H", len(a)) + a)


# ----------------------------------------------------------------- decoding --

def fmt_as_path(v: bytes) -> str:
    segs, i = [], 0
    while i + 2 <= len(v):
        kind, n = v[i], v[i + 1]
        asns = struct.unpack(f"!{n}I", v[i + 2:i + 2 + 4 * n])
        i += 2 + 4 * n
        name = {1: "", 2: "", 3: "CONFED_SEQ", 4: "CONFED_SET"}.get(kind, f"SEG{kind}")
        body = " ".join(str(a) for a in asns)
        segs.append(f"{{{body}}}" if kind == 1 else (f"{name}({body})" if name else body))
    return " ".join(segs) if segs else "(empty)"


def fmt_community(c: int) -> str:
    name = WELL_KNOWN_COMMUNITIES.get(c)
    s = f"({c >> 16},{c & 0xFFFF})"
    return f"{s}={name}" if name else s


def fmt_ext_community(b: bytes) -> str:
    t, st = b[0], b[1]
    if t in (0x00, 0x40):       # two-octet AS specific
        asn, val = struct.unpack("!HI", b[2:])
        return f"{t:02x}{st:02x}:{asn}:{val}"
    if t in (0x01, 0x41):       # IPv4 address specific
        ip = ipaddress.IPv4Address(b[2:6])
        return f"{t:02x}{st:02x}:{ip}:{struct.unpack('!H', b[6:])[0]}"
    if t in (0x02, 0x42):       # four-octet AS specific
        asn, val = struct.unpack("!IH", b[2:])
        return f"{t:02x}{st:02x}:{asn}:{val}"
    return f"{t:02x}{st:02x}:{b[2:].hex()}"


def canonical_value(t: int, v: bytes) -> str:
    """A printable form of one attribute value (MP_REACH is handled by the caller)."""
    try:
        if t == 1:
            return ORIGINS.get(v[0], f"origin{v[0]}") if len(v) == 1 else "bad:" + v.hex()
        if t == 2:
            return fmt_as_path(v)
        if t == 3:
            return str(ipaddress.IPv4Address(v))
        if t in (4, 5):
            return str(struct.unpack("!I", v)[0])
        if t == 6:
            return "" if not v else "bad:" + v.hex()
        if t == 7:
            asn = struct.unpack("!I", v[:4])[0]
            return f"{asn} {ipaddress.IPv4Address(v[4:8])}"
        if t == 8:
            return " ".join(fmt_community(c) for c in
                            sorted(set(struct.unpack(f"!{len(v) // 4}I", v))))
        if t == 9:
            return str(ipaddress.IPv4Address(v))
        if t == 35:
            return str(struct.unpack("!I", v)[0])
        if t == 10:
            return " ".join(str(ipaddress.IPv4Address(v[i:i + 4])) for i in range(0, len(v), 4))
        if t == 16:
            return " ".join(sorted(set(fmt_ext_community(v[i:i + 8])
                                       for i in range(0, len(v), 8))))
        if t == 32:
            vals = sorted(set(struct.unpack("!III", v[i:i + 12]) for i in range(0, len(v), 12)))
            return " ".join(f"({a},{b},{c})" for a, b, c in vals)
    except (struct.error, ValueError, IndexError):
        return "bad:" + v.hex()
    return v.hex()


@dataclass
class Decoded:
    announced: dict = field(default_factory=dict)   # prefix -> {type: (flags, value)}
    withdrawn: list = field(default_factory=list)
    eor: Optional[str] = None


def decode_update(msg: bytes) -> Decoded:
    body = msg[19:]
    out = Decoded()
    wlen = struct.unpack("!H", body[:2])[0]
    out.withdrawn += decode_prefixes(body[2:2 + wlen], False)
    alen = struct.unpack("!H", body[2 + wlen:4 + wlen])[0]
    attrs_raw = body[4 + wlen:4 + wlen + alen]
    nlri = body[4 + wlen + alen:]
    if wlen == 0 and alen == 0 and not nlri:
        out.eor = "ipv4"
        return out
    attrs: dict = {}
    mp_reach: list = []
    mp_nh = ""
    i = 0
    while i + 3 <= len(attrs_raw):
        flags, t = attrs_raw[i], attrs_raw[i + 1]
        if flags & EXTLEN:
            length, hdr = struct.unpack("!H", attrs_raw[i + 2:i + 4])[0], 4
        else:
            length, hdr = attrs_raw[i + 2], 3
        v = attrs_raw[i + hdr:i + hdr + length]
        i += hdr + length
        if t == 14:
            afi, safi, nhl = struct.unpack("!HBB", v[:4])
            nh = v[4:4 + nhl]
            hops = [str(ipaddress.ip_address(nh[j:j + 16])) for j in range(0, nhl, 16)] \
                if afi == 2 else [str(ipaddress.ip_address(nh[:4]))]
            mp_nh = " ".join(hops)
            mp_reach += decode_prefixes(v[5 + nhl:], afi == 2)
            continue
        if t == 15:
            afi = struct.unpack("!H", v[:2])[0]
            if len(v) == 3 and alen == 3 + len(v) and not nlri and wlen == 0:
                out.eor = "ipv6" if afi == 2 else f"afi{afi}"
                return out
            out.withdrawn += decode_prefixes(v[3:], afi == 2)
            continue
        attrs[t] = (flags & FLAG_MASK, canonical_value(t, v))
    for p in decode_prefixes(nlri, False):
        out.announced[p] = attrs
    if mp_reach:
        a6 = dict(attrs)
        a6[3] = (TRANSITIVE, mp_nh)          # the MP next hop shown as NEXT_HOP
        for p in mp_reach:
            out.announced[p] = a6
    return out


def fmt_attrs(attrs: dict) -> str:
    return "; ".join(f"{attr_name(t)}[{f:02x}]={v}" for t, (f, v) in sorted(attrs.items()))
