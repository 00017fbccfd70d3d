"""`itgrix-gen render`: write the fourteen PHP files of each spec (only those that changed,
atomically), or with check/diff write nothing and say what is stale."""

from __future__ import annotations

from pathlib import Path

from generator import progress
from generator.commands import specs as found
from generator.commands.say import Say
from generator.errors import UsageProblem

COLOURS = {"create": "green", "update": "yellow", "identical": "dim"}


def render(specs: list[str], output: Path | None, check: bool, diff: bool, root: Path | None, say: Say) -> int:
    """Exit code 2 when a spec failed, 1 with `check` when a file is stale, else 0."""
    from rich.markup import escape

    from generator import output as writer
    from generator.batch import render_many

    paths = found.expand(specs, say)
    if output is not None:
        try:
            writer.check_folder(output)
        except writer.OutputFolderError as exc:
            raise UsageProblem(str(exc)) from None
    stale_total = errors = rendered = 0
    with progress.bar(len(paths), "rendering") as advance:
        for result in render_many(paths, output, write=not (check or diff), progress=advance, root=root):
            if not result.ok:
                errors += 1
                for line in result.errors:
                    say.err(line)
                continue
            rendered += 1
            for note in result.notes:
                say.err(note)
            changed = [p for p in result.planned if p.status != "identical"]
            if check or diff:
                if diff:
                    for p in changed:
                        say.write(writer.unified_diff(p))
                if check:
                    for p in changed:
                        say.err(f"stale  {p.path} ({'missing' if p.status == 'create' else 'differs'})")
                    stale_total += len(changed)
                continue
            if len(paths) > 3:  # a batch: one line per spec
                counts = {s: sum(p.status == s for p in result.planned) for s in COLOURS}
                say.out(f"{result.folder}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
                continue
            for p in result.planned:
                say.out(f"[{COLOURS[p.status]}]{p.status:<9}[/] {escape(str(p.path))}", markup=True)
            if result.customized:
                say.out(f"Switch on in the connector's admin panel (Customizer): {', '.join(result.customized)}")
            else:
                say.out("The spec customizes nothing: all fourteen files are pass-throughs.")
    if len(paths) > 1 and not (check or diff):
        say.err(f"{rendered} rendered, {errors} failed")
    if check and not errors:
        if stale_total:
            say.err(f"{stale_total} generated file(s) are stale: run itgrix-gen render again and commit.")
        else:
            say.err("generated files are fresh")
    return 2 if errors else (1 if check and stale_total else 0)
