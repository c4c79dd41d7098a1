#!/usr/bin/env python3
"""Load: kill -9 of rsd under load with the event history on, KILLS times.

Two feeders (Python speakers, one AS) announce 300 IPv4 /24s and 200 IPv6 /48s; while rsd runs, a
churn thread moves best paths (a batch of prefixes re-announced with a better MED every 25 ms,
alternating feeders), and `history { routes where ... }` records every best-path change of them
plus the session events. Each cycle: rsd starts with the same command line, the feeders reconnect,
the test waits until more events are committed, reads every committed row with Python's sqlite3,
kills rsd with SIGKILL, and checks that the database passes `PRAGMA integrity_check` and still holds
every row read before the kill.
"""

import os
import sqlite3
import threading
import time

import loadlib as L
from loadlib import h

KILLS = int(os.environ.get("LOAD_KILLS", "20"))
N4, N6 = 300, 200
BATCH = 10


def prefixes() -> list[str]:
    return ([f"10.{1 + i // 256}.{i % 256}.0/24" for i in range(N4)] +
            [f"2001:db8:{0x2000 + i:x}::/48" for i in range(N6)])


def rows(db: str) -> set:
    """Every committed event row (read-only connection, closed before returning)."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return set(c.execute("SELECT id, ts, kind, protocol, prefix, message FROM events"))
    finally:
        c.close()


def integrity(db: str) -> list:
    c = sqlite3.connect(db, timeout=10)
    try:
        return c.execute("PRAGMA integrity_check").fetchall()
    finally:
        c.close()


class Kill9History(h.InteropTest):
    SLOT = 53

    def test_kill9_keeps_committed_history(self):
        lab = self.lab
        db = lab.path("history.db")
        rs = L.accept_all_rs(lab)
        for k in (0, 1):
            rs.add(h.Neighbor(f"feeder{k}", lab.addr(11 + k), 65101, passive=True))
        base = rs.config_text
        rs.config_text = lambda: base() + (
            f'history "{db}" {{ routes where net ~ [ 10.0.0.0/8+ ] || '
            f'net ~ [ 2001:db8:2000::/36+ ]; }}\n')
        sp = L.Speakers()
        stop = threading.Event()
        churner = None
        try:
            feeders = [sp.add(L.Peer(lab.addr(11 + k), rs.addr, rs.port, 65101, h.node_nh4(1 + k),
                                     h.node_nh6(1 + k))) for k in (0, 1)]
            all_p = prefixes()
            for k, f in enumerate(feeders):
                sp.call(f.set_routes, {p: 2 ** 31 + k for p in all_p})
            med = [2 ** 31]

            def churn():
                i = 0
                while not stop.is_set():
                    med[0] -= 1             # always better than both feeders' last MED
                    batch = {p: med[0] for p in all_p[i % len(all_p):][:BATCH]}
                    sp.call(feeders[(i // BATCH) % 2].set_routes, batch)
                    i += BATCH
                    stop.wait(0.025)

            churner = threading.Thread(target=churn, daemon=True)
            churner.start()
            total, kept = 0, 0
            t0 = time.monotonic()
            for cycle in range(1, KILLS + 1):
                rs.start()
                h.wait_until(sp.all_established, 30, f"cycle {cycle}: feeders established")
                had = len(rows(db)) if os.path.exists(db) else 0
                h.wait_until(lambda: os.path.exists(db) and len(rows(db)) >= had + 50, 30,
                             f"cycle {cycle}: events committed")
                before = rows(db)
                rs.kill9()
                self.assertEqual(integrity(db), [("ok",)], f"cycle {cycle}: integrity_check")
                after = rows(db)
                lost = before - after
                self.assertFalse(lost, f"cycle {cycle}: {len(lost)} committed events lost, e.g. "
                                       f"{sorted(lost)[:3]}")
                total, kept = len(after), kept + len(before)
                h.log(f"cycle {cycle}: {len(before)} rows before the kill, {len(after)} after")
            h.log(f"{KILLS} kills in {time.monotonic() - t0:.1f} s; {total} events in the history")
        finally:
            stop.set()
            if churner:
                churner.join(5)
            sp.close()


if __name__ == "__main__":
    h.main()
