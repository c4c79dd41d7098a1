#!/usr/bin/env python3
"""`rsd --check` gives the verdict of `bird -p` on every config of tests/data/verdicts.

Each *.conf there starts with a comment saying what it checks. Both programs parse each file
(from the corpus directory, so relative includes resolve alike) and must agree: accepted by
both, or refused by both, rsd naming the place as `file:line:col:`. The only allowed
disagreements are listed, each with its reason, in tests/data/verdicts/DIFFERENCES: a config
BIRD accepts and rsd refuses on purpose, with "is not supported" in its message (or, marked
"rsd-accepts:", newer BIRD syntax rsd takes and BIRD 2.0.12 does not; marked "rsd-stricter:", a
mistake rsd finds when loading and BIRD only when running).

usage: conf_verdicts_test.py RSD CORPUS_DIR [BIRD]
A missing bird fails the test (it is the oracle, not an optional extra)."""
import os
import re
import shutil
import subprocess
import sys


def load_differences(path):
    diffs = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            name, _, reason = line.partition(' ')
            if not reason.strip():
                raise SystemExit(f'{path}:{n}: {name} has no reason')
            diffs[name] = reason.strip()
    return diffs


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    rsd = os.path.abspath(sys.argv[1])
    corpus = os.path.abspath(sys.argv[2])
    bird = sys.argv[3] if len(sys.argv) > 3 else shutil.which('bird') or '/usr/sbin/bird'
    if not os.access(bird, os.X_OK):
        print(f'FAIL: bird not found ({bird}); it is the oracle of this test')
        return 1
    diffs = load_differences(os.path.join(corpus, 'DIFFERENCES'))
    files = sorted(f for f in os.listdir(corpus) if f.endswith('.conf'))
    failures = []
    if len(files) < 60:
        failures.append(f'the corpus has {len(files)} configs, expected at least 60')
    for name in diffs:
        if name not in files:
            failures.append(f'DIFFERENCES names {name}, which is not in the corpus')
    where = re.compile(r'^' + r'(\S*/)?' + r'[^\s:]+\.(conf|inc):\d+:\d+: ', re.M)
    agreed = 0
    for f in files:
        with open(os.path.join(corpus, f)) as fh:
            if not fh.readline().startswith('# '):
                failures.append(f'{f}: the first line must be a comment saying what the config checks')
        b_rc, b_out = run([bird, '-p', '-c', f], corpus)
        r_rc, r_out = run([rsd, '--check', '-c', f], corpus)
        b_ok, r_ok = b_rc == 0, r_rc == 0
        if r_rc not in (0, 1):
            failures.append(f'{f}: rsd --check exited {r_rc}:\n{r_out}')
            continue
        if f in diffs and diffs[f].startswith('rsd-accepts:'):
            if b_ok or not r_ok:
                failures.append(f'{f}: listed as accepted by rsd and refused by BIRD, but bird -p '
                                f'{"accepts" if b_ok else "refuses"} and rsd {"accepts" if r_ok else "refuses"}:\n  {r_out.strip()}')
            else:
                agreed += 1
            continue
        if f in diffs and diffs[f].startswith('rsd-stricter:'):
            if not b_ok or r_ok or not where.search(r_out):
                failures.append(f'{f}: listed as refused by rsd at load time only, but bird -p '
                                f'{"accepts" if b_ok else "refuses"} and rsd {"accepts" if r_ok else "refuses"}:\n  {r_out.strip()}')
            else:
                agreed += 1
            continue
        if f in diffs:
            if not b_ok:
                failures.append(f'{f}: listed as a difference but BIRD refuses it too:\n  {b_out.strip()}')
            elif r_ok:
                failures.append(f'{f}: listed as a difference but rsd accepts it')
            elif 'is not supported' not in r_out or not where.search(r_out):
                failures.append(f'{f}: rsd must refuse it with "file:line:col: ... is not supported", said:\n  {r_out.strip()}')
            else:
                agreed += 1
            continue
        if b_ok != r_ok:
            failures.append(f'{f}: bird -p {"accepts" if b_ok else "refuses"}, rsd --check '
                            f'{"accepts" if r_ok else "refuses"}\n  bird: {b_out.strip()}\n  rsd:  {r_out.strip()}')
            continue
        if not r_ok and not where.search(r_out):
            failures.append(f'{f}: rsd refused without a file:line:col: location:\n  {r_out.strip()}')
            continue
        agreed += 1
    for msg in failures:
        print('FAIL:', msg)
    print(f'{agreed} passed, {len(files) - agreed} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
