#!/usr/bin/env bash
# Installs, idempotently, every tool the build and the tests need. Each step checks first, so a warm run
# costs a few hundred milliseconds. Versions are pinned: see shared TOOLCHAIN notes in docs/toolchain.md.
#   scripts/bootstrap.sh          tools to build and run (wasm target, cargo-leptos, wasm-bindgen, wasm-opt)
#   scripts/bootstrap.sh test     plus what the tests need (chromium, end2end npm packages)
#   scripts/bootstrap.sh bench    plus the load generator (wrk)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 11 minutes on 2 cores, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (must equal the wasm-bindgen crate version)"
  # Not --locked: its lockfile pins a yanked webpki-roots.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt for release builds: the npm build of binaryen (Debian's is too old for current Rust wasm).
if [ ! -x node_modules/.bin/wasm-opt ]; then
  say "installing binaryen (wasm-opt) from npm"
  npm ci --no-audit --no-fund --silent
fi

if [ "${1:-}" = "bench" ]; then
  apt_install wrk
fi

if [ "${1:-}" = "test" ]; then
  apt_install chromium
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    say "installing the end2end npm packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
fi
