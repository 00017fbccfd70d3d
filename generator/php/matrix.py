"""The PHP version matrix: the same harness and cases on native php, on PHP 7.4-8.5 through the
npm package @php-wasm/cli (PHP=<version> in its environment), on PHP 5.2 through @php-wasm/node's
legacy runtime, and on PHP 7.2 and 7.3 through @php-wasm/node 3.0, the last line that ships them
(php-matrix/runlegacy.mjs runs both).  Each version runs all its cases in one process.  The npm packages are pinned in php-matrix/package-lock.json and installed with `npm ci`
on first use (into the source checkout, or a cache folder for an installed package).

The WASM runtimes have no real network (an HTTP request crashes the 5.2 runtime), so there the
harness answers the generated files' HTTP requests with a stub (a user's own webhook cases then
run on every version); native php tests the real transport against a local server."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.php.literals import php_string
from generator.php.runner import (
    Case,
    Result,
    _result,
    case_request,
    compatible_batches,
    harness_hooks,
    harness_path,
    run_batch,
)
from generator.resources import php_matrix_dir

WASM_VERSIONS = ("7.4", "8.0", "8.1", "8.2", "8.3", "8.4", "8.5")
LEGACY_VERSIONS = ("5.2", "7.2", "7.3")  # through php-matrix/runlegacy.mjs
VERSIONS = ("native",) + LEGACY_VERSIONS + WASM_VERSIONS


def _key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def versions_for(floor: str, versions: tuple[str, ...] = VERSIONS) -> list[str]:
    """The versions a spec's cases run on: native php, every version from the spec's `php:` floor
    up, and the newest one below the floor when the floor itself is not in the matrix.  The files
    are written for PHP 5.2 and up, so a floor of 5.4 or 5.6 is tested on 5.2 (the oldest PHP at
    hand), not only from 7.2 on."""
    ranked = [v for v in versions if v != "native"]
    below = [v for v in ranked if _key(v) < _key(floor)]
    stand_in = [] if floor in ranked or not below else [max(below, key=_key)]
    return [v for v in versions if v == "native" or _key(v) >= _key(floor) or v in stand_in]


class MatrixUnavailable(UserError):
    """The PHP version matrix cannot be set up here (no Node.js, npm failed)."""


def _source_dir() -> Path:
    source = php_matrix_dir()
    if not (source / "package-lock.json").is_file():
        raise MatrixUnavailable("php-matrix/package-lock.json is missing from this installation")
    return source


def matrix_dir() -> Path:
    """A folder with the pinned npm packages installed (npm ci on first use)."""
    if not shutil.which("node") or not shutil.which("npm"):
        raise MatrixUnavailable(
            "the PHP version matrix needs Node.js and npm (Debian/Ubuntu: apt-get install -y nodejs npm)"
        )
    source = _source_dir()
    folder = source
    # A source checkout installs in place (php-matrix/node_modules, git-ignored); an installed
    # package installs into the user's cache, never into site-packages.
    if source.name == "php_matrix" or not os.access(source, os.W_OK):
        folder = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "itgrix-gen" / "php-matrix"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json", "runlegacy.mjs"):
            shutil.copy2(source / name, folder / name)
    # Installed and complete: the newest package of the lock is there (an install from an older
    # lock, without the 7.2/7.3 runtimes, is brought up to date).
    markers = [folder / "node_modules" / p / "package.json" for p in ("@php-wasm/cli", "php-wasm-node-3-0")]
    if all(m.is_file() for m in markers):
        return folder
    # One npm ci at a time: test workers (and parallel commands) reach here together, and two npm ci
    # in one folder break each other.  The second finds the packages installed once it has the lock.
    with open(folder / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all(m.is_file() for m in markers):
            proc = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True, timeout=900
            )
            if proc.returncode != 0:
                raise MatrixUnavailable(f"npm ci failed in {folder}:\n{proc.stderr[-2000:]}")
    return folder


def run_version(version: str, cases: list[Case], php: str | None = None, timeout: float = 600) -> list[Result]:
    if version == "native":
        return run_batch(cases, php, timeout, stub_http=True)
    if not cases:
        return []
    groups = compatible_batches(cases)
    if len(groups) > 1:
        results: list[Result | None] = [None] * len(cases)
        for group in groups:
            for i, result in zip(group, run_version(version, [cases[i] for i in group], php, timeout)):
                results[i] = result
        return [r for r in results if r is not None]
    folder = matrix_dir()
    request = {
        "harness": str(harness_path()),
        "stub_http": True,
        "hooks": harness_hooks(),
        "cases": [case_request(c) for c in cases],
    }
    with tempfile.TemporaryDirectory(prefix="itgrix-matrix-") as tmp:
        if version in LEGACY_VERSIONS:
            command = ["node", str(folder / "runlegacy.mjs"), version]
            env = dict(os.environ)
            stdin = json.dumps(request)
        else:
            # php-wasm-cli's stdin is unreliable for large inputs (seen: an empty read), so the
            # request goes in a file that a two-line bootstrap names before including the harness.
            request_file = Path(tmp) / "request.json"
            request_file.write_text(
                json.dumps({"cases": request["cases"], "stub_http": True, "hooks": request["hooks"]}), encoding="utf-8"
            )
            bootstrap = Path(tmp) / "bootstrap.php"
            bootstrap.write_text(
                "<?php\n$itgrix_gen_request_file = " + php_string(str(request_file)) + ";\n"
                "include " + php_string(str(harness_path())) + ";\n",
                encoding="utf-8",
            )
            command = [
                str(folder / "node_modules" / ".bin" / "php-wasm-cli"),
                "-d",
                "date.timezone=Pacific/Chatham",
                str(bootstrap),
            ]
            env = dict(os.environ, PHP=version)
            stdin = ""
        data: Any = None
        try:
            proc: subprocess.CompletedProcess[str] | None = subprocess.run(
                command, input=stdin, capture_output=True, text=True, env=env, timeout=timeout, cwd=folder
            )
        except subprocess.TimeoutExpired:
            proc = None
        unreadable = False
        if proc is not None and "[" in proc.stdout:
            try:
                data = json.loads(proc.stdout[proc.stdout.find("[") :])
            except ValueError:  # not the harness's reply (cut short, or text printed around it)
                unreadable = True
    if isinstance(data, list) and len(data) == len(cases):
        return [_result(item, "") for item in data]
    if proc is None:
        why = f"timed out after {timeout:g} s"
    elif unreadable:
        why = f"its output is not the harness's reply (exit {proc.returncode}): {proc.stdout[:300]!r}"
    else:
        why = proc.stderr.strip()[-1000:] or proc.stdout[-500:] or f"exit {proc.returncode}"
    return [Result(reply_json=None, crash=f"PHP {version} died: {why}") for _ in cases]
