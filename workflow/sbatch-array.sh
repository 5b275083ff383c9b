#!/usr/bin/env bash
#SBATCH --job-name=bigwig-npy
# A sharded dataset job on Slurm without Snakemake: one array task per part, then one concat.
#
#   workflow/sbatch-array.sh submit OUT N BY DATASET_ARGS...
#       Plans the job (bigwig-npy plan), submits the parts not yet written as one array job
#       (each task asks for the most threads and memory the plan suggests for any of them),
#       then the concat job, to start once every task succeeded. Prints both job ids.
#       Run it again after a failure: it submits only the missing parts.
#   OUT            the dataset directory to write; parts and logs go to OUT.parts/
#   N BY           N parts by `regions` (contiguous ranges of the BED's rows) or `samples`
#   DATASET_ARGS   as for `bigwig-npy dataset`: --regions BED --track NAME=TABLE ...
#                  [--annot NAME=BIGWIG ...] [--max-jitter N] [--timeout S] [...]
#
# What submit runs, to do by hand (JOBID: the array job's id):
#   sbatch --array=1-N --cpus-per-task=T --mem=M workflow/sbatch-array.sh shard OUT N BY DATASET_ARGS...
#   sbatch --dependency=afterok:JOBID --kill-on-invalid-dep=yes workflow/sbatch-array.sh concat OUT N BY
# A task whose part exists exits at once (parts are written atomically: one that exists is
# whole), so resubmitting the whole array redoes only the missing parts. If a task fails,
# Slurm cancels the concat (--kill-on-invalid-dep); the failed task's log says why.
# Site options (partition, account, time) through sbatch's own environment variables:
# SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT. The CLI: $BIGWIG_NPY (default
# bigwig-npy on PATH), the same on the compute nodes (sbatch passes the environment).
set -euo pipefail

usage() {
  sed -n '3,14p' "${BASH_SOURCE[0]}" >&2
  exit 2
}
[ $# -ge 4 ] || usage
mode=$1 out=${2%/} n=$3 by=$4
shift 4
case $by in regions | samples) ;; *) echo "sbatch-array.sh: BY must be regions or samples, not '$by'" >&2; exit 2 ;; esac
case $n in
  '' | *[!0-9]* | 0* | 1) echo "sbatch-array.sh: N must be 2 or more, not '$n' (one job: bigwig-npy dataset)" >&2; exit 2 ;;
esac
bin=${BIGWIG_NPY:-bigwig-npy}
parts="$out.parts"
# The same layout as workflow/Snakefile's.
part() { echo "$parts/$by-$n/part-$1.gvl"; }
logs="$parts/logs/$by-$n"

case $mode in
shard)
  k=${SLURM_ARRAY_TASK_ID:?shard runs as a task of an array job (sbatch --array=1-N)}
  p=$(part "$k")
  if [ -f "$p/metadata.json" ]; then
    echo "part $k/$n: $p exists (parts are written whole), nothing to do"
    exit 0
  fi
  # Without cgroups a job sees every core of its node: use the ones it asked for.
  exec "$bin" dataset "$@" --shard "$k/$n" --shard-by "$by" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" --out "$p"
  ;;
concat)
  [ $# -eq 0 ] || usage
  list=()
  for k in $(seq "$n"); do list+=("$(part "$k")"); done
  # concat checks the parts are all N parts of one job and names a missing one.
  exec "$bin" concat --axis "$by" --out "$out" "${list[@]}"
  ;;
submit)
  if [ -f "$out/metadata.json" ]; then
    echo "$out exists; nothing to submit" >&2
    exit 0
  fi
  # plan takes the sources, not dataset's other options (--gvl-format, --max-mem, ...).
  plan_args=() dataset_args=()
  while [ $# -gt 0 ]; do
    case $1 in
      --regions | --track | --annot | --max-jitter | --timeout)
        [ $# -ge 2 ] || { echo "sbatch-array.sh: $1 needs a value" >&2; exit 2; }
        plan_args+=("$1" "$2"); dataset_args+=("$1" "$2"); shift 2 ;;
      --regions=* | --track=* | --annot=* | --max-jitter=* | --timeout=*)
        plan_args+=("$1"); dataset_args+=("$1"); shift ;;
      *) dataset_args+=("$1"); shift ;;
    esac
  done
  mkdir -p "$logs"
  plan="$parts/plan-$by-$n.json"
  "$bin" plan "${plan_args[@]}" --shards "$n" --shard-by "$by" >"$plan.tmp"
  mv "$plan.tmp" "$plan"
  missing=()
  for k in $(seq "$n"); do [ -d "$(part "$k")" ] || missing+=("$k"); done
  # The array spec (1-3,5,7-9), and the largest hints over the missing parts.
  read -r spec threads mem_mb concat_mb < <(python3 - "$plan" "${missing[@]}" <<'EOF'
import json, math, sys
plan = json.load(open(sys.argv[1]))
ks = [int(k) for k in sys.argv[2:]]
runs = []
for k in ks:
    if runs and runs[-1][1] == k - 1:
        runs[-1][1] = k
    else:
        runs.append([k, k])
spec = ",".join(f"{a}-{b}" if a < b else f"{a}" for a, b in runs) or "-"
shards = [plan["shards"][k - 1] for k in ks] or plan["shards"]
threads = max(s["threads"] for s in shards)
mem_mb = max(math.ceil(s["mem_bytes"] / (1 << 20)) for s in shards)
# concat streams the arrays; its regions table grows (as workflow/Snakefile reckons it).
concat_mb = math.ceil(((96 << 20) + 256 * plan["regions"]) / (1 << 20))
print(spec, threads, mem_mb, concat_mb)
EOF
  )
  # Tasks asking more CPUs than a node has would wait forever: cap at the smallest node
  # (sinfo's %c, CPUs per node; "16+" where they differ).
  cpus=$(sinfo -h ${SBATCH_PARTITION:+-p "$SBATCH_PARTITION"} -o %c 2>/dev/null |
    tr -dc '0-9\n' | sort -n | head -n 1 || true)
  if [ -n "$cpus" ] && [ "$threads" -gt "$cpus" ]; then threads=$cpus; fi
  self=$(readlink -f "${BASH_SOURCE[0]}")
  dep=()
  if [ "$spec" != - ]; then
    jid=$(sbatch --parsable --job-name="bigwig-npy-$by-$n" --array="$spec" \
      --cpus-per-task="$threads" --mem="${mem_mb}M" --output="$logs/part-%a.slurm.log" \
      "$self" shard "$out" "$n" "$by" "${dataset_args[@]}")
    jid=${jid%%;*} # "id;cluster" on multi-cluster sites
    echo "shards: job $jid (parts $spec of $n, $threads threads and ${mem_mb} MiB each)"
    dep=(--dependency="afterok:$jid" --kill-on-invalid-dep=yes)
  else
    echo "shards: all $n parts exist"
  fi
  cid=$(sbatch --parsable --job-name="bigwig-npy-concat" "${dep[@]}" --mem="${concat_mb}M" \
    --output="$parts/logs/concat-$by-$n.slurm.log" "$self" concat "$out" "$n" "$by")
  echo "concat: job ${cid%%;*} -> $out"
  ;;
*) usage ;;
esac
