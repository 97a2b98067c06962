#!/usr/bin/env bash
# `make run`: builds Tessera (release) and serves it on SQLite in ./data. Extra arguments go to
# `tessera serve` (e.g. `make run ARGS="--listen 0.0.0.0:3000"`).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1mrun:\033[0m %s\n' "$*" >&2; }
started=$(date +%s)
scripts/bootstrap.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
say "building Tessera (release: the server and the site; the first build compiles every dependency, a few minutes)"
scripts/build.sh --release
say "built in $(( $(date +%s) - started ))s since 'make run' started"
# The site is inside the binary (with its content-hashed names); `--site-root target/site` would serve
# the directory instead (with LEPTOS_HASH_FILES=true: hash.txt beside the binary names the files).
exec "${CARGO_TARGET_DIR:-target}/release/tessera" serve "$@"
