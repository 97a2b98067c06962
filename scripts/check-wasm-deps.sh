#!/usr/bin/env bash
# Fails if any server-only crate is in the dependency tree of the WebAssembly bundle. Hashing, the
# database and every secret stay on the server: none of these may compile into what browsers download.
#   scripts/check-wasm-deps.sh               check the frontend crate for wasm32 (the real check)
#   scripts/check-wasm-deps.sh --self-test   check the server crate instead, which MUST fail: proves the check can fail
set -euo pipefail
cd "$(dirname "$0")/.."

FORBIDDEN=(
  sqlx sqlx-core sqlx-sqlite sqlx-postgres libsqlite3-sys
  argon2 password-hash blake2 hmac sha2 subtle zeroize crc32fast
  axum leptos_axum hyper tokio tower tower-http reqwest
  rustls ring openssl openssl-sys tracing-subscriber
  totp-rs qrcode chacha20poly1305 sha1 base32
)

if [ "${1:-}" = "--self-test" ]; then
  package=server; target=$(rustc -vV | sed -n 's/^host: //p')
else
  package=frontend; target=wasm32-unknown-unknown
fi

crates=$(cargo tree --locked -p "$package" --target "$target" -e normal,no-proc-macro --prefix none --format '{p}' \
  | awk '{print $1}' | sort -u)
found=()
for name in "${FORBIDDEN[@]}"; do
  if grep -qx "$name" <<<"$crates"; then found+=("$name"); fi
done

if [ "${1:-}" = "--self-test" ]; then
  if [ ${#found[@]} -eq 0 ]; then
    echo "wasm dependency check self-test FAILED: the server tree should contain server-only crates" >&2
    exit 1
  fi
  echo "wasm dependency check self-test: detects ${#found[@]} server-only crates in the server tree (${found[*]:0:4} ...)"
  exit 0
fi

if [ ${#found[@]} -ne 0 ]; then
  echo "FAIL: server-only crates in the WebAssembly bundle's dependency tree: ${found[*]}" >&2
  echo "Find the path with: cargo tree -p frontend --target wasm32-unknown-unknown -e normal -i <crate>" >&2
  exit 1
fi
echo "wasm dependency check: $(wc -l <<<"$crates") crates in the bundle, none of ${#FORBIDDEN[@]} server-only crates"
