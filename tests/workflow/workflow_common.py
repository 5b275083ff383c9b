"""What the workflow tests share (test_workflow.py runs them): the command line's
binaries, the fixtures (tables, BEDs, configs), the unsharded reference datasets, runs of
Snakemake and checks of datasets and their parts."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from gvl_common import assert_opens_the_same  # noqa: E402

BIN = Path(sys.argv[1]).resolve()
SMK_BIN = Path(sys.argv[2]).resolve()
SNAKEFILE = ROOT / "workflow" / "Snakefile"
PROFILES = ROOT / "workflow" / "profiles"
SBATCH_ARRAY = ROOT / "workflow" / "sbatch-array.sh"
DATA = ROOT / "data"
TMP = Path(tempfile.mkdtemp(prefix="workflow-test-"))
ENV = dict(os.environ, PATH=f"{SMK_BIN}:{os.environ['PATH']}", BIGWIG_NPY=str(BIN))

# The named_bed6 case: 62 regions, 3 samples; sharded by regions.
BED6 = DATA / "gvl2" / "named_bed6" / "regions.bed"
# 8 samples (data/seed) over 300 of its regions, an annotation track and jitter; by samples.
SEED_BED = TMP / "seed300.bed"
SEED_BED.write_text("".join((DATA / "seed" / "regions.bed").read_text().splitlines(True)[:300]))


def table(name, samples):
    """A sample table (TSV) in TMP: {sample: path}."""
    p = TMP / f"{name}.tsv"
    p.write_text("sample\tpath\n" + "".join(f"{s}\t{b}\n" for s, b in samples.items()))
    return p


BW = DATA / "gvl2" / "bigwig"
BED6_TABLE = table("bed6", {"tumor": BW / "seed_0.bw", "Normal": BW / "seed_1.bw", "blood": BW / "seed_2.bw"})
# Sample names out of sorted order, so the split by sorted samples is not the table's order.
SEED_SAMPLES = {f"s{(5 * i) % 8}": DATA / "seed" / f"sample_{i}.bw" for i in range(8)}
SEED_TABLE = table("seed", SEED_SAMPLES)
SEED_ANNOT = DATA / "gvl2" / "bigwig" / "seed_2.bw"


def bed6_config(out, **kw):
    return {**dict(regions=str(BED6), tracks={"sig": str(BED6_TABLE)}, shards=4,
                   shard_by="regions", out=str(out), bigwig_npy=str(BIN)), **kw}


def seed_config(out, table=SEED_TABLE, **kw):
    return {**dict(regions=str(SEED_BED), tracks={"sig": str(table)}, annot={"cons": str(SEED_ANNOT)},
                   max_jitter=7, shards=4, shard_by="samples", out=str(out), bigwig_npy=str(BIN)), **kw}


REFS = {}


def reference(config):
    """The unsharded dataset of a config (cached per config)."""
    key = json.dumps({k: config[k] for k in ("regions", "tracks", "annot", "max_jitter") if k in config},
                     sort_keys=True)
    if key not in REFS:
        out = TMP / f"ref-{len(REFS)}.gvl"
        args = [BIN, "dataset", "--quiet", "--regions", config["regions"], "--out", out]
        for n, t in config["tracks"].items():
            args += ["--track", f"{n}={t}"]
        for n, b in config.get("annot", {}).items():
            args += ["--annot", f"{n}={b}"]
        args += ["--max-jitter", str(config.get("max_jitter", 0))]
        subprocess.run(list(map(str, args)), check=True)
        REFS[key] = out
    return REFS[key]


def files(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*") if p.is_file())


def assert_same_dataset(out, ref):
    """Every file of the unsharded dataset and no other; byte for byte but regions.npy
    (by value: concat saves it in C order) and metadata.json (as JSON); and GenVarLoader
    0.43.1 reads the same from both."""
    assert files(out) == files(ref), f"files: {files(out)} vs {files(ref)}"
    for f in files(ref):
        a, b = Path(out) / f, Path(ref) / f
        if f == "regions.npy":
            x, y = np.load(a), np.load(b)
            assert x.dtype == y.dtype and np.array_equal(x, y), f
        elif f == "metadata.json":
            assert json.loads(a.read_text()) == json.loads(b.read_text()), f
        else:
            assert a.read_bytes() == b.read_bytes(), f"{f} differs"
    import genvarloader as gvl
    from loguru import logger
    logger.disable("genvarloader")  # its "Opened dataset" summaries
    assert_opens_the_same(gvl, out, ref, per_cell=False)


def snakemake(workdir, config, profile="local", extra=(), env=None, check=True):
    """snakemake with the repo's Snakefile and a profile, in its own working directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config.yaml"
    cfg.write_text(json.dumps(config))  # JSON is YAML
    args = ["snakemake", "--snakefile", SNAKEFILE, "--configfile", cfg,
            "--profile", PROFILES / profile, *extra]
    if profile == "local":
        args += ["--cores", "2"]
    p = subprocess.run(list(map(str, args)), cwd=workdir, env=env or ENV, capture_output=True, text=True)
    (workdir / f"snakemake-{time.monotonic_ns()}.log").write_text(p.stdout + p.stderr)
    if check:
        assert p.returncode == 0, f"snakemake failed:\n{p.stdout[-3000:]}\n{p.stderr[-6000:]}"
    return p


def jobs_run(p, rule):
    """How many jobs of a rule a snakemake run executed."""
    out = p.stdout + p.stderr
    return out.count(f"rule {rule}:")


def parts(config):
    d = Path(config["out"] + ".parts") / f"{config['shard_by']}-{config['shards']}"
    return [d / f"part-{k}.gvl" for k in range(1, config["shards"] + 1)]


def stamp(p):
    s = (Path(p) / "metadata.json").stat()
    return (s.st_ino, s.st_mtime_ns)


def leftovers(d):
    """Anything a dataset write leaves next to its target while (or if) it is not done."""
    return [p.name for p in Path(d).iterdir() if p.name.startswith(".")] if Path(d).exists() else []

