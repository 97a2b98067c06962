#!/usr/bin/env bash
# `make dist`: the release archive, dist/tessera-<version>-x86_64-linux.tar.gz, holding
#   tessera            the stripped release binary, the site inside it
#   README.md LICENSE
#   deploy/            nginx sample, hardened systemd unit
#   SHA256SUMS         the checksum of each file above
# and dist/tessera-<version>-x86_64-linux.tar.gz.sha256 beside it (`sha256sum -c` in dist/).
#   scripts/dist.sh --list   prints the repository files the archive takes, one a line (the tests check them)
set -euo pipefail
cd "$(dirname "$0")/.."

files=(README.md LICENSE deploy/nginx.conf deploy/tessera.service)
if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${files[@]}"
  exit 0
fi

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "dist: no version in Cargo.toml's [workspace.package]" >&2; exit 1; }
name="tessera-$version-x86_64-linux"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
# The commit goes into `tessera --version` and /metrics (build.rs reads it from git otherwise).
TESSERA_COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
export TESSERA_COMMIT

scripts/bootstrap.sh
scripts/build.sh --release

stage="dist/$name"
rm -rf "$stage" "dist/$name.tar.gz" "dist/$name.tar.gz.sha256"
mkdir -p "$stage/deploy"
install -m 0755 "$target_dir/release/tessera" "$stage/tessera"
strip "$stage/tessera"
for f in "${files[@]}"; do install -m 0644 "$f" "$stage/$f"; done
(cd "$stage" && sha256sum tessera "${files[@]}" >SHA256SUMS)
tar -C dist --owner=0 --group=0 --numeric-owner --sort=name -czf "dist/$name.tar.gz" "$name"
(cd dist && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
rm -rf "$stage"
printf 'dist/%s.tar.gz (%s bytes; tessera binary %s bytes stripped)\n' "$name" \
  "$(stat -c %s "dist/$name.tar.gz")" "$(tar -xzOf "dist/$name.tar.gz" "$name/tessera" | wc -c)"
"$target_dir/release/tessera" --version
