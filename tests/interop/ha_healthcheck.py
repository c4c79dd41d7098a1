#!/usr/bin/env python3
"""A service health check that speaks the ExaBGP API, as on the ExaBGP wiki's high-availability
page: check the service in a loop, print `announce route ... next-hop self` while it works and
`withdraw route ...` when it stops, flush stdout after each line, and stay quiet while nothing
changes. The service check here is "the flag file exists" (--flag) or a TCP connect (--tcp
HOST:PORT), so a test can flip it. Written for rsd's tests; runs unchanged under ExaBGP too."""
import argparse
import os
import socket
import sys
import time


def service_up(args):
    if args.tcp:
        host, port = args.tcp.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except OSError:
            return False
    return os.path.exists(args.flag)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--flag")
    p.add_argument("--tcp")
    p.add_argument("--prefix", required=True)
    p.add_argument("--med", type=int, default=100)
    p.add_argument("--interval", type=float, default=1.0)
    args = p.parse_args()
    state = None
    while True:
        up = service_up(args)
        if up != state:
            if up:
                sys.stdout.write("announce route %s next-hop self med %d\n" % (args.prefix, args.med))
            else:
                sys.stdout.write("withdraw route %s next-hop self\n" % args.prefix)
            sys.stdout.flush()
            state = up
        time.sleep(args.interval)


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        pass
