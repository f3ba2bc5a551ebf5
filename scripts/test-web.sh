#!/usr/bin/env bash
# React bindings and demo app tests:
#   1. the resocket/react hooks (Vitest + Testing Library in jsdom) against the real test
#      server (pkg/test-server, started by the tests on free 127.0.0.1 ports);
#   2. the chat demo (www/) built with Vite and driven in two Chromium contexts by
#      Playwright against resocket-server, which the test starts on a free port.
# Builds what it needs (the npm package only when its sources changed). Needs what
# scripts/setup.sh installs. Fails on the first error; the tests stop their servers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

step() { printf '\n== %s\n' "$*"; }

# npm install, not npm ci, as in setup.sh: npm ci rejects lockfiles written on this
# machine (they lack other platforms' optional packages, which its registry does not
# serve); npm install takes the locked versions and leaves the lockfile as it is.
for dir in pkg www; do
  if [ ! -d "$dir/node_modules" ]; then
    step "npm packages in $dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
done

step "build resocket-server and the test server"
cargo build -p resocket-server -p resocket-test-server

# pkg/scripts/build.sh is idempotent but takes a minute: run it only when dist/ is
# missing or older than a source it is built from.
stamp=pkg/dist/wasm/resocket_wasm_bg.wasm
if [ ! -f "$stamp" ] || [ ! -f pkg/dist/react.js ] ||
  [ -n "$(find pkg/src pkg/wasm client/src protocol/src pkg/tsconfig.build.json -newer pkg/dist/react.js -print -quit)" ]; then
  step "build the npm package"
  bash pkg/scripts/build.sh
else
  step "the npm package in pkg/dist is up to date"
fi

step "resocket/react: type-check the tests, then Vitest in jsdom against the test server"
(cd pkg && node_modules/.bin/tsc -p test/react/tsconfig.json &&
  node_modules/.bin/vitest run --config test/react/vitest.config.ts)

step "chat demo: type-check and build www/dist"
(cd www && node_modules/.bin/tsc --noEmit -p tsconfig.json && node_modules/.bin/vite build --logLevel warn)

step "chat demo: Playwright in Chromium against resocket-server (screenshots in artifacts/)"
(cd www && RESOCKET_SERVER="$ROOT/target/debug/resocket-server" node e2e/chat.e2e.mjs)

step "web tests passed"
