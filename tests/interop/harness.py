"""harness.py - run real BGP daemons on loopback for rsd's interop tests.

Tests import this one module; it gathers core.py (processes, labs, polling,
routes, BIRD control-socket parsing), peers.py (ExaBGP nodes and BIRD, GoBGP,
FRR edges) and route_server.py (the route server under test), and adds the
unittest base class and main().

Design
------
A test builds a small network out of real daemons, all on 127.0.0.0/8 (and
::1), none on port 179, none touching the kernel routing table:

* ``Lab`` owns one test's resources: a private temp dir, an address block
  ``127.0.SLOT.0/24`` (one slot per test module, so tests run in parallel),
  a port block ``20000 + 100*SLOT ...`` and every process it starts.  Every
  process runs in its own process group; ``Lab.close()`` stops each group it
  started (SIGTERM, then SIGKILL), always: via try/finally in the tests, an
  atexit hook and SIGTERM/SIGINT/SIGHUP handlers.  Daemon logs stay in the
  temp dir and are printed when a test fails (``Lab.dump_logs``).
* Daemons: ``ExaNode`` (ExaBGP 4.2 with a health-check process that announces
  what a small state file says), ``BirdRouter`` (BIRD 2 edge router),
  ``GobgpRouter`` (gobgpd with a private gRPC port), ``FrrRouter`` (FRR bgpd
  standalone: -Z -S -n, vty socket in the temp dir).  Each edge has
  ``routes(afi)`` returning ``{prefix: Route}`` (the best path only) and
  ``established(peer)``.
* Route servers: ``RouteServer`` describes the RS (neighbours, filters,
  options) once; ``BirdRouteServer`` runs it with BIRD 2 and
  ``RsdRouteServer`` with ``$RSD_BIN``.  rsd's configuration language is
  BIRD 2's, so both write the same text; BIRD gets three additions that rsd
  must not need: a private IGP table with a device route for 192.0.2.0/24 and
  2001:db8::/32 (BIRD resolves iBGP next hops recursively; rsd treats next hops
  as opaque), ``import table on`` (BIRD's Adj-RIB-In, which rsd always keeps)
  and ``-R`` (graceful-restart recovery) when restarted.
  ``make_route_server()`` picks the implementation from ``$RS_IMPL``
  (bird|rsd, default bird); when rsd cannot run, the test fails.
* ``wait_until(predicate, timeout)`` polls; tests never sleep blindly.

Service nodes announce next hops from 192.0.2.0/24 and 2001:db8::/32 (GoBGP
treats 127/8 next hops as invalid).  Python 3 stdlib only.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import unittest
from typing import Iterable

from core import *            # noqa: F401,F403 - the harness is one namespace for tests
from core import SKIP_CODE, Lab, Timeout, log
from peers import *           # noqa: F401,F403
from peers import missing_tools
from route_server import *    # noqa: F401,F403
from route_server import rs_impl, rsd_unavailable_reason

# ---------------------------------------------------------- test helpers --

class InteropTest(unittest.TestCase):
    """Base class: one Lab per test method, logs printed on failure."""

    SLOT = 0                          # set by each scenario module
    maxDiff = None
    lab: Lab

    def setUp(self):
        self.lab = Lab(f"{type(self).__name__}.{self._testMethodName}", self.SLOT)
        self.t0 = time.monotonic()

    def tearDown(self):
        failed = self._outcome_failed()
        if failed:
            self.lab.dump_logs()
            self.lab.keep = True            # configs and full logs stay for a post-mortem
        self.lab.close()
        log(f"{self.lab.name}: {'FAILED' if failed else 'done'} in {time.monotonic() - self.t0:.1f} s")

    def _outcome_failed(self) -> bool:
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        res = getattr(outcome, "result", None)
        errs = list(getattr(res, "errors", [])) + list(getattr(res, "failures", []))
        return any(t is self for t, _ in errs) or not getattr(outcome, "success", True)

    def skip_for_bird(self, why: str) -> None:
        if rs_impl() == "bird" and os.environ.get("INTEROP_NO_BIRD_SKIP") != "1":
            self.skipTest(f"RS_IMPL=bird: {why}")


class Poller:
    """One sample at a time of a polling loop over an edge (birdc, gobgp, vtysh). A command whose
    connection to the edge could not be set up is retried, at most `retries` times in a row, each
    retry logged and counted; any other error, or a connection that still fails after that, is
    kept in `errors`, and check() fails the test with all of them. Errors are never swallowed: a
    sample that could not be read is not a sample that saw nothing."""

    CONNECT_ERRORS = ("Unable to connect", "Connection refused", "connection refused",
                      "No such file or directory", "connect: ")

    def __init__(self, what: str, retries: int = 3):
        self.what, self.retries = what, retries
        self.errors: list[str] = []
        self.retried = 0
        self._in_a_row = 0

    def sample(self, fn):
        """(True, fn()) or (False, None) when fn raised; the caller records no sample then."""
        try:
            value = fn()
        except Exception as e:          # noqa: BLE001 - kept and reported by check()
            msg = f"{type(e).__name__}: {e}"
            if self._in_a_row < self.retries and any(c in msg for c in self.CONNECT_ERRORS):
                self._in_a_row += 1
                self.retried += 1
                log(f"{self.what}: connection to the edge not set up, retry "
                    f"{self._in_a_row}/{self.retries}: {msg}")
            else:
                self.errors.append(msg)
            return False, None
        self._in_a_row = 0
        return True, value

    def check(self, test: unittest.TestCase) -> None:
        if self.retried:
            log(f"{self.what}: {self.retried} connection set-up(s) retried")
        test.assertEqual(self.errors, [], f"{self.what}: polling the edge failed")


def expected_primary(meds: dict[int, list[int]], alive: Iterable[int]) -> list[int]:
    """For each service index, the node with the lowest MED among alive nodes."""
    alive = list(alive)
    return [min(alive, key=lambda n: (meds[n][i], n)) for i in range(3)]


def main() -> None:
    """unittest main for ctest. A missing peer program or an rsd that cannot run is a failure (exit
    1), never a skip. A test that skips itself (skip_for_bird, only with RS_IMPL=bird) makes the
    scenario exit 77, which ctest reports as skipped only for the tests listed in
    tests/allowed_skips.txt (a failure for every other)."""
    missing = missing_tools()
    if missing:
        print(f"FAIL: missing daemons/tools: {' '.join(missing)} (scripts/setup installs them)")
        sys.exit(1)
    if rs_impl() == "rsd":
        why = rsd_unavailable_reason()
        if why:
            print(f"FAIL: RS_IMPL=rsd: {why}")
            sys.exit(1)
    # A deadline below ctest's TIMEOUT: fail with logs and a clean teardown instead of being killed.
    deadline = float(os.environ.get("INTEROP_DEADLINE", "0") or 0)
    if deadline > 0:
        def _deadline(_signum, _frame):
            raise Timeout(f"scenario deadline of {deadline:.0f} s (INTEROP_DEADLINE) reached")
        signal.signal(signal.SIGALRM, _deadline)
        signal.alarm(int(deadline))
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.skipped:
        for t, why in r.skipped:
            print(f"SKIPPED: {t.id()}: {why}")
        sys.exit(SKIP_CODE)
    sys.exit(0)
