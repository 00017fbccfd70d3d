"""The committed out/ is exactly what the example spec renders to."""

from tests.conftest import ROOT, cli


def test_committed_out_is_fresh():
    proc = cli("render", "specs/example/spec.yaml", "--check", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
