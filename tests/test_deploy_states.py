"""`status` and `deploy --dry-run` judge every file by the one classifier (generator/deploystate.py):
on a real folder and over SSH, each state it knows (fresh, stale, hand-edited, unusable, missing;
a file hand-written before the first deploy; a history whose manifest is lost) is said the same
by both commands, and `status --diff` shows a hand edit with its time and owner."""

from __future__ import annotations

import json
import os
import pwd

import pytest

from tests.conftest import ROOT, cli_here
from tests.sshd import find_sshd

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
OTHER = ROOT / "specs" / "docs-blacklist" / "spec.yaml"
STATES = ("fresh", "stale", "hand-edited", "unusable", "missing")


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


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    from tests.sshd import Sshd

    server = Sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


def status_of(target: str) -> dict[str, str]:
    proc = cli_here("status", str(EXAMPLE), "--to", target, "--format", "json")
    return dict(json.loads(proc.stdout)["targets"][0]["files"])


def dry_run_of(target: str, *extra: str) -> tuple[dict[str, str], str]:
    """Each file's state as `deploy --dry-run` prints it (one line per state), and the output."""
    proc = cli_here("deploy", str(EXAMPLE), "--to", target, "--dry-run", *extra)
    files: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        state, _, rest = line.partition(" ")
        if state in STATES and rest.lstrip().startswith(f"{target}: "):
            names = rest.lstrip()[len(target) + 2 :]
            if not names.endswith("file(s)"):  # many fresh files are counted, not named
                files.update({name: state for name in names.split(", ")})
    return files, proc.stdout + proc.stderr


def agree(target: str) -> dict[str, str]:
    said = status_of(target)
    planned, output = dry_run_of(target)
    fresh = [n for n, s in said.items() if s == "fresh"]
    if len(fresh) > 3:  # many fresh files are counted, not named
        assert f"fresh       {target}: {len(fresh)} file(s)" in output
        said = {n: s for n, s in said.items() if s != "fresh"}
    assert planned == said, output
    return status_of(target)


def test_every_state_is_said_alike_by_status_and_dry_run(where):
    folder, target = where
    assert cli_here("deploy", str(OTHER), "--to", target).returncode == 0
    assert set(agree(target).values()) == {"stale"}, "every file is an earlier deploy's"
    earlier = (folder / "process_final_params.php").read_bytes()
    assert cli_here("deploy", str(EXAMPLE), "--to", target).returncode == 0
    assert set(agree(target).values()) == {"fresh"}
    (folder / "process_final_params.php").write_bytes(earlier)  # as the earlier deploy wrote it
    (folder / "need_registration.php").write_text("<?php // quick fix\n")
    (folder / "post_registration.php").unlink()
    (folder / "customize_entity.php").unlink()
    (folder / "customize_entity.php").symlink_to(folder.parent / "elsewhere.php")
    (folder.parent / "elsewhere.php").write_text("<?php\n")
    states = agree(target)
    assert states["need_registration.php"] == "hand-edited"
    assert states["post_registration.php"] == "missing"
    assert states["customize_entity.php"] == "unusable"
    assert {"fresh", "stale"} <= set(states.values())
    _planned, output = dry_run_of(target)
    assert "refused" in output and "2 refused" in output, output


def test_a_file_hand_written_before_the_first_deploy_and_a_lost_manifest(where):
    folder, target = where
    (folder / "need_registration.php").write_text("<?php\nreturn array('state' => 'success');\n")
    assert agree(target)["need_registration.php"] == "hand-edited"
    assert cli_here("deploy", str(OTHER), "--to", target, "--force").returncode == 0
    stale = [n for n, s in agree(target).items() if s == "stale"]
    assert stale
    (folder / ".itgrix-gen" / "manifest.json").unlink()
    states = agree(target)
    assert all(states[n] == "hand-edited" for n in stale), "a lost history takes nothing on trust"


def test_status_diff_shows_a_hand_edit_with_its_time_and_owner(where):
    folder, target = where
    assert cli_here("deploy", str(EXAMPLE), "--to", target).returncode == 0
    edited = folder / "need_registration.php"
    edited.write_text(edited.read_text().replace("<?php", "<?php // по просьбе клиента", 1))
    os.utime(edited, (1_700_000_000, 1_700_000_000))
    plain = cli_here("status", str(EXAMPLE), "--to", target)
    assert plain.returncode == 1 and "+++" not in plain.stdout
    proc = cli_here("status", str(EXAMPLE), "--to", target, "--diff")
    assert proc.returncode == 1
    assert "-<?php // по просьбе клиента" in proc.stdout and "+<?php" in proc.stdout
    me = pwd.getpwuid(os.getuid()).pw_name
    assert f"on the server: modified 2023-11-14 22:13:20 UTC, owner {me} (uid {os.getuid()})" in proc.stdout
    assert proc.stdout.count("--- ") == 1, "only the hand-edited file"
    data = json.loads(cli_here("status", str(EXAMPLE), "--to", target, "--diff", "--format", "json").stdout)
    (only,) = data["targets"][0]["diffs"]
    assert "-<?php // по просьбе клиента" in only and "owner " + me in only
    plain_json = json.loads(cli_here("status", str(EXAMPLE), "--to", target, "--format", "json").stdout)
    assert "diffs" not in plain_json["targets"][0]


def test_a_deploy_in_progress_is_not_a_lost_manifest():
    """A deploy that lost the race for a server's lock reads it again while the winner writes its
    first deploy there: a backup and the journal, the manifest not yet.  Its files are the
    winner's, not hand edits (a loaded machine's CI refused one of four racing deploys so)."""
    from generator.deploystate import FoundFile, TargetState

    state = TargetState(
        where="pbx1",
        backups={"20261201T160000Z": {"wrote": {"need_registration.php": "a" * 64}}},
        pending={"backup": "20261201T160000Z", "files": {"need_registration.php": "a" * 64}},
        files={"need_registration.php": FoundFile(data=b"<?php")},
    )
    known, lost = state.known()
    assert not lost and known["need_registration.php"] == {"a" * 64}
    # A manifest that was there and cannot be read is still lost, journal or not.
    assert TargetState(where="pbx1", manifest_exists=True, pending=state.pending, backups=state.backups).known()[1]
    assert TargetState(where="pbx1", backups=state.backups).known()[1]
