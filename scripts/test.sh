#!/usr/bin/env bash
# Every test of the project. Installs what it needs (idempotently).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
cargo test --locked 2>&1
