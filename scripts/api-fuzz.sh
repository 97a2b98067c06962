#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document with schemathesis (from PyPI, in .venv): every
# operation gets generated valid and invalid requests, and every answer is checked against the document
# (status codes, content types, schemas) and for server errors. Bounded by API_FUZZ_SECONDS (default 60).
# `make test` runs it on the debug binary the integration tests built.
#   scripts/api-fuzz.sh [path/to/tessera]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh
bin="${1:-${CARGO_TARGET_DIR:-target}/debug/tessera}"
seconds=${API_FUZZ_SECONDS:-60}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
# Failing requests are limited per address; the fuzzer sends thousands on purpose.
TESSERA_DATA_DIR="$work/data" TESSERA_API_FAILURES_PER_MINUTE=0 RUST_LOG=warn \
  "$bin" serve --listen 127.0.0.1:0 --site-root target/site >"$work/server.log" 2>&1 &
server=$!
url=$(announced_url "$work/server.log")
jar="$work/cookies"
first_run_setup "$url" "$jar" fuzz@example.com "fuzzing password" Fuzz
# Some tokens for the fuzzer to find, and the admin's token it calls with.
create_tokens "$url" "$jar" 3 other >/dev/null
token=$(curl -sf -b "$jar" -H 'accept: application/json' --data 'name=fuzzer&expires_in_days=30' "$url/rpc/tokens/create")
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$token")
secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$token")
# The operations that end the calling token would end the run: they have their own tests.
.venv/bin/schemathesis run "$url/api/v1/openapi.json" \
  -H "X-ZeroPath-API-Token-Id: $id" -H "X-ZeroPath-API-Token-Secret: $secret" \
  --exclude-path-regex '/tokens/current|/revoke-tokens|/tokens/revoke-all' \
  --phases examples,coverage,fuzzing --checks all --max-time "$seconds" --workers 1 \
  --suppress-health-check all --warnings off --no-color
grep -E 'panicked|ERROR' "$work/server.log" && { echo "api-fuzz: the server logged errors (above)" >&2; exit 1; } || true
