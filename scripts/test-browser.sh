#!/usr/bin/env bash
# Browser and npm package tests, against the real server (pkg/test-server, built on the
# resocket-server library) on free 127.0.0.1 ports:
#   1. wasm-bindgen-test suites (client/tests/browser_*.rs) in headless Chromium;
#   2. Vitest tests of the built npm package under Node, plus a type-check of its .d.ts
#      from a consumer's point of view;
#   3. a Playwright test of a Vite-built page using the package, in Chromium.
# Needs what scripts/setup.sh installs. Fails on the first error; stops its servers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
PIDS=()

step() { printf '\n== %s\n' "$*"; }
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server NAME [flags…]: starts a test server and sets WS_URL and CONTROL_URL.
start_server() {
  local name=$1
  shift
  "$ROOT/target/debug/resocket-test-server" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    if [ -s "$WORK/$name.out" ]; then break; fi
    sleep 0.1
  done
  local ready
  ready=$(head -n 1 "$WORK/$name.out")
  if [ -z "$ready" ]; then
    echo "test server $name did not start:" >&2
    cat "$WORK/$name.err" >&2
    exit 1
  fi
  WS_URL=$(node -e 'console.log(JSON.parse(process.argv[1]).ws)' "$ready")
  CONTROL_URL=$(node -e 'console.log(JSON.parse(process.argv[1]).control)' "$ready")
  echo "$name: $WS_URL (control $CONTROL_URL)"
}

if [ ! -d pkg/node_modules ]; then
  step "npm packages in pkg"
  (cd pkg && npm install --no-audit --no-fund --loglevel=error)
fi

step "build the test server and the npm package"
cargo build -p resocket-test-server
bash pkg/scripts/build.sh

step "wasm-bindgen-test suites in headless Chromium"
start_server wasm-tests
suites=()
for f in client/tests/browser_*.rs; do suites+=(--test "$(basename "$f" .rs)"); done
RESOCKET_TEST_WS=$WS_URL RESOCKET_TEST_CONTROL=$CONTROL_URL WASM_BINDGEN_TEST_TIMEOUT=180 \
  cargo test -p resocket --target wasm32-unknown-unknown "${suites[@]}"

step "npm package: type-check as a consumer, then Vitest against the built package"
(cd pkg && node_modules/.bin/tsc --noEmit -p tsconfig.json && node_modules/.bin/tsc --noEmit -p test/consumer/tsconfig.json)
start_server vitest
(cd pkg && RESOCKET_TEST_WS=$WS_URL RESOCKET_TEST_CONTROL=$CONTROL_URL node_modules/.bin/vitest run)

if [ -f pkg/test/e2e/run.mjs ]; then
  step "Playwright: a Vite-built page in Chromium"
  (cd pkg/test/e2e && "$ROOT/pkg/node_modules/.bin/vite" build --logLevel warn)
  start_server e2e --static-dir "$ROOT/pkg/test/e2e/dist"
  (cd pkg && node test/e2e/run.mjs "$WS_URL" "$CONTROL_URL")
fi

step "browser tests passed"
