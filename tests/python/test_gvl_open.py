#!/usr/bin/env python3
"""The real client: GenVarLoader 0.35 opens the format-1 datasets `bigwig-npy dataset
--gvl-format 1` and the npm package's `exportDatasetToDir({ gvlFormat: 1 })` write, and returns,
for every (region, sample), exactly what it returns for the dataset its own `gvl.write` wrote
from the same inputs; it refuses our format-2 datasets with its own error.

usage: target/gvl-venv/bin/python tests/python/test_gvl_open.py [BIGWIG_NPY]
(scripts/gvl-venv.sh makes the virtualenv; BIGWIG_NPY defaults to target/release/bigwig-npy).
Prints one line per test and `N passed, N failed`; exits 1 on any failure.
"""
import functools
import warnings

import numpy as np

warnings.simplefilter("ignore")
import genvarloader as gvl  # noqa: E402
import pyarrow.ipc as ipc  # noqa: E402
from loguru import logger  # noqa: E402

import gvl_common as c  # noqa: E402
from gvl_common import DATA, TMP, same_ragged  # noqa: E402, F401

logger.remove()

GVL = DATA / "gvl"
write_ours = functools.partial(c.write_ours, fmt=1)
write_npm = functools.partial(c.write_npm, fmt=1)
assert_opens_the_same = functools.partial(c.assert_opens_the_same, gvl)


def write_gvl(name, bed, tracks, max_jitter=None, annot=None):
    """gvl.write of the same inputs into TMP/name-gvl.gvl."""
    out = TMP / f"{name}-gvl.gvl"
    with warnings.catch_warnings():
        # gvl.write resets the warning filters on its way out.
        warnings.simplefilter("ignore")
        gvl.write(out, bed, max_jitter=max_jitter,
                  tracks=[gvl.BigWigs(t, {s: str(p) for s, p in m.items()}) for t, m in tracks.items()],
                  annot_tracks={n: str(p) for n, p in annot.items()} if annot else None)
    return out


def case_test(case_dir):
    def test():
        tracks, _, jitter = c.case_inputs(case_dir, GVL)
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
    # are refused, see docs/DECISIONS.md), and their order among themselves is free.
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


def test_annotation_track_in_format_1_against_a_fresh_gvl_write():
    # data/gvl has no annotation case: GenVarLoader 0.35 writes one here to compare with.
    case = DATA / "gvl2" / "annot_track"
    tracks, annot, jitter = c.case_inputs(case, DATA / "gvl2")
    theirs = write_gvl("annot1", case / "regions.bed", tracks, 4, annot)
    for mine in (write_ours("annot1", case / "regions.bed", tracks, 4, annot),
                 write_npm("annot1", case / "regions.bed", tracks, 4, annot)):
        for f in ["intervals/pos/intervals.npy", "annot_intervals/cons/intervals.npy", "annot_intervals/cons/offsets.npy"]:
            assert (mine / f).read_bytes() == (theirs / f).read_bytes(), f
        assert_opens_the_same(mine, theirs)


def test_format_2_is_refused_with_its_own_error():
    case = GVL / "named_bed6"
    tracks, _, _ = c.case_inputs(case, GVL)
    ours = c.write_ours("v2", case / "regions.bed", tracks, fmt=2)
    try:
        gvl.Dataset.open(ours)
    except ValueError as e:
        assert "has format version 2.0.0, incompatible with this genvarloader" in str(e), e
    else:
        raise AssertionError("GenVarLoader 0.35 opened a format 2 dataset")


if __name__ == "__main__":
    tests = [case_test(d) for d in sorted(GVL.iterdir()) if (d / "dataset.gvl").is_dir()]
    tests += [test_seed_bed6_shuffled_jittered_against_a_fresh_gvl_write, test_dot_strand_opens_as_plus,
              test_annotation_track_in_format_1_against_a_fresh_gvl_write, test_format_2_is_refused_with_its_own_error]
    c.run_tests(tests)
