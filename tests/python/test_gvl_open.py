#!/usr/bin/env python3
"""The real client: GenVarLoader 0.35 opens the datasets `bigwig-npy dataset` and the npm
package's `exportDatasetToDir` write and returns, for every (region, sample), exactly what it
returns for the dataset its own `gvl.write` wrote from the same inputs.

usage: target/gvl-venv/bin/python tests/python/test_gvl_open.py [BIGWIG_NPY]
(scripts/gvl-venv.sh makes the virtualenv; BIGWIG_NPY defaults to target/release/bigwig-npy).
Prints one line per test and `N passed, N failed`; exits 1 on any failure.
"""
import json
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
import genvarloader as gvl  # noqa: E402
import pyarrow.ipc as ipc  # noqa: E402
from loguru import logger  # noqa: E402

logger.remove()

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
GVL = DATA / "gvl"
BIN = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "release" / "bigwig-npy"
TMP = Path(tempfile.mkdtemp(prefix="gvl-open-"))


def write_ours(name, bed, tracks, max_jitter=None):
    """`bigwig-npy dataset --gvl-format 1` into TMP/name.gvl; tracks: {track: {sample: bigWig path}}."""
    out = TMP / f"{name}.gvl"
    args = [BIN, "dataset", "--quiet", "--regions", bed, "--out", out, "--gvl-format", "1"]
    for t, samples in tracks.items():
        table = TMP / f"{name}-{t}.tsv"
        table.write_text("sample\tpath\n" + "".join(f"{s}\t{p}\n" for s, p in samples.items()))
        args += ["--track", f"{t}={table}"]
    if max_jitter is not None:
        args += ["--max-jitter", str(max_jitter)]
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


PKG = ROOT / "pkg" / "index.js"


def write_npm(name, bed, tracks, max_jitter=None):
    """The npm package's exportDatasetToDir (Node, pkg/ as `npm run build` built it) into
    TMP/name-npm.gvl, in format 1 (GenVarLoader 0.35's); the BED as bytes, the bigWigs as paths."""
    out = TMP / f"{name}-npm.gvl"
    script = (
        "import { exportDatasetToDir } from " + json.dumps(PKG.as_uri()) + ";"
        "import { readFileSync } from 'node:fs';"
        "const [bed, tracks, maxJitter, outDir] = JSON.parse(process.argv[1]);"
        "await exportDatasetToDir({ regions: readFileSync(bed), tracks, maxJitter, gvlFormat: 1, outDir });"
    )
    arg = json.dumps([str(bed), {t: {s: str(p) for s, p in m.items()} for t, m in tracks.items()}, max_jitter or 0, str(out)])
    p = subprocess.run(["node", "--input-type=module", "-e", script, arg], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


def write_gvl(name, bed, tracks, max_jitter=None):
    """gvl.write of the same inputs into TMP/name-gvl.gvl."""
    out = TMP / f"{name}-gvl.gvl"
    with warnings.catch_warnings():
        # gvl.write resets the warning filters on its way out.
        warnings.simplefilter("ignore")
        gvl.write(out, bed, max_jitter=max_jitter,
                  tracks=[gvl.BigWigs(t, {s: str(p) for s, p in m.items()}) for t, m in tracks.items()])
    return out


def bits(a):
    """Values as raw bits: NaN equals NaN, -0.0 differs from 0.0."""
    a = np.ascontiguousarray(a)
    return a.view(np.uint32) if a.dtype == np.float32 else a


def same_ragged(x, y, what):
    assert x.shape == y.shape, f"{what}: shape {x.shape} vs {y.shape}"
    assert np.array_equal(np.asarray(x.offsets), np.asarray(y.offsets)), f"{what}: offsets"
    assert np.array_equal(bits(x.data), bits(y.data)), f"{what}: values"


def assert_opens_the_same(ours, theirs, per_cell=True, **open_kw):
    a, b = gvl.Dataset.open(ours, **open_kw), gvl.Dataset.open(theirs, **open_kw)
    for attr in ("samples", "contigs", "n_regions", "n_samples", "max_jitter", "available_tracks"):
        assert getattr(a, attr) == getattr(b, attr), f"{attr}: {getattr(a, attr)} vs {getattr(b, attr)}"
    assert a.regions.equals(b.regions), "regions"
    whole = a[:, :]
    assert whole.data.size > 0, "some values"
    same_ragged(whole, b[:, :], "ds[:, :]")
    if per_cell:
        for r in range(a.n_regions):
            for s in range(a.n_samples):
                same_ragged(a[r, s], b[r, s], f"ds[{r}, {s}]")
                # By sample name too, as users index.
                same_ragged(a[r, a.samples[s]], b[r, s], f"ds[{r}, {a.samples[s]!r}]")
    return a


def case_test(case_dir):
    def test():
        tracks = {t: {s: GVL / "bigwig" / f for s, f in m.items()}
                  for t, m in json.loads((case_dir / "tracks.json").read_text()).items()}
        jitter = json.loads((case_dir / "args.json").read_text())["max_jitter"]
        ours = write_ours(case_dir.name, case_dir / "regions.bed", tracks, jitter)
        npm = write_npm(case_dir.name, case_dir / "regions.bed", tracks, jitter)
        theirs = case_dir / "dataset.gvl"
        for mine in (ours, npm):
            assert_opens_the_same(mine, theirs)
            if jitter:
                # Jittered reads reach into the stored flanks; the same seed, the same shifts.
                assert_opens_the_same(mine, theirs, jitter=jitter, rng=7)
    test.__name__ = f"opens_like_gvl_write[{case_dir.name}]"
    return test


def test_seed_bed6_shuffled_jittered_against_a_fresh_gvl_write():
    # The 2000 seed regions shuffled, as BED6 with names, scores and both strands, with a
    # max_jitter of 7, over all 8 samples (named so that code-point order differs).
    # The seed has 6 duplicated regions: a region's copies share a strand (opposite strands
    # are refused, see the README), and their order among themselves is free.
    rng = np.random.default_rng(3)
    lines = (DATA / "seed" / "regions.bed").read_text().splitlines()
    strand = {l: "+-"[int(rng.integers(2))] for l in lines}
    order = rng.permutation(len(lines))
    bed = TMP / "seed6.bed"
    bed.write_text("".join(f"{lines[i]}\tr{i}\t{int(rng.integers(0, 1000))}\t{strand[lines[i]]}\n" for i in order))
    names = ["tumor", "Normal", "blood", "b2", "B10", "x", "Ä", "_s"]
    tracks = {"sig": {n: DATA / "seed" / f"sample_{i}.bw" for i, n in enumerate(names)}}
    ours = write_ours("seed6", bed, tracks, 7)
    theirs = write_gvl("seed6", bed, tracks, 7)
    for f in ["regions.npy", "intervals/sig/intervals.npy", "intervals/sig/offsets.npy"]:
        assert (ours / f).read_bytes() == (theirs / f).read_bytes(), f
    a = ipc.open_file(ours / "input_regions.arrow").read_all()
    b = ipc.open_file(theirs / "input_regions.arrow").read_all()
    assert a.schema.equals(b.schema), "input_regions.arrow schema"
    assert a.drop_columns(["r_idx_map"]).equals(b.drop_columns(["r_idx_map"])), "input_regions.arrow"
    # r_idx_map: the same sorted region for every row (copies of a region may trade places).
    regions = np.load(ours / "regions.npy")
    ra, rb = a["r_idx_map"].to_numpy(), b["r_idx_map"].to_numpy()
    assert np.array_equal(regions[ra], regions[rb]), "r_idx_map"
    assert (ra != rb).sum() <= 12, "only duplicated regions differ"
    assert_opens_the_same(ours, theirs, per_cell=False)


def test_dot_strand_opens_as_plus():
    # gvl.write itself writes a float regions.npy for '.', which Dataset.open refuses; ours
    # stores '+' (what gvl.write's own mapping means), compared with a '+' BED's dataset.
    src = (GVL / "named_bed6" / "regions.bed").read_text().splitlines()
    dots = [l.rsplit("\t", 1)[0] + "\t." if i % 3 == 0 and l.endswith("+") else l for i, l in enumerate(src)]
    assert any(l.endswith("\t.") for l in dots)
    bed_dot, bed_plus = TMP / "dot.bed", TMP / "plus.bed"
    bed_dot.write_text("\n".join(dots) + "\n")
    bed_plus.write_text("\n".join(l[:-1] + "+" if l.endswith(".") else l for l in dots) + "\n")
    tracks = {"sig": {s: GVL / "bigwig" / f"seed_{i}.bw" for i, s in enumerate(["tumor", "Normal", "blood"])}}
    ours = write_ours("dot", bed_dot, tracks)
    theirs = write_gvl("plus", bed_plus, tracks)
    assert_opens_the_same(ours, theirs)
    strands = ipc.open_file(ours / "input_regions.arrow").read_all()["strand"].to_pylist()
    assert "." not in strands and strands.count("-") == sum(l.endswith("-") for l in dots)


def main():
    if not BIN.exists():
        sys.exit(f"{BIN}: not built (cargo build --release)")
    if not PKG.exists():
        sys.exit(f"{PKG}: not built (npm run build)")
    tests = [case_test(d) for d in sorted(GVL.iterdir()) if (d / "dataset.gvl").is_dir()]
    tests += [test_seed_bed6_shuffled_jittered_against_a_fresh_gvl_write, test_dot_strand_opens_as_plus]
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print(f"ok      {t.__name__}")
        except Exception:
            failed += 1
            print(f"FAILED  {t.__name__}\n{traceback.format_exc()}")
    print(f"{passed} passed, {failed} failed")
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
