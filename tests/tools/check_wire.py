#!/usr/bin/env python3
"""check_wire.py - validate and summarise capture_peer.py ".hex" files.

Design
------
For every file: each non-comment line must be "TYPE HEX" where HEX is one
whole BGP message (16-byte 0xFF marker, length field equal to the byte count,
19 <= length <= 4096, or 65535 when both OPENs carry the extended message
capability) and TYPE matches the type octet. The first message must be an
OPEN. UPDATEs are decoded far enough (withdrawn routes, path attributes,
MP_REACH/MP_UNREACH, NLRI; ADD-PATH path ids when the recorder's and the
peer's OPEN negotiated them) to check that IPv4 and IPv6 unicast prefixes
were announced. Prints one summary line per file (or a per-UPDATE listing
with -v) and exits non-zero if any file fails.

--pcap FILE additionally writes every message as a synthetic IPv4/TCP packet
(peer -> 127.0.0.21:179, one TCP stream per input file) so that the captures
can be cross-checked with "tshark -r FILE -V". Standard library only.
"""

import argparse
import ipaddress
import re
import struct
import sys

TYPES = {"OPEN": 1, "UPDATE": 2, "NOTIFICATION": 3, "KEEPALIVE": 4,
         "ROUTE-REFRESH": 5}
FAMILIES = {(1, 1): "ipv4", (2, 1): "ipv6"}


def open_caps(msg):
    """Map capability code -> list of values from an OPEN message."""
    plen = msg[28]
    params, caps, i = msg[29:29 + plen], {}, 0
    while i + 2 <= len(params):
        ptype, pl = params[i], params[i + 1]
        if ptype == 2:
            val, j = params[i + 2:i + 2 + pl], 0
            while j + 2 <= len(val):
                code, cl = val[j], val[j + 1]
                caps.setdefault(code, []).append(val[j + 2:j + 2 + cl])
                j += 2 + cl
        i += 2 + pl
    return caps


def addpath_modes(caps):
    """{family: send/receive bits} from ADD-PATH capability values."""
    modes = {}
    for val in caps.get(69, []):
        for k in range(0, len(val) - 3, 4):
            afi, safi, mode = struct.unpack("!HBB", val[k:k + 4])
            modes[FAMILIES.get((afi, safi), (afi, safi))] = mode
    return modes


def prefixes(data, afi, addpath):
    """Decode a run of (optionally ADD-PATH) NLRI into prefix strings."""
    out, i, size = [], 0, 4 if afi == 1 else 16
    while i < len(data):
        pid = None
        if addpath:
            pid = struct.unpack("!I", data[i:i + 4])[0]
            i += 4
        bits = data[i]
        nbytes = (bits + 7) // 8
        if bits > size * 8 or i + 1 + nbytes > len(data):
            raise ValueError("bad prefix length %d" % bits)
        raw = data[i + 1:i + 1 + nbytes] + bytes(size - nbytes)
        addr = ipaddress.ip_address(raw)
        out.append("%s/%d%s" % (addr, bits, "" if pid is None else
                                " id %d" % pid))
        i += 1 + nbytes
    return out


def decode_update(msg, addpath):
    """Return dict: withdrawn/announced {family: [prefix]}, attrs, nexthops."""
    body = msg[19:]
    wlen = struct.unpack("!H", body[:2])[0]
    alen = struct.unpack("!H", body[2 + wlen:4 + wlen])[0]
    if 4 + wlen + alen > len(body):
        raise ValueError("UPDATE lengths exceed message")
    res = {"withdrawn": {}, "announced": {}, "attrs": [], "nexthop": {},
           "eor": None}
    w = prefixes(body[2:2 + wlen], 1, addpath.get("ipv4"))
    if w:
        res["withdrawn"]["ipv4"] = w
    attrs, i = body[4 + wlen:4 + wlen + alen], 0
    while i < len(attrs):
        flags, code = attrs[i], attrs[i + 1]
        if flags & 0x10:
            length, hdr = struct.unpack("!H", attrs[i + 2:i + 4])[0], 4
        else:
            length, hdr = attrs[i + 2], 3
        val = attrs[i + hdr:i + hdr + length]
        if len(val) != length:
            raise ValueError("attribute %d overruns" % code)
        res["attrs"].append(code)
        if code in (14, 15):
            afi, safi = struct.unpack("!HB", val[:3])
            fam = FAMILIES.get((afi, safi), "afi%d/safi%d" % (afi, safi))
            if code == 14:
                nhlen = val[3]
                nh = val[4:4 + nhlen]
                res["nexthop"][fam] = " ".join(
                    str(ipaddress.ip_address(nh[k:k + 16 if afi == 2 else k + 4]))
                    for k in range(0, nhlen, 16 if afi == 2 else 4))
                res["announced"].setdefault(fam, []).extend(
                    prefixes(val[5 + nhlen:], afi, addpath.get(fam)))
            else:
                if len(val) == 3 and len(attrs) == hdr + 3 and wlen == 0:
                    res["eor"] = fam
                res["withdrawn"].setdefault(fam, []).extend(
                    prefixes(val[3:], afi, addpath.get(fam)))
        elif code == 3:
            res["nexthop"]["ipv4"] = str(ipaddress.ip_address(val))
        i += hdr + length
    nlri = prefixes(body[4 + wlen + alen:], 1, addpath.get("ipv4"))
    if nlri:
        res["announced"].setdefault("ipv4", []).extend(nlri)
    if wlen == 0 and alen == 0 and not nlri:
        res["eor"] = "ipv4"
    return res


def check_file(path, verbose=False):
    """Validate one file; returns (ok, summary string, list of messages)."""
    errors, msgs, recorder_open = [], [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            m = re.match(r"# recorder OPEN sent: ([0-9A-F]+)$", line)
            if m:
                recorder_open = bytes.fromhex(m.group(1))
            if not line or line.startswith("#"):
                continue
            try:
                name, hexstr = line.split()
                if hexstr != hexstr.upper():
                    raise ValueError("hex not uppercase")
                raw = bytes.fromhex(hexstr)
            except ValueError as exc:
                errors.append("line %d: %s" % (n, exc))
                continue
            msgs.append((n, name, raw))
    counts = {t: 0 for t in TYPES}
    ext_msg = False
    addpath = {}
    if msgs and msgs[0][1] == "OPEN" and recorder_open:
        peer_caps, rec_caps = open_caps(msgs[0][2]), open_caps(recorder_open)
        ext_msg = 6 in peer_caps and 6 in rec_caps
        rx, tx = addpath_modes(rec_caps), addpath_modes(peer_caps)
        addpath = {fam: bool(rx.get(fam, 0) & 1 and tx.get(fam, 0) & 2)
                   for fam in ("ipv4", "ipv6")}
    elif not msgs or msgs[0][1] != "OPEN":
        errors.append("first message is not an OPEN")
    announced = {"ipv4": set(), "ipv6": set()}
    withdrawn = {"ipv4": set(), "ipv6": set()}
    eors = []
    for n, name, raw in msgs:
        if raw[:16] != b"\xff" * 16:
            errors.append("line %d: bad marker" % n)
            continue
        length = struct.unpack("!H", raw[16:18])[0]
        if length != len(raw) or length < 19 or \
                length > (65535 if ext_msg else 4096):
            errors.append("line %d: length field %d, %d bytes" %
                          (n, length, len(raw)))
            continue
        if TYPES.get(name) != raw[18]:
            errors.append("line %d: %s but type octet %d" % (n, name, raw[18]))
            continue
        counts[name] += 1
        if name != "UPDATE":
            continue
        try:
            u = decode_update(raw, addpath)
        except (ValueError, IndexError) as exc:
            errors.append("line %d: %s" % (n, exc))
            continue
        for fam, pfx in u["announced"].items():
            announced.setdefault(fam, set()).update(pfx)
        for fam, pfx in u["withdrawn"].items():
            withdrawn.setdefault(fam, set()).update(pfx)
        if u["eor"]:
            eors.append(u["eor"])
        if verbose:
            print("  line %d: %s" % (n, "EoR " + u["eor"] if u["eor"] else
                  "attrs %s announce %s nh %s withdraw %s" % (
                      u["attrs"], u["announced"], u["nexthop"],
                      u["withdrawn"])))
    if counts["OPEN"] < 1:
        errors.append("no OPEN")
    for fam in ("ipv4", "ipv6"):
        if not announced[fam]:
            errors.append("no %s unicast NLRI announced" % fam)
    summary = ("%s: %s | %d v4 + %d v6 prefixes announced, %d + %d withdrawn,"
               " EoR %s%s" % (
                   path.rsplit("/", 1)[-1],
                   " ".join("%s=%d" % (t, c) for t, c in counts.items()),
                   len(announced["ipv4"]), len(announced["ipv6"]),
                   len(withdrawn["ipv4"]), len(withdrawn["ipv6"]),
                   ",".join(eors) or "none",
                   " add-path" if any(addpath.values()) else ""))
    if errors:
        summary += "\n  ERRORS: " + "; ".join(errors)
    return not errors, summary, [raw for _, _, raw in msgs]


def write_pcap(path, streams):
    """Write each stream (list of messages) as one synthetic TCP flow."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        ts = 1
        for idx, msgs in enumerate(streams):
            src = bytes([127, 0, 1, idx % 250 + 1])
            dst = bytes([127, 0, 0, 21])
            seq = 1000
            for raw in msgs:
                tcp = struct.pack("!HHIIBBHHH", 40000 + idx, 179, seq, 1,
                                  5 << 4, 0x18, 65535, 0, 0) + raw
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp),
                                 0, 0x4000, 64, 6, 0, src, dst)
                csum = sum(struct.unpack("!10H", ip))
                csum = (csum & 0xFFFF) + (csum >> 16)
                csum = ~((csum & 0xFFFF) + (csum >> 16)) & 0xFFFF
                ip = ip[:10] + struct.pack("!H", csum) + ip[12:]
                pkt = ip + tcp
                f.write(struct.pack("<IIII", ts, 0, len(pkt), len(pkt)) + pkt)
                seq += len(raw)
                ts += 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--pcap", help="also write a synthetic pcap here")
    args = p.parse_args()
    ok_all, streams = True, []
    for path in args.files:
        ok, summary, msgs = check_file(path, args.verbose)
        print(("OK   " if ok else "FAIL ") + summary)
        ok_all &= ok
        streams.append(msgs)
    if args.pcap:
        write_pcap(args.pcap, streams)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
