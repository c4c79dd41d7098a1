#!/usr/bin/env python3
"""HTTPS health checks end to end: rsd's `http` probes against python3 `ssl` servers on loopback,
with a throwaway PKI made by the `openssl` command line at test time.

What each healthcheck block proves (rise 1, fall 1, `withdraw on down`, one route each: UP means
its route is in rsd's table, DOWN that it is not; both read back with `rsc show route` and
`rsc --json show health`):
  ok4        https to a host name at 127.0.0.1 with `address`, `ca file`, `body "OK"`, `source
             address 127.0.0.2`: UP; the server saw SNI web.example, Host web.example:PORT,
             peer 127.0.0.2
  ok6        the same over ::1 with `server name "alt.example"` and `host "svc.example"` and a
             chunked body: UP; SNI alt.example, Host svc.example
  system     no `ca file`: the throwaway CA is not in the system store -> DOWN, "certificate
             verify failed: unable to get local issuer certificate" in show health and the log
  rogue      a server certificate from another CA -> DOWN (verify failed)
  wrongname  `server name "other.example"` (not in the certificate) -> DOWN, "hostname mismatch"
  body       `body "OK"` on a page without it -> DOWN, "does not contain"
  flip       UP; its page loses "OK" -> DOWN and the route is withdrawn; back -> UP, announced
  mtls       a server that requires a client certificate, with `certificate`/`key`: UP, the
             server saw the client's CN; mtls_none (no certificate) -> DOWN
  insecure   the rogue server with `insecure`: UP, and the log says it is not verified
  stall      a listener that never answers the handshake -> DOWN "timed out" within `timeout`
  plain6     http://[::1] with `source address ::1` and `host`: UP, Host as configured
  src6_bad   `source address 2001:db8::99` (not local): DOWN, "bind 2001:db8::99" (the bind
             happens; loopback holds no second IPv6 address to show it succeeding with)
  tcp4       `tcp ... source address 127.0.0.3`: UP, the server saw 127.0.0.3; tcp6_bad as
             src6_bad
And `rsd --check` refuses a key that does not match its certificate and a missing CA file, with
file:line:col.

Usage: test_health_https.py RSD_BINARY RSC_BINARY. Exit 0 = pass; a missing openssl is a failure.
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

OPENSSL = shutil.which("openssl")
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port(addr):
    """A free TCP port in 20000-32767 (below the kernel's ephemeral range) on `addr`."""
    rng = random.SystemRandom()
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    for _ in range(200):
        port = rng.randrange(20000, 32768)
        with socket.socket(fam) as s:
            try:
                s.bind((addr, port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 20000-32767")


def wait_until(pred, timeout, what):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # the daemon may not answer yet
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


def openssl(tmp, *args):
    r = subprocess.run([OPENSSL, *args], cwd=tmp, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {r.stderr}")


def make_pki(tmp):
    """CA `ca` (trusted by `ca file`), CA `rogue`; server cert web.example + alt.example from
    each; client cert CN rsd-probe from `ca`."""
    for ca in ("ca", "rogue"):
        openssl(tmp, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-subj", f"/CN=rsd test {ca}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    with open(os.path.join(tmp, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:web.example,DNS:alt.example\n"
                "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    with open(os.path.join(tmp, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
    for name, ca, ext, cn in (("server", "ca", "server.ext", "web.example"),
                              ("rogue-server", "rogue", "server.ext", "web.example"),
                              ("client", "ca", "client.ext", "rsd-probe")):
        openssl(tmp, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        openssl(tmp, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey",
                f"{ca}.key", "-CAcreateserial", "-days", "2", "-out", f"{name}.pem",
                "-extfile", ext)


def rsc(rsc_bin, sock, *cmd, json_out=False):
    args = [rsc_bin, "-s", sock] + (["--json"] if json_out else []) + list(cmd)
    r = subprocess.run(args, capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise RuntimeError(r.stdout + r.stderr)
    return json.loads(r.stdout) if json_out else r.stdout


def main():
    if len(sys.argv) < 3:
        print("FAIL: usage: test_health_https.py RSD_BINARY RSC_BINARY")
        return 2
    if not OPENSSL:
        print("FAIL: the openssl command is not installed (scripts/setup installs it)")
        return 1
    rsd, rsc_bin = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="rsd_health_https_")
    procs = []
    stall = None
    ok = False
    try:
        make_pki(tmp)
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        ports = {n: free_port("::1" if n.endswith("6") else "127.0.0.1")
                 for n in ("tls4", "tls6", "rogue4", "mtls4", "plain6", "stall4")}
        specs = [
            {"name": "tls4", "addr": "127.0.0.1", "port": ports["tls4"],
             "cert": p("server.pem"), "key": p("server.key"), "flag": p("flag")},
            {"name": "tls6", "addr": "::1", "port": ports["tls6"],
             "cert": p("server.pem"), "key": p("server.key")},
            {"name": "rogue4", "addr": "127.0.0.1", "port": ports["rogue4"],
             "cert": p("rogue-server.pem"), "key": p("rogue-server.key")},
            {"name": "mtls4", "addr": "127.0.0.1", "port": ports["mtls4"],
             "cert": p("server.pem"), "key": p("server.key"), "client_ca": p("ca.pem")},
            {"name": "plain6", "addr": "::1", "port": ports["plain6"]},
        ]
        with open(p("spec.json"), "w") as f:
            json.dump(specs, f)
        log_path = p("requests.jsonl")
        srv = subprocess.Popen([sys.executable, os.path.join(HERE, "https_server.py"),
                                p("spec.json"), log_path], stdout=subprocess.PIPE,
                               stderr=open(p("server.err"), "w"), text=True)
        procs.append(srv)
        assert srv.stdout.readline().strip() == "READY", "the test server did not start"
        # Accepts connections (the kernel completes them) and never says a word.
        stall = socket.socket(socket.AF_INET)
        stall.bind(("127.0.0.1", ports["stall4"]))
        stall.listen(16)

        common = "rise 1; fall 1; interval 300 ms; fast interval 300 ms; timeout 2 s; withdraw on down;"
        ca = p("ca.pem")
        checks = {
            "ok4": f'http "https://web.example:{ports["tls4"]}/ok" address 127.0.0.1 ca file "{ca}" '
                   f'body "OK" source address 127.0.0.2',
            "ok6": f'http "https://web.example:{ports["tls6"]}/chunked" address ::1 ca file "{ca}" '
                   f'server name "alt.example" host "svc.example" expect 200 body "OK"',
            "flip": f'http "https://web.example:{ports["tls4"]}/flag" address 127.0.0.1 '
                    f'ca file "{ca}" body "OK"',
            "system": f'http "https://web.example:{ports["tls4"]}/ok" address 127.0.0.1',
            "rogue": f'http "https://web.example:{ports["rogue4"]}/ok" address 127.0.0.1 ca file "{ca}"',
            "wrongname": f'http "https://web.example:{ports["tls4"]}/ok" address 127.0.0.1 '
                         f'ca file "{ca}" server name "other.example"',
            "body": f'http "https://web.example:{ports["tls4"]}/degraded" address 127.0.0.1 '
                    f'ca file "{ca}" body "OK"',
            "mtls": f'http "https://web.example:{ports["mtls4"]}/ok" address 127.0.0.1 ca file "{ca}" '
                    f'certificate "{p("client.pem")}" key "{p("client.key")}"',
            "mtls_none": f'http "https://web.example:{ports["mtls4"]}/ok" address 127.0.0.1 '
                         f'ca file "{ca}"',
            "insecure": f'http "https://web.example:{ports["rogue4"]}/ok" address 127.0.0.1 insecure',
            "stall": f'http "https://web.example:{ports["stall4"]}/ok" address 127.0.0.1 ca file "{ca}"',
            "plain6": f'http "http://[::1]:{ports["plain6"]}/ok" host "svc6.example" '
                      f'source address ::1 body "OK"',
            "src6_bad": f'http "http://[::1]:{ports["plain6"]}/ok" source address 2001:db8::99',
            "tcp4": f'tcp 127.0.0.1 port {ports["tls4"]} source address 127.0.0.3',
            "tcp6_bad": f'tcp ::1 port {ports["plain6"]} source address 2001:db8::98',
        }
        expect_up = {"ok4", "ok6", "mtls", "insecure", "plain6", "flip", "tcp4"}
        open(p("flag"), "w").close()
        routes = {}
        blocks = []
        for i, (name, probe) in enumerate(checks.items()):
            v6 = name.endswith("6") or name in ("src6_bad", "tcp6_bad")
            prefix = f"2001:db8:30::{i + 1}/128" if v6 else f"203.0.113.{i + 1}/32"
            nh = "2001:db8::1" if v6 else "192.0.2.1"
            routes[name] = prefix
            blocks.append(f"healthcheck {name} {{\n  {probe};\n  {common}\n"
                          f"  route {prefix} next hop {nh};\n}}\n")
        conf = p("rsd.conf")
        with open(conf, "w") as f:
            f.write(f'log "{p("rsd.log")}" all;\nrouter id 10.255.0.1;\n'
                    f"health {{ startup hold 1 s; }}\nprotocol device {{}}\n" + "".join(blocks))
        chk = subprocess.run([rsd, "--check", "-c", conf], capture_output=True, text=True)
        assert chk.returncode == 0, f"rsd --check refused the test config: {chk.stdout}{chk.stderr}"
        assert "insecure" in chk.stdout + chk.stderr, "--check did not warn about `insecure`"

        # --check refuses TLS files that cannot be used, at the file's place.
        bad = p("bad.conf")
        with open(bad, "w") as f:
            f.write("router id 10.255.0.1;\nprotocol device {}\nhealthcheck h {\n"
                    f'  http "https://127.0.0.1/" certificate "{p("client.pem")}" '
                    f'key "{p("server.key")}";\n}}\n')
        r = subprocess.run([rsd, "--check", "-c", bad], capture_output=True, text=True)
        assert r.returncode != 0 and f"{bad}:4:" in r.stdout + r.stderr and \
            "does not match" in r.stdout + r.stderr, f"mismatched key accepted: {r.stdout}{r.stderr}"
        with open(bad, "w") as f:
            f.write("router id 10.255.0.1;\nprotocol device {}\nhealthcheck h {\n"
                    f'  http "https://127.0.0.1/" ca file "{p("missing.pem")}";\n}}\n')
        r = subprocess.run([rsd, "--check", "-c", bad], capture_output=True, text=True)
        assert r.returncode != 0 and f"{bad}:4:" in r.stdout + r.stderr and \
            "cannot be read" in r.stdout + r.stderr, f"missing CA accepted: {r.stdout}{r.stderr}"

        # A certificate file without its key needs `key`; one holding both does not.
        with open(p("combined.pem"), "w") as f:
            f.write(open(p("client.pem")).read() + open(p("client.key")).read())
        for cert, good in (("client.pem", False), ("combined.pem", True)):
            with open(bad, "w") as f:
                f.write("router id 10.255.0.1;\nprotocol device {}\nhealthcheck h {\n"
                        f'  http "https://127.0.0.1/" certificate "{p(cert)}";\n}}\n')
            r = subprocess.run([rsd, "--check", "-c", bad], capture_output=True, text=True)
            said = r.stdout + r.stderr
            assert (r.returncode == 0) == good, f"{cert}: {said}"
            assert good or (f"{bad}:4:" in said and "no usable PEM private key" in said), said

        sock = p("rsd.ctl")
        rsd_out = open(p("rsd.out"), "w")
        procs.append(subprocess.Popen([rsd, "-f", "-c", conf, "-s", sock, "-P", p("rsd.pid")],
                                      stdout=rsd_out, stderr=subprocess.STDOUT))

        def states():
            h = rsc(rsc_bin, sock, "show", "health", json_out=True)["health"]
            return {x["name"]: x for x in h}

        def settled():
            s = states()
            return s if all(s[n]["state"] in ("UP", "DOWN") for n in checks) else None

        s = wait_until(settled, 30, "every check UP or DOWN")
        for n in checks:
            want = "UP" if n in expect_up else "DOWN"
            assert s[n]["state"] == want, f"{n}: {s[n]['state']}, want {want}: {s[n]['probes']}"
        out = lambda n: s[n]["probes"][0]["output"]  # noqa: E731
        assert "certificate verify failed: unable to get local issuer certificate" in out("system"), out("system")
        assert "certificate verify failed" in out("rogue"), out("rogue")
        assert "certificate verify failed: hostname mismatch" in out("wrongname"), out("wrongname")
        assert 'does not contain "OK"' in out("body"), out("body")
        # TLS 1.3: the client's handshake ends before the server refuses it, so the refusal
        # (an alert, or a reset) meets the request or the response, whichever comes first.
        assert out("mtls_none").startswith(("TLS handshake", "read: ", "write: ")), out("mtls_none")
        assert out("stall") == "timed out", out("stall")
        assert s["stall"]["probes"][0]["duration_ms"] < 3000, s["stall"]["probes"][0]
        assert out("src6_bad").startswith("bind 2001:db8::99: "), out("src6_bad")
        assert out("tcp6_bad").startswith("bind 2001:db8::98: "), out("tcp6_bad")
        assert 'body has "OK"' in out("ok4"), out("ok4")

        # Routes: exactly the UP checks' prefixes are in rsd's table.
        table = wait_until(lambda: (lambda t: t if all(routes[n] in t for n in expect_up) else None)(
            rsc(rsc_bin, sock, "show", "route")), 10, "the UP checks' routes")
        for n in checks:
            assert (routes[n] in table) == (n in expect_up), f"{n}: route {routes[n]} in table: {table}"

        # The service behind `flip` fails (its certificate stays good): DOWN, its route withdrawn;
        # it recovers: UP, announced again.
        def route_is(n, present):
            return (routes[n] in rsc(rsc_bin, sock, "show", "route")) == present
        os.unlink(p("flag"))
        wait_until(lambda: states()["flip"]["state"] == "DOWN" and route_is("flip", False), 10,
                   "flip DOWN and withdrawn")
        assert 'does not contain "OK"' in states()["flip"]["probes"][0]["output"]
        open(p("flag"), "w").close()
        wait_until(lambda: states()["flip"]["state"] == "UP" and route_is("flip", True), 10,
                   "flip UP and announced again")

        # What the servers saw.
        reqs = [json.loads(line) for line in open(log_path)]
        by = lambda **kw: [r for r in reqs if all(r.get(k) == v for k, v in kw.items())]  # noqa: E731
        ok4 = by(listener="tls4", path="/ok", peer="127.0.0.2")
        assert ok4 and all(r["sni"] == "web.example" for r in ok4), ok4[:3]
        assert all(r["host"] == f"web.example:{ports['tls4']}" for r in ok4), ok4[:3]
        ok6 = by(listener="tls6", path="/chunked")
        assert ok6 and all(r["sni"] == "alt.example" and r["host"] == "svc.example"
                           and r["peer"] == "::1" for r in ok6), ok6[:3]
        mtls = by(listener="mtls4", path="/ok")
        assert mtls and all(r["client_cn"] == "rsd-probe" for r in mtls), mtls[:3]
        assert by(listener="mtls4", sni="web.example") and any(
            "handshake_error" in r for r in by(listener="mtls4")), "no refused handshake logged"
        # The wrong server name is what rsd sent as SNI, and the handshake went no further.
        assert any(r.get("sni") == "other.example" for r in by(listener="tls4")), "SNI other.example"
        assert not by(listener="tls4", sni="other.example", path="/ok"), "wrongname got a response"
        plain6 = by(listener="plain6", path="/ok", host="svc6.example")
        assert plain6 and all(r["peer"] == "::1" for r in plain6), plain6[:3]
        # Only the checks with `source address 127.0.0.2` come from there.
        assert not [r for r in by(listener="tls4") if r["peer"] == "127.0.0.2"
                    and r.get("path") != "/ok"], "another check used 127.0.0.2"
        assert by(listener="tls4", peer="127.0.0.1"), "the checks without source address"
        # The tcp check connects from its source and says nothing (the TLS server logs the
        # handshake that never came).
        assert by(listener="tls4", peer="127.0.0.3"), "tcp from 127.0.0.3"
        assert all("handshake_error" in r for r in by(listener="tls4", peer="127.0.0.3"))

        # The log names the verification failure and the unverified check.
        rsd_log = open(p("rsd.log"), errors="replace").read()
        assert "healthcheck rogue:" in rsd_log and "certificate verify failed" in rsd_log, rsd_log[-2000:]
        assert "does not verify the server's certificate (insecure)" in rsd_log, rsd_log[-2000:]

        ok = True
        print("PASS: https health checks:", {n: s[n]["state"] for n in checks})
        return 0
    finally:
        if stall:
            stall.close()
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if ok and not os.environ.get("INTEROP_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp, "for inspection")
            for name in ("rsd.log", "rsd.out", "server.err", "requests.jsonl"):
                try:
                    with open(os.path.join(tmp, name), errors="replace") as f:
                        print("----", name)
                        print(f.read()[-4000:])
                except FileNotFoundError:
                    pass


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAIL:", e)
        sys.exit(1)
