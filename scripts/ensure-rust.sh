#!/usr/bin/env bash
# Make sure a Rust toolchain is on PATH (idempotent). Machines of this project ship rustup;
# Debian's cargo is the fallback.
set -euo pipefail
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq cargo >/dev/null
fi
# clippy checks the core's purity (clippy.toml; scripts/test.sh).
cargo clippy --version >/dev/null 2>&1 || { command -v rustup >/dev/null && rustup component add clippy; }
