"""`deploy --rollback --list` and `--backup ID`, on a real folder and over SSH: the list names each
backup's time, deploying user, the spec's git commit (with "+" when the spec was edited since),
the tool's and the spec's version; `--backup ID` undoes every deploy down to ID; an unknown ID is
exit 2 naming the ones there are; a dry run changes nothing."""

from __future__ import annotations

import getpass
import shutil
import subprocess

import pytest

from generator import __version__
from tests.conftest import ROOT, cli_here
from tests.sshd import find_sshd
from tests.test_deploy_states import sshd  # noqa: F401  (the module's throwaway sshd)

EXAMPLE = ROOT / "specs" / "example"
OTHER = ROOT / "specs" / "docs-blacklist" / "spec.yaml"


@pytest.fixture(params=["local", "ssh"])
def where(request, tmp_path, monkeypatch):
    folder = tmp_path / "server" / "actions"
    folder.mkdir(parents=True)
    if request.param == "local":
        return folder, str(folder)
    if find_sshd() is None:
        pytest.skip("sshd missing: scripts/install.sh installs it")
    daemon = request.getfixturevalue("sshd")
    monkeypatch.setenv("ITGRIX_GEN_SSH", daemon.ssh)
    return folder, f"ssh://pbx1{folder}"


def git(folder, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def php_files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".php"}


def backup_ids(target: str) -> list[str]:
    proc = cli_here("deploy", "--rollback", "--list", "--to", target)
    assert proc.returncode == 0, proc.stderr
    return [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]


def test_list_then_roll_back_to_a_chosen_backup(where, tmp_path):
    folder, target = where
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "spec")
    commit = git(repo, "rev-parse", "--short=12", "HEAD")
    spec = repo / "spec.yaml"
    assert cli_here("deploy", str(spec), "--to", target).returncode == 0
    first = php_files(folder)
    assert cli_here("deploy", str(OTHER), "--to", target).returncode == 0
    spec.write_text(spec.read_text() + "# edited after the commit\n")
    assert cli_here("deploy", str(spec), "--to", target).returncode == 0

    listed = cli_here("deploy", "--rollback", "--list", "--to", target)
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.startswith("  ")]
    assert len(lines) == 3 and f"{target}: 3 backup(s) a rollback can restore" in listed.stdout
    assert f"git {commit}," in lines[0] and f"git {commit}+," in lines[2], "the spec's commit, + when edited"
    assert "not in git" not in lines[0] and "git " in lines[1]
    for line in lines:
        assert f"by {getpass.getuser()}" in line and f"itgrix-gen {__version__}" in line
        assert " UTC, " in line and " version " in line
    ids = backup_ids(target)

    unknown = cli_here("deploy", "--rollback", "--backup", "20200101T000000000000Z", "--to", target)
    assert unknown.returncode == 2 and all(i in unknown.stdout + unknown.stderr for i in ids), unknown.stderr

    before = php_files(folder)
    dry = cli_here("deploy", "--rollback", "--backup", ids[1], "--to", target, "--dry-run")
    assert dry.returncode == 0 and "then undo 1 older deploy(s)" in dry.stdout, dry.stdout + dry.stderr
    assert php_files(folder) == before and backup_ids(target) == ids

    back = cli_here("deploy", "--rollback", "--backup", ids[1], "--to", target)
    assert back.returncode == 0, back.stdout + back.stderr
    assert php_files(folder) == first, "as it was before the chosen backup's deploy"
    after = cli_here("deploy", "--rollback", "--list", "--to", target).stdout
    assert "1 backup(s) a rollback can restore" in after and after.count("(restored already)") == 2
    again = cli_here("deploy", "--rollback", "--backup", ids[2], "--to", target)
    assert again.returncode == 2 and "restored already" in again.stdout + again.stderr
