#!/usr/bin/env bash
# Runs the whole test suite, installing what it needs first (see setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "rust tests (protocol, client core, server, end to end)"
cargo test --workspace

step "protocol without the JSON encoding (as in the npm package's module)"
cargo test -p resocket-protocol --no-default-features --lib

step "client core compiles for wasm32"
cargo check -p resocket --target wasm32-unknown-unknown
cargo check -p resocket --target wasm32-unknown-unknown --no-default-features

for suite in scripts/test-browser.sh scripts/test-web.sh; do
  if [ -f "$suite" ]; then
    step "$suite"
    bash "$suite"
  fi
done
