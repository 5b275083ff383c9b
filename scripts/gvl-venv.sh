#!/usr/bin/env bash
# A virtualenv with GenVarLoader 0.35.0 (the real client of our datasets) under
# target/gvl-venv. Idempotent: does nothing when it exists and imports genvarloader.
# Prints the venv's python on stdout. About 1.4 GB on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/gvl-venv
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c "import genvarloader" >/dev/null 2>&1; then
  echo "$PWD/$py"
  exit 0
fi
echo "installing genvarloader==0.35.0 into $venv (once; about 1.4 GB)" >&2
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$venv" >&2
"$py" -m pip install -q --disable-pip-version-check "genvarloader==0.35.0" >&2
"$py" -c "import genvarloader" >&2
echo "$PWD/$py"
