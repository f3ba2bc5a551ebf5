#!/usr/bin/env bash
# Prints the size of the built package (pkg/dist), raw and gzip -9, file by file, then
# what each entry loads in a browser: `resocket` (the module, its glue, index.js and the
# chunks it shares) and what `resocket/react` adds. node.js is the Node entry only.
set -euo pipefail
cd "$(dirname "$0")/../dist"
row() { printf '%-40s %9s %9s\n' "$@"; }
raw() { cat "$@" | wc -c; }
gz() { local t=0; for f in "$@"; do t=$((t + $(gzip -9 -c "$f" | wc -c))); done; echo "$t"; }
row file raw gzip
for f in wasm/resocket_wasm_bg.wasm wasm/resocket_wasm.js index.js chunk-*.js react.js node.js; do
  row "$f" "$(raw "$f")" "$(gz "$f")"
done
browser=(wasm/resocket_wasm_bg.wasm wasm/resocket_wasm.js index.js chunk-*.js)
row "resocket (browser total)" "$(raw "${browser[@]}")" "$(gz "${browser[@]}")"
row "resocket/react adds" "$(raw react.js)" "$(gz react.js)"
