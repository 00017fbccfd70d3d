"""Deploy makes the spec's capture folder on the target (issue 19), so the connector's first call
need not: mode 0700, owned like the customization folder, never through a link; on a real folder
and over SSH.  Root deploys here into a folder another user owns, as on a server."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import ROOT, cli_here
from tests.sshd import find_sshd
from tests.test_deploy_states import sshd  # noqa: F401  (the module's throwaway sshd)

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
CONNECTOR = (4242, 4343)  # the connector's user and group (numbers: no account is needed)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: deploying as root for another user is the point")


@pytest.fixture(params=["local", "ssh"])
def where(request, tmp_path, monkeypatch):
    folder = tmp_path / "server" / "actions"
    folder.mkdir(parents=True)
    os.chown(folder, *CONNECTOR)
    if request.param == "local":
        return folder, str(folder)
    if find_sshd() is None:
        pytest.skip("sshd missing: scripts/install.sh installs it")
    daemon = request.getfixturevalue("sshd")
    monkeypatch.setenv("ITGRIX_GEN_SSH", daemon.ssh)
    return folder, f"ssh://pbx1{folder}"


def spec_with_capture(tmp_path, capture) -> str:
    spec = tmp_path / "spec" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text(EXAMPLE.read_text() + f"capture: {{dir: {str(capture)!r}}}\n")
    return str(spec)


def test_deploy_makes_the_capture_folder_like_the_connectors(where, tmp_path):
    _folder, target = where
    capture = tmp_path / "logs" / "itgrix gen"  # its parent is missing too; a space in the path
    spec = spec_with_capture(tmp_path, capture)
    proc = cli_here("deploy", spec, "--to", target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"capture folder {capture} created" in proc.stdout, proc.stdout[-600:]
    st = capture.lstat()
    assert stat.S_ISDIR(st.st_mode) and st.st_mode & 0o7777 == 0o700 and (st.st_uid, st.st_gid) == CONNECTOR
    again = cli_here("deploy", spec, "--to", target)
    assert again.returncode == 0 and "capture folder" not in again.stdout, "made once, then left alone"


def test_a_linked_capture_folder_is_never_followed(where, tmp_path):
    _folder, target = where
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    capture = tmp_path / "capture"
    capture.symlink_to(elsewhere)
    before = elsewhere.stat()
    proc = cli_here("deploy", spec_with_capture(tmp_path, capture), "--to", target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is a link" in proc.stdout and "the connector will not write there" in proc.stdout
    after = elsewhere.stat()
    assert (after.st_mode, after.st_uid, after.st_gid) == (before.st_mode, before.st_uid, before.st_gid)
    assert capture.is_symlink() and not list(elsewhere.iterdir())


def test_a_dry_run_makes_no_capture_folder(where, tmp_path):
    _folder, target = where
    capture = tmp_path / "logs"
    proc = cli_here("deploy", spec_with_capture(tmp_path, capture), "--to", target, "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not capture.exists()
