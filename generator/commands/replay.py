"""`itgrix-gen replay`: every captured call through the spec's files with real PHP; per
customization and per deciding rule, the calls whose reply would differ from the baseline's."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from generator import progress
from generator.commands import specs as found
from generator.commands.say import Say
from generator.errors import UsageProblem

if TYPE_CHECKING:
    from generator.speclang.loader import LoadedSpec


def replay(
    spec: str,
    logs: list[Path],
    format: str,
    check: bool,
    show: int | None,
    baseline: str,
    customization: list[str],
    rule: list[str],
    jobs: int | None,
    php: str | None,
    root: Path | None,
    say: Say,
) -> int:
    """Exit code 1 with `check` when any call would now get another reply, else 0."""
    from generator.capture.log import open_logs
    from generator.capture.replay import BASELINES, check_filters, check_rules
    from generator.capture.replay import replay as run_replay
    from generator.php.runner import require_php

    if format not in ("text", "json"):
        raise UsageProblem(f"--format {format!r}: text or json")
    check_filters(customization)
    loaded = found.one(spec, root, say)
    against: str | LoadedSpec = baseline
    if baseline not in BASELINES:
        if not Path(baseline).exists():
            raise UsageProblem(f"--baseline {baseline}: decided, answered, or a spec file (no such file)")
        against = found.one(baseline, root, say)
    check_rules(rule, [loaded.spec] + ([against.spec] if not isinstance(against, str) else []))
    php_bin = require_php(php)
    reading = open_logs(logs)
    keep = show if show is not None else (5 if format == "text" else 10**12)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        with progress.bar(reading.size, "replaying", of=reading) as tick:
            report = run_replay(
                loaded,
                reading,
                php_bin,
                against,
                customization,
                rule,
                keep=keep if format == "text" else 0,
                spool=spool if format == "json" else None,
                progress=tick,
                jobs=jobs,
            )
        if reading.skipped:
            say.err(f"skipped: {reading.skipped_text()}")
        if format == "json":
            _json(report, reading, spool, keep, say)
        else:
            _text(report, spec, keep, say)
    if report.other_specs:
        say.err(f"note: {report.other_specs} calls were captured under another spec name")
    if report.redaction_only:
        say.err(
            f"note: {report.redaction_only} calls of the redacted capture replay differently only because their "
            "numbers and names are pseudonyms (this very spec's files decided them): not counted as changed"
        )
    return 1 if check and report.changed else 0


def _json(report: Any, reading: Any, spool: IO[str], keep: int, say: Say) -> None:
    """The report, with every change (up to --show) copied from the spool: never all in memory."""
    head = json.dumps(report.as_json(reading, changes=[]), indent=2, ensure_ascii=False)
    before, after = head.split('"changes": []', 1)
    say.write(before + '"changes": [')
    spool.seek(0)
    for n, line in enumerate(spool):
        if n >= keep:
            break
        say.write(("," if n else "") + "\n    " + line.rstrip("\n"))
    say.write(("\n  ]" if report.changed and keep else "]") + after + "\n")


def _text(report: Any, spec: str, keep: int, say: Say) -> None:
    from rich.table import Table

    from generator.cases import json_diff

    table = Table(title=f"replay of {report.calls} captured calls through {spec} (baseline: {report.baseline})")
    table.add_column("customization")
    table.add_column("calls")
    table.add_column("changed")
    for name, counts in report.by_customization.items():
        style = "red" if counts["changed"] else "green"
        table.add_row(name, str(counts["calls"]), f"[{style}]{counts['changed']}[/]")
    say.out(table, markup=True)
    if report.by_rule:
        say.out("changed calls by deciding rule (before -> now):")
        for (name, was, now), n in sorted(report.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            say.out(f"  {name}: {was} -> {now}: {n}")
    for change in report.changes[:keep]:
        head = (
            f"--- {change.customization} at {change.at} ({change.where}): "
            f"decided by {change.rule or '(failed)'} now, {change.was} before"
        )
        body = change.problem or json_diff(change.before, change.now).replace("expected.json", "before").replace(
            "+++ reply", "+++ now"
        )
        hooks = "".join(f"\nwebhook now: {h['method']} {h['url']} {h['body']}" for h in change.webhooks)
        if change.before_webhooks is not None and change.before_webhooks != change.webhooks:
            hooks += "".join(f"\nwebhook before: {h['method']} {h['url']} {h['body']}" for h in change.before_webhooks)
        say.out(head + "\n" + body.rstrip("\n") + hooks)
    if report.changed > min(keep, len(report.changes)):
        say.out(f"... and {report.changed - min(keep, len(report.changes))} more (--show N, or --format json)")
    say.out(f"{report.changed} of {report.calls} calls would now get another reply")
