"""`itgrix-gen test`: every golden case (input.json -> expected.json) and every scenario with
`expect:` (scenarios/*.yaml beside the spec) of each spec, through real PHP."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator import progress
from generator.commands import specs as found
from generator.commands.say import Say
from generator.errors import Exit, UsageProblem, UserError


@dataclass
class Tested:
    """What a test run found: a row per case and scenario shown (spec, php, name, customization,
    result with its colour), a block per failure, and the counts."""

    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    passed: int = 0
    total: int = 0
    broken: int = 0  # cases that could not be read or written
    failed_specs: int = 0  # specs that did not load
    untested: int = 0  # specs with no golden case and no scenario to test: a run that cannot fail

    @property
    def code(self) -> int:
        if self.failed_specs or self.broken:
            return 2
        return 1 if self.total - self.passed or self.untested else 0

    @property
    def summary(self) -> str:
        return (
            f"{self.passed} passed, {self.total - self.passed} failed"
            + (f", {self.broken} case(s) could not be read or written" if self.broken else "")
            + (f", {self.untested} spec(s) with nothing to test" if self.untested else "")
        )

    def say(self, say: Say) -> int:
        """Say the table of results, each failure's block and the counts; return the exit code."""
        from rich.table import Table

        table = Table(title=None, show_lines=False)
        for column in ("spec", "php", "case", "customization", "result"):
            table.add_column(column)
        for row in self.rows:
            table.add_row(*row)
        if self.rows:
            say.out(table, markup=True)
        for block in self.details:
            say.out(block)
        say.out(self.summary)
        return self.code


def test(
    specs: list[str],
    cases: Path | None,
    php: str | None,
    update: bool,
    php_matrix: bool,
    root: Path | None,
    say: Say,
) -> Tested:
    from generator.cases import CaseError, discover_all, run_cases, update_expected
    from generator.php.matrix import VERSIONS, MatrixUnavailable, matrix_dir, versions_for
    from generator.php.runner import require_php
    from generator.simulate import scenarios_for
    from generator.simulate import simulate as run_simulation
    from generator.simulate.timeline import text as story

    paths = found.expand(specs, say)
    loaded, failed = found.load_all(paths, root, say)
    php_bin = require_php(php)
    versions = ["native"]
    if php_matrix:
        try:
            say.err("preparing the PHP version matrix (npm ci on first use)...")
            matrix_dir()
        except MatrixUnavailable as exc:
            say.err(f"error: {exc}")
            raise Exit(2) from None
        versions = list(VERSIONS)
    done = Tested(failed_specs=failed)
    if cases is not None and not cases.is_dir():
        raise UsageProblem(f"--cases {cases}: not a folder of case folders")
    for item in progress.each(loaded, "testing"):
        golden, unreadable = discover_all(item.path, cases)
        for problem in unreadable:
            # Said and counted, and the spec's other cases still run.
            say.err(f"error: {problem}")
            done.broken += 1
        try:
            stories = scenarios_for(item, [])
        except UserError as exc:
            say.err(str(exc))
            done.broken += 1
            stories = []
        if not golden and not stories and not unreadable:
            # Green with nothing run would pass CI on a spec whose cases folder is missing or misnamed.
            say.err(
                f"error: {item.path}: no golden cases (cases/<name>/ beside the spec, with case.yaml or "
                "input.json, and expected.json; `itgrix-gen cases import` makes them from captured calls): "
                "nothing was tested"
            )
            done.untested += 1
            continue
        spec_versions = versions_for(item.spec.php, tuple(versions))
        if php_matrix:
            say.err(f"{item.path}: PHP {', '.join(spec_versions)} (from the spec's php: {item.spec.php} floor)")
        for version in spec_versions:
            for outcome in run_cases(item, golden, php_bin, version):
                done.total += 1
                ok = outcome.passed
                updated = False
                if update and version == "native" and not ok:
                    try:
                        updated = update_expected(outcome)
                    except CaseError as exc:
                        say.err(f"error: {exc}")
                        done.broken += 1
                if updated:
                    ok, label = True, "[yellow]updated[/]"
                else:
                    label = "[green]pass[/]" if ok else "[red]FAIL[/]"
                done.passed += ok
                if not php_matrix or not ok:
                    done.rows.append(
                        (str(item.path), version, outcome.case.name, outcome.case.meta.customization, label)
                    )
                if not ok:
                    done.details.append(
                        f"--- {item.path} :: {outcome.case.name} (php {version})\n" + "\n".join(outcome.problems)
                    )
            # Scenarios with `expect:` are tests too: a whole call through the files on this PHP.
            tests = [s for s in stories if s.scenario.expect is not None]
            for timeline in run_simulation(item, tests, php_bin, version).timelines if tests else []:
                done.total += 1
                done.passed += timeline.passed
                if not php_matrix or not timeline.passed:
                    label = "[green]pass[/]" if timeline.passed else "[red]FAIL[/]"
                    done.rows.append((str(item.path), version, timeline.item.scenario.name, "(scenario)", label))
                if not timeline.passed:
                    done.details.append(
                        f"--- {item.path} :: scenario {timeline.item.label} (php {version})\n" + story([timeline])
                    )
    return done
