"""The Snakefile with the local executor, and sbatch-array.sh's tasks run by hand: sharded
results equal the unsharded dataset; failures, bad input and mixed parts; reruns."""

import json
import random
import shutil
import struct
import subprocess
from pathlib import Path

from workflow_common import (
    BIN,
    SBATCH_ARRAY,
    TMP,
    ENV,
    BED6,
    table,
    BED6_TABLE,
    SEED_SAMPLES,
    bed6_config,
    seed_config,
    reference,
    assert_same_dataset,
    snakemake,
    jobs_run,
    parts,
    stamp,
    leftovers,
)


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

