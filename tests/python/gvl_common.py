"""Shared by the GenVarLoader client tests (test_gvl_open.py for 0.35 / format 1,
test_gvl2_open.py for 0.43.1 / format 2): writing our datasets (CLI and npm package),
comparing what `Dataset.open` returns cell by cell, and a tiny test runner."""
import json
import subprocess
import sys
import tempfile
import traceback
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
PKG = ROOT / "pkg" / "index.js"
BIN = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "release" / "bigwig-npy"
TMP = Path(tempfile.mkdtemp(prefix="gvl-open-"))


def cli(*args):
    """Run the CLI; its stderr on failure."""
    p = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


def tables(name, tracks):
    """`--track` arguments for {track: {sample: bigWig path}}, tables written to TMP."""
    args = []
    for t, samples in tracks.items():
        table = TMP / f"{name}-{t}.tsv"
        table.write_text("sample\tpath\n" + "".join(f"{s}\t{p}\n" for s, p in samples.items()))
        args += ["--track", f"{t}={table}"]
    return args


def write_ours(name, bed, tracks, max_jitter=None, annot=None, fmt=2):
    """`bigwig-npy dataset` into TMP/name.gvl; tracks: {track: {sample: bigWig path}},
    annot: {name: bigWig path}."""
    out = TMP / f"{name}.gvl"
    args = ["dataset", "--quiet", "--gvl-format", fmt, "--regions", bed, "--out", out, *tables(name, tracks)]
    for n, p in (annot or {}).items():
        args += ["--annot", f"{n}={p}"]
    if max_jitter is not None:
        args += ["--max-jitter", max_jitter]
    cli(*args)
    return out


def write_npm(name, bed, tracks, max_jitter=None, annot=None, fmt=2):
    """The npm package's exportDatasetToDir (Node, pkg/ as `npm run build` built it) into
    TMP/name-npm.gvl; the BED as bytes, the bigWigs as paths."""
    out = TMP / f"{name}-npm.gvl"
    script = (
        "import { exportDatasetToDir } from " + json.dumps(PKG.as_uri()) + ";"
        "import { readFileSync } from 'node:fs';"
        "const [bed, tracks, annot, maxJitter, gvlFormat, outDir] = JSON.parse(process.argv[1]);"
        "await exportDatasetToDir({ regions: readFileSync(bed), tracks, annot, maxJitter, gvlFormat, outDir });"
    )
    arg = json.dumps([
        str(bed),
        {t: {s: str(p) for s, p in m.items()} for t, m in tracks.items()},
        {n: str(p) for n, p in (annot or {}).items()},
        max_jitter or 0,
        fmt,
        str(out),
    ])
    p = subprocess.run(["node", "--input-type=module", "-e", script, arg], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


def bits(a):
    """Values as raw bits: NaN equals NaN, -0.0 differs from 0.0."""
    a = np.ascontiguousarray(a)
    return a.view(np.uint32) if a.dtype == np.float32 else a


def same_ragged(x, y, what):
    assert x.shape == y.shape, f"{what}: shape {x.shape} vs {y.shape}"
    assert np.array_equal(np.asarray(x.offsets), np.asarray(y.offsets)), f"{what}: offsets"
    assert np.array_equal(bits(x.data), bits(y.data)), f"{what}: values"


def assert_opens_the_same(gvl, ours, theirs, per_cell=True, **open_kw):
    """`Dataset.open` of both: the same attributes, regions, and every (region, sample)
    with every track active (per-sample and annotation)."""
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


def case_inputs(case_dir, fixtures):
    """A fixture case's tracks, annotation tracks and max_jitter, paths resolved."""
    bw = fixtures / "bigwig"
    tracks = {t: {s: bw / f for s, f in m.items()}
              for t, m in json.loads((case_dir / "tracks.json").read_text()).items()}
    annot_file = case_dir / "annot.json"
    annot = {n: bw / f for n, f in json.loads(annot_file.read_text()).items()} if annot_file.exists() else {}
    jitter = json.loads((case_dir / "args.json").read_text())["max_jitter"]
    return tracks, annot, jitter


def run_tests(tests):
    """Run each test, print one line each and `N passed, N failed`; exit 1 on a failure."""
    if not BIN.exists():
        sys.exit(f"{BIN}: not built (cargo build --release)")
    if not PKG.exists():
        sys.exit(f"{PKG}: not built (npm run build)")
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
