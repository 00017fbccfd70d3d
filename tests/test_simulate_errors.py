"""simulate's mistakes read like the rest of the CLI: a scenario file is named a scenario, its
errors print as validate prints a spec's (`file:line:col: path: message`, no prefix), a folder
with no scenario is named, and a misspelt key is said once."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli_here

SPEC = "specs/kazakhstan/spec.yaml"


def test_an_empty_scenario_is_called_a_scenario(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    done = cli_here("simulate", SPEC, str(empty))
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"{empty}:1:1: the scenario is empty; it needs at least name, start, client and rings (or ivr: true)"
    )
    device = cli_here("simulate", SPEC, "/dev/null")
    assert device.returncode == 2 and "a scenario is a text file" in device.stderr and "spec" not in device.stderr


def test_an_empty_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "сценарии"
    folder.mkdir()
    done = cli_here("simulate", SPEC, str(folder))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: no scenario in {folder}/: the folder holds no .yaml or .yml file"


def test_scenario_and_spec_errors_print_as_validate_prints_them(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    for command in (["validate", str(missing)], ["simulate", str(missing)]):
        done = cli_here(*command)
        assert done.returncode == 2 and done.stderr.startswith(f"{missing}:1:1: "), done.stderr
    bad = tmp_path / "call.yaml"
    bad.write_text(
        'name: x\nstrat: "2026-11-25 10:00:00"\nclient: "+77272501234"\nrings: [{extension: "101", for: 5}]\n'
    )
    done = cli_here("simulate", SPEC, str(bad))
    assert done.returncode == 2
    # Said once, where the misspelling is; no "required key 'start' is missing" beside it.
    assert done.stderr.strip() == f"{bad}:2:1: strat: unknown key 'strat'; did you mean 'start'?"
