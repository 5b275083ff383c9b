#!/usr/bin/env python3
"""Benchmark bigwig-npy against the floor tool and GenVarLoader 0.35 in the same run.

usage: bench/run.py [--corpora seed,medium] [--repeat 3] [--peers gvl,pybigwig] [--dataset]

A corpus name ending in `-sorted` (e.g. `medium-sorted`) is that corpus with its BED in
genome order.

Needs ../shared (the floor tool, the corpus generator, the peer runners). Uses the
virtualenv of scripts/gvl-venv.sh (target/gvl-venv: genvarloader==0.35.0, with numpy and
pyBigWig) for the corpus generator and the peers, builds the floor tool and our release
binary, then prints a markdown table: best wall time of --repeat runs, peak RSS, and
ratios. Every output is checked to be byte-identical to GenVarLoader's.

--dataset adds a second table: `bigwig-npy dataset --gvl-format 1` against 0.35's `gvl.write`
(one bigWig track of all the corpus' samples), the track arrays and regions.npy checked
identical. (GenVarLoader 0.43.1 and format 2: bench/gvl2.py.)
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "bench" / "out"
PY = ROOT / "target" / "gvl-venv" / "bin" / "python"
BIN = ROOT / "target" / "release" / "bigwig-npy"
FLOOR = OUT / "floor-target" / "release" / "floor"


def sh(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, **kw)


def setup():
    OUT.mkdir(parents=True, exist_ok=True)
    sh("bash", ROOT / "scripts" / "gvl-venv.sh", stdout=subprocess.DEVNULL)
    # The corpus generator and the pyBigWig peer need pyBigWig too.
    if subprocess.run([PY, "-c", "import pyBigWig"], capture_output=True).returncode != 0:
        sh(PY, "-m", "pip", "install", "-q", "pyBigWig")
    sh("cargo", "build", "--release", "--quiet", cwd=ROOT)
    sh("cargo", "build", "--release", "--quiet", cwd=SHARED / "tools" / "floor",
       env={**os.environ, "CARGO_TARGET_DIR": str(OUT / "floor-target")})


def corpus_dir(name):
    if name.endswith("-sorted"):
        # The same bigWigs, the BED in genome order (the files' chrom order: by name, bytewise).
        base = corpus_dir(name[: -len("-sorted")])
        d = OUT / name
        d.mkdir(parents=True, exist_ok=True)
        for bw in base.glob("sample_*.bw"):
            if not (d / bw.name).exists():
                (d / bw.name).symlink_to(bw.resolve())
        rows = [l.split("\t") for l in (base / "regions.bed").read_text().splitlines() if l.strip()]
        rows.sort(key=lambda r: (r[0].encode(), int(r[1]), int(r[2])))
        (d / "regions.bed").write_text("".join("\t".join(r) + "\n" for r in rows))
        return d
    if name == "seed":
        return SHARED / "fixtures" / "seed"
    d = OUT / name
    if not (d / "regions.bed").exists():
        print(f"generating the {name} corpus ...", file=sys.stderr)
        sh(PY, SHARED / "tools" / "make_corpus.py", d, name)
    return d


def timed(cmd):
    """Run cmd; return (wall seconds, peak RSS in MB, stdout)."""
    t = time.perf_counter()
    p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fresh(d):
    shutil.rmtree(d, ignore_errors=True)
    return d


def bench_dataset(name, corpus, repeat):
    """(ours best s, ours peak RSS MB, gvl.write best s (in the call), gvl.write whole-process
    s, gvl.write peak RSS MB, identical?) for a dataset of the corpus."""
    table = OUT / f"{name}-samples.tsv"
    theirs = OUT / f"{name}-gvl.gvl"
    gvl_best, gvl_wall, gvl_rss = float("inf"), float("inf"), 0
    for _ in range(repeat):
        shutil.rmtree(theirs, ignore_errors=True)
        wall, mb, printed = timed([PY, ROOT / "bench" / "gvl_dataset.py", corpus, theirs, table])
        gvl_best, gvl_wall, gvl_rss = min(gvl_best, float(printed.split()[-1])), min(gvl_wall, wall), max(gvl_rss, mb)
    ours = OUT / f"{name}-ours.gvl"
    best, rss = float("inf"), 0
    for _ in range(repeat):
        shutil.rmtree(ours, ignore_errors=True)
        wall, mb, _ = timed([BIN, "dataset", "--quiet", "--gvl-format", "1", "--regions", corpus / "regions.bed",
                             "--out", ours, "--track", f"sig={table}"])
        best, rss = min(best, wall), max(rss, mb)
    same = all(sha(ours / f) == sha(theirs / f)
               for f in ["regions.npy", "intervals/sig/intervals.npy", "intervals/sig/offsets.npy"])
    if not same:
        print(f"WARNING: dataset of {name} differs from gvl.write's", file=sys.stderr)
    return best, rss, gvl_best, gvl_wall, gvl_rss, same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default="seed,medium")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers", default="gvl", help="comma list of gvl,pybigwig (empty for none)")
    ap.add_argument("--dataset", action="store_true", help="also time `dataset` against gvl.write")
    a = ap.parse_args()
    setup()
    rows = []
    for name in a.corpora.split(","):
        corpus = corpus_dir(name)
        samples = sorted(corpus.glob("sample_*.bw"), key=lambda p: int(p.stem.split("_")[1]))
        # Rounds of ours on 1 and 2 threads then the floor, so each round's ratio compares runs
        # a few seconds apart (this VM's speed drifts by 10-20% over minutes).
        ours = {1: (float("inf"), 0), 2: (float("inf"), 0)}
        floor, ratios = float("inf"), []
        for _ in range(a.repeat):
            for threads in (1, 2):
                out = fresh(OUT / f"{name}-ours")
                wall, mb, _ = timed([BIN, "export", "--quiet", "--format", "raw", "--threads", threads,
                                     "--regions", corpus / "regions.bed", "--out", out, *samples])
                ours[threads] = (min(ours[threads][0], wall), max(ours[threads][1], mb))
            out = OUT / f"{name}-ours"
            out_bytes = (out / "intervals.npy").stat().st_size + (out / "offsets.npy").stat().st_size
            f = float(timed([FLOOR, corpus, fresh(OUT / "floor.out"), out_bytes])[2].split()[0])
            floor = min(floor, f)
            ratios.append(wall / f)
        digest = (sha(out / "intervals.npy"), sha(out / "offsets.npy"))
        peers = {}
        for peer in filter(None, a.peers.split(",")):
            script = {"gvl": "gvl_write.py", "pybigwig": "pybigwig_export.py"}[peer]
            pout = fresh(OUT / f"{name}-{peer}")
            wall, mb, printed = timed([PY, SHARED / "tools" / "peers" / script, corpus, pout])
            same = (sha(pout / "intervals.npy"), sha(pout / "offsets.npy")) == digest
            peers[peer] = (float(printed.split()[-1]), mb, same)
            if not same:
                print(f"WARNING: {peer} output differs from ours on {name}", file=sys.stderr)
        median = sorted(ratios)[len(ratios) // 2]
        rows.append((name, out_bytes, floor, ours, median, peers, a.dataset and bench_dataset(name, corpus, a.repeat)))
        expected = corpus / "expected.json"
        if expected.exists():
            e = json.loads(expected.read_text())
            ok = digest == (e["intervals_sha256"], e["offsets_sha256"])
            print(f"{name}: output matches expected.json: {ok}", file=sys.stderr)

    print("| corpus | output | floor (1 thread) | ours 1 thread | ours 2 threads | vs floor (2 threads): best, median of rounds | peak RSS (2 threads) |"
          + "".join(f" {p} | ours faster than {p} |" for p in rows[0][5]))
    print("|---" * (7 + 2 * len(rows[0][5])) + "|")
    for name, out_bytes, floor, ours, median, peers, _ in rows:
        line = (f"| {name} | {out_bytes / 1e6:.0f} MB | {floor:.3f} s | {ours[1][0]:.3f} s | {ours[2][0]:.3f} s "
                f"| {ours[2][0] / floor:.2f}x, {median:.2f}x | {ours[2][1]:.0f} MB |")
        for p, (secs, _, same) in peers.items():
            line += f" {secs:.2f} s{'' if same else ' (DIFFERS)'} | {secs / ours[2][0]:.1f}x |"
        print(line)

    if a.dataset:
        print()
        print("| corpus | ours: dataset | peak RSS | gvl.write (in the call) | gvl.write (process) | peak RSS "
              "| ours faster (call) | ours faster (process) | identical |")
        print("|---" * 9 + "|")
        for name, _, _, _, _, _, d in rows:
            best, rss, gbest, gwall, grss, same = d
            print(f"| {name} | {best:.3f} s | {rss:.0f} MB | {gbest:.2f} s | {gwall:.2f} s | {grss:.0f} MB "
                  f"| {gbest / best:.1f}x | {gwall / best:.1f}x | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
