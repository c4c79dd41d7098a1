"""bgp_raw.py - a scripted BGP speaker for wire-level assertions (Python 3 stdlib only).

The daemons of peers.py show what they end up holding; some behaviour is visible only in the
messages themselves (an OPEN without optional parameters, AS_TRANS, a NOTIFICATION's code, BoRR
and EoRR around a re-advertisement).  RawPeer connects or accepts one TCP connection, sends
exactly the OPEN it is given and records every message it receives, decoded far enough for the
tests: OPEN (AS, hold time, capabilities), UPDATE (withdrawn / announced IPv4 NLRI, MP_REACH /
MP_UNREACH IPv6 NLRI, AS_PATH / AS4_PATH), NOTIFICATION, ROUTE-REFRESH (AFI, subtype).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Optional

OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5
AFI_IPV4, AFI_IPV6 = 1, 2
CAP_MP, CAP_RR, CAP_AS4, CAP_ERR = 1, 2, 65, 70
AS_TRANS = 23456


def message(mtype: int, body: bytes) -> bytes:
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), mtype) + body


def cap(code: int, value: bytes = b"") -> bytes:
    return bytes([code, len(value)]) + value


def mp(afi: int, safi: int = 1) -> bytes:
    return cap(CAP_MP, struct.pack("!HBB", afi, 0, safi))


def as4(asn: int) -> bytes:
    return cap(CAP_AS4, struct.pack("!I", asn))


def open_message(asn: int, router_id: str, caps: list[bytes], hold: int = 90) -> bytes:
    my_as = asn if asn <= 0xFFFF else AS_TRANS
    params = b""
    if caps:
        blob = b"".join(caps)
        params = bytes([2, len(blob)]) + blob
    body = struct.pack("!BHH4sB", 4, my_as, hold, socket.inet_aton(router_id), len(params)) + params
    return message(OPEN, body)


def route_refresh(afi: int, subtype: int = 0, safi: int = 1) -> bytes:
    return message(ROUTE_REFRESH, struct.pack("!HBB", afi, subtype, safi))


def _prefix_bytes(prefix: str) -> bytes:
    net = ipaddress.ip_network(prefix)
    n = (net.prefixlen + 7) // 8
    return bytes([net.prefixlen]) + net.network_address.packed[:n]


def _attr(flags: int, code: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def update_ipv4(prefixes: list[str], next_hop: str, as_path: list[int], four_octet: bool = True,
                withdrawn: Optional[list[str]] = None) -> bytes:
    """An UPDATE announcing IPv4 prefixes (classic NLRI) with ORIGIN IGP, AS_PATH, NEXT_HOP."""
    wd = b"".join(_prefix_bytes(p) for p in (withdrawn or []))
    attrs = b""
    if prefixes:
        fmt = "!I" if four_octet else "!H"
        seg = bytes([2, len(as_path)]) + b"".join(struct.pack(fmt, a) for a in as_path)
        attrs = (_attr(0x40, 1, b"\x00") + _attr(0x40, 2, seg) +
                 _attr(0x40, 3, socket.inet_aton(next_hop)))
    nlri = b"".join(_prefix_bytes(p) for p in prefixes)
    return message(UPDATE, struct.pack("!H", len(wd)) + wd + struct.pack("!H", len(attrs)) + attrs + nlri)


def update_ipv6(prefixes: list[str], next_hop: str, as_path: list[int]) -> bytes:
    """An UPDATE announcing IPv6 prefixes in MP_REACH_NLRI (4-octet AS_PATH)."""
    seg = bytes([2, len(as_path)]) + b"".join(struct.pack("!I", a) for a in as_path)
    nh = ipaddress.ip_address(next_hop).packed
    reach = struct.pack("!HBB", AFI_IPV6, 1, len(nh)) + nh + b"\x00" + \
        b"".join(_prefix_bytes(p) for p in prefixes)
    attrs = _attr(0x80, 14, reach) + _attr(0x40, 1, b"\x00") + _attr(0x40, 2, seg)
    return message(UPDATE, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs)


def _nlri(data: bytes, afi: int) -> list[str]:
    out, i, size = [], 0, 4 if afi == AFI_IPV4 else 16
    while i < len(data):
        plen = data[i]
        n = (plen + 7) // 8
        raw = data[i + 1:i + 1 + n] + b"\x00" * (size - n)
        i += 1 + n
        addr = ipaddress.ip_address(raw)
        out.append(f"{addr}/{plen}")
    return out


def _as_path(value: bytes, width: int) -> list[int]:
    out, i = [], 0
    fmt = "!I" if width == 4 else "!H"
    while i + 2 <= len(value):
        n = value[i + 1]
        i += 2
        for _ in range(n):
            out.append(struct.unpack(fmt, value[i:i + width])[0])
            i += width
    return out


@dataclass
class Msg:
    type: int
    body: bytes
    at: float = 0.0
    # OPEN
    my_as: int = 0
    hold: int = 0
    caps: dict[int, list[bytes]] = field(default_factory=dict)
    opt_len: int = 0
    # UPDATE
    announced: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    as_path_raw: bytes = b""
    as4_path: Optional[list[int]] = None
    eor: Optional[int] = None        # AFI of an End-of-RIB marker
    # NOTIFICATION
    code: int = 0
    subcode: int = 0
    data: bytes = b""
    # ROUTE-REFRESH
    afi: int = 0
    subtype: int = 0

    def as_path(self, width: int) -> list[int]:
        return _as_path(self.as_path_raw, width)


def decode(mtype: int, body: bytes) -> Msg:
    m = Msg(mtype, body, time.monotonic())
    if mtype == OPEN:
        _v, m.my_as, m.hold, _rid, m.opt_len = struct.unpack("!BHH4sB", body[:10])
        i, params = 0, body[10:10 + m.opt_len]
        while i + 2 <= len(params):
            ptype, plen = params[i], params[i + 1]
            value = params[i + 2:i + 2 + plen]
            i += 2 + plen
            j = 0
            while ptype == 2 and j + 2 <= len(value):
                c, clen = value[j], value[j + 1]
                m.caps.setdefault(c, []).append(value[j + 2:j + 2 + clen])
                j += 2 + clen
    elif mtype == UPDATE:
        wlen = struct.unpack("!H", body[:2])[0]
        m.withdrawn = _nlri(body[2:2 + wlen], AFI_IPV4)
        alen = struct.unpack("!H", body[2 + wlen:4 + wlen])[0]
        attrs = body[4 + wlen:4 + wlen + alen]
        m.announced = _nlri(body[4 + wlen + alen:], AFI_IPV4)
        i = 0
        while i < len(attrs):
            flags, code = attrs[i], attrs[i + 1]
            if flags & 0x10:
                alen2 = struct.unpack("!H", attrs[i + 2:i + 4])[0]
                value, i = attrs[i + 4:i + 4 + alen2], i + 4 + alen2
            else:
                alen2 = attrs[i + 2]
                value, i = attrs[i + 3:i + 3 + alen2], i + 3 + alen2
            if code == 2:
                m.as_path_raw = value
            elif code == 17:
                m.as4_path = _as_path(value, 4)
            elif code == 14:
                afi, _safi, nhlen = struct.unpack("!HBB", value[:4])
                m.announced += _nlri(value[5 + nhlen:], afi)
            elif code == 15:
                afi = struct.unpack("!H", value[:2])[0]
                m.withdrawn += _nlri(value[3:], afi)
                if len(value) == 3:
                    m.eor = afi
        if not body[2:2 + wlen] and alen == 0 and len(body) == 4:
            m.eor = AFI_IPV4
    elif mtype == NOTIFICATION:
        m.code, m.subcode, m.data = body[0], body[1], body[2:]
    elif mtype == ROUTE_REFRESH:
        m.afi, m.subtype = struct.unpack("!HB", body[:3])
    return m


class RawPeer:
    """One connection, scripted by the test: send() bytes, next()/expect() what arrives."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sock.settimeout(0.2)
        self.buf = b""
        self.received: list[Msg] = []
        self.closed = False

    @classmethod
    def connect(cls, local: str, remote: str, port: int, timeout: float = 10) -> "RawPeer":
        fam = socket.AF_INET6 if ":" in remote else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.bind((local, 0))
            s.settimeout(timeout)
            s.connect((remote, port))
        except OSError:
            s.close()
            raise
        return cls(s)

    @classmethod
    def accept(cls, local: str, port: int, timeout: float = 20) -> "RawPeer":
        fam = socket.AF_INET6 if ":" in local else socket.AF_INET
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((local, port))
        ls.listen(1)
        ls.settimeout(timeout)
        try:
            s, _ = ls.accept()
        finally:
            ls.close()
        return cls(s)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _pump(self) -> None:
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self.buf += data
        while len(self.buf) >= 19:
            length, mtype = struct.unpack("!HB", self.buf[16:19])
            if len(self.buf) < length:
                break
            body, self.buf = self.buf[19:length], self.buf[length:]
            m = decode(mtype, body)
            self.received.append(m)
            if mtype == KEEPALIVE:
                self.send(message(KEEPALIVE, b""))

    def wait_for(self, pred, timeout: float, what: str) -> Msg:
        """The first message (from the start of the connection) that satisfies pred."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.received:
                if pred(m):
                    return m
            if self.closed or time.monotonic() > deadline:
                got = [(m.type, m.subtype if m.type == ROUTE_REFRESH else m.code) for m in self.received]
                raise AssertionError(f"no {what} within {timeout} s (closed={self.closed}); got {got}")
            self._pump()

    def collect(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.closed:
            self._pump()

    def establish(self, open_msg: bytes, timeout: float = 20) -> Msg:
        """Sends our OPEN and a KEEPALIVE; returns the peer's OPEN once its KEEPALIVE arrived."""
        self.send(open_msg)
        peer_open = self.wait_for(lambda m: m.type == OPEN, timeout, "OPEN")
        self.send(message(KEEPALIVE, b""))
        self.wait_for(lambda m: m.type == KEEPALIVE, timeout, "KEEPALIVE")
        return peer_open

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
