#!/usr/bin/env python3
"""Minimal BGP speaker: connects to a BGP listener, announces raw routes, stays up a while.
Route spec lines: PREFIX NEXTHOP [path=SEGS] [med=N] [lp=N] [comm=a:b,...] [raw=HEXATTR...]
SEGS: '65001 {65002 65003} 65004' written with '_' for spaces: 65001_{65002_65003}_65004;
'<...>' is AS_CONFED_SEQUENCE, '[...]' AS_CONFED_SET."""
import socket, struct, sys, time, ipaddress, re

def attr(flags, code, data):
    if len(data) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(data)) + data
    return struct.pack("!BBB", flags, code, len(data)) + data

def segs(spec):
    out = b""
    for m in re.finditer(r"\{([^}]*)\}|<([^>]*)>|\[([^\]]*)\]|(\d+)", spec):
        if m.group(1) is not None: t, a = 1, m.group(1).split()
        elif m.group(2) is not None: t, a = 3, m.group(2).split()
        elif m.group(3) is not None: t, a = 4, m.group(3).split()
        else: t, a = 2, [m.group(4)]
        out_t = (t, [int(x) for x in a])
        out += struct.pack("!BB", t, len(a)) + b"".join(struct.pack("!I", int(x)) for x in a)
    # merge consecutive single-asn sequences
    return out

def seg_list(spec):
    res = []
    for m in re.finditer(r"\{([^}]*)\}|<([^>]*)>|\[([^\]]*)\]|(\d+)", spec):
        if m.group(1) is not None: res.append((1, m.group(1).split()))
        elif m.group(2) is not None: res.append((3, m.group(2).split()))
        elif m.group(3) is not None: res.append((4, m.group(3).split()))
        else:
            if res and res[-1][0] == 2 and not getattr(res[-1], "closed", False): res[-1][1].append(m.group(4))
            else: res.append((2, [m.group(4)]))
    return b"".join(struct.pack("!BB", t, len(a)) + b"".join(struct.pack("!I", int(x)) for x in a) for t, a in res)

def msg(t, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body

def main():
    host, port, src, asn, spec_file, stay = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((src, 0))
    for _ in range(100):
        try:
            s.connect((host, port)); break
        except OSError:
            time.sleep(0.1)
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([1, 4, 0, 2, 0, 1]) + bytes([65, 4]) + struct.pack("!I", asn)
    opt = bytes([2, len(caps)]) + caps
    bid = socket.inet_aton("10.255.0.2")
    s.sendall(msg(1, struct.pack("!BHH", 4, asn if asn < 65536 else 23456, 90) + bid + bytes([len(opt)]) + opt))
    s.sendall(msg(4, b""))
    for line in open(spec_file):
        line = line.split("#")[0].strip()
        if not line: continue
        f = line.split()
        net = ipaddress.ip_network(f[0]); nh = ipaddress.ip_address(f[1])
        attrs = attr(0x40, 1, b"\x00")
        opts = {}
        for kv in f[2:]:
            k, v = kv.split("=", 1); opts[k] = v
        path = opts.get("path", "").replace("_", " ")
        attrs += attr(0x40, 2, seg_list(path))
        if "med" in opts: attrs += attr(0x80, 4, struct.pack("!I", int(opts["med"])))
        if "lp" in opts: attrs += attr(0x40, 5, struct.pack("!I", int(opts["lp"])))
        if "comm" in opts:
            attrs += attr(0xc0, 8, b"".join(struct.pack("!HH", *map(int, c.split(":"))) for c in opts["comm"].split(",")))
        for r in opts.get("raw", "").split(","):
            if r: attrs += bytes.fromhex(r)
        plen = net.prefixlen
        nl = bytes([plen]) + net.network_address.packed[: (plen + 7) // 8]
        if net.version == 4:
            attrs += attr(0x40, 3, nh.packed)
            body = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nl
        else:
            mp = struct.pack("!HBB", 2, 1, 16) + nh.packed + b"\x00" + nl
            attrs += attr(0x80, 14, mp)
            body = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs
        s.sendall(msg(2, body))
    end = time.time() + stay
    s.settimeout(0.5)
    buf = b""
    dump = open(sys.argv[7], "wb") if len(sys.argv) > 7 else None
    while time.time() < end:
        try:
            d = s.recv(4096)
            if not d: break
            if dump: dump.write(d); dump.flush()
        except socket.timeout:
            pass
        s.sendall(msg(4, b""))
    s.close()

main()
