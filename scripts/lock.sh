#!/usr/bin/env bash
# Rewrites requirements.lock: the exact versions CI and scripts/install.sh install, resolved afresh
# within pyproject.toml's ranges in a throwaway environment.  Run it on purpose (to take new
# releases), then run the whole suite and commit the lock with the result.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check '.[test]'
{
    echo "# The exact versions CI installs (pip install -c requirements.lock '.[test]')."
    echo "# Regenerate with scripts/lock.sh; the ranges are in pyproject.toml."
    "$tmp/venv/bin/python" -m pip freeze --disable-pip-version-check --exclude itgrix-gen | sort -f
} > requirements.lock
echo "wrote requirements.lock"
