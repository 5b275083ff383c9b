#!/usr/bin/env python3
"""GenVarLoader 0.43.1 doing what bench/gvl2.py times us doing; prints the seconds of the
call alone (imports excluded).
usage: gvl2_peer.py write CORPUS_BED OUT.gvl TABLE.tsv
       gvl2_peer.py update DATASET.gvl NAME TABLE.tsv
       gvl2_peer.py concat regions|samples OUT.gvl PART.gvl...
"""
import sys
import time
import warnings

warnings.simplefilter("ignore")
import genvarloader as gvl  # noqa: E402
from loguru import logger  # noqa: E402

logger.remove()


def track(name, table):
    rows = [l.split("\t") for l in open(table).read().splitlines()[1:]]
    return gvl.BigWigs(name, {s: p for s, p in rows})


op = sys.argv[1]
t = time.perf_counter()
if op == "write":
    bed, out, table = sys.argv[2:5]
    gvl.write(out, bed, tracks=[track("sig", table)], overwrite=True)
elif op == "update":
    ds, name, table = sys.argv[2:5]
    gvl.update(ds, tracks=[track(name, table)])
elif op == "concat":
    axis, out, *parts = sys.argv[2:]
    gvl.concat(out, parts, axis=axis, overwrite=True)
else:
    sys.exit(f"unknown operation {op}")
print(f"{time.perf_counter() - t:.4f}")
