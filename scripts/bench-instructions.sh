#!/usr/bin/env bash
# Where the API path's user-space time goes, without the noise: `make bench-instructions`.
#
# Throughput on a shared virtual machine moves by ±5% from run to run; instruction counts don't.
# Each server (bare axum, then Tessera for /healthz, whoami with a valid token, whoami with a wrong
# secret) runs under valgrind's callgrind, is warmed up, and then serves wrk for BENCH_SECONDS; the
# instructions executed while it did, divided by the requests served, are printed. Only user space is
# counted (the kernel's TCP work, most of a request's time, is not), and SHA-256 runs in software under
# valgrind (it hides the SHA extensions), so whoami's figure includes about 7,000 instructions that
# the CPU does in a few hundred. The callgrind files are kept for callgrind_annotate.
#   BENCH_SECONDS=10 scripts/bench-instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh
scripts/bootstrap.sh bench
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
command -v valgrind >/dev/null || {
  echo "bench-instructions: needs valgrind (apt-get install valgrind)" >&2
  exit 1
}

seconds=${BENCH_SECONDS:-10}
echo "bench-instructions: building (release)..." >&2
build_release --yardstick
target="${CARGO_TARGET_DIR:-target}"
out=${BENCH_OUT:-$target/bench-instructions}
mkdir -p "$out"

work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# measure KEY LABEL URL WRK_ARGS...: zero the counters, serve wrk, dump, print instructions/request.
measure() {
  local key=$1 label=$2 url=$3
  shift 3
  wrk -t1 -c4 -d2s "$@" "$url" >/dev/null
  callgrind_control -d "$server" >/dev/null 2>&1 # dumping also zeroes the counters
  sleep 1
  rm -f "$work"/cg.out.*
  wrk -t1 -c4 -d"${seconds}s" "$@" "$url" >"$work/$key.wrk"
  callgrind_control -d "$server" >/dev/null 2>&1
  sleep 1
  local file requests total
  file=$(ls -t "$work"/cg.out.* | head -n1)
  cp "$file" "$out/$key.callgrind"
  requests=$(awk '/requests in/ {print $1}' "$work/$key.wrk")
  total=$(awk '/^summary:/ {print $2}' "$file")
  printf '  %-34s %9d instructions/request (%s requests)\n' "$label" $((total / requests)) "$requests"
}

echo
echo "User-space instructions per request under callgrind (release build, SQLite, wrk -t1 -c4 for ${seconds}s)"
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$target/release/examples/bare_axum" 127.0.0.1:0 \
  >"$work/bare.log" 2>"$work/bare.vg" &
server=$!
url=$(announced_url "$work/bare.log" 'http://[0-9.:]*')
measure bare "bare axum GET / (yardstick)" "$url/"
kill "$server"
wait "$server" 2>/dev/null || true

TESSERA_DATA_DIR="$work/data" TESSERA_API_FAILURES_PER_MINUTE=0 LEPTOS_HASH_FILES=true \
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$target/release/tessera" serve \
  --listen 127.0.0.1:0 --site-root target/site >"$work/server.log" 2>"$work/server.vg" &
server=$!
url=$(announced_url "$work/server.log")
first_run_setup "$url" "$work/jar" bench@example.com "benchmark password" Bench
create_tokens "$url" "$work/jar" 100 bench >"$work/tokens.jsonl"
wrk_token_scripts "$work"
measure healthz "GET /healthz" "$url/healthz" -s "$work/plain.lua"
measure valid "GET /api/v1/whoami (valid token)" "$url/api/v1/whoami" -s "$work/valid.lua"
measure wrong "GET /api/v1/whoami (wrong secret)" "$url/api/v1/whoami" -s "$work/wrong.lua"
echo "callgrind files: $out (callgrind_annotate --inclusive=yes $out/valid.callgrind)"
