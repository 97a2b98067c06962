#!/usr/bin/env bash
# Several instances on PostgreSQL: `make bench-cluster`.
#
# 1. Throughput of /api/v1/whoami on one instance over PostgreSQL, with the token cache off (the default:
#    every request checks the database) and on (LISTEN/NOTIFY), against /healthz; server on CPU 0, wrk on 1.
#    The requests go round-robin over 32 tokens (so concurrent lookups are not all for the same token),
#    and once more all with one token. PostgreSQL (a local server) is pinned to CPU 1 beside wrk for the
#    run, so that it does not land on Tessera's core at the scheduler's whim: unpinned, the same build
#    measured anywhere from 14,000 to 28,000 requests/s from run to run. One more line measures it
#    unpinned. (The affinity is restored on exit; set BENCH_PIN_POSTGRES=0 to leave it alone.)
# 2. The revocation delay between two instances with the cache on: p50/p99/max over 1,000 deletes.
# Needs PostgreSQL (TESSERA_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh
scripts/bootstrap.sh bench
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"

admin_url=${TESSERA_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
seconds=${BENCH_SECONDS:-10}
deletes=${BENCH_DELETES:-1000}
db="tessera_bench_$$"
export PGOPTIONS="-c client_min_messages=warning"
db_url="${admin_url%/*}/$db"

build_release
bin="${CARGO_TARGET_DIR:-target}/release/tessera"
work=$(mktemp -d)
pids=()
pin=${BENCH_PIN_POSTGRES:-1}
pin_postgres() { # cpus
  [ "$pin" = 1 ] || return 0
  for p in $(pgrep -x postgres); do taskset -a -p -c "$1" "$p" >/dev/null 2>&1 || true; done
}
cleanup() {
  pin_postgres "0-$(( $(nproc) - 1 ))"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fresh_database() {
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
  rm -rf "$work"/a "$work"/b
}

start() { # name cpu cache [key]
  local name=$1 cpu=$2 cache=$3 key=${4:-}
  TESSERA_DATA_DIR="$work/$name" TESSERA_DATABASE_URL="$db_url" TESSERA_TOKEN_CACHE="$cache" \
    TESSERA_API_FAILURES_PER_MINUTE=0 TESSERA_SECRET_KEY="$key" \
    LEPTOS_HASH_FILES=true taskset -c "$cpu" "$bin" serve --listen 127.0.0.1:0 --site-root target/site >"$work/$name.log" 2>&1 &
  pids+=($!)
  url=$(announced_url "$work/$name.log") || exit 1
  eval "url_$name=$url"
}

stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

wrk_rps() { # url [id secret | lua-script]
  local args=(-t1 -c32 --latency)
  [ $# -eq 2 ] && args+=(-s "$2")
  [ $# -eq 3 ] && args+=(-H "X-ZeroPath-API-Token-Id: $2" -H "X-ZeroPath-API-Token-Secret: $3")
  taskset -c 1 wrk "${args[@]}" -d2s "$1" >/dev/null
  taskset -c 1 wrk "${args[@]}" -d"${seconds}s" "$1" >"$work/wrk.out"
  printf '%s req/s, p50 %s, p99 %s' "$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")" \
    "$(awk '$1 == "50%" {print $2}' "$work/wrk.out")" "$(awk '$1 == "99%" {print $2}' "$work/wrk.out")"
}

echo "Tessera on PostgreSQL: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
for cache in off on; do
  fresh_database
  start a 0 "$cache"
  jar="$work/jar"
  first_run_setup "$url_a" "$jar" bench@example.com "benchmark password" Bench
  create_tokens "$url_a" "$jar" 32 >"$work/tokens.jsonl"
  wrk_token_scripts "$work"
  read -r id secret <"$work/one"
  sleep 1 # the listener connects
  pin_postgres 1
  echo "one instance, token cache $cache:"
  echo "  GET /healthz                          $(wrk_rps "$url_a/healthz")"
  echo "  GET /api/v1/whoami (32 tokens)        $(wrk_rps "$url_a/api/v1/whoami" "$work/valid.lua")"
  echo "  GET /api/v1/whoami (all the same one) $(wrk_rps "$url_a/api/v1/whoami" "$id" "$secret")"
  if [ "$cache" = off ] && [ "$pin" = 1 ]; then
    pin_postgres "0-$(( $(nproc) - 1 ))"
    echo "  ... PostgreSQL unpinned, 32 tokens  $(wrk_rps "$url_a/api/v1/whoami" "$work/valid.lua")"
  fi
  curl -sf "$url_a/metrics" | awk '/^tessera_token_lookups_total/ {l = $2} /^tessera_token_lookup_statements_total/ {s = $2}
    END {if (s > 0) printf "  token lookups: %d in %d statements (%.1f per statement)\n", l, s, l / s}'
  stop_all
done

fresh_database
start a 0 on
key=$(cat "$work/a/secret.key")
start b 0 on "$key"
sleep 1
echo "two instances, token cache on:"
python3 scripts/bench_revocation.py "$url_a" "$url_b" "$deletes"
