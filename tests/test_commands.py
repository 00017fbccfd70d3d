"""The use cases called without the command line: what each says (a Said keeps it) and the exit
code it returns are what the CLI prints and exits with (tests/test_cli.py runs the same through
the real command)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.commands import explain, init, render, run, schema, test, validate
from generator.commands.say import Said
from generator.errors import Exit, UsageProblem

EXAMPLE = Path(__file__).resolve().parent.parent / "specs" / "example"


def test_validate_says_ok_for_a_valid_spec_and_each_mistake_of_a_broken_one(tmp_path: Path) -> None:
    said = Said()
    assert validate.validate([str(EXAMPLE / "spec.yaml")], None, said) == 0
    assert said.stderr == [f"ok  {EXAMPLE / 'spec.yaml'}"]
    broken = tmp_path / "spec.yaml"
    broken.write_text("version: 1\nname: Иван\ntimezone: Europe/Nowhere\n", encoding="utf-8")
    said = Said()
    assert validate.validate([str(broken)], None, said) == 2
    assert any(line.startswith(f"{broken}:3:") and "timezone" in line for line in said.stderr), said.stderr


def test_a_missing_spec_pattern_ends_the_command_with_exit_2() -> None:
    said = Said()
    with pytest.raises(Exit) as stop:
        validate.validate(["no/such/*.yaml"], None, said)
    assert stop.value.code == 2
    assert said.stderr == ["error: no/such/*.yaml: no file matches"]


def test_render_writes_then_finds_the_files_fresh(tmp_path: Path) -> None:
    said = Said()
    assert render.render([str(EXAMPLE / "spec.yaml")], tmp_path, False, False, None, said) == 0
    assert len(list(tmp_path.glob("*.php"))) == 14
    assert sum(line.startswith("create") for line in said.stdout) == 14
    said = Said()
    assert render.render([str(EXAMPLE / "spec.yaml")], tmp_path, True, False, None, said) == 0
    assert said.stderr == ["generated files are fresh"]
    (tmp_path / "need_registration.php").write_text("<?php\n", encoding="utf-8")
    said = Said()
    assert render.render([str(EXAMPLE / "spec.yaml")], tmp_path, True, False, None, said) == 1
    assert said.stderr[0].startswith("stale  ") and "need_registration.php (differs)" in said.stderr[0]


def test_run_answers_a_golden_case_with_its_expected_reply(php: str) -> None:
    from generator.commands import specs

    case = EXAMPLE / "cases" / "activity-subject"
    key, text, moment = run.call(None, None, case, None)
    said = Said()
    loaded = specs.one(str(EXAMPLE / "spec.yaml"), None, said)
    assert run.run(loaded, key, text, moment, php, False, said) == 0
    assert json.loads("".join(said.stdout)) == json.loads((case / "expected.json").read_text(encoding="utf-8"))


def test_run_refuses_an_unknown_customization_and_a_bad_clock() -> None:
    with pytest.raises(UsageProblem, match="unknown customization 'need_regsitration'"):
        run.call("need_regsitration.php", str(EXAMPLE / "cases" / "activity-subject" / "case.yaml"), None, None)
    with pytest.raises(UsageProblem, match="--now takes ISO 8601 with an offset"):
        run.call(None, None, EXAMPLE / "cases" / "activity-subject", "2026-11-24T10:00:00")


def test_test_runs_every_case_and_scenario_of_the_example(php: str) -> None:
    said = Said()
    done = test.test([str(EXAMPLE / "spec.yaml")], None, php, False, False, None, said)
    assert done.code == 0 and done.total == done.passed > 40
    assert {row[4] for row in done.rows} == {"[green]pass[/]"}
    assert done.summary == f"{done.passed} passed, 0 failed"


def test_test_counts_a_failing_case_and_says_why(tmp_path: Path, php: str) -> None:
    import shutil

    spec = tmp_path / "spec.yaml"
    shutil.copy(EXAMPLE / "spec.yaml", spec)
    shutil.copytree(EXAMPLE / "calls", tmp_path / "calls")
    shutil.copytree(EXAMPLE / "cases" / "activity-subject", tmp_path / "cases" / "activity-subject")
    (tmp_path / "cases" / "activity-subject" / "expected.json").write_text('{"data": {"SUBJECT": "Ünïcode ✓"}}')
    done = test.test([str(spec)], None, php, False, False, None, Said())
    assert (done.code, done.total, done.passed) == (1, 1, 0)
    assert done.details[0].startswith(f"--- {spec} :: activity-subject (php native)")


def test_explain_schema_and_init(tmp_path: Path) -> None:
    with pytest.raises(UsageProblem, match=re.escape("--from '31.12.2026' is not a date")):
        explain.explain(str(EXAMPLE / "spec.yaml"), "31.12.2026", None, Said())
    assert explain.explain(str(EXAMPLE / "spec.yaml"), "2027-01-01", None, Said()).startswith("#")
    assert schema.schema()["title"] == "itgrix-gen spec, version 1"
    said = Said()
    assert init.init(tmp_path, False, said) == 0
    assert (
        said.stdout[-1]
        == f"Next: itgrix-gen render {tmp_path / 'spec.yaml'} && itgrix-gen test {tmp_path / 'spec.yaml'}"
    )
    said = Said()
    assert init.init(tmp_path, False, said) == 2
    assert said.stderr == [f"error: {tmp_path / 'spec.yaml'} exists (use --force to overwrite)"]
