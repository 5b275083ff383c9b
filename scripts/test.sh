#!/usr/bin/env bash
# Every test of the project (what CI runs). Installs what it needs, idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
source scripts/ensure-wasm-tools.sh
# Each stage says how long the script has run (CI must stay well under its 90 minutes).
stage() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

stage "native: cargo test"
cargo test --locked 2>&1

stage "core purity: no files, threads, sockets, clocks or environment outside src/native and src/wasm (clippy.toml)"
cargo clippy --locked --quiet --lib
cargo clippy --locked --quiet --lib --target wasm32-unknown-unknown

stage "wasm: Rust tests in Node and headless Chrome"
wasm-pack test --node 2>&1
# ChromeDriver leaves each test binary's browser profile in $TMPDIR (about 70 MB, six a
# run: wasm-bindgen's runner stops it without ending its session): they go in a directory
# of their own, removed afterwards, not in /tmp.
chrome_tmp=$(mktemp -d "${TMPDIR:-/tmp}/bigwig-npy-chrome.XXXXXX")
trap 'rm -rf "$chrome_tmp"' EXIT
TMPDIR="$chrome_tmp" WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" 2>&1
rm -rf "$chrome_tmp"

stage "npm package: build, then JS tests against it (and the native CLI)"
cargo build --release --locked --quiet
npm run build --silent
npm test 2>&1

stage "GenVarLoader opens our datasets, from the CLI and the npm package: 0.43.1 format 2, 0.35 format 1 (Python; virtualenvs cached in target/)"
gvl2_python=$(bash scripts/gvl-venv.sh 0.43.1)
"$gvl2_python" tests/python/test_gvl2_open.py target/release/bigwig-npy
"$gvl2_python" tests/python/test_readme.py target/release/bigwig-npy   # the README's Python examples
cargo build --release --locked --quiet --example natural_order
"$gvl2_python" tests/python/test_natsort.py target/release/examples/natural_order
gvl_python=$(bash scripts/gvl-venv.sh 0.35.0)
"$gvl_python" tests/python/test_gvl_open.py target/release/bigwig-npy

stage "workflow/: sharded datasets by Snakemake (local, and on a one-node Slurm cluster it starts and stops) and sbatch --array, each equal to one unsharded dataset"
"$gvl2_python" tests/workflow/test_workflow.py target/release/bigwig-npy "$(bash scripts/snakemake-venv.sh)"
