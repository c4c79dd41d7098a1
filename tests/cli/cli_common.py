"""Helpers shared by the control-socket test suites (cli_test.py runs them all)."""
import subprocess
import time

from rsdtest import Conn, Rsd, Speaker

# The command line of cli_test.py (paths of rsd and rsc), set by its main().
ARGS = None


def rsc(rsd, *words, socket_path=None, check=None):
    p = subprocess.run([ARGS.rsc, "-s", socket_path or rsd.sock, *words], capture_output=True, text=True, timeout=60)
    return p


def wait_for(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def start_scenario():
    """rsd with the fixed config and a speaker on peer1 announcing a few routes."""
    r = Rsd(ARGS.rsd)
    try:
        sp = Speaker(r.port)
        sp.announce(["10.0.0.0/24"], med=5)
        sp.announce(["10.0.1.0/24"], med=10, as_path=(65001, 64500))
        sp.announce(["10.0.2.0/24"], as_path=(65001, 64501, 64502))
        sp.announce(["203.0.113.0/24"], med=1)
        c = Conn(r.sock)
        assert wait_for(lambda: any("10.0.2.0/24" in l for l in c.cmd("show route protocol peer1"))), "no routes"
        c.close()
    except BaseException:
        r.stop()
        raise
    return r, sp
