#!/usr/bin/env bash
# The system packages itgrix-gen and its tests use, installed with apt-get when missing (called by
# scripts/install.sh); each one is named with the reason it is wanted before anything is installed.
set -euo pipefail
# PHP's CLI is required (php -l, `itgrix-gen run`, the golden cases).  The curl extension is not:
# the generated webhook code sends through curl when the server has it and through PHP's own
# sockets otherwise, and itgrix-gen itself never needs it.  It is installed only so that the tests
# can try the curl path too; when it cannot be installed (no root, no apt-get, no network) the
# tool works all the same and the curl-path tests are skipped, saying why (CI fails instead).
missing=""
why=""
if ! command -v php >/dev/null 2>&1; then
    missing="php-cli php-curl"
    why="php is not installed (itgrix-gen runs and checks the generated files with it)"
elif ! php -n -d extension=curl -r 'exit(function_exists("curl_init") ? 0 : 1);' >/dev/null 2>&1; then
    missing="php-curl"
    why="php has no curl extension: optional (the generated files fall back to sockets), installed so the tests try both webhook transports"
fi
# OpenSSH: `deploy` and `status` reach servers through the system's ssh client; the tests start a
# throwaway sshd on a free local port to deploy against.
if ! command -v ssh >/dev/null 2>&1; then
    missing="$missing openssh-client"
    why="${why:+$why; }no ssh client (deploy and status reach servers through it)"
fi
if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ]; then
    missing="$missing openssh-server"
    why="${why:+$why; }no sshd (the deploy tests start a throwaway one)"
fi
# Chromium: only the tests need it (tests/test_report_browser.py opens `itgrix-gen report`'s HTML in a
# real headless browser and reads its DOM); itgrix-gen itself never runs a browser.
# ITGRIX_GEN_NO_BROWSER=1 skips it (those tests then skip, except in CI, where they fail).
if [ -z "${ITGRIX_GEN_NO_BROWSER:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    missing="$missing chromium"
    why="${why:+$why; }no chromium (only the report tests use it, headless)"
fi
missing="${missing# }"
if [ -n "$missing" ]; then
    echo "installing $missing (Debian packages): $why"
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    if ! { command -v apt-get >/dev/null 2>&1 && $SUDO apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null; }; then
        if ! command -v php >/dev/null 2>&1; then
            echo "error: could not install PHP's command line; install it yourself (Debian/Ubuntu: apt-get install -y php-cli)" >&2
            exit 1
        fi
        echo "warning: could not install $missing; itgrix-gen works without them (without php-curl the generated webhooks use PHP's sockets; without OpenSSH, deploy reaches only folders; chromium serves only the report tests); the tests that need them are skipped" >&2
    fi
fi
