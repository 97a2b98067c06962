#!/usr/bin/env bash
# The files a server install uses, checked:
# - deploy/tessera.service passes `systemd-analyze verify` with no warning (an unknown or misspelt key is
#   only a warning there: any output fails here), and keeps its hardening;
# - every file `make dist` packs (scripts/dist.sh --list) exists.
#   scripts/check-deploy.sh [TESSERA_BINARY]   the unit's ExecStart pointed at this binary (default /bin/true)
#   scripts/check-deploy.sh --self-test        a misspelt key and a missing hardening line are caught
set -euo pipefail
cd "$(dirname "$0")/.."

required=(
  "DynamicUser=yes" "StateDirectory=tessera" "ProtectSystem=strict" "NoNewPrivileges=yes" "PrivateTmp=yes"
  "EnvironmentFile=-/etc/tessera/tessera.env" "UMask=0077"
)

check_unit() {
  local unit=$1 binary=$2 dir out status=0
  dir=$(mktemp -d)
  sed "s#/usr/local/bin/tessera#$binary#g" "$unit" >"$dir/tessera.service"
  for line in "${required[@]}"; do
    grep -qx "$line" "$dir/tessera.service" || { echo "$unit: missing '$line'" >&2; status=1; }
  done
  if ! out=$(cd "$dir" && systemd-analyze verify --man=no tessera.service 2>&1) || [ -n "$out" ]; then
    echo "$unit: systemd-analyze verify: ${out:-failed}" >&2
    status=1
  fi
  rm -rf "$dir"
  return $status
}

if [ "${1:-}" = "--self-test" ]; then
  dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
  sed 's/^ProtectHome=yes/ProtectHme=yes/' deploy/tessera.service >"$dir/typo.service"
  sed '/^NoNewPrivileges=yes/d' deploy/tessera.service >"$dir/soft.service"
  for bad in typo soft; do
    if check_unit "$dir/$bad.service" /bin/true 2>/dev/null; then
      echo "check-deploy self-test: $bad.service was not caught" >&2
      exit 1
    fi
  done
  echo "check-deploy self-test: a misspelt key and a missing hardening line are caught"
  exit 0
fi

command -v systemd-analyze >/dev/null || { echo "systemd-analyze is missing: scripts/bootstrap.sh test installs Debian's systemd" >&2; exit 1; }
check_unit deploy/tessera.service "$(realpath "${1:-/bin/true}")"
while read -r f; do [ -f "$f" ] || { echo "scripts/dist.sh packs $f, which does not exist" >&2; exit 1; }; done < <(scripts/dist.sh --list)
echo "deploy/tessera.service verified; the files of make dist exist"
