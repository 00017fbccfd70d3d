"""`itgrix-gen validate`: load and check specs, every error of every spec as file:line:col: path: message."""

from __future__ import annotations

from pathlib import Path

from generator.commands import specs as found
from generator.commands.say import Say


def validate(specs: list[str], root: Path | None, say: Say) -> int:
    """Exit code 0 when every spec is valid, 2 when any is not."""
    paths = found.expand(specs, say)
    loaded, failed = found.load_all(paths, root, say)
    for item in loaded:
        say.err(f"ok  {item.path}")
    if len(paths) > 1:
        say.err(f"{len(loaded)} valid, {failed} invalid")
    return 2 if failed else 0
