#!/usr/bin/env bash
# Builds Tessera (release) and serves it on SQLite. Extra arguments go to `tessera serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
cargo leptos build --release
exec "${CARGO_TARGET_DIR:-target}/release/tessera" serve --site-root target/site "$@"
