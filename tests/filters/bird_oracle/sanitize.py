import re, sys
t = open(sys.argv[1]).read()
t = re.sub(r" -> [a-z]+( set)?", "", t)
for kw in ["base", "s", "last", "asn"]:
    # rename identifiers that are BIRD keywords (outside strings)
    parts = re.split(r'("(?:[^"\\]|\\.)*")', t)
    t = "".join(p if p.startswith('"') else re.sub(r"(?<![.\w])%s\b" % kw, kw + "_", p) for p in parts)
print(t, end="")
