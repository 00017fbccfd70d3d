"""The committed golden records (out/example/ and specs/*/golden/) are exactly what their specs
render to: scripts/regenerate.sh rewrites them, reviewers read the diff."""

import subprocess

from tests.conftest import ROOT


def test_golden_records_are_fresh():
    proc = subprocess.run(
        ["bash", "scripts/regenerate.sh", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.count("generated files are fresh") == len(list((ROOT / "specs").glob("*/spec.*")))
