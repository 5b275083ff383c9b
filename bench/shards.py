#!/usr/bin/env python3
"""Sharded datasets (issue 18): one `dataset` job against N parts (`dataset --shard K/N`)
plus `concat`, by regions and by samples, same run: CPU time (user + system) of the jobs,
wall time, peak RSS, and the outputs compared (every file byte for byte but regions.npy,
by value). The parts run one after another here (one machine); on a cluster they run at
once, so the wall time of a sharded job is about its slowest part plus the concat.

usage: python3 bench/shards.py [--corpus medium] [--parts 4] [--repeat 3]

The corpus is bench/run.py's (`bench/out/medium`, or data/seed for `seed`); a region given
twice in its BED is kept once (parts by regions refuse a BED with a region twice).
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "bigwig-npy"
OUT = ROOT / "bench" / "out"


def run(cmd):
    """(wall s, CPU s, peak RSS MB) of one process."""
    t = time.perf_counter()
    p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr.read().decode()}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def same(a, b):
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    if files != sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()):
        return False
    for f in files:
        if f == "regions.npy":
            if not np.array_equal(np.load(a / f), np.load(b / f)):
                return False
        elif (a / f).read_bytes() != (b / f).read_bytes():
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="medium")
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    corpus = ROOT / "data" / "seed" if a.corpus == "seed" else OUT / a.corpus
    work = OUT / f"shards-{a.corpus}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    bed = work / "regions.bed"
    bed.write_text("".join(dict.fromkeys((corpus / "regions.bed").read_text().splitlines(keepends=True))))
    samples = sorted(corpus.glob("sample_*.bw"), key=lambda p: int(p.stem.split("_")[1]))
    table = work / "samples.tsv"
    table.write_text("sample\tpath\n" + "".join(f"s{p.stem.split('_')[1]}\t{p.resolve()}\n" for p in samples))
    base = [BIN, "dataset", "--quiet", "--threads", a.threads, "--regions", bed, "--track", f"sig={table}"]

    def best(make):
        """Best of --repeat: (wall, cpu, rss) summed over the commands `make()` returns."""
        out = None
        for _ in range(a.repeat):
            cmds = make()
            tot = [0.0, 0.0, 0.0]
            for c in cmds:
                w, cpu, rss = run(c)
                tot = [tot[0] + w, tot[1] + cpu, max(tot[2], rss)]
            out = tot if out is None or tot[1] < out[1] else out
        return out

    whole = work / "whole.gvl"
    one = best(lambda: (shutil.rmtree(whole, ignore_errors=True), [[*base, "--out", whole]])[1])
    rows = [("1 job", one, None, True)]
    for by in ("regions", "samples"):
        parts = [work / f"{by}-{k}.gvl" for k in range(1, a.parts + 1)]
        merged = work / f"{by}.gvl"

        def cmds():
            for p in [*parts, merged]:
                shutil.rmtree(p, ignore_errors=True)
            return [[*base, "--out", p, "--shard", f"{k}/{a.parts}", "--shard-by", by] for k, p in enumerate(parts, 1)]

        part_cost = best(cmds)
        cat = best(lambda: (shutil.rmtree(merged, ignore_errors=True),
                            [[BIN, "concat", "--quiet", "--axis", by, "--out", merged, *parts]])[1])
        rows.append((f"{a.parts} parts by {by} + concat", part_cost, cat, same(merged, whole)))

    print(f"| {a.corpus} ({len(bed.read_text().splitlines())} regions x {len(samples)} samples) | CPU s | CPU / 1 job | wall s (one machine, parts in turn) | peak RSS | equal to 1 job |")
    print("|---|---|---|---|---|---|")
    for name, (w, cpu, rss), cat, eq in rows:
        if cat:
            w, cpu, rss = w + cat[0], cpu + cat[1], max(rss, cat[2])
        print(f"| {name} | {cpu:.2f} | {cpu / one[1]:.2f}x | {w:.2f} | {rss:.0f} MB | {'yes' if eq else 'NO'} |")


if __name__ == "__main__":
    sys.exit(main())
