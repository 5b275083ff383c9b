#!/usr/bin/env bash
# A virtualenv with Snakemake and its Slurm executor plugin (for workflow/), cached in
# target/snakemake-venv. Every package is pinned by scripts/snakemake-requirements.txt
# (the top two: snakemake 9.27.1, snakemake-executor-plugin-slurm 2.8.0; Python >= 3.11,
# tested against Slurm 22.05). Idempotent: does nothing when the venv exists and holds
# those versions. Prints the venv's bin dir on stdout (progress goes to stderr):
#   PATH="$(scripts/snakemake-venv.sh):$PATH" snakemake --profile workflow/profiles/local
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/snakemake-venv
reqs=scripts/snakemake-requirements.txt
py="$venv/bin/python"
# The stamp holds the requirements it was installed from: a changed pin reinstalls.
stamp="$venv/.requirements"
if [ -x "$py" ] && [ -x "$venv/bin/snakemake" ] && cmp -s "$reqs" "$stamp"; then
  echo "$PWD/$venv/bin"
  exit 0
fi
echo "installing snakemake and its Slurm executor plugin into $venv (once)" >&2
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "snakemake-venv.sh: Snakemake 9 needs Python >= 3.11, python3 is $(python3 -V 2>&1)" >&2
  exit 1
fi
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$py" -m pip install -q --disable-pip-version-check -r "$reqs" >&2
"$venv/bin/snakemake" --version >&2
"$py" -c "import snakemake_executor_plugin_slurm" >&2
cp "$reqs" "$stamp"
echo "$PWD/$venv/bin"
