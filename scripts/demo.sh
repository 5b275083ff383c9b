#!/usr/bin/env bash
# Run the main job on the bundled example: 8 bigWigs x 2000 regions (data/seed) into
# demo-out/, then check the result against GenVarLoader's recorded hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-rust.sh
cargo build --release --quiet
bin=target/release/bigwig-npy
"$bin" info data/seed/sample_0.bw
echo
"$bin" export --regions data/seed/regions.bed --out demo-out data/seed/sample_*.bw
"$bin" export --quiet --format raw --regions data/seed/regions.bed --out demo-out/raw data/seed/sample_*.bw
want=$(grep intervals_sha256 data/seed/expected.json | cut -d'"' -f4)
got=$(sha256sum demo-out/raw/intervals.npy | cut -d' ' -f1)
if [ "$want" = "$got" ]; then
  echo "demo-out/raw/intervals.npy is byte-identical to GenVarLoader 0.35's output ($got)"
else
  echo "MISMATCH: got $got, GenVarLoader wrote $want" >&2
  exit 1
fi
echo "load it: python3 -c \"import numpy as np; i = np.load('demo-out/intervals.npy'); o = np.load('demo-out/offsets.npy'); print(i[:3], o[:5])\""
