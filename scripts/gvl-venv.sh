#!/usr/bin/env bash
# A virtualenv with GenVarLoader (the real client of our datasets), cached under target/:
#   scripts/gvl-venv.sh          GenVarLoader 0.35.0 (dataset format 1) in target/gvl-venv
#   scripts/gvl-venv.sh 0.43.1   GenVarLoader 0.43.1 (format 2, what `pip install
#                                genvarloader` gives today) in target/gvl2-venv
# Idempotent: does nothing when it exists and imports that version. Prints the venv's
# python on stdout. About 1.4 GB each on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-0.35.0}
case "$version" in
  0.35.0) venv=target/gvl-venv ;;
  0.43.1) venv=target/gvl2-venv ;;
  *) echo "gvl-venv.sh: unknown GenVarLoader version $version (0.35.0 or 0.43.1)" >&2; exit 2 ;;
esac
py="$venv/bin/python"
check="import importlib.metadata as m, sys; sys.exit(m.version('genvarloader') != '$version')"
if [ -x "$py" ] && "$py" -c "$check" >/dev/null 2>&1; then
  echo "$PWD/$py"
  exit 0
fi
echo "installing genvarloader==$version into $venv (once; about 1.4 GB)" >&2
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$venv" >&2
"$py" -m pip install -q --disable-pip-version-check "genvarloader==$version" >&2
"$py" -c "$check" >&2
echo "$PWD/$py"
