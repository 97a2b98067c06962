#!/usr/bin/env bash
# The API hot path, measured: `make bench`.
#
# Release build, SQLite, 100 tokens. The server runs pinned to CPU 0 and wrk to CPU 1 (taskset), on
# loopback, for a bounded time per endpoint. Prints requests/s and p50/p99 for a bare axum handler (the
# yardstick: server/examples/bare_axum.rs, same axum, tokio and profile), Tessera's /healthz through the
# whole middleware stack, /api/v1/whoami with valid tokens and with wrong secrets, and the ratios.
# Virtual machines are noisy (a neighbour can take 20% for a while), so the endpoints are measured in
# turn, in several rounds, and the medians are compared.
#   BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=32 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh
scripts/bootstrap.sh bench
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"

seconds=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
connections=${BENCH_CONNECTIONS:-32}
tokens=${BENCH_TOKENS:-100}
cpus=$(nproc)
if [ "$cpus" -lt 2 ]; then
  echo "bench: needs 2 CPUs to keep the server and the load generator apart (this machine has $cpus)" >&2
  exit 1
fi

echo "bench: building (release)..." >&2
build_release --yardstick
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/tessera"

work=$(mktemp -d)
trap 'kill "$server" "$bare" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

taskset -c 0 "$target/release/examples/bare_axum" 127.0.0.1:0 >"$work/bare.log" 2>&1 &
bare=$!
# A P-256 key standing in for GitHub's, for the leak-report figure at the end.
openssl ecparam -name prime256v1 -genkey -noout -out "$work/github.key" 2>/dev/null
python3 scripts/lib/github_report.py keys "$work"
# The failure limit is off so that "wrong secret" measures verification, not the 429 that would follow.
started_ns=$(date +%s%N)
TESSERA_DATA_DIR="$work/data" TESSERA_API_FAILURES_PER_MINUTE=0 \
  TESSERA_GITHUB_KEYS_FILE="$work/github-keys.json" \
  taskset -c 0 "$bin" serve --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server=$!
url=$(announced_url "$work/server.log")
until curl -sf -o /dev/null "$url/readyz"; do sleep 0.005; done
ready_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }
bare_url=$(announced_url "$work/bare.log" 'http://[0-9.:]*')

jar="$work/cookies"
first_run_setup "$url" "$jar" bench@example.com "benchmark password" Bench
sleep 1
rss_idle=$(rss_mib)
create_tokens "$url" "$jar" "$tokens" bench >"$work/tokens.jsonl"
# As many tokens with all three restrictions (issue 25): a viewer ceiling, an allowlist that lets loopback
# in after two other networks, and a rate limit no run reaches (100 tokens share < 10,000 requests/s).
for i in $(seq 1 "$tokens"); do
  curl -sf -b "$jar" -H 'accept: application/json' --data "name=restricted+$i&expires_in_days=30&ceiling=viewer&allowed_ips=10.0.0.0%2F8%2C2001%3Adb8%3A%3A%2F32%2C127.0.0.1&rate_limit_per_minute=100000" "$url/rpc/tokens/create"
  echo
done >"$work/restricted.jsonl"
wrk_token_scripts "$work"

run() { # key, label, url, script, round
  taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/$4.lua" "$3" >"$work/$1.out"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$1.out")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$1.out")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1.out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/$1.out")
  printf '  round %s  %-34s %12s req/s   p50 %9s   p99 %9s   non-2xx %s\n' "$5" "$2" "$rps" "$p50" "$p99" "${non2xx:-0}"
  echo "$rps $p50 $p99" >>"$work/$1.runs"
}

echo
echo "Tessera API benchmark: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cpus CPUs"
echo "release build, SQLite, $tokens tokens, wrk -t1 -c$connections, $rounds rounds of ${seconds}s each; servers on CPU 0, wrk on CPU 1"
echo
taskset -c 1 wrk -t1 -c"$connections" -d2s "$bare_url/" >/dev/null # warm-up
for key in plain valid wrong restricted; do
  taskset -c 1 wrk -t1 -c"$connections" -d2s -s "$work/$key.lua" "$url/api/v1/whoami" >/dev/null
done
# Resident memory under load: sampled in the middle of a whoami run.
taskset -c 1 wrk -t1 -c"$connections" -d3s -s "$work/valid.lua" "$url/api/v1/whoami" >/dev/null &
load=$!
sleep 1.5
rss_load=$(rss_mib)
wait "$load"
for round in $(seq 1 "$rounds"); do
  run bare "bare axum GET / (yardstick)" "$bare_url/" plain "$round"
  run healthz "GET /healthz" "$url/healthz" plain "$round"
  run valid "GET /api/v1/whoami (valid token)" "$url/api/v1/whoami" valid "$round"
  run wrong "GET /api/v1/whoami (wrong secret)" "$url/api/v1/whoami" wrong "$round"
  run restricted "GET /api/v1/whoami (3 restrictions)" "$url/api/v1/whoami" restricted "$round"
done
echo
python3 - "$work" <<'PY'
import statistics, sys
w = sys.argv[1]
def runs(name):
    return [line.split() for line in open(f"{w}/{name}.runs")]
def median_rps(name):
    return statistics.median(float(r[0]) for r in runs(name))
labels = {"bare": "bare axum GET / (yardstick)", "healthz": "GET /healthz", "valid": "GET /api/v1/whoami (valid token)", "wrong": "GET /api/v1/whoami (wrong secret)", "restricted": "GET /api/v1/whoami (3 restrictions)"}
print("medians over the rounds:")
for key, label in labels.items():
    rows = runs(key)
    best = max(rows, key=lambda r: float(r[0]))
    print(f"  {label:<34} {median_rps(key):12.0f} req/s   (best round: p50 {best[1]}, p99 {best[2]})")
bare, health, valid, wrong = (median_rps(k) for k in ("bare", "healthz", "valid", "wrong"))
print(f"ratio whoami/bare axum:      {valid / bare:.2f} (goal >= 0.60)")
print(f"ratio healthz/bare axum:     {health / bare:.2f}")
print(f"ratio whoami/healthz:        {valid / health:.2f}")
print(f"ratio wrong-secret/valid:    {wrong / valid:.2f} (a wrong secret costs no more than a right one when >= 1.00)")
restricted = median_rps("restricted")
print(f"ratio restricted/valid:      {restricted / valid:.2f} (ceiling, allowlist and rate limit cost at most 10 % when >= 0.90)")
PY

# Token creation (the dashboard's server function, 8 clients at once), then the tokens page rendered on
# the server with every token created so far in the organization (topped up to 10,000).
cookies=$(cookie_header "$jar")
cat >"$work/create.lua" <<LUA
wrk.method = "POST"
wrk.body = "name=created+by+bench&expires_in_days=30"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Cookie"] = "$cookies"
LUA
taskset -c 1 wrk -t1 -c8 -d"${seconds}s" -s "$work/create.lua" "$url/rpc/tokens/create" >"$work/create.out"
created=$(awk '/requests in/ {print $1}' "$work/create.out")
failed=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/create.out")
echo
printf 'token creation, 8 clients:       %s tokens/s (%s created, %s refused; goal >= 1000/s)\n' \
  "$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/create.out")" "$created" "${failed:-0}"
have=$(( tokens + created - ${failed:-0} ))
while [ "$have" -lt 10000 ]; do
  taskset -c 1 wrk -t1 -c8 -d1s -s "$work/create.lua" "$url/rpc/tokens/create" >"$work/more.out"
  have=$(( have + $(awk '/requests in/ {print $1}' "$work/more.out") ))
done
for _ in 1 2 3; do curl -sf -o /dev/null -H "Cookie: $cookies" "$url/app/settings/api"; done
for _ in $(seq 1 21); do
  curl -sf -o /dev/null -w '%{time_starttransfer}\n' -H "Cookie: $cookies" "$url/app/settings/api"
done | sort -n | awk -v n="$have" '{t[NR] = $1} END {printf "tokens page, %d tokens, server-rendered: median %.1f ms (goal < 50 ms)\n", n, t[11] * 1000}'

# The footprint (README, "Footprint"): what it costs to run.
strip -o "$work/tessera.stripped" "$bin"
db_bytes=$(cat "$work/data/tessera.db" "$work/data/tessera.db-wal" 2>/dev/null | wc -c)
audit=$(sqlite3 "file:$work/data/tessera.db?mode=ro" 'SELECT COUNT(*) FROM audit_events' 2>/dev/null || echo "?")
echo
echo "footprint:"
printf '  binary, stripped (site inside):   %.1f MiB\n' "$(echo "$(stat -c %s "$work/tessera.stripped") / 1048576" | bc -l)"
printf '  start-up to /readyz:              %s ms\n' "$ready_ms"
printf '  resident memory idle:             %s MiB (after setup, %s tokens)\n' "$rss_idle" "$tokens"
printf '  resident memory under load:       %s MiB (whoami, %s connections)\n' "$rss_load" "$connections"
printf '  database per 10,000 tokens:       %.1f MiB (%s tokens, %s audit events: %s bytes with the WAL)\n' \
  "$(echo "$db_bytes * 10000 / $have / 1048576" | bc -l)" "$have" "$audit" "$db_bytes"

# Leak response: one GitHub secret-scanning report of 1,000 secrets (the first tokens, the rest made up
# but well-formed), with 10,000 tokens in the database.
python3 scripts/lib/github_report.py report "$work" "$url"

# Memory: 1,000 sign-in attempts, right and wrong, leave the server under 100 MiB.
kill "$server" "$bare" 2>/dev/null || true
scripts/bench-memory.sh
