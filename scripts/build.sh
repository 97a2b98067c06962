#!/usr/bin/env bash
# Builds Tessera with plain cargo: the server binary and the site (WebAssembly, JavaScript, CSS, public
# files) in target/site. It does what `cargo leptos build` does for this workspace, without compiling
# cargo-leptos first (which stays usable for `cargo leptos watch` while developing).
#   scripts/build.sh             debug: target/debug/tessera and the site
#   scripts/build.sh --site      debug: the site only (the tests build the server binary themselves,
#                                after it: the server embeds target/site when it compiles)
#   scripts/build.sh --release   release: optimised (wasm-opt) and minified (esbuild)
# Every mode names the assets by content hash (hash.txt beside the server binary; serve with
# LEPTOS_HASH_FILES=true) and puts .br and .gz files beside each.
# CARGO_TARGET_DIR is honoured; the site goes to target/site (or TESSERA_SITE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"

mode=debug
case "${1:-}" in
  --release) mode=release ;;
  --site) mode=site ;;
  "") ;;
  *) echo "usage: scripts/build.sh [--release | --site]" >&2; exit 2 ;;
esac
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
site="${TESSERA_SITE_DIR:-$PWD/target/site}"
name=tessera
# Leptos reads the output name at compile time (also set in .cargo/config.toml for plain cargo runs).
export LEPTOS_OUTPUT_NAME=$name

if [ $mode = release ]; then
  wasm_profile=wasm-release; wasm_dir=wasm-release; bin_profile=release; bin_dir=release
else
  wasm_profile=dev; wasm_dir=debug; bin_profile=dev; bin_dir=debug
  # Debug builds erase view types (as cargo-leptos does): unoptimised, the nested types of a page are
  # deep enough to overflow a thread's stack. Release builds keep them (islands come out smaller).
  # scripts/test.sh sets the same flags, so nothing is compiled twice.
  case " ${RUSTFLAGS:-} " in *"erase_components"*) ;; *) export RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components" ;; esac
fi

step() { printf '\033[2m    build: %s\033[0m\n' "$*" >&2; }

# The site first: the server embeds it when it compiles (server/src/http/site.rs), so it is built once,
# with the site in it.
step "WebAssembly (frontend, $wasm_profile)"
cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile "$wasm_profile"

pkg="$site/pkg"
rm -rf "$pkg"
mkdir -p "$pkg"
step "wasm-bindgen"
wasm-bindgen "$target_dir/wasm32-unknown-unknown/$wasm_dir/frontend.wasm" \
  --target web --no-typescript --out-dir "$pkg" --out-name "$name"
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
cp style/main.css "$pkg/$name.css"
cp -r public/. "$site/"

if [ $mode = release ]; then
  step "wasm-opt -Oz, esbuild --minify"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    "$pkg/$name.wasm" -o "$pkg/$name.opt.wasm"
  mv "$pkg/$name.opt.wasm" "$pkg/$name.wasm"
  esbuild "$pkg/$name.js" --minify --format=esm --log-level=warning --allow-overwrite --outfile="$pkg/$name.js"
  esbuild "$pkg/$name.css" --minify --log-level=warning --allow-overwrite --outfile="$pkg/$name.css"
  quality=11
else
  quality=4 # debug builds are large and rebuilt often: compress fast
fi
# Content-hashed names (debug builds too, so the tests see what production serves): a file's name
# changes exactly when its content does, so browsers may keep it a year. Leptos finds the names in
# hash.txt beside the server binary when LEPTOS_HASH_FILES=true.
mkdir -p "$target_dir/$bin_dir"
: >"$target_dir/$bin_dir/hash.txt"
for ext in js wasm css; do
  hash=$(sha256sum "$pkg/$name.$ext" | cut -c1-20)
  mv "$pkg/$name.$ext" "$pkg/$name.$hash.$ext"
  echo "$ext: $hash" >>"$target_dir/$bin_dir/hash.txt"
done
# The same names inside the site, for the binary that embeds it (it is not served).
cp "$target_dir/$bin_dir/hash.txt" "$site/hash.txt"
step "precompressing (brotli -q $quality, gzip)"
for file in "$pkg"/*.js "$pkg"/*.wasm "$pkg"/*.css; do
  brotli -f -q "$quality" -o "$file.br" "$file"
  gzip -"$([ $quality = 11 ] && echo 9 || echo 6)" -k -f "$file"
done
step "site in $site"

if [ $mode != site ]; then
  step "server ($bin_profile), with the site in it"
  cargo build --locked -p server --bin tessera --profile "$bin_profile"
fi
