#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine. Safe to run repeatedly:
# each step checks first and does nothing when its tool is already there.
#
#   bash scripts/setup.sh              everything (tests)
#   bash scripts/setup.sh --no-browser everything but Chromium (building and running)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130

step() { printf '\n== %s\n' "$*"; }

step "rust wasm target"
rustup target add wasm32-unknown-unknown >/dev/null

step "wasm-bindgen CLI $WASM_BINDGEN_VERSION"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  # No --locked: the CLI's own lockfile pins a crate version the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

WANT_BROWSER=1
[ "${1:-}" = "--no-browser" ] && WANT_BROWSER=0

step "chromium + chromedriver"
if [ "$WANT_BROWSER" = 0 ]; then
  echo "skipped"
elif ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver
fi

# `npm install`, not `npm ci`: lockfiles written here leave out the other platforms'
# optional packages (e.g. rollup's native builds), which `npm ci` then reports as
# missing. `npm install` follows the lockfile and is a no-op when nothing changed.
for dir in pkg www; do
  if [ -f "$dir/package.json" ]; then
    step "npm packages in $dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
done
