"""A careless or hostile user never sees a traceback, never waits for minutes and never loses a
file: usage errors on the installed console script, specs that are bombs or not files at all,
`extends` that tries to leave the spec's tree or run Python, Python specs that call sys.exit, a
php binary that hangs, case files that are not UTF-8 or not files, and output folders of two
clients that would collide."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_here

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
CONSOLE_SCRIPT = Path(sys.executable).parent / "itgrix-gen"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["validate"],
        ["--bogus"],
        ["validate", "--bogus", "x.yaml"],
        ["render"],
        ["run"],
        ["run", str(EXAMPLE)],
        ["nosuchcommand"],
        ["deploy", "--to"],
        ["test", "--php-matrix"],
        ["--root", "/nonexistent", "validate", str(EXAMPLE)],
        ["deploy", "--rollback"],  # no target
    ],
)
def test_installed_console_script_usage_errors_exit_2_without_traceback(args):
    assert CONSOLE_SCRIPT.is_file(), f"the console script is not installed at {CONSOLE_SCRIPT} (pip install -e .)"
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, cwd=ROOT
    )
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip(), "a usage error says what is wrong"


def test_help_on_every_command():
    for command in ("validate", "render", "run", "test", "deploy", "explain", "schema", "fields", "init"):
        proc = cli_here(command, "--help")
        assert proc.returncode == 0 and "Usage" in proc.stdout, command


def test_internal_error_is_one_line(monkeypatch):
    from generator.speclang import loader

    def boom(self, path):
        raise ZeroDivisionError("x" * 5000)

    monkeypatch.setattr(loader.Loader, "load", boom)
    proc = cli_here("validate", str(EXAMPLE))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "internal error" in proc.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "folder"])
def test_spec_that_is_not_a_file(tmp_path, target):
    if target == "fifo":
        target = str(tmp_path / "spec.yaml")
        os.mkfifo(target)
    elif target == "folder":
        target = str(tmp_path)
    started = time.monotonic()
    proc = cli_here("validate", target)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60  # a hang guard (reading /dev/zero would never end)
    assert proc.stderr.count("\n") <= 2, proc.stderr


@pytest.mark.parametrize(
    "name,text",
    [
        (
            "alias bomb",
            "version: 1\nname: x\na: &a [1,1,1,1,1,1,1,1,1,1]\n"
            + "".join(f"b{i}: &b{i} [{', '.join(['*' + ('a' if i == 0 else f'b{i - 1}')] * 10)}]\n" for i in range(12)),
        ),
        ("deep", "version: 1\nname: x\nregistration: " + "[" * 100000 + "]" * 100000 + "\n"),
        ("big", "version: 1\nname: x\ndescription: '" + "x" * (2 * 1024 * 1024) + "'\n"),
        ("expands", "version: 1\nname: x\na: &a ['" + "x" * 50000 + "']\nb: [" + ", ".join(["*a"] * 200) + "]\n"),
    ],
)
def test_spec_bombs_are_refused_fast(tmp_path, name, text):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    started = time.monotonic()
    proc = cli_here("render", str(spec), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "refused" in proc.stderr, proc.stderr
    assert time.monotonic() - started < 60, f"{name} took too long"  # a hang guard, not a speed test
    assert not (tmp_path / "out").exists()


def test_extends_through_a_symlink_out_of_the_tree(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("version: 1\nname: base\n")
    tree = tmp_path / "client"
    tree.mkdir()
    (tree / "base.yaml").symlink_to(outside)
    (tree / "spec.yaml").write_text("version: 1\nname: acme\nextends: base.yaml\n")
    proc = cli_here("validate", str(tree / "spec.yaml"))
    assert proc.returncode == 2 and "inside" in proc.stderr
    # --root names a wider tree on purpose
    proc = cli_here("--root", str(tmp_path), "validate", str(tree / "spec.yaml"))
    assert proc.returncode == 0, proc.stderr


def test_extends_a_python_file_never_runs_it(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('x')\nSPEC = {{'version': 1, 'name': 'e'}}\n")
    (tmp_path / "spec.yaml").write_text("version: 1\nname: acme\nextends: evil.py\n")
    proc = cli_here("validate", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 2 and not marker.exists()


def test_python_spec_sys_exit_cannot_end_a_batch_with_0(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "spec.py").write_text("import sys\nsys.exit(0)\n")
    (tmp_path / "b.yaml").write_text("version: 1\nname: b\n")
    proc = cli_here("render", str(tmp_path / "a" / "spec.py"), str(tmp_path / "b.yaml"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "sys.exit" in proc.stderr
    assert (tmp_path / "out" / "b" / "need_registration.php").is_file(), "the other spec was still rendered"


def _refused_python_spec(folder, name: str, text: str):
    """A Python spec `text` written to folder/name, validated: refused (exit 2); its path and what
    validate said."""
    spec = folder / name
    spec.write_text(text)
    proc = cli_here("validate", str(spec))
    assert proc.returncode == 2, proc.stderr
    return spec, proc.stderr


def test_a_python_spec_model_loads_as_written(tmp_path):
    """New-user check: a Spec.model_validate spec whose webhook has no `when` was refused (the
    model's default written back as an empty `when`); the same spec as a dict or YAML loads."""
    spec = tmp_path / "wh.py"
    spec.write_text(
        "from generator import Spec\n"
        "SPEC = Spec.model_validate({'version': 1, 'name': 'py-wh', 'phones': {'client': {'region': 'KZ'}},\n"
        "    'post_registration': {'webhook': {'url': 'https://crm.example/hook?n={client_phone}'}}})\n"
    )
    proc = cli_here("render", str(spec), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "crm.example" in (tmp_path / "out" / "post_registration.php").read_text()


def test_a_python_spec_model_error_names_its_key_and_line(tmp_path):
    """New-user check: an error raised by the module's own Spec.model_validate named only the
    section ("originate: unknown key 'originate'; did you mean 'originate'?") at line 1."""
    spec, said = _refused_python_spec(
        tmp_path,
        "bad.py",
        "from generator import Spec\n\n"
        "SPEC = Spec.model_validate({'version': 1, 'name': 'py-bad', 'originate': {'formt': 'dial', 'region': 'DE'},\n"
        "    'tasks': {'deadline_hours': -1}})\n",
    )
    assert f"{spec}:3:1: originate.formt: unknown key 'formt'; did you mean 'format'?" in said
    assert f"{spec}:3:1: tasks.deadline_hours: input should be greater than 0" in said


def test_a_python_spec_check_after_the_model_points_at_its_spec_line(tmp_path):
    """Second new-user check: an error the spec's checks find after the model (an `hours` rule
    with no timezone) pointed at line 1, not at the SPEC the module assigns."""
    spec, said = _refused_python_spec(
        tmp_path,
        "py4.py",
        "from generator import Spec\n\nSPEC = Spec.model_validate(\n    {'version': 1, 'name': 'py4',\n"
        "     'registration': {'rules': [{'when': {'hours': '09:00-18:00'}, 'then': 'skip'}]}})\n",
    )
    assert f"{spec}:3:1: registration.rules.0.when: hours/days conditions need a timezone" in said


def test_a_python_spec_that_extends_a_yaml_base_is_placed_in_itself(tmp_path):
    """Third new-user check: a Python spec extending a YAML base had its own errors and warnings
    placed in the base (`ok2.yaml:5:1: originate.format`), which holds no such key."""
    (tmp_path / "base.yaml").write_text(
        "version: 1\nname: base\nphones:\n  client: {region: DE}\noriginate:\n  prefix: '9'\n"
    )
    spec, said = _refused_python_spec(
        tmp_path,
        "p13.py",
        "X = 1\n\nSPEC = {'extends': 'base.yaml', 'name': 'p13', 'originate': {'format': 'bogus'},\n"
        "        'registration': {'default': 'maybe'}}\nif X:\n    SPEC = dict(SPEC)\n\n\n"
        "def helper():\n    SPEC = {}\n    return SPEC\n\n\nclass Later:\n    SPEC = None\n",
    )
    # The module's own last SPEC = (in its `if`), not one in a function or class (fourth check).
    assert f"{spec}:6:1: registration.default: 'maybe' is not allowed" in said
    assert f"{spec}:6:1: originate.format: 'bogus' is not allowed" in said
    assert "base.yaml" not in said


def test_duplicate_keys_in_a_case_file_are_named_each_with_its_place(tmp_path):
    """Third new-user check: a golden case's case.yaml with a key written twice gave the parser's raw
    message (its first duplicate only, and a link about suppressing the check)."""
    (tmp_path / "spec.yaml").write_text("version: 1\nname: cs\n")
    case = tmp_path / "cases" / "c1"
    case.mkdir(parents=True)
    (case / "case.yaml").write_text(
        "customization: need_registration\ncustomization: need_registration\n"
        "input: {phone: '1', phone: '2', call_full: {a: 1, a: 2}}\n? [a, b]\n: 1\n? [a, b]\n: 2\n"
    )
    proc = cli_here("test", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 2
    named = f"{case / 'case.yaml'}"
    assert f"{named}:2:1: duplicate key 'customization'" in proc.stderr
    assert f"{named}:3:21: input: duplicate key 'phone'" in proc.stderr
    assert f"{named}:3:51: input.call_full: duplicate key 'a'" in proc.stderr
    assert f"{named}:6:3: duplicate key \"('a', 'b')\"" in proc.stderr  # a list as a key (fourth check)
    assert "suppress" not in proc.stderr


def test_python_spec_in_a_folder_is_not_run(tmp_path):
    marker = tmp_path / "ran"
    client = tmp_path / "clients" / "acme"
    client.mkdir(parents=True)
    (client / "spec.py").write_text(f"open({str(marker)!r}, 'w').write('x')\nSPEC = {{'version': 1, 'name': 'acme'}}\n")
    (tmp_path / "clients" / "other").mkdir()
    (tmp_path / "clients" / "other" / "spec.yaml").write_text("version: 1\nname: other\n")
    proc = cli_here("validate", str(tmp_path / "clients"))
    assert proc.returncode == 0 and not marker.exists()
    assert "skipped" in proc.stderr


def test_hanging_php_binary_is_a_clear_error(tmp_path, monkeypatch):
    from generator.php import runner

    monkeypatch.setattr(runner, "PROBE_TIMEOUT", 1.0)
    fake = tmp_path / "php"
    fake.write_text("#!/bin/sh\nsleep 60 &\nsleep 60\n")
    fake.chmod(0o755)
    case = tmp_path / "in.json"
    case.write_text("{}")
    started = time.monotonic()
    proc = cli_here("run", str(EXAMPLE), "need_registration", "--input", str(case), "--php", str(fake))
    assert proc.returncode == 2 and "did not answer" in proc.stderr, proc.stderr
    assert time.monotonic() - started < 50  # the fake php sleeps 60 s: the 1 s probe deadline ended it


def test_run_rejects_non_utf8_input(tmp_path):
    case = tmp_path / "in.json"
    case.write_bytes(b'{"phone": "\xff"}')
    proc = cli_here("run", str(EXAMPLE), "process_client_phone", "--input", str(case))
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr


def golden_copy(tmp_path: Path) -> Path:
    import shutil

    spec = tmp_path / "spec"
    shutil.copytree(ROOT / "specs" / "docs-blacklist", spec)
    return spec


def test_test_command_with_bad_case_files(tmp_path):
    spec = golden_copy(tmp_path)
    case = sorted((spec / "cases").iterdir())[0]
    target = case / "input.json"
    if not target.exists():  # a compact case: its base call is read instead
        target = next((spec / "calls").iterdir())
    target.write_bytes(b"\xff\xfe{}")
    proc = cli_here("test", str(spec / "spec.yaml"))
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["folder", "symlink"])
def test_update_never_writes_through_a_folder_or_symlink(tmp_path, kind):
    spec = golden_copy(tmp_path)
    case = sorted((spec / "cases").iterdir())[0]
    expected = case / "expected.json"
    expected.unlink()
    outside = tmp_path / "outside.json"
    outside.write_text("precious")
    if kind == "folder":
        expected.mkdir()
    else:
        expected.symlink_to(outside)
    proc = cli_here("test", str(spec / "spec.yaml"), "--update")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert outside.read_text() == "precious"
    assert expected.is_dir() if kind == "folder" else expected.is_symlink()


def test_two_specs_never_share_an_output_folder(tmp_path):
    (tmp_path / "a.yaml").write_text("version: 1\nname: acme corp\n")
    (tmp_path / "b.yaml").write_text("version: 1\nname: acme/corp\nregistration: {default: skip}\n")
    proc = cli_here("render", "a.yaml", "b.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "already taken" in proc.stderr
    first = (tmp_path / "out" / "acme-corp" / "need_registration.php").read_text()
    proc = cli_here("render", "b.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "another spec" in proc.stderr
    assert (tmp_path / "out" / "acme-corp" / "need_registration.php").read_text() == first
    assert cli_here("render", "a.yaml", cwd=tmp_path).returncode == 0, "the owner renders again"


@pytest.mark.parametrize(
    "pattern,floor,ok",
    [
        ("(*pla:\\d)\\d+", "5.4", False),
        ("(*pla:\\d)\\d+", "7.4", True),
        ("(?^i)x", "7.2", False),
        ("\\N{U+0041}", "5.6", False),
        ("\\(\\*pla:", "5.4", True),
        ("(?<n>\\d+)+", "8.4", False),
    ],
)
def test_regex_judged_for_the_specs_php_floor(tmp_path, pattern, floor, ok):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f'version: 1\nname: x\nphp: "{floor}"\nregistration:\n  rules:\n'
        f"    - when: {{client_phone: {{regex: '{pattern}'}}}}\n      then: skip\n"
    )
    proc = cli_here("validate", str(spec))
    assert (proc.returncode == 0) == ok, proc.stderr


def test_lock_file_pins_every_dependency_within_its_declared_range():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    for req in declared:
        assert req.specifier, f"{req.name} has no tested version range in pyproject.toml"
        if req.marker is not None and not req.marker.evaluate():
            continue
        pinned = pins.get(canonicalize_name(req.name))
        assert pinned, f"{req.name} is not pinned in requirements.lock (run scripts/lock.sh)"
        assert req.specifier.contains(pinned), f"{req.name}=={pinned} is outside {req.specifier}"


def test_environment_errors_are_one_line(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (
        ["init", str(afile)],
        ["render", str(EXAMPLE), "-o", str(afile)],
        ["test", str(EXAMPLE), "--cases", str(tmp_path / "missing")],
        ["deploy", str(EXAMPLE), "--to", str(afile)],
        ["deploy", "--rollback", "--to", str(afile)],
    ):
        proc = cli_here(*args)
        # A target that is not a folder is a failed target (cli.md: 1), the rest usage errors (2).
        assert proc.returncode == (1 if args[0] == "deploy" else 2), (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, (args, proc.stderr)


def test_php_matrix_starts_at_the_specs_floor(tmp_path):
    from generator.php.matrix import VERSIONS, versions_for

    # A floor below 7.2 runs on 5.2 too: the files are written for 5.2 and up, and 5.2 is the only
    # runtime older than 7.2 at hand (issue 20: skipping it left 5.4 clients with nothing old tested).
    assert versions_for("5.4") == list(VERSIONS)
    assert versions_for("5.6") == list(VERSIONS)
    assert versions_for("7.0") == list(VERSIONS)
    assert versions_for("5.2") == list(VERSIONS)
    assert versions_for("7.3") == ["native", "7.3"] + [v for v in VERSIONS if v[0] == "8" or v == "7.4"]
    assert versions_for("8.4") == ["native", "8.4", "8.5"]
    assert "7.2" in VERSIONS and "7.3" in VERSIONS
    spec = tmp_path / "spec.yaml"
    spec.write_text('version: 1\nname: modern\nphp: "8.4"\nregistration: {default: skip}\n')
    case = tmp_path / "cases" / "skip"
    case.mkdir(parents=True)
    (case / "case.yaml").write_text("customization: need_registration\n")
    (case / "input.json").write_text("{}")
    (case / "expected.json").write_text('{"state": "success", "data": {"result": false}}')
    proc = cli_here("test", str(spec), "--php-matrix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PHP native, 8.4, 8.5 (from the spec's php: 8.4 floor)" in proc.stderr
    assert "3 passed, 0 failed" in proc.stdout
    # A PHP 5.6 client: its cases run on 5.2 as well (and on 7.2 and 7.3), not from 7.4 on only.
    spec.write_text("version: 1\nname: old\nphp: 5.6\nregistration: {default: skip}\n")
    proc = cli_here("test", str(spec), "--php-matrix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "PHP native, 5.2, 7.2, 7.3, 7.4, 8.0, 8.1, 8.2, 8.3, 8.4, 8.5 (from the spec's php: 5.6 floor)" in proc.stderr
    )
    assert "11 passed, 0 failed" in proc.stdout
