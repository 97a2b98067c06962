#!/usr/bin/env bash
# `make bench-page`: the tokens page (signed in, 5 tokens) over a slow mobile link, release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh
scripts/bootstrap.sh test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
echo "bench-page: building (release)..." >&2
build_release
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
TESSERA_DATA_DIR="$work/data" LEPTOS_HASH_FILES=true \
  "${CARGO_TARGET_DIR:-target}/release/tessera" serve --listen 127.0.0.1:0 --site-root target/site >"$work/server.log" 2>&1 &
server=$!
url=$(announced_url "$work/server.log")
jar="$work/cookies"
first_run_setup "$url" "$jar" bench@example.com "benchmark password" Bench
create_tokens "$url" "$jar" 5 "CI pipeline" >/dev/null
cookies=$(cookie_header "$jar")
echo "Tokens page, signed in, 5 tokens; Chromium $(chromium --version 2>/dev/null | awk '{print $2}'), link 1.6 Mbit/s down, 150 ms RTT"
node scripts/bench-page.mjs "$url" "$cookies"
