#!/usr/bin/env python3
"""Process-level tests of the metrics endpoint (`metrics { listen ...; }`), Python 3 stdlib only.

Promtool    a live rsd (one BGP speaker up, one disabled peer, two health checks) scraped over HTTP:
            expected series and values, `promtool check metrics` accepts the scrape with no lint
            finding, HEAD / keep-alive / 404, SIGHUP moves the endpoint to another port, a port in
            use stops a second rsd with "metrics: cannot listen on ...".
Prometheus  a real Prometheus server (own port and tmp dir, 1 s scrape interval) scrapes rsd; the
            test polls its HTTP API until the target is up and `rsd_protocol_up` has the expected
            series.
Scale       N protocols (default 1000, RSD_METRICS_PROTOCOLS): scrape time and size, printed.

Every process is started here and stopped by its PID. A missing promtool or prometheus is a
failure, not a skip."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import http.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
import rsdtest  # noqa: E402

ALERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "examples", "rsd-alerts.yml")

BASE_CONF = """
router id 192.0.2.1;
metrics { listen 127.0.0.1 port @MPORT@; }
history "@DIR@/history.db" { keep 1 d; }

filter no_small {
  if net.len > 24 then reject;
  accept;
}

protocol bgp peer1 {
  description "test speaker";
  local 127.0.0.1 port @PORT@ as 65000;
  neighbor 127.0.0.1 as 65001;
  passive;
  hold time 3;
  min hold time 3;
  ipv4 { import filter no_small; export all; };
}

protocol bgp peer2 {
  description "a \\"quoted\\" name";
  local 127.0.0.1 port @PORT@ as 65000;
  neighbor 127.0.0.3 as 65002;
  passive;
  disabled;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}

healthcheck web {
  command "/bin/true";
  route 203.0.113.10/32 next hop 192.0.2.11 med 100;
  interval 1 s; fast interval 1 s; timeout 2 s;
  rise 1; fall 1;
}

healthcheck broken {
  command "/bin/false";
  route 203.0.113.20/32 next hop 192.0.2.12 med 100;
  interval 1 s; fast interval 1 s; timeout 2 s;
  rise 1; fall 1;
}
"""


def scrape(port, path="/metrics", method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, dict(r.getheaders()), body


def parse(text):
    """{(name, frozenset(labels)): value} of a text-format scrape."""
    out = {}
    pat = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    lab = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = pat.match(line)
        if not m:
            raise AssertionError("unparsable line: %r" % line)
        labels = frozenset(lab.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def wait_for(what, fn, timeout=20.0, step=0.2):
    deadline = time.time() + timeout
    while True:
        r = fn()
        if r:
            return r
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)


class MetricsRsd(rsdtest.Rsd):
    def __init__(self, rsd, conf_text):
        self.mport = rsdtest.free_port()
        super().__init__(rsd, conf_text=conf_text.replace("@MPORT@", str(self.mport)))
        wait_for("the metrics endpoint", lambda: self._up())

    def _up(self):
        try:
            return scrape(self.mport, "/")[0] == 200
        except OSError:
            return False


def check_promtool(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    out = (p.stdout + p.stderr).decode()
    if p.returncode != 0 or out.strip():
        raise AssertionError("promtool check metrics: rc=%d\n%s" % (p.returncode, out))


def suite_promtool(args):
    if not shutil.which("promtool"):
        print("FAIL: promtool not installed (Debian package prometheus; scripts/setup installs it)")
        return 1
    with MetricsRsd(args.rsd, BASE_CONF) as r:
        sp = rsdtest.Speaker(r.port)
        try:
            prefixes = ["10.%d.%d.0/24" % (i // 256, i % 256) for i in range(300)]
            prefixes += ["10.200.%d.128/25" % i for i in range(50)]  # filtered
            sp.announce(prefixes)
            sp.send(rsdtest.bgp_msg(2, b"\x00\x04\x18\x0a\x00\x00" + b"\x00\x00"))  # withdraw 10.0.0.0/24

            def settled():
                s = parse(scrape(r.mport)[2])
                fo = value(s, "rsd_health_failover_duration_seconds_count", check="web")
                if value(s, "rsd_protocol_withdrawals_received_total", protocol="peer1", afi="ipv4") == 1 and fo:
                    return s
                return None

            s = wait_for("routes counted", settled)
            status, headers, text = scrape(r.mport)
            assert status == 200, status
            assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", headers
            check_promtool(text)
            s = parse(text)
            expect = [
                ("rsd_protocol_up", {"protocol": "peer1"}, 1),
                ("rsd_protocol_up", {"protocol": "peer2"}, 0),
                ("rsd_protocol_state", {"protocol": "peer1"}, 6),
                ("rsd_protocol_state", {"protocol": "peer2"}, 1),
                ("rsd_protocol_disabled", {"protocol": "peer2"}, 1),
                ("rsd_protocol_establishments_total", {"protocol": "peer1"}, 1),
                ("rsd_protocol_prefixes_received_total", {"protocol": "peer1", "afi": "ipv4"}, 350),
                ("rsd_protocol_prefixes_accepted_total", {"protocol": "peer1", "afi": "ipv4"}, 300),
                ("rsd_protocol_prefixes_filtered_total", {"protocol": "peer1", "afi": "ipv4"}, 50),
                ("rsd_protocol_routes_received", {"protocol": "peer1", "afi": "ipv4"}, 349),
                ("rsd_protocol_routes_accepted", {"protocol": "peer1", "afi": "ipv4"}, 299),
                ("rsd_protocol_prefixes_received_total", {"protocol": "peer2", "afi": "ipv6"}, 0),
                ("rsd_protocol_messages_received_total", {"protocol": "peer1", "type": "open"}, 1),
                ("rsd_protocol_messages_sent_total", {"protocol": "peer1", "type": "open"}, 1),
                # The table holds the Adj-RIB-In too: peer1's 349 (filtered ones included) and both
                # checks' /32 (broken's with its down MED).
                ("rsd_rib_prefixes", {}, 351),
                ("rsd_health_up", {"check": "web"}, 1),
                ("rsd_health_up", {"check": "broken"}, 0),
                ("rsd_health_state", {"check": "web", "state": "up"}, 1),
                ("rsd_health_state", {"check": "broken", "state": "down"}, 1),
                ("rsd_health_state", {"check": "broken", "state": "up"}, 0),
                ("rsd_health_ready", {}, 1),
                ("rsd_build_info", None, 1),
                ("rsd_history_open", {}, 1),
                ("rsd_history_events_dropped_total", {}, 0),
                ("rsd_history_write_errors_total", {}, 0),
            ]
            bad = []
            for name, labels, want in expect:
                if labels is None:
                    got = [v for (n, _), v in s.items() if n == name]
                    got = got[0] if got else None
                else:
                    got = value(s, name, **labels)
                if got != want:
                    bad.append("%s%s = %r, expected %r" % (name, labels, got, want))
            # Counters that only grow, and a few values that must be positive.
            for name, labels in [("rsd_protocol_messages_received_total", {"protocol": "peer1", "type": "update"}),
                                 ("rsd_protocol_messages_received_total", {"protocol": "peer1", "type": "keepalive"}),
                                 ("rsd_protocol_received_bytes_total", {"protocol": "peer1"}),
                                 ("rsd_protocol_uptime_seconds", {"protocol": "peer1"}),
                                 ("rsd_protocol_routes_exported", {"protocol": "peer1"}),
                                 ("rsd_protocol_prefixes_announced_total", {"protocol": "peer1"}),
                                 # peer1's own best routes are refused to it, the checks' go out.
                                 ("rsd_protocol_export_updates_total",
                                  {"protocol": "peer1", "afi": "ipv4", "result": "rejected"}),
                                 ("rsd_protocol_export_updates_total",
                                  {"protocol": "peer1", "afi": "ipv4", "result": "accepted"}),
                                 ("rsd_health_check_results_total", {"check": "web", "result": "success"}),
                                 ("rsd_health_check_results_total", {"check": "broken", "result": "failure"}),
                                 ("rsd_intern_entries", {"table": "attribute_sets"}),
                                 ("rsd_rib_paths", {}),
                                 ("process_resident_memory_bytes", {}),
                                 ("process_open_fds", {}),
                                 ("process_start_time_seconds", {}),
                                 ("rsd_health_failover_duration_seconds_count", {"check": "web"}),
                                 ("rsd_history_events_enqueued_total", {}),
                                 ("rsd_history_queue_capacity", {}),
                                 ("rsd_history_database_bytes", {}),
                                 ("rsd_memory_bytes", {"structure": "rib_prefix_table"}),
                                 ("rsd_memory_bytes", {"structure": "rib_paths"}),
                                 ("rsd_memory_bytes", {"structure": "attribute_sets"}),
                                 ("rsd_memory_bytes", {"structure": "adj_rib_out"})]:
                got = value(s, name, **labels)
                if not got or got <= 0:
                    bad.append("%s%s = %r, expected > 0" % (name, labels, got))
            if value(s, "rsd_memory_bytes", structure="history_queue") is None:
                bad.append("rsd_memory_bytes{structure=history_queue} missing")
            inf = value(s, "rsd_health_failover_duration_seconds_bucket", check="web", le="+Inf")
            if inf != value(s, "rsd_health_failover_duration_seconds_count", check="web"):
                bad.append("failover histogram: +Inf bucket %r != count" % inf)
            start = value(s, "process_start_time_seconds")
            if not start or abs(start - time.time()) > 600:
                bad.append("process_start_time_seconds %r is not about now" % start)
            if 'neighbor="127.0.0.3"' not in text or 'protocol="peer2"' not in text:
                bad.append("rsd_protocol_info lacks peer2")
            if bad:
                raise AssertionError("\n".join(bad))

            def when(cond):
                def f():
                    s = parse(scrape(r.mport)[2])
                    return s if cond(s) else None
                return f

            # NOTIFICATIONs by code and subcode: `disable` sends Cease/Administrative Shutdown (6/2).
            ctl = rsdtest.Conn(r.sock)
            ctl.cmd("disable peer1")
            s = wait_for("the NOTIFICATION sent counted", when(lambda s: value(
                s, "rsd_protocol_notifications_sent_total", protocol="peer1", code="6", subcode="2") == 1))
            assert value(s, "rsd_protocol_up", protocol="peer1") == 0
            assert value(s, "rsd_protocol_disabled", protocol="peer1") == 1
            sp.close()
            ctl.cmd("enable peer1")

            def reconnect():
                try:
                    return rsdtest.Speaker(r.port)
                except (OSError, EOFError, RuntimeError):
                    return None
            sp = wait_for("a new session", reconnect, timeout=30, step=0.5)
            # ... and one from the peer (Cease/Administrative Reset, 6/4) is counted as received.
            sp.send(rsdtest.bgp_msg(3, b"\x06\x04"))
            s = wait_for("the NOTIFICATION received counted", when(lambda s: value(
                s, "rsd_protocol_notifications_received_total", protocol="peer1", code="6", subcode="4") == 1))
            assert value(s, "rsd_protocol_establishments_total", protocol="peer1") == 2
            ctl.close()
            check_promtool(scrape(r.mport)[2])
        finally:
            sp.close()

        # HEAD, index, 404, keep-alive on one connection.
        c = http.client.HTTPConnection("127.0.0.1", r.mport, timeout=10)
        for method, path, want in [("GET", "/metrics", 200), ("HEAD", "/metrics", 200), ("GET", "/", 200),
                                   ("GET", "/x", 404), ("GET", "/metrics", 200)]:
            c.request(method, path)
            resp = c.getresponse()
            body = resp.read()
            assert resp.status == want, (method, path, resp.status)
            assert (method == "HEAD") == (len(body) == 0), (method, path, len(body))
        c.close()

        # SIGHUP with another port: the endpoint moves.
        old = r.mport
        new = rsdtest.free_port()
        with open(r.conf) as f:
            conf = f.read()
        with open(r.conf, "w") as f:
            f.write(conf.replace("port %d;" % old, "port %d;" % new))
        os.kill(r.proc.pid, signal.SIGHUP)

        def moved():
            try:
                return scrape(new)[0] == 200
            except OSError:
                return False
        wait_for("the endpoint on the new port", moved)
        try:
            scrape(old)
            raise AssertionError("the old port still answers")
        except OSError:
            pass
        r.mport = new

        # A second rsd on the same metrics port does not start, and says why.
        second = tempfile.mkdtemp(prefix="rsd-metrics-")
        try:
            conf2 = os.path.join(second, "rsd.conf")
            with open(conf2, "w") as f:
                f.write("router id 192.0.2.2;\nprotocol device { }\nmetrics { listen 127.0.0.1 port %d; }\n" % new)
            p = subprocess.run([args.rsd, "-f", "-c", conf2, "-s", os.path.join(second, "rsd.ctl")],
                               capture_output=True, timeout=30)
            err = (p.stdout + p.stderr).decode()
            assert p.returncode == 1, (p.returncode, err)
            assert "metrics: cannot listen on 127.0.0.1:%d" % new in err, err
        finally:
            shutil.rmtree(second, ignore_errors=True)
        assert r.alive()
    p = subprocess.run(["promtool", "check", "rules", ALERTS], capture_output=True, timeout=60)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()
    print("promtool: ok")
    return 0


PROM_CONF = """
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - '%s'
scrape_configs:
  - job_name: rsd
    static_configs:
      - targets: ['127.0.0.1:%d']
"""


def prom_api(port, path, **params):
    url = "http://127.0.0.1:%d%s" % (port, path)
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as f:
        return json.load(f)


def suite_prometheus(args):
    prom = shutil.which("prometheus")
    if not prom:
        print("FAIL: prometheus not installed (Debian package prometheus; scripts/setup installs it)")
        return 1
    with MetricsRsd(args.rsd, BASE_CONF) as r:
        sp = rsdtest.Speaker(r.port)
        d = tempfile.mkdtemp(prefix="rsd-prometheus-")
        pport = rsdtest.free_port()
        log = open(os.path.join(d, "prometheus.log"), "w")
        proc = None
        try:
            with open(os.path.join(d, "prometheus.yml"), "w") as f:
                f.write(PROM_CONF % (os.path.abspath(ALERTS), r.mport))
            proc = subprocess.Popen([prom, "--config.file=" + os.path.join(d, "prometheus.yml"),
                                     "--storage.tsdb.path=" + os.path.join(d, "data"),
                                     "--web.listen-address=127.0.0.1:%d" % pport],
                                    stdout=log, stderr=log, cwd=d)

            def target_up():
                if proc.poll() is not None:
                    raise AssertionError("prometheus exited: " + open(os.path.join(d, "prometheus.log")).read())
                try:
                    t = prom_api(pport, "/api/v1/targets")
                except (OSError, urllib.error.URLError, ValueError):
                    return None
                for a in t["data"]["activeTargets"]:
                    if a["labels"].get("job") == "rsd" and a["health"] == "up":
                        return a
                    if a["labels"].get("job") == "rsd" and a.get("lastError"):
                        print("target:", a["health"], a["lastError"])
                return None
            wait_for("the rsd target up in prometheus", target_up, timeout=60, step=0.5)

            def series():
                q = prom_api(pport, "/api/v1/query", query="rsd_protocol_up")
                got = {x["metric"]["protocol"]: x["value"][1] for x in q["data"]["result"]}
                return got if got == {"peer1": "1", "peer2": "0"} else None
            got = wait_for("rsd_protocol_up in prometheus", series, timeout=30, step=0.5)
            q = prom_api(pport, "/api/v1/query", query='sum(rsd_health_up{job="rsd"})')
            assert q["data"]["result"][0]["value"][1] == "1", q
            q = prom_api(pport, "/api/v1/query", query='up{job="rsd"}')
            assert q["data"]["result"][0]["value"][1] == "1", q
            # The example alert rules evaluate on the live data: the failing check is pending (their
            # `for` is longer than this test), the disabled peer raises no session alert.
            def alerts():
                a = prom_api(pport, "/api/v1/alerts")["data"]["alerts"]
                return a if any(x["labels"].get("alertname") == "RsdHealthCheckDown" for x in a) else None
            a = wait_for("RsdHealthCheckDown pending", alerts, timeout=30, step=0.5)
            names = sorted((x["labels"]["alertname"], x["labels"].get("check", x["labels"].get("protocol", "")))
                           for x in a)
            assert ("RsdHealthCheckDown", "broken") in names, names
            assert not any(n == "RsdSessionDown" for n, _ in names), names
            rules = prom_api(pport, "/api/v1/rules")["data"]["groups"][0]["rules"]
            bad = [x["name"] for x in rules if x.get("health") != "ok"]
            assert not bad, bad
            print("prometheus: target up, rsd_protocol_up =", got, "alerts:", names)
        finally:
            sp.close()
            if proc and proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
            log.close()
            if not os.environ.get("RSD_KEEP_TMP"):
                shutil.rmtree(d, ignore_errors=True)
    return 0


def suite_scale(args):
    n = int(os.environ.get("RSD_METRICS_PROTOCOLS", "1000"))
    conf = ["router id 192.0.2.1;", "metrics { listen 127.0.0.1 port @MPORT@; }",
            "template bgp t { local 127.0.0.1 port @PORT@ as 65000; passive; hold time 90; "
            "ipv4 { import all; export all; }; ipv6 { import all; export all; }; }"]
    for i in range(n):
        conf.append("protocol bgp p%d from t { neighbor 127.%d.%d.%d as %d; }"
                    % (i, 1 + i // 65536, (i // 256) % 256, i % 256 + (1 if i % 256 == 0 else 0), 64512 + i % 1000))
    with MetricsRsd(args.rsd, "\n".join(conf) + "\n") as r:
        times = []
        size = 0
        for _ in range(20):
            t0 = time.perf_counter()
            status, _, text = scrape(r.mport)
            times.append(time.perf_counter() - t0)
            assert status == 200
            size = len(text)
            time.sleep(0.15)  # past the shared-render interval: each scrape is built anew
        s = parse(text)
        assert len([k for k in s if k[0] == "rsd_protocol_up"]) == n
        render = value(s, "rsd_metrics_last_scrape_duration_seconds")
        if shutil.which("promtool"):
            check_promtool(text)
        times.sort()
        print("scale: %d protocols, %d series, %d bytes; HTTP scrape median %.1f ms, max %.1f ms; "
              "render on the event loop %.1f ms" % (n, len(s), size, 1000 * times[len(times) // 2],
                                                    1000 * times[-1], 1000 * render))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsd", required=True)
    ap.add_argument("suite", choices=["Promtool", "Prometheus", "Scale"])
    args = ap.parse_args()
    rc = {"Promtool": suite_promtool, "Prometheus": suite_prometheus, "Scale": suite_scale}[args.suite](args)
    sys.exit(rc)


if __name__ == "__main__":
    main()
