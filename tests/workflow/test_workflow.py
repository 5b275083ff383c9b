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

import os
import shutil
import subprocess
import sys
import time
import traceback

# The tests, by executor; their fixtures and helpers are workflow_common.py's.
import local_tests
import slurm_tests
from workflow_common import BIN, ROOT, TMP


def main():
    if not BIN.exists():
        sys.exit(f"{BIN}: not built (cargo build --release)")
    # ONLY=word runs the tests whose names hold it.
    tests = [(k, v) for m in (local_tests, slurm_tests) for k, v in vars(m).items()
             if k.startswith("test_") and os.environ.get("ONLY", "") in k]
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
            env = slurm_tests.slurm_env()
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

