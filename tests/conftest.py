"""Shared fixtures: the real php binary (tests fail, never skip, when it is missing: a suite that
silently skips PHP would prove nothing), and helpers to render specs into temp folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from generator.php.runner import Case, find_php, run_batch
from generator.pipeline import render_files
from generator.speclang.loader import Loader

# Property tests must not fail because the machine is slow or loaded (a CI runner, a laptop
# compiling something): no per-example deadline, and no "input generation is slow" health check.
settings.register_profile("itgrix-gen", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("itgrix-gen")

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(list((ROOT / "specs").rglob("spec.yaml")) + list((ROOT / "specs").rglob("spec.py")))


@pytest.fixture(scope="session")
def php() -> str:
    path = find_php()
    assert path, "php is not installed: run .ci/run or apt-get install -y php-cli"
    return path


def load(path) -> object:
    return Loader().load(path)


def load_text(tmp_path: Path, text: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Loader().load(path)


def render_to(loaded, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for f in render_files(loaded):
        p = folder / f.filename
        p.write_text(f.content, encoding="utf-8")
        paths[f.customization.name] = p
    return paths


def run_one(path: Path, params, now: int | None = None, php: str | None = None):
    text = params if isinstance(params, str) else json.dumps(params, ensure_ascii=False)
    return run_batch([Case(str(path), text, now)], php)[0]


def cli(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd or ROOT,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )


def cli_here(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """The same command line, run in this process (much faster than a new Python for each call);
    for the tests where a separate process is not the point."""
    import contextlib
    import io
    import os

    from generator import cli as entry

    out, err = io.StringIO(), io.StringIO()
    here, argv, stdin = os.getcwd(), sys.argv, sys.stdin
    code: object = 0
    try:
        os.chdir(cwd or ROOT)
        sys.argv = ["itgrix-gen", *args]
        sys.stdin = io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                entry.main()
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(here)
        sys.argv, sys.stdin = argv, stdin
    return subprocess.CompletedProcess(list(args), code if isinstance(code, int) else 1, out.getvalue(), err.getvalue())


def validate_warnings(folder: Path, text: str, name: str = "spec.yaml") -> list[str]:
    """The warning lines `itgrix-gen validate` says of the spec `text` (written to folder/name),
    which must still be valid."""
    (folder / name).write_text(text, encoding="utf-8")
    proc = cli_here("validate", name, cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stderr.splitlines() if "warning:" in line]


# How many generated examples the property and fuzz tests ran, printed at the end of the run.
STATS: dict[str, int] = {}


def count(label: str, n: int = 1) -> None:
    STATS[label] = STATS.get(label, 0) + n


def pytest_terminal_summary(terminalreporter):
    if STATS:
        terminalreporter.section("examples tried by property and fuzz tests")
        for label, n in sorted(STATS.items()):
            terminalreporter.write_line(f"{label}: {n}")
