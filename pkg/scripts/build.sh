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
# repeats the passes while they still shrink the module (a few hundred bytes).
"$PKG/node_modules/.bin/wasm-opt" -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$OUT/resocket_wasm_bg.wasm" -o "$OUT/resocket_wasm_bg.opt.wasm"
mv "$OUT/resocket_wasm_bg.opt.wasm" "$OUT/resocket_wasm_bg.wasm"

step "tsc"
rm -rf "$PKG/dist"
"$PKG/node_modules/.bin/tsc" -p "$PKG/tsconfig.build.json"
mkdir -p "$PKG/dist/wasm"
cp "$OUT/resocket_wasm.js" "$OUT/resocket_wasm.d.ts" "$OUT/resocket_wasm_bg.wasm" "$PKG/dist/wasm/"

bash "$PKG/scripts/size.sh"
