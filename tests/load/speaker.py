"""speaker.py - many small BGP speakers in one process, for the load tests (Python 3 stdlib only).

`Speakers` runs an asyncio loop in a background thread; each `Peer` is one BGP session towards
the route server (it connects; the route server is passive for it): OPEN with IPv4 and IPv6
unicast and 4-octet AS, its routes (every prefix in an UPDATE of its own, so each carries its own
attribute set) and End-of-RIB, KEEPALIVEs, and what the route server sends it (prefix -> MED).
A closed session is re-opened after `retry` seconds, re-announcing everything; `flap()` closes it
abruptly (RST) or with a Cease NOTIFICATION.

Run as a program it is one receiving edge (`python3 speaker.py edge ...`): its socket has a small
receive buffer, so that when it is stopped (SIGSTOP) the route server soon has to hold the rest,
and it writes what it holds to a JSON file whenever it has been quiet for 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import struct
import sys
import threading
import time
from typing import Optional

OPEN, UPDATE, NOTIFICATION, KEEPALIVE = 1, 2, 3, 4


def message(mtype: int, body: bytes) -> bytes:
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), mtype) + body


def open_message(asn: int, router_id: str, hold: int = 90) -> bytes:
    caps = (bytes([1, 4]) + struct.pack("!HBB", 1, 0, 1) + bytes([1, 4]) +
            struct.pack("!HBB", 2, 0, 1) + bytes([65, 4]) + struct.pack("!I", asn))
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn <= 0xFFFF else 23456
    return message(OPEN, struct.pack("!BHH4sB", 4, my_as, hold, socket.inet_aton(router_id),
                                     len(params)) + params)


def _prefix_bytes(net: ipaddress._BaseNetwork) -> bytes:
    n = (net.prefixlen + 7) // 8
    return bytes([net.prefixlen]) + net.network_address.packed[:n]


def _attr(flags: int, code: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def update(prefix: str, med: Optional[int], asn: int, nh4: str, nh6: str) -> bytes:
    """One prefix announced with MED `med`, or withdrawn when med is None."""
    net = ipaddress.ip_network(prefix)
    if net.version == 4:
        if med is None:
            wd = _prefix_bytes(net)
            return message(UPDATE, struct.pack("!H", len(wd)) + wd + b"\x00\x00")
        attrs = (_attr(0x40, 1, b"\x00") + _attr(0x40, 2, bytes([2, 1]) + struct.pack("!I", asn)) +
                 _attr(0x40, 3, socket.inet_aton(nh4)) + _attr(0x80, 4, struct.pack("!I", med)))
        return message(UPDATE, b"\x00\x00" + struct.pack("!H", len(attrs)) + attrs +
                       _prefix_bytes(net))
    if med is None:
        attrs = _attr(0x80, 15, struct.pack("!HB", 2, 1) + _prefix_bytes(net))
        return message(UPDATE, b"\x00\x00" + struct.pack("!H", len(attrs)) + attrs)
    nh = ipaddress.ip_address(nh6).packed
    reach = struct.pack("!HBB", 2, 1, len(nh)) + nh + b"\x00" + _prefix_bytes(net)
    attrs = (_attr(0x80, 14, reach) + _attr(0x40, 1, b"\x00") +
             _attr(0x40, 2, bytes([2, 1]) + struct.pack("!I", asn)) +
             _attr(0x80, 4, struct.pack("!I", med)))
    return message(UPDATE, b"\x00\x00" + struct.pack("!H", len(attrs)) + attrs)


def end_of_rib() -> bytes:
    return (message(UPDATE, b"\x00\x00\x00\x00") +
            message(UPDATE, b"\x00\x00\x00\x06" + _attr(0x80, 15, struct.pack("!HB", 2, 1))))


def _nlri(data: bytes, v6: bool) -> list[str]:
    out, i, size = [], 0, 16 if v6 else 4
    while i < len(data):
        plen = data[i]
        n = (plen + 7) // 8
        raw = data[i + 1:i + 1 + n] + b"\x00" * (size - n)
        i += 1 + n
        out.append(f"{ipaddress.ip_address(raw)}/{plen}")
    return out


def apply_update(body: bytes, rib: dict) -> None:
    """Applies one received UPDATE to rib (prefix -> MED, None when the route has none)."""
    wlen = struct.unpack("!H", body[:2])[0]
    for p in _nlri(body[2:2 + wlen], False):
        rib.pop(p, None)
    alen = struct.unpack("!H", body[2 + wlen:4 + wlen])[0]
    attrs = body[4 + wlen:4 + wlen + alen]
    announced = _nlri(body[4 + wlen + alen:], False)
    med, i = None, 0
    while i < len(attrs):
        flags, code = attrs[i], attrs[i + 1]
        if flags & 0x10:
            n = struct.unpack("!H", attrs[i + 2:i + 4])[0]
            value, i = attrs[i + 4:i + 4 + n], i + 4 + n
        else:
            n = attrs[i + 2]
            value, i = attrs[i + 3:i + 3 + n], i + 3 + n
        if code == 4:
            med = struct.unpack("!I", value)[0]
        elif code == 14:
            afi, _safi, nhlen = struct.unpack("!HBB", value[:4])
            announced += _nlri(value[5 + nhlen:], afi == 2)
        elif code == 15:
            afi = struct.unpack("!H", value[:2])[0]
            for p in _nlri(value[3:], afi == 2):
                rib.pop(p, None)
    for p in announced:
        rib[p] = med


class Peer:
    """One session towards the route server; `routes` is what it announces (prefix -> MED)."""

    def __init__(self, local: str, remote: str, port: int, asn: int, nh4: str, nh6: str,
                 rcvbuf: int = 0, retry: float = 0.3):
        self.local, self.remote, self.port, self.asn = local, remote, port, asn
        self.nh4, self.nh6, self.rcvbuf, self.retry = nh4, nh6, rcvbuf, retry
        self.routes: dict[str, int] = {}
        self.rib: dict[str, Optional[int]] = {}
        self.established = False
        self.sessions = 0              # sessions established so far
        self.last_rx = time.monotonic()
        self.writer: Optional[asyncio.StreamWriter] = None
        self.running = True
        self.error = ""                # the last unexpected exception of a session
        self.keepalive_task: Optional[asyncio.Task] = None

    async def run(self) -> None:
        while self.running:
            if True:
                try:
                    await self._session()
                except (OSError, asyncio.IncompleteReadError, ConnectionError):
                    pass
                except Exception as e:  # noqa: BLE001 - a bug here must show, not hang a test
                    print(f"speaker {self.local}: {type(e).__name__}: {e}", file=sys.stderr)
                    self.error = f"{type(e).__name__}: {e}"
            self.established = False
            self.writer = None
            await asyncio.sleep(self.retry)

    async def _session(self) -> None:
        fam = socket.AF_INET6 if ":" in self.remote else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            if self.rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            s.bind((self.local, 0))
            s.setblocking(False)
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(s, (self.remote, self.port)), 5)
        except (OSError, asyncio.TimeoutError):
            s.close()
            return
        reader, writer = await asyncio.open_connection(sock=s)
        try:
            writer.write(open_message(self.asn, self.local))
            got_open = False
            while True:
                head = await reader.readexactly(19)
                length, mtype = struct.unpack("!HB", head[16:19])
                body = await reader.readexactly(length - 19)
                self.last_rx = time.monotonic()
                if mtype == OPEN and not got_open:
                    got_open = True
                    writer.write(message(KEEPALIVE, b""))
                elif mtype == KEEPALIVE:
                    if not self.established and got_open:
                        self.established = True
                        self.sessions += 1
                        self.writer = writer
                        self._announce_all()
                        self.keepalive_task = asyncio.get_running_loop().create_task(
                            self._keepalives(writer))
                    else:
                        writer.write(message(KEEPALIVE, b""))
                elif mtype == UPDATE:
                    apply_update(body, self.rib)
                elif mtype == NOTIFICATION:
                    return
                if writer.transport.get_write_buffer_size() > 1 << 20:
                    await writer.drain()
        finally:
            self.established = False
            self.writer = None
            self.rib.clear()
            writer.close()

    async def _keepalives(self, writer) -> None:
        while self.writer is writer:
            await asyncio.sleep(20)
            if self.writer is writer:
                writer.write(message(KEEPALIVE, b""))

    def _announce_all(self) -> None:
        data = b"".join(update(p, m, self.asn, self.nh4, self.nh6) for p, m in self.routes.items())
        self.writer.write(data + end_of_rib())

    def set_routes(self, routes: dict[str, Optional[int]]) -> None:
        """Announces (or withdraws: None) these prefixes now and on every later session."""
        for p, m in routes.items():
            if m is None:
                self.routes.pop(p, None)
            else:
                self.routes[p] = m
        if self.writer:
            self.writer.write(b"".join(update(p, m, self.asn, self.nh4, self.nh6)
                                       for p, m in routes.items()))

    def flap(self, cease: bool) -> None:
        """Ends the session: a Cease NOTIFICATION (6/2), or an abrupt close (RST)."""
        w = self.writer
        if not w:
            return
        self.writer = None
        self.established = False
        if cease:
            w.write(message(NOTIFICATION, bytes([6, 2])))
        else:
            sock = w.get_extra_info("socket")
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        w.close()


class Speakers:
    """The peers on an asyncio loop in a daemon thread; call() runs a function on it."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.peers: list[Peer] = []
        self.tasks: list[asyncio.Task] = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def add(self, peer: Peer) -> Peer:
        self.peers.append(peer)
        asyncio.run_coroutine_threadsafe(self._start(peer), self.loop).result()
        return peer

    async def _start(self, peer: Peer) -> None:
        # The loop keeps only weak references to tasks: one nobody holds may be collected mid-run.
        self.tasks.append(asyncio.get_running_loop().create_task(peer.run()))

    def call(self, fn, *args):
        async def wrap():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(30)

    def all_established(self) -> bool:
        return self.call(lambda: all(p.established for p in self.peers))

    def close(self) -> None:
        def stop():
            for p in self.peers:
                p.running = False
                if p.writer:
                    p.writer.close()
        try:
            self.call(stop)
        except Exception:           # noqa: BLE001 - closing anyway
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def edge_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description="one receiving edge with a small receive buffer")
    ap.add_argument("--local", required=True)
    ap.add_argument("--remote", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--asn", type=int, required=True)
    ap.add_argument("--rcvbuf", type=int, default=4096)
    ap.add_argument("--dump", required=True, help="JSON file: {prefix: MED}, rewritten when quiet")
    a = ap.parse_args(argv)
    peer = Peer(a.local, a.remote, a.port, a.asn, "192.0.2.1", "2001:db8::1", rcvbuf=a.rcvbuf)

    async def dumper():
        written = None
        while True:
            await asyncio.sleep(0.02)
            if time.monotonic() - peer.last_rx < 0.05:
                continue
            state = (peer.established, peer.sessions, len(peer.rib), hash(frozenset(peer.rib.items())))
            if state == written:
                continue
            tmp = a.dump + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"established": peer.established, "sessions": peer.sessions,
                           "rib": peer.rib}, f)
            os.replace(tmp, a.dump)
            written = state

    async def main():
        task = asyncio.get_running_loop().create_task(dumper())
        await peer.run()
        await task

    asyncio.run(main())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "edge":
        edge_main(sys.argv[2:])
    else:
        sys.exit("usage: speaker.py edge --local A --remote R --port P --asn N --dump FILE")
