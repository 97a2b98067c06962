#!/usr/bin/env bash
# Installs, idempotently, every tool the build and the tests need, and says what it is doing while the
# user waits. Each step checks first, so a warm run costs well under a second. Versions are pinned (see
# docs/toolchain.md for why each one).
#   scripts/bootstrap.sh          to build and run: the wasm32 target, wasm-bindgen-cli, npm build tools
#   scripts/bootstrap.sh test     plus what the tests need: Chromium, Playwright, nginx, brotli, Python
#                                 tools, cargo-fuzz, systemd (systemd-analyze verifies deploy/tessera.service)
#   scripts/bootstrap.sh bench    plus the load generator (wrk) and valgrind
#   scripts/bootstrap.sh fuzz     plus cargo-fuzz
# The installs that only download (apt, npm, pip) run in parallel with the one that compiles
# (wasm-bindgen-cli), so the wait is the longest of them, not their sum.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
CARGO_FUZZ_VERSION=0.13.1
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
want=${1:-build}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]} (about a minute)"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Build tools run for seconds per build: compiled with light optimisation they build in half the time.
light_cargo_install() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true cargo install --quiet "$@"
}

pids=()
background() { "$@" & pids+=($!); }

cargo_fuzz() {
  if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    say "compiling cargo-fuzz $CARGO_FUZZ_VERSION (about a minute)"
    background light_cargo_install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "compiling wasm-bindgen-cli $WASM_BINDGEN_VERSION (it must equal the wasm-bindgen crate; about a minute)"
  # Not --locked: its lockfile pins a yanked webpki-roots.
  background light_cargo_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt (binaryen; Debian's is too old for current Rust wasm) and esbuild (minifies the JS glue).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ]; then
  say "installing the npm build tools (binaryen, esbuild)"
  background npm ci --no-audit --no-fund --silent
fi

case "$want" in
  test)
    background apt_install chromium brotli nginx systemd
    if [ ! -d end2end/node_modules/@playwright/test ]; then
      say "installing the Playwright packages (the browser is Debian's Chromium)"
      background bash -c 'cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent'
    fi
    if [ ! -x .venv/bin/schemathesis ] || ! .venv/bin/python -c 'import aiosmtpd, standardwebhooks' 2>/dev/null; then
      say "installing the Python test tools (aiosmtpd, standardwebhooks, schemathesis) into .venv"
      background bash -c 'python3 -m venv .venv && .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt'
    fi
    cargo_fuzz
    ;;
  bench)
    background apt_install wrk brotli valgrind bc sqlite3
    ;;
  fuzz) cargo_fuzz ;;
  build) apt_install brotli ;;
esac

status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
