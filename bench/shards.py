#!/usr/bin/env python3
"""Sharded datasets (issue 18): one `dataset` job against N parts (`dataset --shard K/N`)
plus `concat`, by regions and by samples, same run: CPU time (user + system) of the jobs,
wall time, peak RSS, and the outputs compared (every file byte for byte but regions.npy,
by value). The parts run one after another here (one machine); on a cluster they run at
once, so the wall time of a sharded job is about its slowest part plus the concat.

usage: python3 bench/shards.py [--corpus medium] [--parts 4] [--repeat 3] [--sorted]
       python3 bench/shards.py --remote [--loci 1000] [--latency 30] [--parts 4] [--shuffle]

The corpus is bench/run.py's (`bench/out/medium`, or data/seed for `seed`); a region given
twice in its BED is kept once (parts by regions refuse a BED with a region twice).

--remote: the same over URLs: the ENCODE-like corpus of bench/remote.mjs with an
ENCODE-size R-tree (`bench/out/remote-encode`: 2 genome-wide bigWigs, 8 MB of index each;
made once with `make_remote_corpus --items-per-slot 128`) served by the project's test
server (examples/test_server.rs) with --latency ms before every answer; --loci random
~1 kbp regions in genome order (--shuffle: in random order). Reports what the server
counted: requests and body bytes of one job, of the parts by regions (--parts) and by
samples (one part per file), and their ratios.
"""
import json
import random
import urllib.request
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("BIGWIG_NPY", ROOT / "target" / "release" / "bigwig-npy"))
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


def remote(a):
    corpus = OUT / "remote-encode"
    if not (corpus / "corpus.json").exists():
        subprocess.run(["cargo", "run", "--release", "--quiet", "--example", "make_remote_corpus", "--",
                        corpus, "--files", "2", "--items-per-slot", "128"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "test_server"], cwd=ROOT, check=True)
    files = sorted(corpus.glob("sample_*.bw"))
    sizes = [l.split("\t") for l in (corpus / "chrom.sizes").read_text().split("\n") if l]
    rnd = random.Random(a.seed)
    total = sum(int(n) for _, n in sizes)
    loci = set()
    while len(loci) < a.loci:
        g, w = rnd.randrange(total), rnd.randint(900, 1100)
        k = 0
        while g >= int(sizes[k][1]):
            g -= int(sizes[k][1])
            k += 1
        if g + w <= int(sizes[k][1]):
            loci.add((k, g, g + w))
    loci = sorted(loci)
    if a.shuffle:
        rnd.shuffle(loci)
    work = OUT / "shards-remote"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    bed = work / "loci.bed"
    bed.write_text("".join(f"{sizes[k][0]}\t{s}\t{e}\n" for k, s, e in loci))
    server = subprocess.Popen([ROOT / "target" / "release" / "examples" / "test_server", "--root", corpus,
                               "--latency", str(a.latency), "--unguarded"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().strip()
    table = work / "samples.tsv"
    table.write_text("sample\tpath\n" + "".join(f"s{i}\t{base}/range/{f.name}\n" for i, f in enumerate(files)))
    cmd = [BIN, "dataset", "--quiet", "--threads", a.threads, "--regions", bed, "--track", f"sig={table}"]

    def stats():
        with urllib.request.urlopen(f"{base}/_stats?reset=1") as r:
            return json.load(r)

    def job(runs):
        """Requests, bytes and wall seconds of these runs, one after another."""
        stats()
        wall = sum(run(c)[0] for c in runs)
        s = stats()
        return s["requests"], s["bytes"], wall

    try:
        one = job([[*cmd, "--out", work / "one.gvl"]])
        rows = [("1 job", one)]
        for by, n in (("regions", a.parts), ("samples", len(files))):
            rows.append((f"{n} parts by {by}",
                         job([[*cmd, "--out", work / f"{by}-{k}.gvl", "--shard", f"{k}/{n}", "--shard-by", by]
                              for k in range(1, n + 1)])))
            run([BIN, "concat", "--quiet", "--axis", by, "--out", work / f"{by}.gvl",
                 *[work / f"{by}-{k}.gvl" for k in range(1, n + 1)]])
            if not same(work / f"{by}.gvl", work / "one.gvl"):
                raise SystemExit(f"parts by {by} + concat differ from one job")
    finally:
        server.stdin.close()
        server.wait()
    order = "random order" if a.shuffle else "genome order"
    print(f"| {a.loci} loci ({order}) x {len(files)} remote bigWigs, {a.latency} ms a request | requests | MB fetched | fetched / 1 job | wall s (parts in turn) |")
    print("|---|---|---|---|---|")
    for name, (req, byt, wall) in rows:
        print(f"| {name} | {req} | {byt / 1e6:.2f} | {byt / one[1]:.3f}x | {wall:.2f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--remote", action="store_true")
    ap.add_argument("--loci", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=30)
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--sorted", action="store_true", help="local: the BED's rows in genome order")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", default="medium")
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if "BIGWIG_NPY" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if a.remote:
        return remote(a)
    corpus = ROOT / "data" / "seed" if a.corpus == "seed" else OUT / a.corpus
    work = OUT / f"shards-{a.corpus}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    bed = work / "regions.bed"
    rows = list(dict.fromkeys((corpus / "regions.bed").read_text().splitlines(keepends=True)))
    if a.sorted:
        rows.sort(key=lambda l: (l.split("\t")[0], int(l.split("\t")[1])))
    bed.write_text("".join(rows))
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

    order = "genome order" if a.sorted else "BED order"
    print(f"| {a.corpus} ({len(bed.read_text().splitlines())} regions in {order} x {len(samples)} samples) | CPU s (parts + concat) | CPU / 1 job | wall s (one machine, parts in turn) | peak RSS | equal to 1 job |")
    print("|---|---|---|---|---|---|")
    for name, (w, cpu, rss), cat, eq in rows:
        split = f"{cpu:.2f}"
        if cat:
            split = f"{cpu + cat[1]:.2f} ({cpu:.2f} + {cat[1]:.2f})"
            w, cpu, rss = w + cat[0], cpu + cat[1], max(rss, cat[2])
        print(f"| {name} | {split} | {cpu / one[1]:.2f}x | {w:.2f} | {rss:.0f} MB | {'yes' if eq else 'NO'} |")


if __name__ == "__main__":
    sys.exit(main())
