#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/), from the
repository's captures (tests/data/wire), ExaBGP's encoding vectors and API commands
(tests/data/exabgp-qa), the differential filter configs (tests/diff/filters) and hand-written
seeds. Run from anywhere: python3 tests/fuzz/make_corpus.py. Files are named by content, so a
re-run adds only what is new; regression inputs for fixed bugs are added by hand (regress-*)."""
import hashlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def write(target: str, data: bytes, prefix: str = "seed") -> None:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    name = f"{prefix}-{hashlib.sha1(data).hexdigest()[:12]}"
    (d / name).write_bytes(data)


def captured_messages():
    """(type, whole message bytes) of every capture and ExaBGP vector."""
    for f in sorted((ROOT / "tests" / "data" / "wire").glob("*.hex")):
        for line in f.read_text().splitlines():
            if line and not line.startswith("#"):
                msg = bytes.fromhex(line.split()[-1])
                yield msg[18], msg
    for f in sorted((ROOT / "tests" / "data" / "exabgp-qa" / "encoding").glob("*.ci")):
        for line in f.read_text().splitlines():
            parts = line.split(":")
            if len(parts) >= 6 and parts[1] == "raw":
                msg = bytes.fromhex("".join(parts[2:]))
                yield msg[18], msg


def exabgp_commands():
    for f in sorted((ROOT / "tests" / "data" / "exabgp-qa" / "encoding").glob("*.ci")):
        for line in f.read_text().splitlines():
            parts = line.split(":", 2)
            if len(parts) == 3 and parts[1] == "cmd":
                yield parts[2]


def update_roundtrip():
    # Options byte (fuzz_update_roundtrip.cpp): 0x00 iBGP 4-octet; 0x09 eBGP 2-octet AS; 0x36
    # ADD-PATH both families, extended messages, RFC 8950.
    seen = set()
    for t, msg in captured_messages():
        if t != 2 or len(msg) > 4096:
            continue
        body = msg[19:]
        if body in seen:
            continue
        seen.add(body)
        for options in (0x00, 0x09, 0x36):
            write("update_roundtrip", bytes([options]) + body)


def messages():
    seen = set()
    for t, msg in captured_messages():
        if t in (3, 4, 5) and msg not in seen:
            seen.add(msg)
            write("messages", b"\x0a" + msg)
    marker = b"\xff" * 16

    def m(t, body):
        return marker + (19 + len(body)).to_bytes(2, "big") + bytes([t]) + body

    text = "shutting down for maintenance, back at 04:00 UTC".encode()
    write("messages", b"\x00" + m(3, bytes([6, 2, len(text)]) + text))  # RFC 9003 shutdown
    write("messages", b"\x00" + m(3, bytes([6, 4, 3]) + b"\xe2\x82\xac"))  # reset, UTF-8
    write("messages", b"\x00" + m(3, bytes([6, 2, 40]) + b"short"))  # length beyond the data
    write("messages", b"\x00" + m(3, bytes([3, 1])) + m(4, b""))
    write("messages", b"\x00" + m(3, b""))  # incomplete NOTIFICATION
    write("messages", b"\x0a" + m(5, bytes([0, 1, 0, 1])) + m(5, bytes([0, 2, 1, 1])))
    write("messages", b"\x0a" + m(5, bytes([0, 2, 2, 1])) + m(5, bytes([0, 1, 9, 1])))
    write("messages", b"\x02" + m(5, bytes([0, 1, 0, 1, 0])))  # wrong length, enhanced
    write("messages", b"\x11" + m(4, b"") + m(4, b"x"))


def filters():
    # 32 route bytes (fuzz_filter.cpp), then configuration text.
    routes = [
        bytes([0x1C, 0x7F, 48, 24, 203, 0, 113, 0, 0, 0, 0, 10, 0, 0, 0, 100]) + bytes(range(16)),
        bytes([0x05, 0x2A, 64, 16, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) + bytes(range(100, 116)),
    ]
    for f in sorted((ROOT / "tests" / "diff" / "filters").glob("*.conf")):
        text = f.read_bytes()
        if len(text) + 32 > 2048:
            continue
        for r in routes:
            write("filter", r + text)
    snippets = [
        b"filter f { if net ~ [ 10.0.0.0/8+, 192.0.2.0/24{24,32} ] || net ~ [ 2001:db8::/32{32,48} ]"
        b" then accept; reject; }",
        b"function g(int a) -> int { if a > 3 then return a * 2; return g(a + 1); }\n"
        b"filter f { bgp_med = g(bgp_med); bgp_path.prepend(65000); accept; }",
        b"filter f { bgp_community.add((65000, net.len)); bgp_large_community.add((1, 2, 3));\n"
        b" if bgp_path ~ [= * 64501 * =] then reject; accept; }",
        b"filter f { int i; i = 0; for pair p in bgp_community do { i = i + p.data; }\n"
        b" bgp_local_pref = i; case net.type { NET_IP4: accept; else: reject; } }",
        b"define S = [ 192.0.2.0/24, 198.51.100.0/22- ];\n"
        b"filter f { if (net ~ S) && bgp_origin = ORIGIN_IGP then { fuzz_int = 5; accept; } "
        b"print net, bgp_path; reject \"no\"; }",
        b"filter f { bgp_ext_community.add((rt, 65000, 1)); if bgp_next_hop ~ 192.0.2.0/24 then "
        b"bgp_path.delete([64500..64510]); accept; }",
    ]
    for s in snippets:
        for r in routes:
            write("filter", r + s)


def exabgp_api():
    lines = list(exabgp_commands())
    lines += [
        "neighbor 192.0.2.1 local-as 65000, neighbor 2001:db8::1 announce attributes next-hop self "
        "med 10 nlri 203.0.113.0/24 198.51.100.0/24",
        "announce route 2001:db8::/32 next-hop 2001:db8::1 as-path [ 65001 ( 65002 65003 ) ] "
        "large-community [ 65000:1:2 ] extended-community [ target:65000:1 l2info:19:0:1500:111 ]",
        "announce route 10.0.0.0/8 next-hop 1.1.1.1 path-information 7 attribute [ 0x99 0xc0 0x0102 ]",
        "withdraw route 203.0.113.10/32 next-hop self",
        "announce eor ipv6 unicast",
        "announce route 10.0.0.0/8 next-hop 1.1.1.1 aggregator 65000:192.0.2.1 originator-id 1.2.3.4 "
        "cluster-list [ 1.1.1.1 2.2.2.2 ] atomic-aggregate split /24 watchdog w name n",
        "version",
    ]
    for i in range(0, len(lines), 4):
        write("exabgp_api", "\n".join(lines[i:i + 4]).encode() + b"\n")


def control():
    for line in [
        "show route", "show route all", "sh ro for 10.1.2.3", "show route 2001:db8::/32 all",
        "show route where bgp_med > 5 count", "show route filter high_med",
        "show route table master6 protocol st6 primary", "show route export peer1",
        "show route noexport peer1 stats", "show route where net ~ [ 10.0.0.0/8+ ] && bgp_path.len < 3",
        "show protocols all", "show protocols \"st*\"", "show symbols filter", "show status",
        "show memory", "show health", "show services", "show history 10.0.0.0/8 limit 5",
        "show failovers since -10m", "eval 1 + 2", "restrict", "configure check \"x.conf\"",
        "debug peer1 { states, routes }", "echo all 4096", "sh ro wh bgp_community ~ [(65000, *)]",
    ]:
        write("control", line.encode())


def metrics_http():
    reqs = [
        b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:10179\r\nAccept: text/plain\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"HEAD /metrics?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\nGET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nX: " + b"y" * 300 + b"\r\n\r\n",
    ]
    for r in reqs:
        for size in (0xFF, 0x04):
            write("metrics_http", bytes([size]) + r)


def health_http():
    resps = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n",
        b"HTTP/1.0 503 Service Unavailable\r\n\r\n",
        b"HTTP/2 204\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.2\r\n",
        b"HTTP/1.1 200 O\x1bK\r\n",
        b"http://192.0.2.11:8080/health",
        b"http://[2001:db8::1]:81/x?y=1",
        b"https://web.example:8443/health",
        b"https://[2001:db8::1]/",
    ]
    for r in resps:
        write("health_http", b"\x00" + r)
        write("health_http", b"\x03\x01\x02\x03" + r)
    # Bodies (bit 3 of the first byte: a check with `body`): Content-Length, chunked with
    # extensions and trailers, to the close, conflicting lengths, a bad chunk size.
    bodies = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2;x=y\r\nOK\r\n0\r\nT: 1\r\n\r\n",
        b"HTTP/1.0 200 OK\nServer: t\n\nOK to the close",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nOK",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
    ]
    for r in bodies:
        write("health_http", b"\x08" + r)
        write("health_http", b"\x0b\x01\x02\x03" + r)


def history_query():
    for args in [
        "10.0.0.0/8 since \"2026-11-25 03:12\" until now limit 20",
        "protocol peer1 since -10m", "health web since 10 min ago until -1m",
        "since 2026-11-25T03:12:00.250Z", "until 2026-11-25Z limit 100000",
        "2001:db8::1 since -2h", "since -3000 weeks",
    ]:
        write("history_query", b"\x00" + args.encode())
        write("history_query", b"\x01" + args.encode())


def main() -> int:
    update_roundtrip()
    messages()
    filters()
    exabgp_api()
    control()
    metrics_http()
    health_http()
    history_query()
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {sum(1 for _ in d.iterdir())} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
