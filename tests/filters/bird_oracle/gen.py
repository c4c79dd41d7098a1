import random, sys
random.seed(int(sys.argv[1]))
A = [1, 2, 3]
def rpath():
    segs = []
    for _ in range(random.randint(1, 7)):
        if random.random() < 0.6:
            segs.append("{" + "_".join(str(x) for x in random.sample(A, random.randint(1, 2))) + "}")
        else:
            segs.append(str(random.choice(A)))
    return "_".join(segs)
def ritem():
    r = random.random()
    if r < 0.45: it = str(random.choice(A))
    elif r < 0.65: it = "?"
    elif r < 0.8: it = "*"
    else: it = "[%d, %d]" % tuple(random.sample(A, 2))
    if it != "*" and random.random() < 0.15: it += "+"
    return it
paths = sorted(set(rpath() for _ in range(int(sys.argv[2]))))
masks = sorted(set(" ".join(ritem() for _ in range(random.randint(1, 5))) for _ in range(int(sys.argv[3]))))
with open("rand.routes", "w") as f:
    for i, p in enumerate(paths):
        f.write("10.%d.%d.0/24 127.0.0.2 path=%s\n" % (i // 256, i % 256, p))
with open("rand.list", "w") as f:
    f.write("\n".join(masks) + "\n")
