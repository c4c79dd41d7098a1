import re, sys
def parse_path(s):
    pos = []
    for m in re.finditer(r"\{([^}]*)\}|(\d+)", s):
        if m.group(1) is not None: pos.append(("S", [int(x) for x in m.group(1).split()]))
        else: pos.append(("A", [int(m.group(2))]))
    return pos
def parse_mask(s):
    items = []
    for m in re.finditer(r"(\*|\?|\[[^\]]*\]|\d+)(\+?)", s):
        t = m.group(1)
        if t == "*": items.append(("*", None, False))
        elif t == "?": items.append(("?", None, m.group(2) == "+"))
        elif t.startswith("["): items.append(("set", [int(x) for x in re.findall(r"\d+", t)], m.group(2) == "+"))
        else: items.append(("asn", [int(t)], m.group(2) == "+"))
    return items
def item_ok(it, p):
    if it[0] == "?": return True
    return any(a in it[1] for a in p[1])
def pm_mark(pos, p, out):
    n = len(pos)
    if pos[p][0] == "S":
        out.add(p)
        j = p + 1
        while j < n and pos[j][0] == "S": j += 1
        out.add(j)
    else:
        j = p + 1
        out.add(j)
        while j < n and pos[j][0] == "S":
            out.add(j); j += 1
def match(pos, items, first_rule="same"):
    n = len(pos)
    marks = {0}
    if first_rule == "same" and n and pos[0][0] == "S":
        j = 0
        while j < n and pos[j][0] == "S": marks.add(j); j += 1
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
