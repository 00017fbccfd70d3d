"""Running generated PHP through our harness (generator/php/harness.php) with a real `php`.

One PHP process runs a whole batch of cases: each case still gets a fresh `$params` and a fresh
include of its file (the files keep no state between calls), and the batch is far faster than one
process per case.  If a batch dies (a PHP fatal error), its cases are rerun one by one so that the
failure is pinned on the right case.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

# The server's php.ini is not ours to rely on: run with none (-n), E_ALL, and an unusual default
# timezone, so that a generated file that silently depends on date.timezone or on an extension
# such as mbstring fails here first.
PHP_FLAGS = ("-n", "-d", "error_reporting=-1", "-d", "display_errors=stderr",
             "-d", "date.timezone=Pacific/Chatham", "-d", "memory_limit=256M")


class PhpMissing(RuntimeError):
    pass


def find_php(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if (Path(explicit).is_file() or shutil.which(explicit)) else None
    env = os.environ.get("ITGRIX_GEN_PHP")
    if env:
        return env if (Path(env).is_file() or shutil.which(env)) else None
    return shutil.which("php")


def require_php(explicit: str | None = None) -> str:
    php = find_php(explicit)
    if not php:
        raise PhpMissing(
            "no php binary found: install PHP's command line (Debian/Ubuntu: apt-get install -y php-cli), "
            "or name one with --php PATH / ITGRIX_GEN_PHP"
        )
    return php


def harness_path() -> Path:
    return Path(str(resources.files("generator.php") / "harness.php"))


@dataclass
class Case:
    file: str           # path of the generated PHP file
    input_json: str     # the JSON text the connector would pass
    now: int | None = None  # pinned clock (unix time) for hours/deadline logic


@dataclass
class Result:
    reply_json: str | None
    errors: list[str] = field(default_factory=list)   # notices, warnings, uncaught errors
    output: str = ""                                  # anything the file printed (must be "")
    log: list[str] = field(default_factory=list)      # what the file said on stderr on purpose
    crash: str | None = None                          # the PHP process itself died

    @property
    def reply(self):
        return None if self.reply_json is None else json.loads(self.reply_json)

    @property
    def clean(self) -> bool:
        return not self.errors and not self.output and self.crash is None and self.reply_json is not None


def run_batch(cases: list[Case], php: str | None = None, timeout: float = 120.0) -> list[Result]:
    if not cases:
        return []
    php = require_php(php)
    request = json.dumps({"cases": [
        {"file": str(Path(c.file).resolve()), "input": c.input_json, "now": c.now} for c in cases
    ]})
    try:
        proc = subprocess.run([php, *PHP_FLAGS, str(harness_path())], input=request,
                              capture_output=True, text=True, timeout=timeout)
        data = json.loads(proc.stdout) if proc.returncode == 0 else None
    except subprocess.TimeoutExpired:
        proc, data = None, None
    except ValueError:
        data = None
    if isinstance(data, list) and len(data) == len(cases):
        return [_result(item, proc.stderr if proc else "") for item in data]
    if len(cases) > 1:
        return [run_batch([c], php, timeout)[0] for c in cases]
    why = "timed out" if proc is None else (proc.stderr.strip() or f"exit code {proc.returncode}")
    return [Result(reply_json=None, crash=f"PHP died: {why}")]


def _result(item: dict, stderr: str) -> Result:
    output = base64.b64decode(item.get("output") or "").decode("utf-8", "replace")
    return Result(reply_json=item.get("reply"), errors=list(item.get("errors") or []),
                  output=output, log=list(item.get("log") or []))


def php_lint(path: str, php: str | None = None) -> str | None:
    """`php -l`: None when the file is valid, else PHP's message."""
    php = require_php(php)
    proc = subprocess.run([php, "-n", "-l", path], capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return None
    return (proc.stdout + proc.stderr).strip()
