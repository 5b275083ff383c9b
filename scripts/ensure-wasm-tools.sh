#!/usr/bin/env bash
# Tools for the wasm build and tests, installed only when missing (idempotent):
# the wasm32 target, clang (libdeflate's C for wasm32), wasm-bindgen-cli at exactly the
# version in Cargo.lock, wasm-pack, Debian's chromium + chromedriver, and the npm dev deps.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-rust.sh

rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

need_apt=()
command -v clang >/dev/null || need_apt+=(clang)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v node >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wbg" ]; then
  # The tool's own lock file can name a crate version the registry no longer serves (seen:
  # a yanked webpki-roots); then resolve afresh within its semver ranges.
  cargo install --locked --quiet wasm-bindgen-cli --version "$wbg" \
    || cargo install --quiet wasm-bindgen-cli --version "$wbg"
fi
command -v wasm-pack >/dev/null || cargo install --locked --quiet wasm-pack || cargo install --quiet wasm-pack

{ [ -d node_modules/playwright-core ] && [ -d node_modules/fflate ] && [ -d node_modules/client-zip ] && [ -d node_modules/apache-arrow ] && [ -d node_modules/typescript ] && [ -d node_modules/@types/node ] && [ -x node_modules/.bin/wasm-opt ]; } || npm ci --no-audit --no-fund --silent
