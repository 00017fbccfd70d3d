"""`itgrix-gen cases import`: captured calls become golden case folders beside the spec, one for
each rule that decides some captured call and has no case yet."""

from __future__ import annotations

from pathlib import Path

from generator import progress
from generator.commands import specs as found
from generator.commands.say import Say


def import_cases(
    logs: list[Path],
    spec: str,
    redact: bool,
    limit: int | None,
    jobs: int | None,
    php: str | None,
    root: Path | None,
    say: Say,
) -> int:
    """Exit code 1 when a call could not be imported, else 0."""
    from rich.markup import escape

    from generator.capture.importer import import_cases as run_import
    from generator.capture.log import open_logs
    from generator.php.runner import require_php

    loaded = found.one(spec, root, say)
    php_bin = require_php(php)
    reading = open_logs(logs)
    with progress.bar(reading.size, "importing", of=reading) as tick:
        done = run_import(loaded, reading, php_bin, redacted=redact, limit=limit, progress=tick, jobs=jobs)
    if reading.skipped:
        say.err(f"skipped: {reading.skipped_text()}")
    for path in done.written:
        say.out(f"[green]create[/]    {escape(str(path))}", markup=True)
    for line in done.unreadable_cases:
        say.err(f"warning: existing case not counted: {line}")
    for line in done.failed:
        say.err(f"not imported: {line}")
    for reason, n in sorted(done.invalid.items()):
        say.err(f"warning: {n} {reason}: not imported")
    say.out(f"{len(done.written)} new case(s); {done.existing} of {done.decisions} deciding rule(s) already had one")
    if done.written:
        say.out(f"Review them, then: itgrix-gen test {spec}")
    return 1 if done.failed else 0
