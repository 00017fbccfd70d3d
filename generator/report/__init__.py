"""`itgrix-gen report`: one HTML file a client can sign off: what each spec does (the explain
text), its calendar, each scenario's call in three swimlanes, the golden cases and scenarios with
pass/fail, and with `--logs` the probe and replay summaries of each server's capture log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.report.html import CaseLine, ServerSummary, SpecReport, page
from generator.speclang.loader import LoadedSpec


def spec_report(loaded: LoadedSpec, php: str | None, logs: Path | None) -> SpecReport:
    from generator.cases import CaseError, discover, run_cases
    from generator.emit.zones import calendar_days
    from generator.explain import explain
    from generator.simulate import scenarios_for, simulate

    calendar = loaded.spec.calendar
    days_off, workdays = (
        calendar_days(calendar.regions(), tuple(calendar.off), tuple(calendar.workdays)) if calendar else ([], [])
    )
    report = SpecReport(
        name=loaded.spec.name,
        path=str(loaded.path),
        explain=explain(loaded.spec),
        days_off=days_off,
        workdays=workdays,
        timelines=[],
        cases=[],
    )
    problems = []
    try:
        items = scenarios_for(loaded, [])
        report.timelines = simulate(loaded, items, php).timelines if items else []
    except UserError as exc:
        problems.append(f"scenarios: {exc}")
    try:
        outcomes = run_cases(loaded, discover(loaded.path), php)
        report.cases = [CaseLine(o.case.name, o.case.meta.customization, o.passed, o.problems) for o in outcomes]
    except CaseError as exc:
        problems.append(f"golden cases: {exc}")
    if logs is not None:
        report.servers = servers(loaded, logs, php)
    report.problem = "; ".join(problems)
    return report


def servers(loaded: LoadedSpec, logs: Path, php: str | None) -> list[ServerSummary]:
    """Each server's capture (a folder's first level is a server, as `fields --probe` takes it)
    through `fields --probe` and `replay`, by their public functions."""
    from generator.capture import log
    from generator.capture import probe as probing
    from generator.capture.replay import replay

    if not logs.is_dir():
        raise UserError(f"--logs {logs}: not a folder (one folder per server, each with its .jsonl capture logs)")
    files = probing.target_files([logs])
    probed = probing.probe(files, loaded.spec.fields)
    found = []
    for name in sorted({target for target, _ in files}):
        capture = log.read([f for target, f in files if target == name])
        mine = [x for x in capture.entries if x.spec == loaded.spec.name]
        if not mine:
            continue  # another spec's server
        note = (
            f"{len(capture.entries) - len(mine)} lines of other specs left out"
            if len(mine) < len(capture.entries)
            else ""
        )
        capture.entries = mine
        replayed = replay(loaded, capture, php)
        target: Any = getattr(probed, "targets", {}).get(name)
        keys = [(k, r.calls, r.resolved) for k, r in getattr(target, "keys", {}).items() if r.calls]
        by: dict[str, Any] = getattr(replayed, "by_customization", {})
        found.append(
            ServerSummary(
                name=name,
                calls=len(capture.entries),
                skipped=capture.skipped_text(),
                probe=keys,
                replay=[(c, int(n.get("calls", 0)), int(n.get("changed", 0))) for c, n in by.items()],
                changed=int(getattr(replayed, "changed", 0)),
                note=note,
            )
        )
    return found


def build(specs: list[LoadedSpec], php: str | None, logs: Path | None = None) -> tuple[str, int]:
    """The HTML, and how many tests failed."""
    reports = [spec_report(loaded, php, logs) for loaded in specs]
    failed = sum(1 for r in reports for c in r.cases if not c.passed) + sum(
        1 for r in reports for t in r.timelines if t.item.scenario.expect is not None and not t.passed
    )
    return page(reports, logs is not None), failed
