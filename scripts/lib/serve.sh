# Sourced by the scripts that start a Tessera of their own (bench, bench-page, bench-cluster, api-fuzz).

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
