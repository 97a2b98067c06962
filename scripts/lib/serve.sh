# Sourced by the scripts that start a Tessera of their own (bench, bench-instructions, bench-page,
# bench-cluster, api-fuzz).

# build_release [--yardstick]: the release server and site (and with --yardstick the bare axum example the
# benchmarks compare with), quietly; when a build fails it runs again in the open, so its errors show.
build_release() {
  scripts/build.sh --release >/dev/null 2>&1 || scripts/build.sh --release
  if [ "${1:-}" = --yardstick ]; then
    cargo build --locked --release -p server --example bare_axum >/dev/null 2>&1 ||
      cargo build --locked --release -p server --example bare_axum
  fi
}

# announced_url LOG [PATTERN]: the URL a freshly started server printed to LOG (waits up to 10 s); shows
# the log and fails when none appears.
announced_url() {
  local log=$1 pattern=${2:-'Tessera is running at http://[0-9.:]*'} url=""
  for _ in $(seq 1 100); do
    url=$(grep -o "$pattern" "$log" | grep -o 'http://[0-9.:]*' | head -n1 || true)
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}

# first_run_setup URL JAR EMAIL PASSWORD ORGANIZATION: creates the owner and signs in; the session cookie
# lands in the cookie jar JAR.
first_run_setup() {
  curl -sf -c "$2" -b "$2" -H 'accept: application/json' \
    --data-urlencode "email=$3" --data-urlencode "password=$4" --data-urlencode "organization=$5" \
    "$1/rpc/auth/setup" >/dev/null
}

# cookie_header JAR: the jar's cookies as one Cookie header value.
cookie_header() {
  awk '!/^#/ && NF >= 7 {printf "%s%s=%s", (n++ ? "; " : ""), $6, $7} /^#HttpOnly_/ {printf "%s%s=%s", (n++ ? "; " : ""), $6, $7}' "$1"
}

# create_tokens URL JAR N [NAME]: N tokens, created as the signed-in person in JAR (named "NAME 1" …
# "NAME N", or unnamed without NAME); each creation's JSON answer (with its secret) on a line of stdout.
create_tokens() {
  local i name
  for i in $(seq 1 "$3"); do
    name=${4:+name=${4// /+}+$i&}
    curl -sf -b "$2" -H 'accept: application/json' --data "${name}expires_in_days=30" "$1/rpc/tokens/create"
    echo
  done
}

# wrk_token_scripts DIR: from DIR/tokens.jsonl (create_tokens' output), the wrk scripts DIR/valid.lua,
# DIR/wrong.lua and DIR/plain.lua, and DIR/one with the first token's id and secret.
wrk_token_scripts() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/wrk_tokens.py" "$1"
}
