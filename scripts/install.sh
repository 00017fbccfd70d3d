#!/usr/bin/env bash
# Installs everything itgrix-gen needs on a fresh Debian/Ubuntu machine: PHP's command line (for
# `php -l`, `itgrix-gen run` and the golden cases), OpenSSH (deploy over SSH) and the package itself, with its test extras at
# the versions of requirements.lock, into ./.venv (a virtual environment, so a system Python that
# refuses pip installs is no obstacle).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
php --version | head -1
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# The exact versions of requirements.lock (scripts/lock.sh), so that a new release of a dependency
# cannot change what the tests see; ITGRIX_GEN_UNLOCKED=1 takes the newest within pyproject's ranges.
constraints=(-c requirements.lock)
[ -n "${ITGRIX_GEN_UNLOCKED:-}" ] && constraints=()
.venv/bin/python -m pip install --quiet --disable-pip-version-check "${constraints[@]}" -e '.[test]'
echo "installed: $(.venv/bin/itgrix-gen --version)  (activate with: source .venv/bin/activate)"
