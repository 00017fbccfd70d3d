"""Spec readers trust nothing they are given (issue 22, "Readers and runners"): every command
that reads a spec shares one check of the file, deep or self-referring data is a spec error with
its place, values are bounded when the spec is validated (not when it is rendered), and a Python
spec that ends its process fails alone.  Each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, cli, cli_here

OK = "version: 1\nname: x\nregistration: {default: register}\n"


def _no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("command", ["render", "validate", "test", "explain"])
def test_a_device_or_a_fifo_is_refused_by_every_command(tmp_path, command):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    for target in ("/dev/zero", str(fifo)):
        args = [command, target] + (["-o", str(tmp_path / "out")] if command == "render" else [])
        # A fresh process with a memory cap: /dev/zero once filled the memory, a FIFO hung.
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30));"
                "from generator.cli import main; sys.argv = ['itgrix-gen'] + sys.argv[1:]; main()",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert proc.returncode == 2, (target, proc.stdout, proc.stderr)
        assert "not a regular file (a device, FIFO or socket)" in proc.stderr, proc.stderr
        _no_traceback(proc)


def test_a_python_spec_named_as_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "spec.py"
    os.mkfifo(fifo)
    proc = cli_here("validate", str(fifo))
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nname: &a [*a]\n",
        "version: 1\nname: x\nfinal_params:\n  set: &s {X: [1, {Y: *s}]}\n",
    ],
)
def test_a_recursive_anchor_is_a_spec_error(tmp_path, text):
    (tmp_path / "spec.yaml").write_text(text)
    proc = cli_here("validate", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 2
    assert "would contain itself forever" in proc.stderr and "spec.yaml:" in proc.stderr
    _no_traceback(proc)


def test_an_anchor_used_beside_itself_is_fine(tmp_path):
    (tmp_path / "spec.yaml").write_text(
        "version: 1\nname: x\nfinal_params:\n  set: &s {ADD_TO_CHAT: 1}\n  rules: [{when: {answered: true}, set: *s}]\n"
    )
    assert cli_here("validate", str(tmp_path / "spec.yaml")).returncode == 0


def test_a_deep_extends_chain_is_a_spec_error(tmp_path):
    for i in range(1500):
        text = f"extends: s{i + 1}.yaml\n" if i < 1499 else OK
        (tmp_path / f"s{i}.yaml").write_text(text)
    proc = cli_here("validate", str(tmp_path / "s0.yaml"))
    assert proc.returncode == 2
    assert "a chain of more than 32 specs extending each other is refused" in proc.stderr
    _no_traceback(proc)
    # a chain of ordinary length still works
    for i in range(5):
        (tmp_path / f"t{i}.yaml").write_text(f"extends: t{i + 1}.yaml\n" if i < 4 else OK)
    assert cli_here("validate", str(tmp_path / "t0.yaml")).returncode == 0


@pytest.mark.parametrize("where", ["case.yaml", "input.json", "input"])
def test_a_deep_case_is_a_clear_error(tmp_path, where):
    (tmp_path / "spec.yaml").write_text(OK)
    case = tmp_path / "cases" / "deep"
    case.mkdir(parents=True)
    deep_json = "[" * 5000 + "]" * 5000
    if where == "case.yaml":
        (case / "case.yaml").write_text("customization: need_registration\ndescription: " + deep_json + "\n")
        (case / "input.json").write_text("{}")
    elif where == "input.json":
        (case / "case.yaml").write_text("customization: need_registration\n")
        (case / "input.json").write_text('{"a\\\\": "[[[\\"", "b": ' + deep_json + "}")
    else:
        (case / "case.yaml").write_text("customization: need_registration\ninput: {a: " + deep_json + "}\n")
    proc = cli_here("test", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "nested" in proc.stderr and "deep" in proc.stderr, proc.stderr
    _no_traceback(proc)


def test_duration_is_bounded_when_the_spec_is_validated(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nname: x\nfinal_params:\n  rules:\n"
        "    - when: {duration: 99999999999999999999}\n      set: {ADD_TO_CHAT: 0}\n"
        "    - when: {duration: {gte: 99999999999999999999}}\n      set: {ADD_TO_CHAT: 0}\n"
    )
    proc = cli_here("validate", str(spec))
    assert proc.returncode == 2
    assert "spec.yaml:5:" in proc.stderr and "less than or equal to 2147483647" in proc.stderr
    assert "spec.yaml:7:" in proc.stderr
    rendered = cli_here("render", str(spec), "-o", str(tmp_path / "out"))
    assert rendered.returncode == 2
    _no_traceback(rendered)


def test_other_integer_notations_keep_the_text_as_written(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nname: x\nfinal_params:\n  rules:\n"
        "    - when: {status: 0o304}\n      set: {STATUS_CODE: 0x130}\n"
        "    - when: {status: 304}\n      set: {ADD_TO_CHAT: 0}\n"
    )
    from generator.speclang.loader import Loader

    spec_model = Loader().load(spec).spec
    rules = spec_model.final_params.rules  # type: ignore[union-attr]
    assert rules[0].when.status.values == ("0o304",)  # not "196"
    assert rules[0].set == {"STATUS_CODE": "0x130"}  # not 304
    assert rules[1].when.status.values == ("304",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\ncapture: {dir: /var/log/x, keep: 0x10}\n")
    proc = cli_here("validate", str(bad))
    assert proc.returncode == 2 and "bad.yaml:3:" in proc.stderr and "'0x10'" in proc.stderr


@pytest.mark.parametrize(
    "ending", ["import os\nos._exit(0)\n", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"]
)
def test_a_python_spec_that_ends_its_process_fails_alone(tmp_path, ending):
    (tmp_path / "exits.py").write_text(ending)
    (tmp_path / "fine.yaml").write_text(OK)
    for command in (["validate"], ["render", "-o", str(tmp_path / "out")]):
        proc = cli(*command[:1], str(tmp_path / "exits.py"), str(tmp_path / "fine.yaml"), *command[1:])
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert "importing the spec ended the process" in proc.stderr, proc.stderr
        assert "1 valid, 1 invalid" in proc.stderr or "1 rendered, 1 failed" in proc.stderr, proc.stderr
    # a Python spec that behaves still loads (the import runs in a child process)
    ok = cli_here("validate", str(ROOT / "specs" / "python-spec" / "spec.py"))
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("make", ["long", "deep", "file"])
def test_render_refuses_an_output_path_the_file_system_cannot_hold(tmp_path, make):
    (tmp_path / "spec.yaml").write_text(OK)
    target = {
        "long": str(tmp_path / ("a" * 5000)),
        "deep": "/".join([str(tmp_path)] + ["b" * 200] * 30),
        "file": str(tmp_path / "spec.yaml" / "out"),
    }[make]
    proc = cli_here("render", str(tmp_path / "spec.yaml"), "-o", target)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert ("too long for the file system" if make != "file" else "a file stands where") in proc.stderr
    _no_traceback(proc)
    assert not any(p.suffix == ".php" for p in tmp_path.rglob("*"))
