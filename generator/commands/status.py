"""`itgrix-gen status`: is what runs on each target what the spec renders now?  The same
classifier as `deploy --dry-run` (generator/deploystate.py), so the two never disagree; with
--enabled, also whether the connector switched each customization on (generator/remote/enabled.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import fleet
from generator.commands.deploy import Runner
from generator.commands.say import Say
from generator.deploystate import Outcome
from generator.errors import UsageProblem

if TYPE_CHECKING:
    from rich.table import Table

    from generator.remote.enabled import Enabled


def status(
    jobs: list[fleet.Job], options: fleet.Options, run: Runner, enabled_url: str | None = None
) -> tuple[list[Outcome], list[Enabled]]:
    """Each target's outcome, and (with `enabled_url`, the connector's status page) its answer."""
    from generator.pipeline import render_files
    from generator.remote import enabled as switched_on

    rendered: dict[int, Any] = {}
    for job in jobs:
        assert job.spec is not None
        job.rendered = rendered.setdefault(id(job.spec), render_files(job.spec))
    pages: dict[int, Enabled] = {}

    def work(job: fleet.Job) -> Outcome:
        if enabled_url is None:
            return fleet.status(job, options)
        outcome, pages[id(job)] = switched_on.status(job, options, enabled_url)
        return outcome

    outcomes = run(jobs, work)
    if enabled_url is None:
        return outcomes, []
    return outcomes, [pages.get(id(j), switched_on.Enabled(detail="not asked")) for j in jobs]


def as_json(outcomes: list[Outcome], answers: list[Enabled]) -> dict[str, Any]:
    return {
        "targets": [
            {"spec": o.spec, "target": o.target, "state": o.result, "files": dict(sorted(o.files.items()))}
            | ({"detail": o.detail} if o.detail else {})
            | ({"diffs": list(o.diffs)} if o.diffs else {})  # --diff: each hand-edited file's diff
            | ({"enabled": answers[i].as_json()} if answers else {})
            for i, o in enumerate(outcomes)
        ]
    }


def all_fresh(outcomes: list[Outcome]) -> bool:
    return bool(outcomes) and all(o.result == "fresh" for o in outcomes)


def command(
    specs: list[str],
    to: list[str] | None,
    format: str,
    diff: bool,
    parallel: int,
    timeout: float,
    status_url: str | None,
    root: Path | None,
    say: Say,
) -> int:
    """The whole command: each target's state (with `status_url`, whether each customization is
    switched on) as a table or JSON; 0 when all is fresh (and on), 1 when not, 2 on a spec error."""
    from generator.commands import targets
    from generator.remote import enabled as switched_on

    if format not in ("text", "json"):
        raise UsageProblem(f"--format {format!r}: text or json")
    if status_url is not None:
        switched_on.check_url(status_url)
    jobs, failed = targets.jobs(specs, to, root, say)
    options = fleet.Options(timeout=timeout, diff=diff)
    outcomes, answers = status(jobs, options, targets.runner(parallel, "asking"), status_url)
    if format == "json":
        say.write(json.dumps(as_json(outcomes, answers), indent=2, ensure_ascii=False) + "\n")
    elif outcomes:  # a spec that failed to load has said why; an empty table adds nothing
        say.out(table(outcomes, answers if status_url is not None else None), markup=True)
        for o in outcomes:
            for block in o.diffs:
                say.write(block)
    if failed:
        return 2
    return 0 if all_fresh(outcomes) and all(a.ok for a in answers) else 1


def table(outcomes: list[Outcome], answers: list[Enabled] | None) -> Table:
    """One row per target: its state and the files not fresh (and, given the status page's
    answers, whether its customizations are switched on)."""
    from rich.markup import escape
    from rich.table import Table

    from generator.commands.targets import RESULT_COLOURS
    from generator.remote import enabled as switched_on

    shown = Table(title="status")
    for column in ("spec", "target", "state", "files not fresh") + (("switched on",) if answers is not None else ()):
        shown.add_column(column)
    for i, o in enumerate(outcomes):
        states = set(o.files.values())
        if len(o.files) > 1 and len(states) == 1 and states != {"fresh"}:
            odd = f"all {len(o.files)} files {states.pop()}"  # a missing folder: not fourteen names
        else:
            odd = ", ".join(f"{n} ({s})" for n, s in sorted(o.files.items()) if s != "fresh")
        row = [
            escape(o.spec),  # a path may hold "[...]", which rich would read as markup
            escape(o.target),
            f"[{RESULT_COLOURS.get(o.result, 'white')}]{o.result}[/]",
            escape("; ".join(filter(None, [odd, o.detail])) or "-"),
        ]
        if answers is not None:
            page = answers[i]
            on = sum(v == switched_on.ENABLED for v in page.files.values())
            colour = "green" if page.ok else ("red" if page.state == "not enabled" else "yellow")
            text = f"all {on} customized file(s)" if page.ok else f"{page.state}: {page.detail}"
            row.append(f"[{colour}]{escape(text)}[/]")
        shown.add_row(*row)
    return shown
