#!/usr/bin/env python3
"""Writes libFuzzer seed files for fuzz_wire: every message of the captures in tests/data/wire and of
ExaBGP's encoding vectors, each prefixed with an options byte (see fuzz_wire.cpp), one file each."""
import pathlib
import sys


def messages(test_data: pathlib.Path, shared: pathlib.Path):
    for f in sorted(test_data.glob("*.hex")):
        for line in f.read_text().splitlines():
            if line and not line.startswith("#"):
                yield bytes.fromhex(line.split()[-1])
    for f in sorted((shared / "exabgp-qa" / "encoding").glob("*.ci")):
        for line in f.read_text().splitlines():
            parts = line.split(":")
            if len(parts) >= 6 and parts[1] == "raw":
                yield bytes.fromhex("".join(parts[2:]))


def main() -> int:
    test_data, shared, out = (pathlib.Path(a) for a in sys.argv[1:4])
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for msg in messages(test_data, shared):
        for options in (0x00, 0x19):  # iBGP plain; eBGP with ADD-PATH both families
            (out / f"seed-{n:04d}").write_bytes(bytes([options]) + msg)
            n += 1
    print(f"make_seeds: {n} seeds in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
