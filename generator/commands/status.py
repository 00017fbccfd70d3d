"""`itgrix-gen status`: is what runs on each target what the spec renders now?  The same
classifier as `deploy --dry-run` (generator/deploystate.py), so the two never disagree; with
--enabled, also whether the connector switched each customization on (generator/remote/enabled.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator import fleet
from generator.commands.deploy import Runner
from generator.deploystate import Outcome

if TYPE_CHECKING:
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
            | ({"enabled": answers[i].as_json()} if answers else {})
            for i, o in enumerate(outcomes)
        ]
    }


def all_fresh(outcomes: list[Outcome]) -> bool:
    return bool(outcomes) and all(o.result == "fresh" for o in outcomes)
