#!/usr/bin/env bash
# Builds the npm package and the demo chat, then runs the reference server with the demo
# at http://127.0.0.1:8080/ (WebSocket endpoint ws://127.0.0.1:8080/ws). Installs what
# the build needs on a fresh machine first. Extra arguments go to the server
# (`bash scripts/run.sh --help` lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --no-browser

printf '\n== building the npm package (wasm core + TypeScript)\n'
bash pkg/scripts/build.sh

if [ -f www/package.json ]; then
  printf '\n== building the demo (www/dist)\n'
  (cd www && npm run build)
fi

printf '\n== starting resocket-server\n'
# The server serves www/dist (relative to the repository root) when it exists.
exec cargo run --release -p resocket-server -- "$@"
