#!/usr/bin/env python3
"""`dataset`, `update` and `concat` against GenVarLoader 0.43.1's gvl.write, gvl.update and
gvl.concat (dataset format 2), same run; `concat` also against `cp -r` of the same parts.

usage: bench/gvl2.py [--corpora seed,medium] [--repeat 3] [--parts 4]

Runs GenVarLoader from the virtualenv of `scripts/gvl-venv.sh 0.43.1` (target/gvl2-venv)
through bench/gvl2_peer.py. Corpora as bench/run.py makes them (seed from ../shared,
medium generated into bench/out/medium). Every output is compared with GenVarLoader's:
track files and regions.npy byte for byte (concat: regions.npy by value). Prints markdown
tables: best wall time of --repeat runs (ours: the whole process; GenVarLoader: the call and
the whole process), peak RSS, ratios.
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BIN, OUT, ROOT, corpus_dir, sh, sha, timed  # noqa: E402

PY2 = ROOT / "target" / "gvl2-venv" / "bin" / "python"
PEER = ROOT / "bench" / "gvl2_peer.py"
TRACK = ["starts.npy", "ends.npy", "values.npy", "offsets.npy"]


def best(repeat, prepare, cmd):
    """Best wall seconds, max peak RSS MB and the last stdout of `cmd` run `repeat` times,
    `prepare()` before each."""
    b, rss, out = float("inf"), 0.0, ""
    for _ in range(repeat):
        prepare()
        wall, mb, out = timed(cmd)
        b, rss = min(b, wall), max(rss, mb)
    return b, rss, out


def peer(repeat, prepare, *args):
    """(best call s, best process s, peak RSS MB) of gvl2_peer.py."""
    call, proc, rss = float("inf"), float("inf"), 0.0
    for _ in range(repeat):
        prepare()
        wall, mb, printed = timed([PY2, PEER, *args])
        call, proc, rss = min(call, float(printed.split()[-1])), min(proc, wall), max(rss, mb)
    return call, proc, rss


def same_files(a, b, files):
    return all(sha(a / f) == sha(b / f) for f in files)


def rm(*paths):
    def go():
        for p in paths:
            shutil.rmtree(p, ignore_errors=True)
    return go


def copy(src, dst):
    def go():
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)
    return go


def du(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default="seed,medium")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--parts", type=int, default=4)
    a = ap.parse_args()
    sh("bash", ROOT / "scripts" / "gvl-venv.sh", "0.43.1", stdout=subprocess.DEVNULL)
    sh("cargo", "build", "--release", "--quiet", cwd=ROOT)
    rows = []
    for name in a.corpora.split(","):
        corpus = corpus_dir(name)
        work = OUT / f"gvl2-{name}"
        work.mkdir(parents=True, exist_ok=True)
        paths = sorted(corpus.glob("sample_*.bw"), key=lambda p: int(p.stem.split("_")[1]))
        table = work / "samples.tsv"
        table.write_text("sample\tpath\n" + "".join(f"s{p.stem.split('_')[1]}\t{p.resolve()}\n" for p in paths))
        bed = corpus / "regions.bed"
        r = {"name": name}
        # dataset vs gvl.write
        ours, theirs = work / "ours.gvl", work / "theirs.gvl"
        r["write"] = best(a.repeat, rm(ours), [BIN, "dataset", "--quiet", "--regions", bed, "--out", ours,
                                                "--track", f"sig={table}"])[:2]
        r["gvl_write"] = peer(a.repeat, rm(theirs), "write", bed, theirs, table)
        r["write_same"] = same_files(ours, theirs, ["regions.npy", *[f"intervals/sig/{f}" for f in TRACK]])
        r["bytes"] = du(ours)
        # update: a second track (the same table) onto a copy of each
        ou, tu = work / "ours-up.gvl", work / "theirs-up.gvl"
        r["update"] = best(a.repeat, copy(ours, ou), [BIN, "update", "--quiet", ou, "--track", f"sig2={table}"])[:2]
        r["gvl_update"] = peer(a.repeat, copy(theirs, tu), "update", tu, "sig2", table)
        r["update_same"] = same_files(ou, tu, [f"intervals/sig2/{f}" for f in TRACK])
        # concat: the BED's lines dealt to parts in turn (GenVarLoader's concat needs every
        # part to hold every contig; the seed BED is sorted), each a dataset of ours; a
        # region given twice (the seed has 6) only once (concat refuses duplicates in a part)
        lines = list(dict.fromkeys(bed.read_text().splitlines(keepends=True)))
        k = a.parts
        parts = []
        for i in range(k):
            pb = work / f"part{i}.bed"
            pb.write_text("".join(lines[i::k]))
            pd = work / f"part{i}.gvl"
            shutil.rmtree(pd, ignore_errors=True)
            sh(BIN, "dataset", "--quiet", "--regions", pb, "--out", pd, "--track", f"sig={table}")
            parts.append(pd)
        oc, tc, cp = work / "ours-concat.gvl", work / "theirs-concat.gvl", work / "cp"
        r["concat"] = best(a.repeat, rm(oc), [BIN, "concat", "--quiet", "--axis", "regions", "--out", oc, *parts])[:2]
        r["gvl_concat"] = peer(a.repeat, rm(tc), "concat", "regions", tc, *parts)
        r["cp"] = best(a.repeat, lambda: (shutil.rmtree(cp, ignore_errors=True), cp.mkdir()), ["cp", "-r", *parts, cp])[0]
        import numpy as np
        r["concat_same"] = same_files(oc, tc, [f"intervals/sig/{f}" for f in TRACK]) and np.array_equal(
            np.load(oc / "regions.npy"), np.load(tc / "regions.npy"))
        r["concat_bytes"] = sum(du(p) for p in parts)
        rows.append(r)
        for p in [ou, tu, oc, tc, cp, *parts]:
            shutil.rmtree(p, ignore_errors=True)

    print("| corpus | dataset size | ours: dataset | gvl.write 0.43.1 (call / process) | faster (call) | peak RSS ours / gvl | identical |")
    print("|---" * 7 + "|")
    for r in rows:
        (o, orss), (c, p, grss) = r["write"], r["gvl_write"]
        print(f"| {r['name']} | {r['bytes'] / 1e6:.0f} MB | {o:.3f} s | {c:.2f} s / {p:.2f} s | {c / o:.1f}x "
              f"| {orss:.0f} / {grss:.0f} MB | {'yes' if r['write_same'] else 'NO'} |")
    print()
    print("| corpus | ours: update (+1 track) | gvl.update (call / process) | faster (call) | peak RSS ours / gvl | identical |")
    print("|---" * 6 + "|")
    for r in rows:
        (o, orss), (c, p, grss) = r["update"], r["gvl_update"]
        print(f"| {r['name']} | {o:.3f} s | {c:.2f} s / {p:.2f} s | {c / o:.1f}x | {orss:.0f} / {grss:.0f} MB "
              f"| {'yes' if r['update_same'] else 'NO'} |")
    print()
    print(f"| corpus | {rows[0] and a.parts} parts | ours: concat | gvl.concat (call / process) | faster (call) | cp -r | ours / cp | peak RSS ours / gvl | identical |")
    print("|---" * 9 + "|")
    for r in rows:
        (o, orss), (c, p, grss) = r["concat"], r["gvl_concat"]
        print(f"| {r['name']} | {r['concat_bytes'] / 1e6:.0f} MB | {o:.3f} s | {c:.2f} s / {p:.2f} s | {c / o:.1f}x "
              f"| {r['cp']:.3f} s | {o / r['cp']:.2f}x | {orss:.0f} / {grss:.0f} MB | {'yes' if r['concat_same'] else 'NO'} |")


if __name__ == "__main__":
    main()
