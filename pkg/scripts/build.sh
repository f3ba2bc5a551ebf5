#!/usr/bin/env bash
# Builds the npm package into pkg/dist: the WebAssembly module (cargo → wasm-bindgen →
# wasm-opt) and the TypeScript layer on top of it.
#
#   bash pkg/scripts/build.sh        (needs `npm install` in pkg/ first; scripts/setup.sh does it)
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=$PWD
ROOT=$(cd .. && pwd)
OUT=$PKG/wasm-out/wasm

step() { printf '== %s\n' "$*"; }

step "cargo build (profile wasm: release, opt-level z)"
(cd "$ROOT" && cargo build -p resocket-wasm --profile wasm --target wasm32-unknown-unknown)
MODULE=$ROOT/target/wasm32-unknown-unknown/wasm/resocket_wasm.wasm

step "wasm-bindgen --target web"
rm -rf "$OUT" && mkdir -p "$OUT"
wasm-bindgen "$MODULE" --target web --out-dir "$OUT" \
  --remove-name-section --remove-producers-section

step "wasm-opt -Oz --converge"
# binaryen from npm (Debian's wasm-opt 108 produces modules that fail to load). The
# features are those rustc enables by default for wasm32-unknown-unknown. `--converge`
# repeats the passes while they still shrink the module (a few hundred bytes). The module
# owns its memory, which starts zeroed, and rustc places nothing in its first kilobyte:
# `--zero-filled-memory` and `--low-memory-unused` let wasm-opt use both facts.
"$PKG/node_modules/.bin/wasm-opt" -Oz --converge --strip-debug --strip-producers \
  --strip-target-features --zero-filled-memory --low-memory-unused \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$OUT/resocket_wasm_bg.wasm" -o "$OUT/resocket_wasm_bg.opt.wasm"
mv "$OUT/resocket_wasm_bg.opt.wasm" "$OUT/resocket_wasm_bg.wasm"

step "tsc (declarations) and esbuild (bundled, minified entries)"
rm -rf "$PKG/dist"
"$PKG/node_modules/.bin/tsc" -p "$PKG/tsconfig.build.json" --emitDeclarationOnly
# One minified file per entry plus the chunks they share, so `resocket` and
# `resocket/react` use the same `Client` class. The wasm-bindgen glue stays a module of
# its own next to the .wasm file it loads with `new URL(…, import.meta.url)` (which
# bundlers such as Vite follow), minified on its own.
"$PKG/node_modules/.bin/esbuild" src/index.ts src/react.ts src/node.ts \
  --bundle --splitting --format=esm --target=es2022 --minify --legal-comments=none \
  --external:react --external:node:fs --external:./wasm/resocket_wasm.js \
  --chunk-names=chunk-[hash] --outdir="$PKG/dist" --log-level=warning
mkdir -p "$PKG/dist/wasm"
"$PKG/node_modules/.bin/esbuild" "$OUT/resocket_wasm.js" --format=esm --target=es2022 \
  --minify --legal-comments=none --outfile="$PKG/dist/wasm/resocket_wasm.js" --log-level=warning
cp "$OUT/resocket_wasm.d.ts" "$OUT/resocket_wasm_bg.wasm" "$PKG/dist/wasm/"

bash "$PKG/scripts/size.sh"
