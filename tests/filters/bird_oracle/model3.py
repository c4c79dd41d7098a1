import re, sys
import sys, os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import parse_path, parse_mask, item_ok
def pm_mark(pos, p, out):
    n = len(pos)
    if pos[p][0] == "S":
        out.add(p)
        j = p + 1
        while j < n and pos[j][0] == "S":
            out.add(j); j += 1
        out.add(j)
    else:
        out.add(p + 1)
def match(pos, items):
    n = len(pos)
    marks = {0}
    for it in items:
        if it[0] == "*":
            lo = min(marks) if marks else n + 1
            marks = set(range(lo, n + 1))
            continue
        new = set()
        for p in marks:
            if p < n and item_ok(it, pos[p]): pm_mark(pos, p, new)
        if it[2]:
            frontier = set(new)
            while frontier:
                nn = set()
                for p in frontier:
                    if p < n and item_ok(it, pos[p]): pm_mark(pos, p, nn)
                frontier = nn - new
                new |= nn
        marks = new
    return n in marks
masks = [l.rstrip("\n") for l in open(sys.argv[2])]
bad = tot = 0
for line in open(sys.argv[1]):
    m = re.match(r"<INFO> (\S+) \(path ([^)]*)\) : ([01]+)", line)
    pos = parse_path(m.group(2))
    for mk, b in zip(masks, m.group(3)):
        r = match(pos, parse_mask(mk)); tot += 1
        if int(r) != int(b):
            bad += 1
            if bad < 15: print("MISMATCH path", m.group(2), "mask", mk, "bird", b, "model", int(r))
print("mismatches", bad, "/", tot)
