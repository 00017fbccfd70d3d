"""Every golden case of every spec under specs/ runs through real PHP, and the reply is compared."""

from __future__ import annotations

import pytest

from generator.cases import discover, run_cases
from tests.conftest import SPECS, load

CASES = [(spec, case) for spec in SPECS for case in discover(spec)]
_results: dict = {}


def _outcomes(spec, php):
    if spec not in _results:
        loaded = load(spec)
        _results[spec] = {o.case.name: o for o in run_cases(loaded, discover(spec), php)}
    return _results[spec]


@pytest.mark.parametrize("spec,case", CASES, ids=[f"{s.parent.name}/{c.name}" for s, c in CASES])
def test_golden_case(spec, case, php):
    outcome = _outcomes(spec, php)[case.name]
    assert outcome.passed, "\n".join(outcome.problems)


def test_every_customization_has_a_passthrough_case():
    from generator.customizations import NAMES

    covered = {c.meta.customization for s, c in CASES if s.parent.name == "passthrough"}
    assert covered == set(NAMES)


def test_example_covers_every_section():
    from generator.customizations import NAMES

    covered = {c.meta.customization for s, c in CASES if s.parent.name == "example"}
    assert covered == set(NAMES)


def test_a_wrong_expectation_fails(tmp_path, php):
    """The comparison itself can fail: a golden case with a wrong expected.json is reported."""
    import shutil

    from generator.cases import discover as find

    src = next(s for s in SPECS if s.parent.name == "docs-whitelist")
    shutil.copytree(src.parent, tmp_path / "w")
    case = tmp_path / "w" / "cases" / "whitelist-300-ignored" / "expected.json"
    case.write_text('{"state": "success", "data": {"result": true}}')
    loaded = load(tmp_path / "w" / "spec.yaml")
    outcomes = {o.case.name: o for o in run_cases(loaded, find(loaded.path), php)}
    assert not outcomes["whitelist-300-ignored"].passed
    assert "reply differs" in outcomes["whitelist-300-ignored"].problems[0]
