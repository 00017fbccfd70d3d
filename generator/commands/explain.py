"""`itgrix-gen explain`: what each customization of a spec will do, in plain Markdown for a client."""

from __future__ import annotations

import datetime
from pathlib import Path

from generator.commands import specs as found
from generator.commands.say import Say
from generator.errors import UsageProblem


def first_day(start: str | None) -> datetime.date | None:
    """--from's date, or None for today."""
    if start is None:
        return None
    try:
        return datetime.date.fromisoformat(start)
    except ValueError:
        raise UsageProblem(f"--from {start[:40]!r} is not a date: write it YYYY-MM-DD, e.g. 2027-01-01") from None


def explain(spec: str, start: str | None, root: Path | None, say: Say) -> str:
    """The Markdown; the twelve months of calendar days listed start at `start` (default: today)."""
    from generator.explain import explain as describe

    first = first_day(start)
    return describe(found.one(spec, root, say).spec, first)
