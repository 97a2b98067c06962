#!/usr/bin/env bash
# Runs every test. Installs what is missing first. With CI=true, an unreachable PostgreSQL is a failure.
#
# Everything compiles once: the lints run as the compiler of the workspace's own crates
# (clippy-driver as RUSTC_WORKSPACE_WRAPPER), so the build the tests run is the build that was linted,
# and one `cargo test` invocation builds the core, the app and the server with one set of features.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

started=$(date +%s)
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  "$@"
  printf '\033[2m    %s: %ss (%ss so far)\033[0m\n' "$name" "$(( $(date +%s) - t0 ))" "$(( $(date +%s) - started ))"
}

step "install missing tools" scripts/bootstrap.sh test

pg_url="${TESSERA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_hostport=$(sed -E 's#^[a-z]+://([^@/]*@)?([^/?]+).*#\2#' <<<"$pg_url")
pg_host=${pg_hostport%:*}; pg_port=${pg_hostport##*:}; [ "$pg_port" = "$pg_hostport" ] && pg_port=5432
if (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; then
  export TESSERA_TEST_POSTGRES_URL="$pg_url"
  echo "PostgreSQL at $pg_host:$pg_port: the database tests run on SQLite and PostgreSQL"
elif [ "${CI:-}" = "true" ]; then
  echo "FAIL: PostgreSQL is not reachable at $pg_host:$pg_port, and CI=true requires the PostgreSQL tests" >&2
  exit 1
else
  unset TESSERA_TEST_POSTGRES_URL
  echo "warning: PostgreSQL is not reachable at $pg_host:$pg_port; its tests are SKIPPED (CI=true makes this an error)" >&2
fi

# The same flags for every cargo command below (and scripts/build.sh): nothing is built twice.
export RUSTFLAGS="--cfg erase_components"
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
packages=(-p tessera-core -p app -p server --features tessera-core/server,app/ssr)

step "formatting" cargo fmt --all --check
step "wasm bundle holds no server-only crate" scripts/check-wasm-deps.sh
step "... and that check can fail" scripts/check-wasm-deps.sh --self-test
step "no import cycle between the modules of a crate, at any level" python3 scripts/check-module-cycles.py core/src app/src server/src
step "... and that check can fail" python3 scripts/check-module-cycles.py --self-test
step "the systemd unit verifies (systemd-analyze), the files of make dist exist" scripts/check-deploy.sh
step "... and that check can fail" scripts/check-deploy.sh --self-test
# The site before the server: the server binary embeds it (server/src/http/site.rs).
step "build and lint: the browser bundle, and the site" scripts/build.sh --site
step "build and lint: core, app, server, their tests" cargo test --locked "${packages[@]}" --no-run
step "unit and integration tests (SQLite and PostgreSQL)" cargo test --locked "${packages[@]}"
step "browser tests (Playwright, Debian Chromium)" \
  env TESSERA_BIN="$target_dir/debug/tessera" TESSERA_SITE_ROOT="$PWD/target/site" \
  bash -c 'cd end2end && npx playwright test'
step "the REST API fuzzed against its OpenAPI document (schemathesis, ${API_FUZZ_SECONDS:=30}s)" \
  env API_FUZZ_SECONDS="$API_FUZZ_SECONDS" scripts/api-fuzz.sh "$target_dir/debug/tessera"
# The fuzz targets are their own workspace, built without the lint wrapper (cargo-fuzz sets its flags).
step "coverage-guided fuzzing of the input parsers (cargo-fuzz, ${FUZZ_SECONDS:=5}s each)" \
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS -u RUSTFLAGS FUZZ_SECONDS="$FUZZ_SECONDS" scripts/fuzz.sh

printf '\n\033[1mall tests passed in %ss\033[0m\n' "$(( $(date +%s) - started ))"
