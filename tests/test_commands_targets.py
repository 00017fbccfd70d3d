"""The commands that work on targets (deploy, status, capture pull), called as use cases without
the command line: what each says (a Said keeps it) and the exit code it returns are what the CLI
prints and exits with (tests/test_deploy.py, test_pull.py run the same through the command)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.commands import capture_pull, deploy, run, status, terminal
from generator.commands.say import Said
from generator.errors import Exit, UsageProblem, UserError
from tests.conftest import ROOT
from tests.test_pull import line, pulled_lines, spec

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
HAND = "<?php\nreturn array('state' => 'success', 'data' => array('result' => true));\n"


def test_capture_pull_copies_new_lines_once_and_says_one_line_per_target(tmp_path: Path) -> None:
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "need_registration.jsonl").write_bytes(line(1) + line(2))  # Kazakh names and an emoji
    (tmp_path / "pbx-local").mkdir()
    path = spec(tmp_path, cap, [str(tmp_path / "pbx-local")])
    out = tmp_path / "out"
    said = Said()
    assert capture_pull.pull([str(path)], None, out, 2, 60.0, None, said) == 0
    assert said.stdout == [f"pulled    {tmp_path / 'pbx-local'} -> {out / 'pbx-local'}: 2 new line(s) from 1 file(s)"]
    assert pulled_lines(out / "pbx-local") == [line(1), line(2)]
    (cap / "need_registration.jsonl").write_bytes(line(1) + line(2) + line(3))
    said = Said()
    assert capture_pull.pull([str(path)], None, out, 2, 60.0, None, said) == 0
    assert said.stdout[0].endswith(": 1 new line(s) from 1 file(s)")
    assert pulled_lines(out / "pbx-local") == [line(1), line(2), line(3)]


def test_capture_pull_of_a_spec_without_capture_is_exit_2_before_any_copy(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\nname: Без записи\n", encoding="utf-8")
    said = Said()
    assert capture_pull.pull([str(path)], [str(tmp_path)], tmp_path / "out", 1, 60.0, None, said) == 2
    assert said.stderr == [f"error: {path}: the spec has no capture: (nothing to pull)"]
    assert said.stdout == [] and not (tmp_path / "out").exists()


def test_deploy_refuses_a_hand_written_file_then_forced_deploys_and_status_agrees(tmp_path: Path) -> None:
    actions = tmp_path / "actions"
    actions.mkdir()
    (actions / "need_registration.php").write_text(HAND, encoding="utf-8")
    said = Said()
    assert deploy.command(deploy.Asked([str(EXAMPLE)], [str(actions)]), None, said) == 1
    assert said.stderr[-2].startswith(f"refused {actions}: ") and "need_registration.php" in said.stderr[-2]
    assert said.stderr[-1] == "move the change into the spec, or use --force (the files are backed up first)"
    assert any(block.startswith("---") and "-return array('state'" in block for block in said.stdout), "its diff"
    assert (actions / "need_registration.php").read_text(encoding="utf-8") == HAND

    said = Said()
    assert deploy.command(deploy.Asked([str(EXAMPLE)], [str(actions)], force=True), None, said) == 0
    assert said.stdout[-2].startswith(f"deployed {actions}: 13 new, 1 changed, 0 unchanged, 0 refused; ")
    assert said.stdout[-1].startswith("Switch on in the admin panel")

    said = Said()
    assert status.command([str(EXAMPLE)], [str(actions)], "json", False, 1, 60.0, None, None, said) == 0
    target = json.loads("".join(said.stdout))["targets"][0]
    assert target["state"] == "fresh" and set(target["files"].values()) == {"fresh"}
    (actions / "need_registration.php").write_text(HAND + "// Правка вручную 🙂\n", encoding="utf-8")
    said = Said()
    assert status.command([str(EXAMPLE)], [str(actions)], "text", False, 1, 60.0, None, None, said) == 1
    assert "need_registration.php (hand-edited)" in said.stdout[0]

    said = Said()
    assert deploy.command(deploy.Asked([], [str(actions)], rollback=True, list_backups=True), None, said) == 0
    assert said.stdout[0].startswith(f"{actions}: ") and len(said.stdout) == 2, said.stdout
    assert said.stdout[1].startswith("  ") and "by " in said.stdout[1]


def test_deploy_and_status_refuse_contradictory_options_before_touching_a_target(tmp_path: Path) -> None:
    asked = deploy.Asked([str(EXAMPLE)], [str(tmp_path)], diff=True)
    with pytest.raises(UsageProblem, match="--diff goes with --dry-run"):
        deploy.command(asked, None, Said())
    with pytest.raises(UsageProblem, match="--list and --backup go with --rollback"):
        deploy.command(deploy.Asked([str(EXAMPLE)], [str(tmp_path)], list_backups=True), None, Said())
    with pytest.raises(UsageProblem, match="--format 'yaml': text or json"):
        status.command([str(EXAMPLE)], [str(tmp_path)], "yaml", False, 1, 60.0, None, None, Said())
    assert list(tmp_path.iterdir()) == []


def test_run_command_answers_a_case_and_exits_2_on_a_spec_that_does_not_load(tmp_path: Path, php: str) -> None:
    case = EXAMPLE.parent / "cases" / "activity-subject"
    said = Said()
    assert run.command(str(EXAMPLE), None, None, case, php, None, False, None, said) == 0
    assert json.loads("".join(said.stdout)) == json.loads((case / "expected.json").read_text(encoding="utf-8"))
    broken = tmp_path / "spec.yaml"
    broken.write_text("version: 1\nname: x\ntimezone: Europe/Nowhere\n", encoding="utf-8")
    with pytest.raises(Exit) as stop:
        run.command(str(broken), None, None, case, php, None, False, None, Said())
    assert stop.value.code == 2


def test_an_error_ends_the_command_in_one_line_and_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert terminal.exit_code(Exit(1), debug=False) == 1
    assert terminal.exit_code(UserError("--to: не папка"), debug=False) == 2
    assert terminal.exit_code(FileNotFoundError(2, "No such file or directory", "/нет/spec.yaml"), debug=False) == 2
    assert terminal.exit_code(KeyError("x" * 400), debug=False) == 2
    assert terminal.exit_code(KeyboardInterrupt(), debug=False) == 130
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["error: --to: не папка", "error: No such file or directory: /нет/spec.yaml"]
    assert lines[2].startswith("internal error: KeyError: 'xxx") and lines[2].endswith(
        "... (run with --debug for the traceback)"
    )
    assert lines[3] == "interrupted"
    assert terminal.exit_code(KeyError("x"), debug=True) is None, "--debug: the traceback goes on up"
    assert terminal.exit_code(SystemExit(0), debug=False) is None


def test_status_shows_bracketed_paths_as_written_and_no_empty_table_for_a_broken_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a short relative name: the table does not wrap it
    actions = Path("[bold]Ромашка[red]")  # rich markup in a folder name is text, not style
    actions.mkdir()
    said = Said()
    assert status.command([str(EXAMPLE)], [str(actions)], "text", False, 1, 60.0, None, None, said) == 1
    assert "[bold]Ромашка[red]" in "".join(said.stdout)

    broken = tmp_path / "spec.yaml"
    broken.write_text("version: 1\nname: x\nregistration: [\n", encoding="utf-8")
    said = Said()
    assert status.command([str(broken)], [str(actions)], "text", False, 1, 60.0, None, None, said) == 2
    assert said.stdout == [] and said.stderr, (said.stdout, said.stderr)
