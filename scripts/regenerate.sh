#!/usr/bin/env bash
# Regenerates every golden record of generated PHP, for reviewers to read in the diff (the
# openapi-python-client way): out/example/ (the README's example) and specs/<name>/golden/ for
# every other spec under specs/.  `scripts/regenerate.sh --check` changes nothing and exits 1 when
# any record is stale (a test runs exactly that).
set -euo pipefail
cd "$(dirname "$0")/.."
gen=.venv/bin/itgrix-gen
[ -x "$gen" ] || gen=itgrix-gen
status=0
"$gen" render specs/example/spec.yaml "$@" || status=$?
for spec in specs/*/spec.yaml specs/*/spec.py; do
    [ "$spec" = specs/example/spec.yaml ] && continue
    "$gen" render "$spec" -o "$(dirname "$spec")/golden" "$@" || status=$?
done
exit "$status"
