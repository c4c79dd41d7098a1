#!/usr/bin/env python3
"""The Debian package, end to end, on the real system (CI runs as root on Debian 12).

1. `cpack -G DEB` in the build folder makes rsd_*.deb; lintian reports no error on it.
2. `apt-get install ./rsd_*.deb` installs it (dependencies from dpkg-shlibdeps, the `rsd` user from
   the postinst); the files are where rsd(8) says.
3. The installed rsd is started as the systemd unit starts it, with the packaged /etc/rsd/rsd.conf:
   `rsd -p` first (ExecStartPre), then `rsd -f` as user rsd with only CAP_NET_BIND_SERVICE (ambient),
   /run/rsd made for it (RuntimeDirectory), $NOTIFY_SOCKET set (Type=notify). READY=1 must arrive,
   `rsc show protocols` must answer, SIGTERM must stop it with status 0.
4. The package is purged again (the postrm removes the user and the state).

Usage: test_package.py BUILD_DIR. A missing tool or not being root is a failure, never a skip.
"""
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

UNIT = "/lib/systemd/system/rsd.service"


def log(msg):
    print(msg, flush=True)


def run(argv, check=True, **kw):
    log("$ " + " ".join(argv))
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.stdout.strip():
        log(r.stdout.rstrip())
    if r.stderr.strip():
        log(r.stderr.rstrip())
    if check and r.returncode != 0:
        raise AssertionError("%s: exit status %d" % (argv[0], r.returncode))
    return r


def unit_exec(key):
    """The argv of ExecStart / ExecStartPre / ExecReload in the installed unit."""
    with open(UNIT) as f:
        for line in f:
            if line.startswith(key + "="):
                return line.split("=", 1)[1].split()
    raise AssertionError("%s has no %s" % (UNIT, key))


def unit_value(key):
    with open(UNIT) as f:
        for line in f:
            if line.startswith(key + "="):
                return line.split("=", 1)[1].strip()
    raise AssertionError("%s has no %s" % (UNIT, key))


def build_and_lint(build):
    out = os.path.join(build, "package-test")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    run(["cpack", "-G", "DEB", "-B", out], cwd=build)
    debs = glob.glob(os.path.join(out, "rsd_*.deb"))
    if len(debs) != 1:
        raise AssertionError("cpack made %s" % debs)
    deb = debs[0]
    info = run(["dpkg-deb", "--info", deb]).stdout
    for want in ("Package: rsd", "Depends:", "libspdlog", "adduser"):
        if want not in info:
            raise AssertionError("control file lacks %r" % want)
    if not shutil.which("lintian"):
        raise AssertionError("lintian is not installed (scripts/setup installs it)")
    # --allow-root: CI runs as root. Errors fail; warnings and notes are printed only.
    r = run(["lintian", "--allow-root", "--no-tag-display-limit", deb], check=False)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E: ")]
    if errors:
        raise AssertionError("lintian errors:\n" + "\n".join(errors))
    return deb


def install(deb):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "--allow-downgrades",
         "--reinstall", os.path.abspath(deb)], env=env, timeout=600)
    files = set(run(["dpkg", "-L", "rsd"]).stdout.split())
    for f in ("/usr/sbin/rsd", "/usr/bin/rsc", "/etc/rsd/rsd.conf", "/etc/logrotate.d/rsd", UNIT,
              "/usr/share/man/man8/rsd.8.gz", "/usr/share/man/man1/rsc.1.gz",
              "/usr/share/man/man5/rsd.conf.5.gz", "/usr/share/doc/rsd/copyright",
              "/usr/share/doc/rsd/examples/rsd-alerts.yml",
              "/usr/share/doc/rsd/examples/anycast-healthcheck/rsd.conf",
              "/usr/share/doc/rsd/examples/anycast-exabgp/rsd.conf"):
        if f not in files:
            raise AssertionError("the package does not install %s" % f)
    conf = run(["dpkg-query", "-W", "-f=${Conffiles}", "rsd"]).stdout
    for f in ("/etc/rsd/rsd.conf", "/etc/logrotate.d/rsd"):
        if f not in conf:
            raise AssertionError("%s is not a conffile" % f)
    pwd.getpwnam("rsd")  # the postinst made the user
    run(["man", "-l", "/usr/share/man/man8/rsd.8.gz"], env=dict(os.environ, MANWIDTH="80"))


def start_as_the_unit(workdir):
    """Runs the unit's commands with what systemd would set up, without needing systemd."""
    for key, want in (("Type", "notify"), ("User", "rsd"), ("AmbientCapabilities", "CAP_NET_BIND_SERVICE"),
                      ("RuntimeDirectory", "rsd"), ("StateDirectory", "rsd")):
        if unit_value(key) != want:
            raise AssertionError("%s: %s=%s, want %s" % (UNIT, key, unit_value(key), want))
    run(unit_exec("ExecStartPre"))
    rsd = pwd.getpwnam("rsd")
    for d, mode in (("/run/rsd", 0o755), ("/var/lib/rsd", 0o750), ("/var/log/rsd", 0o750)):
        os.makedirs(d, exist_ok=True)
        os.chown(d, rsd.pw_uid, rsd.pw_gid)
        os.chmod(d, mode)
    # In /tmp: the build folder may sit under a home directory the user rsd cannot enter.
    notify_dir = tempfile.mkdtemp(prefix="rsd-notify-")
    os.chmod(notify_dir, 0o755)
    notify_path = os.path.join(notify_dir, "notify")
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.bind(notify_path)
    os.chmod(notify_path, 0o777)
    n.settimeout(30)
    argv = ["setpriv", "--reuid=rsd", "--regid=rsd", "--init-groups",
            "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service",
            "--bounding-set=-all,+net_bind_service"] + unit_exec("ExecStart")
    log("$ NOTIFY_SOCKET=%s %s" % (notify_path, " ".join(argv)))
    out = open(os.path.join(workdir, "rsd.out"), "w")
    p = subprocess.Popen(argv, env=dict(os.environ, NOTIFY_SOCKET=notify_path), stdout=out,
                         stderr=subprocess.STDOUT, cwd="/")
    return p, n, notify_dir


def main():
    if len(sys.argv) != 2:
        print("usage: test_package.py BUILD_DIR")
        return 2
    if os.geteuid() != 0:
        print("FAIL: the package test installs into the system and needs root (CI runs as root)")
        return 1
    for tool in ("cpack", "dpkg-deb", "apt-get", "setpriv"):
        if not shutil.which(tool):
            print("FAIL: %s is not installed" % tool)
            return 1
    build = os.path.abspath(sys.argv[1])
    workdir = os.path.join(build, "package-test-run")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    p = None
    notify_dir = None
    ok = False
    try:
        deb = build_and_lint(build)
        install(deb)
        p, n, notify_dir = start_as_the_unit(workdir)
        try:
            msg = n.recv(4096).decode()
        except socket.timeout:
            raise AssertionError("no READY=1 from the installed rsd within 30 s")
        log("notify: " + msg.replace("\n", " | "))
        if "READY=1" not in msg.splitlines():
            raise AssertionError("first notification is not READY=1: %r" % msg)
        with open("/proc/%d/status" % p.pid) as f:
            uid = [l for l in f if l.startswith("Uid:")][0].split()[1]
        if int(uid) != pwd.getpwnam("rsd").pw_uid:
            raise AssertionError("the installed rsd runs as uid %s, not rsd" % uid)
        r = run(["/usr/bin/rsc", "show", "protocols"])
        if "member_64501" not in r.stdout:
            raise AssertionError("rsc show protocols does not list the packaged example member")
        run(unit_exec("ExecReload"))
        p.send_signal(signal.SIGTERM)
        rc = p.wait(20)
        p = None
        if rc != 0:
            raise AssertionError("the installed rsd exited %d on SIGTERM" % rc)
        ok = True
    except Exception as e:  # noqa: BLE001 - reported below, the test fails
        log("FAIL: %s" % e)
    finally:
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if notify_dir:
            shutil.rmtree(notify_dir, ignore_errors=True)
        out = os.path.join(workdir, "rsd.out")
        if os.path.exists(out):
            with open(out) as f:
                log("--- installed rsd output\n" + f.read()[-4000:])
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        installed = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "rsd"], capture_output=True,
                                   text=True).stdout
        if "installed" in installed:
            r = run(["apt-get", "purge", "-y", "-q", "rsd"], check=False, env=env, timeout=300)
            if r.returncode != 0:
                ok = False
        if os.path.exists("/usr/sbin/rsd"):
            log("FAIL: /usr/sbin/rsd is still there after the purge")
            ok = False
    print("package test: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
