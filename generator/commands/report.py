"""`itgrix-gen report`: one self-contained HTML file for the client (what each spec does, its
calendar, each scenario's call in swimlanes, golden cases and scenarios with pass/fail)."""

from __future__ import annotations

from pathlib import Path

from generator.commands import specs as found
from generator.commands.say import Say
from generator.errors import Exit, UsageProblem


def report(specs: list[str], output: Path, logs: Path | None, php: str | None, root: Path | None, say: Say) -> int:
    """Exit code 1 when a test in the report fails (the file is written all the same)."""
    from generator.output import atomic_write
    from generator.php.runner import require_php
    from generator.report import build

    loaded, failed = found.load_all(found.expand(specs, say), root, say)
    if failed or not loaded:
        raise Exit(2)
    php_bin = require_php(php)
    text, failing = build(loaded, php_bin, logs)
    try:
        atomic_write(output, text, durable=False)
    except OSError as exc:
        raise UsageProblem(f"{output}: cannot write: {exc.strerror or exc}") from None
    say.out(f"wrote {output} ({len(text):,} bytes); {failing} failing test(s)")
    return 1 if failing else 0
