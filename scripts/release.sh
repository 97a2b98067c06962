#!/usr/bin/env bash
# `make release`: the release build of the server and the site, and the size of what browsers download
# (raw, and as served: Brotli and gzip files are made at build time).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh --release
printf '%-28s %10s %10s %10s\n' "asset" "raw" "gzip" "brotli"
for f in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do
  printf '%-28s %10s %10s %10s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(stat -c %s "$f.gz")" "$(stat -c %s "$f.br")"
done
