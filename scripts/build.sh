#!/usr/bin/env bash
# Builds Tessera with plain cargo: the server binary and the site (WebAssembly, JavaScript, CSS, public
# files) in target/site. It does what `cargo leptos build` does for this workspace (which stays usable
# for `cargo leptos watch` while developing), without having to compile cargo-leptos first.
#   scripts/build.sh            debug: target/debug/tessera, unhashed site files
#   scripts/build.sh --release  release: optimised wasm (wasm-opt), content-hashed file names with
#                               target/release/hash.txt, and .br/.gz files beside each asset
# Environment: CARGO_TARGET_DIR is honoured; the site is always target/site (or TESSERA_SITE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

release=false
[ "${1:-}" = "--release" ] && release=true
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
site="${TESSERA_SITE_DIR:-$PWD/target/site}"
name=tessera
# Leptos reads the output name at compile time (also set in .cargo/config.toml for plain cargo runs).
export LEPTOS_OUTPUT_NAME=$name

if $release; then
  wasm_profile=wasm-release; wasm_dir=wasm-release; bin_profile=release; bin_dir=release
else
  wasm_profile=dev; wasm_dir=debug; bin_profile=dev; bin_dir=debug
  # Debug builds erase view types (as cargo-leptos does): unoptimised, the nested types of a page are
  # deep enough to overflow a thread's stack. Release builds keep them (islands come out smaller).
  # The tests run with the same flags (scripts/test.sh), so nothing is compiled twice.
  export RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components"
fi

step() { printf '\033[2m    build: %s\033[0m\n' "$*" >&2; }

# The browser half and the server compile in parallel: they share no artefacts.
step "WebAssembly (frontend, $wasm_profile) and server ($bin_profile)"
cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile "$wasm_profile" &
wasm_pid=$!
cargo build --locked -p server --bin tessera --profile "$bin_profile"
wait "$wasm_pid"

pkg="$site/pkg"
rm -rf "$pkg"
mkdir -p "$pkg"
step "wasm-bindgen"
wasm-bindgen "$target_dir/wasm32-unknown-unknown/$wasm_dir/frontend.wasm" \
  --target web --no-typescript --out-dir "$pkg" --out-name "$name"
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
cp style/main.css "$pkg/$name.css"
cp -r public/. "$site/"

if $release; then
  step "wasm-opt -Oz"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    "$pkg/$name.wasm" -o "$pkg/$name.opt.wasm"
  mv "$pkg/$name.opt.wasm" "$pkg/$name.wasm"
  # Content-hashed names: a file's name changes exactly when its content does, so browsers may keep it
  # forever. Leptos finds the names in hash.txt beside the server binary (LEPTOS_HASH_FILES=true).
  : >"$target_dir/$bin_dir/hash.txt"
  for ext in js wasm css; do
    hash=$(sha256sum "$pkg/$name.$ext" | cut -c1-20)
    mv "$pkg/$name.$ext" "$pkg/$name.$hash.$ext"
    echo "$ext: $hash" >>"$target_dir/$bin_dir/hash.txt"
  done
  step "precompressing (brotli, gzip)"
  for file in "$pkg"/*.js "$pkg"/*.wasm "$pkg"/*.css; do
    brotli -f -q 11 -o "$file.br" "$file"
    gzip -9 -k -f "$file"
  done
else
  rm -f "$target_dir/$bin_dir/hash.txt"
fi
step "site in $site"
