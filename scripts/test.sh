#!/usr/bin/env bash
# The whole test suite: the same command the README gives and CI runs.  Lint, format and types
# first (ruff, mypy strict on the package; configured in pyproject.toml), then every test,
# spread over the machine's cores (pytest-xdist).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
[ -x "$BIN/python" ] || BIN="$(dirname "$(command -v python3)")"
"$BIN/ruff" check generator tests benchmarks
"$BIN/ruff" format --check generator tests benchmarks
"$BIN/mypy"
"$BIN/python" -m pytest -n auto "$@"
