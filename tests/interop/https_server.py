#!/usr/bin/env python3
"""The checked service of test_health_https.py: HTTP and HTTPS listeners (python3 `ssl`, stdlib
only) in one process, each as a JSON spec says, that log what each connection showed them.

Usage: https_server.py SPEC.json LOG.jsonl. SPEC is a list of listeners:
  {"name": "v4", "addr": "127.0.0.1", "port": 20001,
   "cert": "server.pem", "key": "server.key",      # absent: plain HTTP
   "client_ca": "ca.pem",                           # present: a client certificate is required
   "flag": "up"}                                    # /flag says OK while this file exists
Each TLS handshake and each request appends one JSON line to LOG: the listener, the peer address,
the SNI the client sent, the client certificate's CN, the Host header and the path (or the
handshake's error). Paths: /ok (200, "status: OK", Content-Length), /degraded (200, no "OK" in
the body), /chunked (200, "status: OK" in two chunks), /flag (200, "status: OK" while the
listener's flag file exists), anything else 404. Prints READY once every
listener is bound; stops on SIGTERM.
"""
import json
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOCAL = threading.local()


def log(path, rec):
    with LOCK, open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        log(srv.log_path, {"listener": srv.spec["name"], "peer": self.client_address[0],
                           "sni": getattr(LOCAL, "sni", None), "client_cn": getattr(LOCAL, "cn", None),
                           "host": self.headers.get("Host"), "path": self.path})
        self.close_connection = True
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"status: ", b"OK\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        body = {"/ok": b"status: OK\n", "/degraded": b"status: DEGRADED\n"}.get(self.path)
        if self.path == "/flag":  # OK while the listener's flag file exists
            body = b"status: OK\n" if os.path.exists(srv.spec["flag"]) else b"status: DOWN\n"
        self.send_response(200 if body else 404)
        body = body or b"not found\n"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, spec, log_path):
        self.address_family = socket.AF_INET6 if ":" in spec["addr"] else socket.AF_INET
        self.spec, self.log_path, self.ctx = spec, log_path, None
        super().__init__((spec["addr"], spec["port"]), Handler)
        if spec.get("cert"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(spec["cert"], spec["key"])
            if spec.get("client_ca"):
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(spec["client_ca"])

            def on_sni(_sock, name, _ctx):
                LOCAL.sni = name
            ctx.sni_callback = on_sni
            self.ctx = ctx

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's own thread: a client that stalls it holds
        # nobody else up.
        LOCAL.sni = LOCAL.cn = None
        if self.ctx:
            request.settimeout(10)
            try:
                request = self.ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log(self.log_path, {"listener": self.spec["name"], "peer": client_address[0],
                                    "sni": LOCAL.sni, "handshake_error": str(e)})
                return
            cert = request.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            LOCAL.cn = v
        try:
            super().finish_request(request, client_address)
        finally:
            if self.ctx:
                request.close()  # the TLS socket took over the descriptor


def main():
    specs = json.load(open(sys.argv[1]))
    servers = [Server(s, sys.argv[2]) for s in specs]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
