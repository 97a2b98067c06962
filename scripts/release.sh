#!/usr/bin/env bash
# Release build of the server and the site, and the size of what browsers download.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
cargo leptos build --release
wasm=target/site/pkg/tessera.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
printf 'release wasm: %s bytes raw, %s bytes gzip -9 (%s)\n' "$raw" "$gz" "$wasm"
