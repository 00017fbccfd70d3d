"""`itgrix-gen simulate`: walk scenarios (a call in people's terms) through the connector's
customizations in its order with the spec's real PHP; or compare the flow table with a real log."""

from __future__ import annotations

import json
from pathlib import Path

from generator import progress
from generator.commands import specs as found
from generator.commands.say import Say
from generator.errors import Exit, UsageProblem

FORMATS = ("text", "json", "jsonl")


def simulate(
    spec: str, scenarios: list[Path], format: str, compare: list[Path], php: str | None, root: Path | None, say: Say
) -> int:
    """Exit code 1 when a scenario's `expect:` does not hold (or, with `compare`, where the log's
    order differs from the flow table), else 0."""
    from generator.php.runner import require_php
    from generator.simulate import scenarios_for
    from generator.simulate import simulate as run_simulation
    from generator.simulate.timeline import as_json, jsonl, text

    if format not in FORMATS:
        raise UsageProblem(f"--format {format!r}: text, json or jsonl")
    loaded = found.one(spec, root, say)
    if compare:
        from generator.simulate.compare import compare as run_compare

        report = run_compare(found.read_capture(compare, say))  # a log with no usable line: exit 2 there
        say.write(report.text() if format == "text" else json.dumps(report.as_json(), indent=2) + "\n")
        return 1 if report.differences else 0
    from generator.speclang.issues import SpecError

    try:
        items = scenarios_for(loaded, scenarios)
    except SpecError as exc:
        found.issues(exc, say)
        raise Exit(2) from None
    if not items:
        if scenarios:
            named = ", ".join(f"{p}/" for p in scenarios)
            raise UsageProblem(f"no scenario in {named}: the folder holds no .yaml or .yml file")
        raise UsageProblem(f"no scenario: name scenario files, or put them in {loaded.path.parent / 'scenarios'}/")
    php_bin = require_php(php)
    with progress.bar(len(items), "simulating") as advance:
        result = run_simulation(loaded, items, php_bin, capture=format == "jsonl", progress=advance)
    if format == "jsonl":
        say.write(jsonl(loaded, result))
    elif format == "json":
        say.write(json.dumps(as_json(result.timelines), indent=2, ensure_ascii=False) + "\n")
    else:
        say.write(text(result.timelines))
    return 0 if all(t.passed for t in result.timelines) else 1
