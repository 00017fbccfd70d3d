#!/usr/bin/env bash
# The whole test suite: the same command the README gives and CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
"$PY" -m pytest "$@"
