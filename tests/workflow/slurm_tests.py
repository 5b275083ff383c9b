"""On a single-node Slurm cluster (scripts/slurm-cluster.sh): the Slurm profile, and
sbatch-array.sh's submit, resubmit and a failing task."""

import os
import shutil
import subprocess
import time
from pathlib import Path

from workflow_common import (
    ROOT,
    SBATCH_ARRAY,
    TMP,
    ENV,
    BED6,
    BED6_TABLE,
    bed6_config,
    seed_config,
    reference,
    assert_same_dataset,
    snakemake,
    parts,
    stamp,
)


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
