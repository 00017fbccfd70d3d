#!/usr/bin/env bash
# Installs everything itgrix-gen needs on a fresh Debian/Ubuntu machine: PHP's command line (for
# `php -l`, `itgrix-gen run` and the golden cases), OpenSSH (deploy over SSH) and the package itself, with its test extras at
# the versions of requirements.lock, into ./.venv (a virtual environment, so a system Python that
# refuses pip installs is no obstacle).
set -euo pipefail
cd "$(dirname "$0")/.."
# php-curl: the generated webhook code has two transports (curl when the server has it, sockets
# otherwise) and the tests run both.
missing=""
command -v php >/dev/null 2>&1 || missing="php-cli php-curl"
if [ -z "$missing" ] && ! php -n -d extension=curl -r 'exit(function_exists("curl_init") ? 0 : 1);' >/dev/null 2>&1; then
    missing="php-curl"
fi
# OpenSSH: `deploy` and `status` reach servers through the system's ssh client; the tests start a
# throwaway sshd on a free local port to deploy against.
command -v ssh >/dev/null 2>&1 || missing="$missing openssh-client"
if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ]; then
    missing="$missing openssh-server"
fi
# Chromium: only the tests need it (tests/test_report_browser.py opens `itgrix-gen report`'s HTML in a
# real headless browser and reads its DOM); itgrix-gen itself never runs a browser.
# ITGRIX_GEN_NO_BROWSER=1 skips it (those tests then skip, except in CI, where they fail).
if [ -z "${ITGRIX_GEN_NO_BROWSER:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    missing="$missing chromium"
fi
if [ -n "$missing" ]; then
    echo "installing $missing (Debian packages)..."
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
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
