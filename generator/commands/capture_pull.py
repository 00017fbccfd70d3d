"""`itgrix-gen capture pull`: copy each target's capture files (the spec's capture.dir) into
DIR/<target>/, only what is new since the last pull (generator/capture/pull.py does the copying),
and say one line per target as it finishes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from generator.commands.say import Say

if TYPE_CHECKING:
    from generator.capture.pull import Pulled


def pull(
    specs: list[str],
    to: list[str] | None,
    output: Path | None,
    parallel: int,
    timeout: float,
    root: Path | None,
    say: Say,
) -> int:
    """Pull every (spec, target); 0 when every target was pulled, 1 when one could not be, 2 when a
    spec could not be used (no capture:, or a spec error) or the output folder is unusable."""
    from generator.capture import pull as puller
    from generator.commands import targets

    jobs, failed = targets.jobs(specs, to, root, say)
    pairs = []
    for job in jobs:
        assert job.spec is not None
        if job.spec.spec.capture is None:
            say.err(f"error: {job.spec.path}: the spec has no capture: (nothing to pull)")
            failed += 1
            continue
        base = output if output is not None else Path("captures") / puller.folder_name_of_spec(job.spec.spec.name)
        pairs.append((job.target, job.spec.spec.capture.dir, base))
    plan = puller.plan(pairs)
    # An output folder that cannot be made or written is said before any target is contacted.
    for base in dict.fromkeys(base for _target, _dir, base in pairs):
        puller.check_output(base, f"-o {base}" if output is not None else str(base))

    def said(r: Pulled) -> None:
        if r.error:
            say.err(f"[red]failed[/]    {escape(r.target)}: {escape(r.error)}", markup=True)
            return
        what = "no capture folder yet" if r.absent else f"{r.lines} new line(s) from {r.files} file(s)"
        say.out(f"[green]pulled[/]    {escape(r.target)} -> {escape(str(r.folder))}: {what}", markup=True)
        for skipped in r.skipped:
            say.err(f"  not read: {escape(skipped)} (pull reads only the connector's own regular files)", markup=True)

    results = puller.run(plan, parallel, said, timeout)
    if failed and not results:
        return 2
    return 0 if all(r.ok for r in results) and not failed else (2 if failed else 1)
