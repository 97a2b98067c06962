#!/usr/bin/env bash
# The schemas Tessera has shipped, taken from git history into server/tests/fixtures/upgrade/ (committed,
# so the tests need no .git): for each commit on main that changed migrations/ since the first that
# shipped tokens, the migration files as they were then, per engine (before 3565533 the engines had
# folders of their own). server/tests/api/upgrades.rs builds a database from each with those old files
# (as that release's binary did, old checksums included), fills it, and upgrades it to the current schema.
#   scripts/upgrade-fixtures.sh    rewrites the folder; add a line to `releases` when a migration ships
set -euo pipefail
cd "$(dirname "$0")/.."
# commit (first-parent history of main), what it shipped
releases=(
  "67788be first API tokens (schema 3, engines in separate folders)"
  "3565533 one migrations folder for both engines (schema 3)"
  "e7ecb2d invitations, revocation reasons, rotation, policies, audit trail (schema 5)"
  "4578862 notifications: outbox, token notices, webhooks (schema 6)"
  "7c4d425 webhook pause (schema 7)"
  "3355f03 email log (schema 8)"
  "e0614d7 leak response (schema 9, first text)"
  "9666149 leak response (schema 9, its index changed)"
)
out=server/tests/fixtures/upgrade
rm -rf "$out"
for release in "${releases[@]}"; do
  commit=${release%% *}
  n=0
  for engine in sqlite postgres; do
    dir="$out/$commit/$engine"
    mkdir -p "$dir"
    # The engine's own folder when there was one, else the shared one.
    if git ls-tree --name-only "$commit" "migrations/$engine/" | grep -q .; then src="migrations/$engine"; else src=migrations; fi
    for f in $(git ls-tree --name-only "$commit" "$src/" | grep '\.sql$'); do
      git show "$commit:$f" >"$dir/$(basename "$f")"
      n=$((n + 1))
    done
  done
  echo "${release#* }" >"$out/$commit/RELEASE"
  echo "$commit: $n migration files"
done
