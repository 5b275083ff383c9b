#!/usr/bin/env python3
"""gvl.write (GenVarLoader 0.35) of a corpus as a dataset: one bigWig track, sample_<i>
named s<i>. usage: gvl_dataset.py CORPUS_DIR OUT.gvl TABLE.tsv
Writes TABLE.tsv (the same samples, for `bigwig-npy dataset`) and prints the seconds
gvl.write took (import and table reading excluded)."""
import sys
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
import genvarloader as gvl  # noqa: E402
from loguru import logger  # noqa: E402

logger.remove()
corpus, out, table = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
paths = sorted(corpus.glob("sample_*.bw"), key=lambda p: int(p.stem.split("_")[1]))
samples = {f"s{p.stem.split('_')[1]}": str(p.resolve()) for p in paths}
table.write_text("sample\tpath\n" + "".join(f"{s}\t{p}\n" for s, p in samples.items()))
t = time.perf_counter()
gvl.write(out, corpus / "regions.bed", tracks=[gvl.BigWigs("sig", samples)], overwrite=True)
print(f"{time.perf_counter() - t:.4f}")
