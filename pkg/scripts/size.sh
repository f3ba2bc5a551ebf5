#!/usr/bin/env bash
# Prints the size of the built package (pkg/dist), raw and gzip -9, file by file.
set -euo pipefail
cd "$(dirname "$0")/../dist"
total_raw=0 total_gz=0
row() { printf '%-32s %9s %9s\n' "$@"; }
row file raw gzip
for f in wasm/resocket_wasm_bg.wasm wasm/resocket_wasm.js *.js; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz))
  row "$f" "$raw" "$gz"
done
row total "$total_raw" "$total_gz"
