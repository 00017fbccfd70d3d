"""`itgrix-gen init`: a commented starter spec and one golden case, ready to render and test."""

from __future__ import annotations

from pathlib import Path

from generator.commands.say import Say


def init(folder: Path, force: bool, say: Say) -> int:
    from rich.markup import escape

    from generator.starter import write_starter

    target = folder / "spec.yaml"
    if target.exists() and not force:
        say.err(f"error: {target} exists (use --force to overwrite)")
        return 2
    for path in write_starter(folder):
        say.out(f"[green]create[/]    {escape(str(path))}", markup=True)
    say.out(f"Next: itgrix-gen render {target} && itgrix-gen test {target}")
    return 0
