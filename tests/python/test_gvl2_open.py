#!/usr/bin/env python3
"""The real client of today: GenVarLoader 0.43.1 (`pip install genvarloader`) opens the
format-2 datasets `bigwig-npy dataset`, `update` and `concat` and the npm package's
`exportDatasetToDir` write, with every track active (per-sample and annotation), and returns
for every (region, sample) exactly what it returns for the datasets its own `gvl.write`,
`gvl.update` and `gvl.concat` wrote; its own `update`, `concat` and `migrate` work on ours;
it refuses our format-1 datasets with its own error.

usage: target/gvl2-venv/bin/python tests/python/test_gvl2_open.py [BIGWIG_NPY]
(`scripts/gvl-venv.sh 0.43.1` makes the virtualenv).
"""
import functools
import shutil
import warnings

import numpy as np

warnings.simplefilter("ignore")
import genvarloader as gvl  # noqa: E402
import pyarrow.ipc as ipc  # noqa: E402
from loguru import logger  # noqa: E402

import gvl_common as c  # noqa: E402
from gvl_common import DATA, TMP  # noqa: E402

logger.remove()

GVL2 = DATA / "gvl2"
assert_opens_the_same = functools.partial(c.assert_opens_the_same, gvl)


def quiet(f, *a, **kw):
    # GenVarLoader resets the warning filters on its way out.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **kw)


def bigwigs(tracks):
    return [gvl.BigWigs(t, {s: str(p) for s, p in m.items()}) for t, m in tracks.items()]


def write_gvl(name, bed, tracks, max_jitter=None, annot=None):
    out = TMP / f"{name}-gvl.gvl"
    quiet(gvl.write, out, bed, max_jitter=max_jitter, tracks=bigwigs(tracks),
          annot_tracks={n: str(p) for n, p in annot.items()} if annot else None)
    return out


def case_test(case_dir):
    def test():
        tracks, annot, jitter = c.case_inputs(case_dir, GVL2)
        bed = case_dir / "regions.bed"
        theirs = case_dir / "dataset.gvl"
        for mine in (c.write_ours(case_dir.name, bed, tracks, jitter, annot),
                     c.write_npm(case_dir.name, bed, tracks, jitter, annot)):
            assert_opens_the_same(mine, theirs)
            if jitter:
                # Jittered reads reach into the stored flanks; the same seed, the same shifts.
                assert_opens_the_same(mine, theirs, jitter=jitter, rng=7)
    test.__name__ = f"opens_like_gvl_write[{case_dir.name}]"
    return test


def test_update_like_gvl_update_and_gvl_update_of_ours():
    case = GVL2 / "update_add_track"
    tracks, _, _ = c.case_inputs(case, GVL2)
    bw = GVL2 / "bigwig"
    neg = {s: bw / f"neg_{s}.bw" for s in tracks["pos"]}
    ours = c.write_ours("upd", case / "regions.bed", tracks)
    c.cli("update", ours, "--quiet", *c.tables("upd-new", {"neg": neg}), "--annot", f"cons={bw / 'annot_cons.bw'}")
    assert_opens_the_same(ours, case / "dataset.gvl")
    # GenVarLoader's own update, on a dataset of ours.
    theirs_on_ours = c.write_ours("upd2", case / "regions.bed", tracks)
    quiet(gvl.update, theirs_on_ours, tracks=bigwigs({"neg": neg}), annot_tracks={"cons": str(bw / "annot_cons.bw")})
    assert_opens_the_same(theirs_on_ours, case / "dataset.gvl")


def test_concat_like_gvl_concat_and_gvl_concat_of_ours():
    import json
    for axis in ("regions", "samples"):
        case = GVL2 / f"concat_{axis}"
        spec = json.loads((case / "parts.json").read_text())
        parts = []
        for k, p in enumerate(spec["parts"]):
            tracks = {t: {s: GVL2 / "bigwig" / f for s, f in m.items()} for t, m in p["tracks"].items()}
            parts.append(c.write_ours(f"{axis}-part{k}", case / p["regions"], tracks))
        ours = TMP / f"{axis}-concat.gvl"
        c.cli("concat", "--quiet", "--axis", axis, "--out", ours, *parts)
        assert_opens_the_same(ours, case / "dataset.gvl")
        # GenVarLoader's own concat of our parts gives the same tracks and regions.
        theirs = TMP / f"{axis}-gvl-concat.gvl"
        quiet(gvl.concat, theirs, parts, axis=axis)
        assert_opens_the_same(ours, theirs)
        for f in ["intervals/sig/starts.npy", "intervals/sig/ends.npy", "intervals/sig/values.npy", "intervals/sig/offsets.npy"]:
            assert (ours / f).read_bytes() == (theirs / f).read_bytes(), f
        assert np.array_equal(np.load(ours / "regions.npy"), np.load(theirs / "regions.npy"))


def test_seed_bed6_shuffled_jittered_with_annotation_against_a_fresh_gvl_write():
    # The 2000 seed regions shuffled, as BED6 with names, scores and both strands, max
    # jitter 7, all 8 samples (names whose code-point order differs), one annotation track.
    rng = np.random.default_rng(5)
    lines = (DATA / "seed" / "regions.bed").read_text().splitlines()
    strand = {l: "+-"[int(rng.integers(2))] for l in lines}
    order = rng.permutation(len(lines))
    bed = TMP / "seed6.bed"
    bed.write_text("".join(f"{lines[i]}\tr{i}\t{int(rng.integers(0, 1000))}\t{strand[lines[i]]}\n" for i in order))
    names = ["tumor", "Normal", "blood", "b2", "B10", "x", "Ä", "_s"]
    tracks = {"sig": {n: DATA / "seed" / f"sample_{i}.bw" for i, n in enumerate(names)}}
    annot = {"mean": DATA / "seed" / "sample_7.bw"}
    ours = c.write_ours("seed6", bed, tracks, 7, annot)
    theirs = write_gvl("seed6", bed, tracks, 7, annot)
    for f in ["regions.npy", *[f"{d}/{n}.npy" for d in ("intervals/sig", "annot_intervals/mean")
                               for n in ("starts", "ends", "values", "offsets")]]:
        assert (ours / f).read_bytes() == (theirs / f).read_bytes(), f
    a = ipc.open_file(ours / "input_regions.arrow").read_all()
    b = ipc.open_file(theirs / "input_regions.arrow").read_all()
    assert a.schema.equals(b.schema), "input_regions.arrow schema"
    assert a.drop_columns(["r_idx_map"]).equals(b.drop_columns(["r_idx_map"])), "input_regions.arrow"
    # r_idx_map: the same sorted region for every row (copies of a region may trade places).
    regions = np.load(ours / "regions.npy")
    ra, rb = a["r_idx_map"].to_numpy(), b["r_idx_map"].to_numpy()
    assert np.array_equal(regions[ra], regions[rb]), "r_idx_map"
    assert_opens_the_same(ours, theirs, per_cell=False)


def test_migrate_of_our_format_1_gives_our_format_2():
    case = GVL2 / "annot_track"
    tracks, annot, _ = c.case_inputs(case, GVL2)
    v1 = c.write_ours("mig1", case / "regions.bed", tracks, 3, annot, fmt=1)
    v2 = c.write_ours("mig2", case / "regions.bed", tracks, 3, annot, fmt=2)
    try:
        gvl.Dataset.open(v1)
    except ValueError as e:
        assert "uses format version 1.0.0 but this genvarloader expects 2.0.0" in str(e), e
    else:
        raise AssertionError("GenVarLoader 0.43.1 opened a format 1 dataset")
    quiet(gvl.migrate, v1)
    for f in ["intervals/pos", "annot_intervals/cons"]:
        for n in ("starts", "ends", "values", "offsets"):
            assert (v1 / f / f"{n}.npy").read_bytes() == (v2 / f / f"{n}.npy").read_bytes(), f"{f}/{n}"
    assert_opens_the_same(v1, v2)


def test_bed_as_genvarloader_reads_it():
    # A byte-order mark, quoted fields and typed columns past the 12th (Int64, Float64,
    # Boolean, text), as a spreadsheet export might give them: the same Arrow table and
    # data as gvl.write's.
    rows = []
    for i, line in enumerate((GVL2 / "named_bed6" / "regions.bed").read_text().splitlines()[:30]):
        chrom, s, e, name, score, strand = line.split("\t")
        rows.append("\t".join([f'"{chrom}"', s, e, f'"{name}"', score, strand, s, e, "0,0,0", "1", f"{int(e) - int(s)},",
                               "0,", str(i * 7 - 3), f"{i / 4}", "true" if i % 2 else "False", f"g{i}"]))
    bed = TMP / "excel.bed"
    bed.write_bytes(b"\xef\xbb\xbf" + ("\n".join(rows) + "\n").encode())
    tracks = {"sig": {s: GVL2 / "bigwig" / f"seed_{i}.bw" for i, s in enumerate(["tumor", "Normal", "blood"])}}
    ours = c.write_ours("excel", bed, tracks)
    theirs = write_gvl("excel", bed, tracks)
    a = ipc.open_file(ours / "input_regions.arrow").read_all()
    b = ipc.open_file(theirs / "input_regions.arrow").read_all()
    assert a.schema.equals(b.schema), f"{a.schema} vs {b.schema}"
    assert a.equals(b), "input_regions.arrow"
    for f in ["regions.npy", "intervals/sig/values.npy", "intervals/sig/offsets.npy"]:
        assert (ours / f).read_bytes() == (theirs / f).read_bytes(), f
    assert_opens_the_same(ours, theirs)


if __name__ == "__main__":
    cases = [d for d in sorted(GVL2.iterdir())
             if (d / "dataset.gvl").is_dir() and not (d / "steps.json").exists() and not (d / "parts.json").exists()]
    tests = [case_test(d) for d in cases]
    tests += [test_update_like_gvl_update_and_gvl_update_of_ours, test_concat_like_gvl_concat_and_gvl_concat_of_ours,
              test_seed_bed6_shuffled_jittered_with_annotation_against_a_fresh_gvl_write,
              test_migrate_of_our_format_1_gives_our_format_2, test_bed_as_genvarloader_reads_it]
    shutil.rmtree(TMP / "unused", ignore_errors=True)
    c.run_tests(tests)
