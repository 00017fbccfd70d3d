"""Snapshot tests of spec errors: each folder under tests/bad_specs/ holds a bad spec.yaml and the
exact stderr `itgrix-gen validate spec.yaml` must print (file:line:col: path: message, all errors
at once), with exit code 2 and no traceback.  UPDATE_SNAPSHOTS=1 rewrites the expected files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import cli_here

BAD = sorted(p for p in (Path(__file__).parent / "bad_specs").iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", BAD, ids=[p.name for p in BAD])
def test_bad_spec_message(folder, php):
    proc = cli_here("validate", "spec.yaml", cwd=folder)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    expected = folder / "expected.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        expected.write_text(proc.stderr, encoding="utf-8")
    assert proc.stderr == expected.read_text(encoding="utf-8")


def test_every_line_has_a_position():
    import re

    for folder in BAD:
        for line in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
            assert re.match(r"^[\w./-]+:\d+:\d+: ", line), line
