"""`itgrix-gen replay`: every captured input through the spec's files with real PHP, in batches,
and which replies would now differ from the ones the calls got."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.capture.log import Capture, Entry
from generator.php.runner import Case, Result
from generator.speclang.loader import LoadedSpec


@dataclass
class Change:
    entry: Entry
    now: Any  # the reply the spec gives now (None: the file failed)
    problem: str = ""

    def as_json(self) -> dict[str, Any]:
        out = {
            "customization": self.entry.customization,
            "at": self.entry.at,
            "where": self.entry.where,
            "decided_by": self.entry.decided_by,
            "captured": self.entry.reply,
            "now": self.now,
        }
        if self.problem:
            out["problem"] = self.problem
        return out


@dataclass
class Report:
    calls: int = 0
    changed: int = 0
    by_customization: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    other_specs: int = 0  # calls captured under another spec name

    def as_json(self, capture: Capture) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "changed": self.changed,
            "by_customization": self.by_customization,
            "changes": [c.as_json() for c in self.changes],
            "skipped": dict(capture.skipped),
        }


def run_entries(loaded: LoadedSpec, entries: list[Entry], php: str | None) -> list[Result]:
    """The spec's replies to the captured inputs (its decisions: no capture, no shadow), each at
    the moment it was captured, with webhooks going to the harness's stub."""
    from generator.php import specfiles

    with specfiles.spec_files(loaded) as paths:
        return specfiles.run([Case(str(paths[e.customization]), e.input_json, e.unix) for e in entries], php)


def replay(loaded: LoadedSpec, capture: Capture, php: str | None) -> Report:
    report = Report()
    results = run_entries(loaded, capture.entries, php)
    for entry, result in zip(capture.entries, results, strict=True):
        report.calls += 1
        counts = report.by_customization.setdefault(entry.customization, {"calls": 0, "changed": 0})
        counts["calls"] += 1
        if entry.spec != loaded.spec.name:
            report.other_specs += 1
        problem = (
            result.crash or "; ".join(result.errors) or (f"the file printed {result.output!r}" if result.output else "")
        )
        if problem or result.reply != entry.reply:
            report.changed += 1
            counts["changed"] += 1
            report.changes.append(Change(entry, result.reply if result.reply_json is not None else None, problem))
    report.by_customization = dict(sorted(report.by_customization.items()))
    return report
