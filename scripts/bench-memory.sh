#!/usr/bin/env bash
# Memory under a sign-in flood: `make bench-memory` (also the last part of `make bench`).
#
# Release build, SQLite, 10 accounts made with `tessera user create`. 1,000 sign-in attempts over real
# HTTP, 16 at a time: half with the right password, a quarter with a wrong one (25 per account, within
# the per-account limit of 100 an hour) and a quarter for emails without an account (checked against the
# dummy hash, so they cost a hash too). The per-address limit (20 failures per 15 minutes) is passed the
# way a server behind a reverse proxy sees many clients: it trusts 127.0.0.1 as its proxy and every
# attempt carries an X-Forwarded-For address of its own (127.77.x.y, a header value only: nothing is ever
# sent to it). Prints the server's resident memory idle, at its peak (VmHWM) and after the attempts, and
# fails when the memory after is above the limit.
#   BENCH_MEMORY_ATTEMPTS=1000 BENCH_MEMORY_CLIENTS=16 BENCH_MEMORY_LIMIT_MIB=100 scripts/bench-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh

attempts=${BENCH_MEMORY_ATTEMPTS:-1000}
clients=${BENCH_MEMORY_CLIENTS:-16}
limit_mib=${BENCH_MEMORY_LIMIT_MIB:-100}
accounts=10
password="bench memory password"

echo "bench-memory: building the server (release)..." >&2
cargo build --locked --release -p server --bin tessera >/dev/null 2>&1 ||
  cargo build --locked --release -p server --bin tessera
bin="${CARGO_TARGET_DIR:-target}/release/tessera"

work=$(mktemp -d)
server=""
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export TESSERA_DATA_DIR="$work/data" RUST_LOG=warn
# Administration commands never set up an installation of their own: migrate makes it.
"$bin" migrate >/dev/null
for i in $(seq 1 "$accounts"); do
  echo "$password" | "$bin" user create --email "user$i@example.com" >/dev/null
done

TESSERA_TRUSTED_PROXIES=127.0.0.1 "$bin" serve --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server=$!
url=$(announced_url "$work/server.log")

kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
sleep 1
idle=$(kib VmRSS)

python3 - "$url" "$attempts" "$clients" "$accounts" "$password" >"$work/statuses" <<'PY'
import collections, concurrent.futures, http.client, sys, time, urllib.parse

url, attempts, clients, accounts, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
host = urllib.parse.urlsplit(url).netloc

def attempt(i):
    kind = ("right", "right", "wrong", "unknown")[i % 4]
    email = f"user{i % accounts + 1}@example.com" if kind != "unknown" else f"nobody{i}@example.com"
    given = password if kind == "right" else f"wrong password {i}"
    body = urllib.parse.urlencode({"email": email, "password": given})
    conn = http.client.HTTPConnection(host, timeout=120)
    conn.request("POST", "/rpc/auth/login", body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "X-Forwarded-For": f"127.77.{i // 250}.{i % 250 + 1}",
    })
    status = conn.getresponse().status
    conn.close()
    return kind, status

started = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(clients) as pool:
    counts = collections.Counter(pool.map(attempt, range(attempts)))
for (kind, status), n in sorted(counts.items()):
    print(kind, status, n)
print("seconds", f"{time.monotonic() - started:.1f}", 0)
PY
sleep 2
after=$(kib VmRSS)
peak=$(kib VmHWM)
threads=$(awk '$1 == "Threads:" {print $2}' "/proc/$server/status")

echo
echo "Memory under sign-in attempts: $attempts attempts, $clients at a time, release build, SQLite, $(nproc) CPUs"
awk '$1 != "seconds" {printf "  %-8s password  HTTP %s  x %s\n", $1, $2, $3}' "$work/statuses"
awk '$1 == "seconds" {printf "  in %s s (%.0f attempts/s)\n", $2, '"$attempts"' / $2}' "$work/statuses"
printf '  server RSS idle:  %6s MiB\n' "$(mib "$idle")"
printf '  server RSS peak:  %6s MiB (VmHWM)\n' "$(mib "$peak")"
printf '  server RSS after: %6s MiB (limit %s MiB); %s threads\n' "$(mib "$after")" "$limit_mib" "$threads"

unexpected=$(awk '$1 == "seconds" {next} ($1 == "right" && $2 != 200) || ($1 != "right" && ($2 < 400 || $2 == 429 || $2 >= 500)) {n += $3} END {print n + 0}' "$work/statuses")
if [ "$unexpected" -gt 0 ]; then
  echo "bench-memory: $unexpected attempts got an unexpected answer (a right password must sign in, a wrong one be refused, none limited)" >&2
  exit 1
fi
if [ "$after" -gt $((limit_mib * 1024)) ]; then
  echo "bench-memory: the server holds $(mib "$after") MiB after the attempts, above the limit of $limit_mib MiB" >&2
  exit 1
fi
