#!/usr/bin/env python3
"""capture_peer.py - minimal passive BGP speaker that records what a peer sends.

Design
------
* Listens on one address/port (IPv4 or IPv6, meant for loopback only) and
  accepts exactly one TCP connection from a real BGP daemon.
* Sends its own OPEN straight away (version 4, configurable AS, router id,
  hold time 90, capabilities: MP IPv4/IPv6 unicast, route refresh, 4-octet
  AS, and optionally ADD-PATH receive, extended message, graceful restart).
* After the peer's OPEN arrives it sends a KEEPALIVE (which completes the
  handshake) and then one KEEPALIVE every hold/3 seconds. Once the peer's
  first KEEPALIVE arrives (session Established) it sends End-of-RIB for IPv4
  and IPv6 unicast, as it has no routes of its own (--no-send-eor disables).
* Every message received from the peer is recorded verbatim (marker, header
  and body) and written as "TYPE HEX" lines, preceded by "#" comment lines
  describing how the capture was produced.
* Stops when the selected condition is met (End-of-RIB for IPv4 and IPv6
  unicast, optionally followed by a withdrawal), when the peer closes or
  sends a NOTIFICATION, or when --timeout expires. An optional --linger keeps
  recording a little longer after the condition is met to catch stragglers.
* Progress is appended to --status-file (LISTENING, CONNECTED, ESTABLISHED,
  EOR ipv4, EOR ipv6, WITHDRAW, DONE <reason>) so that a driving shell script
  can poll it instead of sleeping blindly.

Only the Python standard library is used. The tool does no path selection and
does not validate the peer's messages beyond framing; it is a recorder.
"""

import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time

MARKER = b"\xff" * 16
TYPE_NAMES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE",
              5: "ROUTE-REFRESH"}
AFI_IPV4, AFI_IPV6, SAFI_UNICAST = 1, 2, 1
AS_TRANS = 23456


# ---------------------------------------------------------------- encoding --

def message(msg_type, body=b""):
    """Frame a BGP message: 16-byte marker, 2-byte length, 1-byte type."""
    return MARKER + struct.pack("!HB", 19 + len(body), msg_type) + body


def capability(code, value=b""):
    return struct.pack("!BB", code, len(value)) + value


def build_open(args):
    """Build our OPEN with one optional parameter (type 2) per capability."""
    families = [(AFI_IPV4, SAFI_UNICAST), (AFI_IPV6, SAFI_UNICAST)]
    caps = [capability(1, struct.pack("!HBB", afi, 0, safi))
            for afi, safi in families]
    caps.append(capability(2))                                 # route refresh
    caps.append(capability(65, struct.pack("!I", args.local_as)))  # 4-octet AS
    if args.add_path:
        # ADD-PATH: per family, 1 = we are able to receive multiple paths.
        caps.append(capability(69, b"".join(
            struct.pack("!HBB", afi, safi, 1) for afi, safi in families)))
    if args.extended_message:
        caps.append(capability(6))
    if args.graceful_restart:
        # Restart flags 0, restart time 120 s, both families, F bit clear.
        caps.append(capability(64, struct.pack("!H", 120) + b"".join(
            struct.pack("!HBB", afi, safi, 0) for afi, safi in families)))
    params = b"".join(struct.pack("!BB", 2, len(c)) + c for c in caps)
    my_as = args.local_as if args.local_as <= 0xFFFF else AS_TRANS
    body = struct.pack("!BHH4sB", 4, my_as, args.hold,
                       ipaddress.IPv4Address(args.router_id).packed,
                       len(params)) + params
    return message(1, body)


KEEPALIVE = message(4)
EOR_IPV4 = message(2, b"\x00\x00\x00\x00")
# IPv6 unicast End-of-RIB: UPDATE carrying only an empty MP_UNREACH_NLRI.
EOR_IPV6 = message(2, b"\x00\x00\x00\x06" + b"\x80\x0f\x03" +
                   struct.pack("!HB", AFI_IPV6, SAFI_UNICAST))


def notification(code, subcode, data=b""):
    return message(3, struct.pack("!BB", code, subcode) + data)


# ---------------------------------------------------------------- decoding --

def peer_hold_time(msg):
    """Hold time field of a received OPEN."""
    return struct.unpack("!H", msg[22:24])[0]


def describe_open(msg):
    """Short human-readable summary of a received OPEN (for the header)."""
    ver, asn, hold, rid, plen = struct.unpack("!BHH4sB", msg[19:29])
    caps, params, i = [], msg[29:29 + plen], 0
    while i + 2 <= len(params):
        ptype, pl = params[i], params[i + 1]
        if ptype == 2:
            j, val = 0, params[i + 2:i + 2 + pl]
            while j + 2 <= len(val):
                code, cl = val[j], val[j + 1]
                caps.append("%d%s" % (code, (":" + val[j + 2:j + 2 + cl].hex())
                                      if cl else ""))
                j += 2 + cl
        i += 2 + pl
    return "version %d as %d hold %d id %s caps %s" % (
        ver, asn, hold, socket.inet_ntoa(rid), " ".join(caps))


def update_info(msg):
    """Classify an UPDATE.

    Returns (eor, withdrawn): eor is "ipv4"/"ipv6" if the message is an
    End-of-RIB marker for that unicast family (else None); withdrawn is the
    set of families ("ipv4"/"ipv6"/"other") that have prefixes withdrawn.
    """
    body = msg[19:]
    wlen = struct.unpack("!H", body[0:2])[0]
    alen = struct.unpack("!H", body[2 + wlen:4 + wlen])[0]
    attrs = body[4 + wlen:4 + wlen + alen]
    nlri = body[4 + wlen + alen:]
    if wlen == 0 and alen == 0 and not nlri:
        return "ipv4", set()                     # IPv4 unicast End-of-RIB
    withdrawn = {"ipv4"} if wlen else set()
    i, unreach, n_attrs = 0, None, 0
    while i + 3 <= len(attrs):
        flags, code = attrs[i], attrs[i + 1]
        if flags & 0x10:                         # extended length
            length, hdr = struct.unpack("!H", attrs[i + 2:i + 4])[0], 4
        else:
            length, hdr = attrs[i + 2], 3
        value = attrs[i + hdr:i + hdr + length]
        n_attrs += 1
        if code == 15 and length >= 3:           # MP_UNREACH_NLRI
            unreach = value
            if length > 3:
                afi, safi = struct.unpack("!HB", value[:3])
                withdrawn.add({(1, 1): "ipv4", (2, 1): "ipv6"}.get(
                    (afi, safi), "other"))
        i += hdr + length
    if unreach is not None and len(unreach) == 3 and n_attrs == 1 \
            and wlen == 0 and not nlri:
        afi, safi = struct.unpack("!HB", unreach)
        if safi == SAFI_UNICAST and afi in (AFI_IPV4, AFI_IPV6):
            return ("ipv4" if afi == AFI_IPV4 else "ipv6"), set()
    return None, withdrawn


# ------------------------------------------------------------------ session --

class Recorder:
    def __init__(self, args):
        self.args = args
        self.records = []          # (type name, raw bytes)
        self.eor = set()
        self.withdrawn_after_eor = set()
        self.peer_open = None
        self.peer_addr = None
        self.sent_open = build_open(args)

    def status(self, line):
        if self.args.status_file:
            with open(self.args.status_file, "a") as f:
                f.write(line + "\n")
        if self.args.verbose:
            print("capture_peer: " + line, file=sys.stderr)

    def done(self):
        if self.args.until == "timeout":
            return False
        both = {"ipv4", "ipv6"} <= self.eor
        if self.args.until == "eor":
            return both
        # until == "withdraw": both EoRs, then withdrawals in both families.
        return both and {"ipv4", "ipv6"} <= self.withdrawn_after_eor

    def handle(self, msg):
        mtype = msg[18]
        name = TYPE_NAMES.get(mtype, "TYPE%d" % mtype)
        self.records.append((name, msg))
        if mtype == 1:
            self.peer_open = msg
        elif mtype == 2:
            fam, withdrawn = update_info(msg)
            if fam and fam not in self.eor:
                self.eor.add(fam)
                self.status("EOR " + fam)
            if {"ipv4", "ipv6"} <= self.eor:
                for wfam in sorted(withdrawn - self.withdrawn_after_eor):
                    self.withdrawn_after_eor.add(wfam)
                    self.status("WITHDRAW " + wfam)
        return mtype

    def run(self):
        a = self.args
        family = socket.AF_INET6 if ":" in a.listen else socket.AF_INET
        lsock = socket.socket(family, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((a.listen, a.port))
        lsock.listen(1)
        self.status("LISTENING %s %d" % (a.listen, a.port))
        deadline = time.monotonic() + a.timeout
        reason = "timeout"
        lsock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            conn, addr = lsock.accept()
        except socket.timeout:
            self.status("DONE no-connection")
            return "no-connection"
        finally:
            lsock.close()
        self.peer_addr = addr[0]
        self.status("CONNECTED %s %d" % (addr[0], addr[1]))
        conn.sendall(self.sent_open)
        buf = b""
        hold = a.hold
        next_keepalive = None      # set once the peer's OPEN arrived
        stop_at = deadline
        condition_met = False
        established = False
        try:
            while True:
                now = time.monotonic()
                if now >= stop_at:
                    break
                if next_keepalive is not None and now >= next_keepalive:
                    conn.sendall(KEEPALIVE)
                    next_keepalive = now + max(1, hold // 3)
                wait = stop_at - now
                if next_keepalive is not None:
                    wait = min(wait, next_keepalive - now)
                ready, _, _ = select.select([conn], [], [], max(0, wait))
                if not ready:
                    continue
                data = conn.recv(65536)
                if not data:
                    reason = "peer-closed"
                    break
                buf += data
                closed = False
                while len(buf) >= 19:
                    if buf[:16] != MARKER:
                        raise ValueError("bad marker from peer")
                    length = struct.unpack("!H", buf[16:18])[0]
                    if length < 19:
                        raise ValueError("bad length %d" % length)
                    if len(buf) < length:
                        break
                    msg, buf = buf[:length], buf[length:]
                    mtype = self.handle(msg)
                    if mtype == 1:
                        theirs = peer_hold_time(msg)
                        hold = min(a.hold, theirs) if theirs else 0
                        conn.sendall(KEEPALIVE)
                        next_keepalive = (time.monotonic() + hold // 3
                                          if hold else None)
                    elif mtype == 4 and not established:
                        established = True
                        self.status("ESTABLISHED")
                        if a.send_eor:
                            # We have no routes: our initial RIB dump is
                            # just End-of-RIB for both families (some
                            # daemons defer their own sending until then).
                            conn.sendall(EOR_IPV4 + EOR_IPV6)
                    elif mtype == 3:
                        reason = "peer-notification"
                        closed = True
                if closed:
                    break
                if not condition_met and self.done():
                    condition_met = True
                    reason = "until-" + a.until
                    stop_at = min(deadline, time.monotonic() + a.linger)
        finally:
            if reason not in ("peer-closed", "peer-notification"):
                try:        # Cease / Administrative Shutdown
                    conn.sendall(notification(6, 2))
                except OSError:
                    pass
            conn.close()
        self.status("DONE " + reason)
        return reason

    def write(self, reason):
        a = self.args
        lines = ["# capture_peer.py recording of BGP messages sent by a peer"]
        lines += ["# " + c for c in a.comment]
        if a.comment_file:
            with open(a.comment_file) as f:
                lines += [("# " + c).rstrip() for c in f.read().splitlines()]
        lines.append("# captured: %s" % time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                      time.gmtime()))
        lines.append("# recorder: listen %s port %d, local AS %d, router id "
                     "%s, hold %d, add-path-rx %s, extended-message %s, "
                     "graceful-restart %s" % (
                         a.listen, a.port, a.local_as, a.router_id, a.hold,
                         a.add_path, a.extended_message, a.graceful_restart))
        lines.append("# recorder OPEN sent: " + self.sent_open.hex().upper())
        if self.peer_addr:
            lines.append("# peer address: %s" % self.peer_addr)
        if self.peer_open:
            lines.append("# peer OPEN: " + describe_open(self.peer_open))
        lines.append("# stop reason: %s; End-of-RIB seen: %s" % (
            reason, ",".join(sorted(self.eor)) or "none"))
        lines.append("# format: one message per line, TYPE HEX "
                     "(HEX = whole message incl. marker, uppercase)")
        lines += ["%s %s" % (n, m.hex().upper()) for n, m in self.records]
        tmp = a.output + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, a.output)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", default="127.0.0.21",
                   help="address to listen on (IPv4 or IPv6 literal)")
    p.add_argument("--port", type=int, default=1790)
    p.add_argument("--local-as", type=int, default=65000)
    p.add_argument("--router-id", default="192.0.2.21")
    p.add_argument("--hold", type=int, default=90)
    p.add_argument("--add-path", action="store_true",
                   help="advertise ADD-PATH receive for IPv4/IPv6 unicast")
    p.add_argument("--extended-message", action="store_true")
    p.add_argument("--graceful-restart", action="store_true")
    p.add_argument("--no-send-eor", dest="send_eor", action="store_false",
                   help="do not send our own (empty) End-of-RIB markers")
    p.add_argument("--until", choices=("eor", "withdraw", "timeout"),
                   default="eor",
                   help="stop after End-of-RIB for both families (eor), "
                        "after both EoRs plus later withdrawals in both "
                        "families (withdraw), or only on --timeout")
    p.add_argument("--timeout", type=float, default=30,
                   help="hard limit in seconds, including waiting to accept")
    p.add_argument("--linger", type=float, default=0.5,
                   help="seconds to keep recording after --until is met")
    p.add_argument("--comment", action="append", default=[],
                   help="header comment line (repeatable)")
    p.add_argument("--comment-file",
                   help="file whose lines are added as header comments")
    p.add_argument("--status-file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    rec = Recorder(args)
    try:
        reason = rec.run()
    except (OSError, ValueError) as exc:
        reason = "error: %s" % exc
        rec.status("DONE " + reason)
    rec.write(reason)
    n_upd = sum(1 for n, _ in rec.records if n == "UPDATE")
    print("capture_peer: %s: %d messages (%d UPDATE), stop: %s" % (
        args.output, len(rec.records), n_upd, reason), file=sys.stderr)
    return 0 if rec.peer_open else 1


if __name__ == "__main__":
    sys.exit(main())
