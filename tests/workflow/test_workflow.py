"""workflow/ end to end: the Snakefile with the local profile and, on a single-node Slurm
cluster (scripts/slurm-cluster.sh), with the Slurm profile and sbatch-array.sh. Every
sharded result must be the unsharded `bigwig-npy dataset`: the same files, each byte for
byte but regions.npy (by value) and metadata.json (as JSON), and GenVarLoader 0.43.1's
`Dataset.open(...)[:, :]` the same. Failures must fail a rule with the CLI's error shown,
leave no part half-written, and a rerun must redo only what is missing.

    python tests/workflow/test_workflow.py BIGWIG_NPY SNAKEMAKE_BIN_DIR
(python: scripts/gvl-venv.sh 0.43.1; SNAKEMAKE_BIN_DIR: scripts/snakemake-venv.sh).
Needs root for the Slurm tests (the cluster's daemons); SKIP_SLURM=1 leaves them out,
ONLY=word runs only the tests whose names hold it."""
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
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


# ---------------------------------------------------------------- local executor


def test_local_by_regions_equals_unsharded():
    out = TMP / "local-regions" / "out.gvl"
    p = snakemake(out.parent, bed6_config(out))
    assert jobs_run(p, "shard") == 4 and jobs_run(p, "concat") == 1
    assert_same_dataset(out, reference(bed6_config(out)))
    # Parts are temporary by default; the plan stays (the resource hints).
    assert not any(q.exists() for q in parts(bed6_config(out)))
    plan = json.loads((out.parent / "out.gvl.parts" / "plan-regions-4.json").read_text())
    assert [s["regions"] for s in plan["shards"]] == [15, 16, 15, 16]
    # The plan's hints became the jobs' resources (threads capped by --cores 2).
    mem = -(-plan["shards"][0]["mem_bytes"] // (1 << 20))
    assert f"mem_mb={mem}," in p.stdout + p.stderr, "mem_mb from the plan"
    # Done is done.
    p = snakemake(out.parent, bed6_config(out))
    assert "Nothing to be done" in p.stdout + p.stderr


def test_local_by_samples_with_annotation_and_jitter_equals_unsharded():
    out = TMP / "local-samples" / "out.gvl"
    p = snakemake(out.parent, seed_config(out))
    assert jobs_run(p, "shard") == 4
    assert_same_dataset(out, reference(seed_config(out)))


def test_one_shard_is_one_dataset_job():
    out = TMP / "local-one" / "out.gvl"
    p = snakemake(out.parent, bed6_config(out, shards=1))
    assert jobs_run(p, "dataset") == 1 and jobs_run(p, "shard") == 0 and jobs_run(p, "concat") == 0
    assert_same_dataset(out, reference(bed6_config(out)))


def test_rerun_redoes_only_missing_parts():
    cfg = bed6_config(TMP / "rerun" / "out.gvl", keep_parts=True)
    out = Path(cfg["out"])
    snakemake(out.parent, cfg)
    ps = parts(cfg)
    before = {q: stamp(q) for q in ps}
    shutil.rmtree(ps[1])
    shutil.rmtree(out)
    p = snakemake(out.parent, cfg)
    assert jobs_run(p, "shard") == 1 and "--shard 2/4" in p.stdout + p.stderr
    assert jobs_run(p, "plan") == 0
    for q in (ps[0], ps[2], ps[3]):
        assert stamp(q) == before[q], f"{q.name} was rewritten"
    assert_same_dataset(out, reference(cfg))


def corrupt_bigwig(src, dst):
    """A copy of a bigWig whose data blocks are noise: header and index intact, so `plan`
    reads it, but any region over its data fails."""
    b = bytearray(Path(src).read_bytes())
    data, index = struct.unpack_from("<QQ", b, 16)
    rng = random.Random(7)
    b[data + 4:index] = bytes(rng.getrandbits(8) for _ in range(index - data - 4))
    Path(dst).write_bytes(bytes(b))


def test_failed_shard_leaves_no_part_and_rerun_redoes_it():
    # The last sample in sorted order is in part 4 only: its bigWig is corrupt.
    samples = dict(SEED_SAMPLES)
    last = sorted(samples)[-1]
    broken = TMP / "broken.bw"
    corrupt_bigwig(samples[last], broken)
    samples[last] = broken
    cfg = seed_config(TMP / "failed" / "out.gvl", table=table("seed-broken", samples), keep_parts=True)
    out = Path(cfg["out"])
    p = snakemake(out.parent, cfg, check=False)
    text = p.stdout + p.stderr
    assert p.returncode != 0, "a failed shard fails the run"
    assert "Error in rule shard" in text
    assert "corrupt compressed data block" in text, "the CLI's error is shown (show-failed-logs)"
    ps = parts(cfg)
    assert not ps[3].exists(), "no part 4, not even a partial one"
    assert leftovers(ps[3].parent) == [], f"left behind: {leftovers(ps[3].parent)}"
    assert all(q.exists() for q in ps[:3]), "keep-going: the other parts are written"
    assert not out.exists()
    before = {q: stamp(q) for q in ps[:3]}
    shutil.copyfile(SEED_SAMPLES[last], broken)  # the source fixed
    p = snakemake(out.parent, cfg)
    assert jobs_run(p, "shard") == 1 and "--shard 4/4" in p.stdout + p.stderr
    for q in ps[:3]:
        assert stamp(q) == before[q], f"{q.name} was rewritten"
    assert_same_dataset(out, reference(seed_config(out)))


def test_bad_input_fails_a_rule_with_the_cli_error():
    # More parts than regions: the plan job fails and says why; nothing is written.
    cfg = bed6_config(TMP / "bad" / "out.gvl", shards=63)
    p = snakemake(Path(cfg["out"]).parent, cfg, check=False)
    text = p.stdout + p.stderr
    assert p.returncode != 0
    assert "Error in rule plan" in text
    assert "62 regions, so at most 62 parts by regions" in text, text[-2000:]
    assert not Path(cfg["out"]).exists() and not Path(cfg["out"] + ".parts", "regions-63").exists()
    # A missing key is named before anything runs.
    cfg.pop("regions")
    p = snakemake(TMP / "bad2", cfg, check=False)
    assert p.returncode != 0 and "config key 'regions' is required" in p.stdout + p.stderr


def test_parts_of_another_job_fail_the_concat():
    cfg = bed6_config(TMP / "mixed" / "out.gvl", keep_parts=True)
    out = Path(cfg["out"])
    snakemake(out.parent, cfg)
    ps = parts(cfg)
    # Part 2 of another job (other jitter) in its place, newer than the plan: Snakemake
    # takes it as done and concat must refuse it.
    shutil.rmtree(ps[1])
    subprocess.run([str(BIN), "dataset", "--quiet", "--regions", str(BED6), "--track", f"sig={BED6_TABLE}",
                    "--max-jitter", "5", "--shard", "2/4", "--out", str(ps[1])], check=True)
    shutil.rmtree(out)
    p = snakemake(out.parent, cfg, check=False)
    text = p.stdout + p.stderr
    assert p.returncode != 0 and "Error in rule concat" in text
    assert jobs_run(p, "shard") == 0
    assert "parts of different jobs" in text and "part-2.gvl" in text, text[-2000:]
    assert not out.exists()


def test_sbatch_array_script_tasks_by_hand():
    """sbatch-array.sh's task and concat modes as Slurm runs them (SLURM_ARRAY_TASK_ID)."""
    out = TMP / "array-local" / "out.gvl"
    args = ["4", "regions", "--regions", str(BED6), "--track", f"sig={BED6_TABLE}"]
    for k in (3, 1, 4):
        subprocess.run([str(SBATCH_ARRAY), "shard", str(out), *args], check=True, capture_output=True,
                       env=dict(ENV, SLURM_ARRAY_TASK_ID=str(k)))
    p = subprocess.run([str(SBATCH_ARRAY), "concat", str(out), "4", "regions"], env=ENV,
                       capture_output=True, text=True)
    # The CLI's one-line error names the missing part.
    assert p.returncode != 0 and "part-2.gvl" in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr
    assert not out.exists()
    ps = parts(dict(out=str(out), shard_by="regions", shards=4))
    before = stamp(ps[0])
    for k in (1, 2):  # 1 exists: skipped; 2 is written
        p = subprocess.run([str(SBATCH_ARRAY), "shard", str(out), *args], env=dict(ENV, SLURM_ARRAY_TASK_ID=str(k)),
                           capture_output=True, text=True, check=True)
    assert stamp(ps[0]) == before
    subprocess.run([str(SBATCH_ARRAY), "concat", str(out), "4", "regions"], env=ENV, check=True, capture_output=True)
    assert_same_dataset(out, reference(bed6_config(out)))
    p = subprocess.run([str(SBATCH_ARRAY), "shard", str(out), "1", "regions"], env=ENV, capture_output=True, text=True)
    assert p.returncode == 2 and "N must be 2 or more" in p.stderr


# ---------------------------------------------------------------- Slurm


def slurm_env():
    conf = subprocess.run(["bash", str(ROOT / "scripts" / "slurm-cluster.sh"), "start"], check=True,
                          capture_output=True, text=True).stdout.strip()
    assert conf.startswith("export SLURM_CONF="), conf
    return dict(ENV, SLURM_CONF=conf.split("=", 1)[1])


def wait_slurm_job(env, jid, limit=180):
    """A job's final state (squeue keeps finished jobs for MinJobAge)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        states = subprocess.run(["squeue", "-h", "--states=all", "-j", jid, "-o", "%T"], env=env,
                                capture_output=True, text=True).stdout.split()
        if states and all(s not in ("PENDING", "RUNNING", "COMPLETING", "CONFIGURING") for s in states):
            return states
        time.sleep(2)
    raise AssertionError(f"Slurm job {jid} not done in {limit} s")


def test_slurm_profile_by_samples_equals_unsharded(env):
    out = TMP / "slurm-samples" / "out.gvl"
    # --max-threads: this node has nproc cores and the plan suggests up to 4 a job (see
    # the profile); a real site sets it in the profile when its nodes are that small.
    p = snakemake(out.parent, seed_config(out), profile="slurm", env=env,
                  extra=["--max-threads", str(os.cpu_count())])
    text = p.stdout + p.stderr
    assert text.count("has been submitted with SLURM jobid") == 6, "plan, 4 shards, concat as Slurm jobs"
    assert_same_dataset(out, reference(seed_config(out)))


def test_slurm_sbatch_array_and_resubmit(env):
    out = TMP / "slurm-array" / "out.gvl"
    args = [str(SBATCH_ARRAY), "submit", str(out), "4", "regions", "--regions", str(BED6),
            "--track", f"sig={BED6_TABLE}"]

    def submit():
        p = subprocess.run(args, env=env, capture_output=True, text=True, cwd=out.parent)
        assert p.returncode == 0, p.stderr
        lines = dict(line.split(": ", 1) for line in p.stdout.splitlines())
        return lines, lines["concat"].split()[1]

    out.parent.mkdir(parents=True)
    lines, concat = submit()
    assert "parts 1-4 of 4" in lines["shards"], lines
    assert wait_slurm_job(env, concat) == ["COMPLETED"]
    assert_same_dataset(out, reference(bed6_config(out)))
    ps = parts(dict(out=str(out), shard_by="regions", shards=4))
    before = {q: stamp(q) for q in ps}
    shutil.rmtree(ps[2])
    shutil.rmtree(out)
    lines, concat = submit()
    assert "parts 3 of 4" in lines["shards"], lines
    assert wait_slurm_job(env, concat) == ["COMPLETED"]
    for q in (ps[0], ps[1], ps[3]):
        assert stamp(q) == before[q]
    assert_same_dataset(out, reference(bed6_config(out)))
    # A task that fails (part 1 of 63 of a 62-region BED: out of range) fails in Slurm with
    # the CLI's error in its log, and the concat waiting on it is cancelled.
    bad = TMP / "slurm-bad" / "out.gvl"
    logs = Path(str(bad) + ".parts") / "logs"
    logs.mkdir(parents=True)
    jid = subprocess.run(["sbatch", "--parsable", "--array=1-2", f"--output={logs}/part-%a.slurm.log",
                          str(SBATCH_ARRAY), "shard", str(bad), "63", "regions", "--regions", str(BED6),
                          "--track", f"sig={BED6_TABLE}"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    cid = subprocess.run(["sbatch", "--parsable", f"--dependency=afterok:{jid}", "--kill-on-invalid-dep=yes",
                          f"--output={logs}/concat.slurm.log", str(SBATCH_ARRAY), "concat", str(bad), "63", "regions"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert set(wait_slurm_job(env, jid)) == {"FAILED"}
    assert wait_slurm_job(env, cid) == ["CANCELLED"]
    log = (logs / "part-1.slurm.log").read_text()
    assert "62 regions, so at most 62 parts by regions" in log, log
    assert not bad.exists() and not (bad.parent / "out.gvl.parts" / "regions-63").exists()


def main():
    if not BIN.exists():
        sys.exit(f"{BIN}: not built (cargo build --release)")
    # ONLY=word runs the tests whose names hold it.
    tests = [(k, v) for k, v in globals().items() if k.startswith("test_") and os.environ.get("ONLY", "") in k]
    local = [v for k, v in tests if not k.startswith("test_slurm_")]
    slurm = [v for k, v in tests if k.startswith("test_slurm_")]
    passed = failed = 0

    def run(t, *a):
        nonlocal passed, failed
        t0 = time.monotonic()
        try:
            t(*a)
            passed += 1
            print(f"ok      {t.__name__} ({time.monotonic() - t0:.1f} s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAILED  {t.__name__}\n{traceback.format_exc()}", flush=True)

    for t in local:
        run(t)
    if os.environ.get("SKIP_SLURM") == "1":
        print(f"skipped {len(slurm)} Slurm tests (SKIP_SLURM=1)")
    else:
        t0 = time.monotonic()
        cluster = ["bash", str(ROOT / "scripts" / "slurm-cluster.sh")]
        # A cluster someone started before is theirs to stop.
        ours = subprocess.run([*cluster, "status"]).returncode != 0
        try:
            env = slurm_env()
            print(f"        Slurm cluster up ({time.monotonic() - t0:.1f} s)", flush=True)
            for t in slurm:
                run(t, env)
        except subprocess.CalledProcessError as e:
            failed += 1
            print(f"FAILED  slurm-cluster.sh start\n{e.stderr}", flush=True)
        finally:
            if ours:
                subprocess.run([*cluster, "stop"], check=False)
    print(f"{passed} passed, {failed} failed")
    if failed == 0:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print(f"kept {TMP} for a look")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
