#!/usr/bin/env python3
"""Contig order: for generated names, the order `dataset` writes contigs in (examples/
natural_order.rs) is exactly natsort's (natsorted, default settings), which GenVarLoader
sorts contigs with; or the names are refused. Refusals are only for names natsort could
order otherwise (not ASCII, or two names natsort holds equal), never for real assemblies'.

usage: target/gvl2-venv/bin/python tests/python/test_natsort.py NATURAL_ORDER_BINARY
"""
import random
import subprocess
import sys

from natsort import natsort_keygen, natsorted

BIN = sys.argv[1]
key = natsort_keygen()


def ours(names):
    out = subprocess.run([BIN], input="\n".join(names) + "\n", capture_output=True, text=True, check=True).stdout
    head, *rest = out.rstrip("\n").split("\n")
    return (head, rest) if head == "ok" else (head, None)


def could_differ(names):
    """natsort's order is not fixed (equal keys) or our promise does not reach (non-ASCII)."""
    if len(names) < 2:
        return False
    keys = [key(n) for n in names]
    return any(not n.isascii() for n in names) or len(set(keys)) < len(keys)


REAL = [
    [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "chrM", "chr1_KI270706v1_random", "chrUn_GL000195v1",
                                         "chr6_GL000250v2_alt", "HLA-A*01:01:01:01", "chrEBV"],
    [f"NC_0000{i:02d}.{10 + i % 5}" for i in range(1, 25)] + ["NC_012920.1", "NT_187361.1"],
    [str(i) for i in range(1, 23)] + ["X", "Y", "MT", "GL000192.1", "KI270757.1"],
    ["Chr1", "Chr2", "Chr3", "Chr4", "Chr5", "ChrC", "ChrM"],
    [f"Chr{i:02d}" for i in range(1, 13)] + ["ChrUn", "ChrSy"],
    ["chr1", "Chr2", "CHR3", "scaffold_10", "scaffold_9", "contig00001", "contig2"],
    ["c12345678901234567890", "c12345678901234567891", "c9"],
]


def random_names(rng):
    alphabet = "abcXYZ_.-|0123456789"
    pieces = ["chr", "Chr", "scaffold_", "NC_", "", "HLA-", "chrUn_", "v", "_random"]
    out = set()
    for _ in range(rng.randint(2, 12)):
        n = "".join(rng.choice(pieces) + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
                    for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.15:
            n += rng.choice(["٣", "²", "e\u0301", "é", "Ä", "ß", "１"])
        if n:
            out.add(n)
    return sorted(out)


def main():
    checked = refused = 0
    for names in REAL:
        status, order = ours(names)
        assert status == "ok", f"refused a real assembly's names: {status}"
        assert order == natsorted(names), f"{order} vs {natsorted(names)}"
        checked += 1
    # Pairs natsort holds equal, and non-ASCII digits and accents: refused.
    for names in [["chr1", "chr01"], ["a1b", "a001b"], ["chr1", "chr٣"], ["chr1", "chr²"],
                  ["chre\u0301", "chrf"], ["chré", "chrf"], ["chr10", "chr010", "chrX"]]:
        assert ours(names)[0].startswith("refused: "), names
        refused += 1
    rng = random.Random(21)
    for _ in range(3000):
        names = random_names(rng)
        status, order = ours(names)
        if status == "ok":
            assert order == natsorted(names), f"{names}: ours {order} vs natsort {natsorted(names)}"
            checked += 1
        else:
            assert could_differ(names), f"{names}: refused though natsort's order is fixed: {status}"
            refused += 1
    print(f"natsort order: {checked} name sets ordered as natsort, {refused} refused (names natsort could order otherwise)")


if __name__ == "__main__":
    main()
