"""Running generated PHP through our harness (generator/php/harness.php) with a real `php`.

One PHP process runs a whole batch of cases: each case still gets a fresh `$params` and a fresh
include of its file (the files keep no state between calls), and the batch is far faster than one
process per case.  If a batch dies (a PHP fatal error), its cases are rerun one by one so that the
failure is pinned on the right case.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.php import process
from generator.resources import php_file

# The server's php.ini is not ours to rely on: run with none (-n), E_ALL, and an unusual default
# timezone, so that a generated file that silently depends on date.timezone or on an extension
# such as mbstring fails here first.
PHP_FLAGS = (
    "-n",
    "-d",
    "error_reporting=-1",
    "-d",
    "display_errors=stderr",
    "-d",
    "date.timezone=Pacific/Chatham",
    "-d",
    "memory_limit=256M",
)


class PhpMissing(UserError):
    """No usable php binary: missing, not executable, hanging or not PHP at all."""


def find_php(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if (Path(explicit).is_file() or shutil.which(explicit)) else None
    env = os.environ.get("ITGRIX_GEN_PHP")
    if env:
        return env if (Path(env).is_file() or shutil.which(env)) else None
    return shutil.which("php")


_PROBED: dict[str, str] = {}
PROBE_TIMEOUT = 10.0


def require_php(explicit: str | None = None) -> str:
    """A php binary that answers: found, started once with a deadline, and reporting a version.
    A binary that hangs, crashes or is not PHP at all is a user's mistake (one clear line, exit 2),
    never a command that hangs for minutes."""
    php = find_php(explicit)
    if not php:
        if explicit:
            raise PhpMissing(f"--php {explicit}: no such file or command")
        raise PhpMissing(
            "no php binary found: install PHP's command line (Debian/Ubuntu: apt-get install -y php-cli), "
            "or name one with --php PATH / ITGRIX_GEN_PHP"
        )
    php_version(php)
    return php


def php_version(php: str) -> str:
    """PHP_VERSION of a binary, probed once per process."""
    if php in _PROBED:
        return _PROBED[php]
    try:
        proc = process.run([php, "-n", "-r", "echo PHP_VERSION;"], timeout=PROBE_TIMEOUT)
    except process.Timeout:
        raise PhpMissing(f"{php} did not answer within {PROBE_TIMEOUT:g} s (is it really php?)") from None
    except OSError as exc:
        raise PhpMissing(f"{php} cannot be run: {exc.strerror or exc}") from None
    version = proc.stdout.strip()
    if proc.returncode != 0 or not version[:1].isdigit():
        why = (proc.stderr or proc.stdout).strip().splitlines()[:1] or [f"exit code {proc.returncode}"]
        raise PhpMissing(f"{php} is not a working php binary: {why[0][:200]}")
    _PROBED[php] = version
    return version


def harness_path() -> Path:
    return php_file("harness.php")


@dataclass
class Case:
    file: str  # path of the generated PHP file
    input_json: str  # the JSON text the connector would pass
    now: int | None = None  # pinned clock (unix time) for hours/deadline logic
    # The file's decide function (files rendered with decisions recorded): the harness calls it
    # and reports which rule decided, in Result.decided.
    decide: str | None = None


@dataclass
class Result:
    reply_json: str | None
    errors: list[str] = field(default_factory=list)  # notices, warnings, uncaught errors
    output: str = ""  # anything the file printed (must be "")
    log: list[str] = field(default_factory=list)  # what the file said on stderr on purpose
    crash: str | None = None  # the PHP process itself died
    decided: str | None = None  # the rule that decided (with Case.decide)
    headers: list[list[str]] = field(default_factory=list)  # each stubbed HTTP request's headers

    @property
    def reply(self) -> Any:
        return None if self.reply_json is None else json.loads(self.reply_json)

    @property
    def clean(self) -> bool:
        return not self.errors and not self.output and self.crash is None and self.reply_json is not None


_ENTRY = re.compile(r"^return (itgrix_gen_\w+)\(isset\(\$params\)", re.M)


def compatible_batches(cases: list[Case]) -> list[list[int]]:
    """Indexes of `cases` split into batches that may share one PHP process.  A generated file's
    entry function is named after its customization and its spec's name, so that the name stays
    put while the rules change; two *different* files with one entry name (two versions of a spec)
    must therefore run in different processes, or the second would call the first's function."""
    batches: list[tuple[list[int], dict[str, str]]] = []
    contents: dict[str, tuple[str | None, str]] = {}
    for i, case in enumerate(cases):
        if case.file not in contents:
            try:
                text = Path(case.file).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            found = _ENTRY.search(text)
            contents[case.file] = (found.group(1) if found else None, hashlib.sha256(text.encode()).hexdigest())
        entry, digest = contents[case.file]
        for members, owners in batches:
            if entry is None or owners.get(entry, digest) == digest:
                members.append(i)
                if entry is not None:
                    owners[entry] = digest
                break
        else:
            batches.append(([i], {entry: digest} if entry is not None else {}))
    return [members for members, _owners in batches]


def run_batch(
    cases: list[Case], php: str | None = None, timeout: float = 120.0, stub_http: bool = False
) -> list[Result]:
    """Run cases in as few PHP processes as their files allow (see compatible_batches).
    `stub_http`: the files' HTTP requests (webhooks) go to the harness's stub, not the network."""
    if not cases:
        return []
    php = require_php(php)
    groups = compatible_batches(cases)
    if len(groups) > 1:
        results: list[Result | None] = [None] * len(cases)
        for group in groups:
            for i, result in zip(group, _run_one_batch([cases[i] for i in group], php, timeout, stub_http)):
                results[i] = result
        return [r for r in results if r is not None]
    return _run_one_batch(cases, php, timeout, stub_http)


# A stray byte that is not UTF-8 (in the input as Python's surrogateescape gives it, U+DC80..
# U+DCFF) cannot travel in JSON; it goes as U+E000 and two hex digits, which the harness turns
# back into the raw byte in $params (the connector's PHP strings may hold such bytes).
_STRAY = re.compile("[\udc80-\udcff]")


def case_request(case: Case) -> dict[str, Any]:
    """One case as the harness reads it."""
    item: dict[str, Any] = {"file": str(Path(case.file).resolve()), "input": case.input_json, "now": case.now}
    if case.decide is not None:
        item["decide"] = case.decide
    if _STRAY.search(case.input_json):
        item["input"] = _STRAY.sub(lambda m: "\ue000%02x" % (ord(m.group()) - 0xDC00), case.input_json)
        item["bytes"] = True
    return item


def harness_hooks() -> dict[str, str]:
    """The runtime helpers the harness defines before it includes a generated file, by the names
    files give them (these three keep a guard each, outside a file's helper block, so a file
    defines one only where no function of that name exists): the clock (a case's `now`), stderr
    (kept per case in Result.log) and, with `stub_http`, the HTTP transport.  The deployed files
    carry no test hook."""
    from generator.emit.guard import HOOKS
    from generator.emit.runtime import runtime

    rt = runtime()
    return {hook: rt.fn(hook) for hook in HOOKS}


def _run_one_batch(cases: list[Case], php: str, timeout: float, stub_http: bool) -> list[Result]:
    request = json.dumps({"stub_http": stub_http, "hooks": harness_hooks(), "cases": [case_request(c) for c in cases]})
    try:
        proc = process.run([php, *PHP_FLAGS, str(harness_path())], timeout=timeout, input=request)
    except process.Timeout:
        # A batch that hangs is not rerun case by case: that would multiply the wait.
        return [Result(reply_json=None, crash=f"PHP did not finish within {timeout:g} s") for _ in cases]
    except OSError as exc:
        raise PhpMissing(f"{php} cannot be run: {exc.strerror or exc}") from None
    try:
        data = json.loads(proc.stdout) if proc.returncode == 0 else None
    except ValueError:
        data = None
    if isinstance(data, list) and len(data) == len(cases):
        return [_result(item, proc.stderr) for item in data]
    if len(cases) > 1:
        return [_run_one_batch([c], php, timeout, stub_http)[0] for c in cases]
    why = proc.stderr.strip() or f"exit code {proc.returncode}"
    return [Result(reply_json=None, crash=f"PHP died: {why}")]


def _unhex(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("hex:"):
        return bytes.fromhex(value[4:]).decode("utf-8", "surrogateescape")
    if isinstance(value, dict):
        return {_unhex(k): _unhex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unhex(v) for v in value]
    return value


def _result(item: dict[str, Any], stderr: str) -> Result:
    output = base64.b64decode(item.get("output") or "").decode("utf-8", "replace")
    reply = item.get("reply")
    if reply is None and item.get("reply_hex") is not None:
        # A reply with the stray bytes its input carried (case_request): in JSON, as the input's
        # Python strings (U+DC80..U+DCFF for each byte).
        reply = json.dumps(_unhex(json.loads(item["reply_hex"])), ensure_ascii=False)
    return Result(
        reply_json=reply,
        errors=list(item.get("errors") or []),
        output=output,
        log=list(_unhex(item.get("log")) or []),  # hex when the input carried stray bytes
        decided=item.get("decided") if isinstance(item.get("decided"), str) else None,
        headers=[list(h) for h in _unhex(item.get("headers")) or [] if isinstance(h, list)],
    )


def php_lint(path: str, php: str | None = None, timeout: float = 60.0) -> str | None:
    """`php -l`: None when the file is valid, else PHP's message."""
    php = require_php(php)
    try:
        proc = process.run([php, "-n", "-l", path], timeout=timeout)
    except process.Timeout:
        return f"php -l did not finish within {timeout:g} s"
    if proc.returncode == 0:
        return None
    return (proc.stdout + proc.stderr).strip()
