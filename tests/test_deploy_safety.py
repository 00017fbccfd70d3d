"""Deploy and rollback lose nothing: a lock against concurrent deploys, rollback that refuses hand
edits and keeps bytes, mode and owner exactly, a tampered backup that cannot reach outside the
folder, a damaged manifest that does not switch off the hand-edit guard, left-over temporary
files, and files that cannot be read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import deploy as dep
from tests.conftest import ROOT, cli_here

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
OTHER = ROOT / "specs" / "docs-blacklist" / "spec.yaml"
# Hand-written file as a server might hold it: CRLF line ends, not UTF-8, mode 0640.
HAND = b"<?php\r\n// caf\xe9 (latin-1)\r\nreturn array('state' => 'success', 'data' => array('result' => true));\r\n"


@pytest.fixture
def actions(tmp_path):
    folder = tmp_path / "actions"
    folder.mkdir()
    path = folder / "need_registration.php"
    path.write_bytes(HAND)
    os.chmod(path, 0o640)
    if os.geteuid() == 0:  # the connector's user owns its folder and the file
        os.chown(path, 1234, 5678)
        os.chown(folder, 1234, 5678)
    return folder


def php_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def deploy(*args: str):
    return cli_here("deploy", *args)


def test_rollback_keeps_bytes_mode_and_owner(actions):
    before = os.stat(actions / "need_registration.php")
    assert deploy(str(EXAMPLE), "--to", str(actions), "--force").returncode == 0
    proc = deploy("--rollback", "--to", str(actions))
    assert proc.returncode == 0, proc.stderr
    path = actions / "need_registration.php"
    assert path.read_bytes() == HAND, "CRLF and non-UTF-8 bytes kept"
    after = os.stat(path)
    assert after.st_mode & 0o7777 == 0o640
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert sorted(php_files(actions)) == ["need_registration.php"], "files the deploy created removed"


def test_rollback_refuses_hand_edits_then_forced_with_backup(actions):
    deploy(str(EXAMPLE), "--to", str(actions), "--force")
    edited = actions / "process_final_params.php"
    edited.write_text(edited.read_text() + "// fixed on the server\n")
    proc = deploy("--rollback", "--to", str(actions))
    assert proc.returncode == 1 and "process_final_params.php" in proc.stderr and "--force" in proc.stderr
    assert "fixed on the server" in edited.read_text(), "nothing rolled back"
    proc = deploy("--rollback", "--to", str(actions), "--force")
    assert proc.returncode == 0, proc.stderr
    assert not edited.exists()
    [kept] = [p for p in (actions / ".itgrix-gen" / "backups").iterdir() if p.name.endswith(".before-rollback")]
    assert "fixed on the server" in (kept / "process_final_params.php").read_text(), "the edit was backed up first"


@pytest.mark.parametrize("name", ["../../outside.php", "/tmp/outside.php", ".itgrix-gen/manifest.json", "x.php"])
def test_tampered_backup_cannot_reach_outside(actions, tmp_path, name):
    deploy(str(EXAMPLE), "--to", str(actions), "--force")
    [backup] = dep.backups(actions)
    info = json.loads((backup / "backup.json").read_text())
    info["created"].append(name)
    (backup / "backup.json").write_text(json.dumps(info))
    victim = tmp_path / "outside.php"
    victim.write_text("keep me")
    before = php_files(actions)
    proc = deploy("--rollback", "--to", str(actions))
    assert proc.returncode == 1 and "tampered" in proc.stderr
    assert victim.read_text() == "keep me" and php_files(actions) == before


def test_failed_deploy_never_advises_rollback(actions):
    deploy(str(EXAMPLE), "--to", str(actions), "--force")
    good = php_files(actions)
    # the folder becomes read-only for the files' writer: simulate with a file the deploy must replace
    # turned into a folder, so writing it fails after others were written
    target = actions / "process_user_phone.php"
    target.unlink()
    target.mkdir()
    proc = deploy(str(OTHER), "--to", str(actions))
    assert proc.returncode == 1
    assert "rollback" not in (proc.stdout + proc.stderr)
    target.rmdir()
    good.pop("process_user_phone.php")
    now = php_files(actions)
    assert now == good, "what was written was put back"


def test_unreadable_target_is_one_clear_line(actions):
    deploy(str(EXAMPLE), "--to", str(actions), "--force")
    target = actions / "process_client_phone.php"
    target.unlink()
    os.mkfifo(target)  # reading it would block forever; a folder or a 0000 file is refused the same way
    proc = deploy(str(OTHER), "--to", str(actions))
    assert proc.returncode == 1
    assert "cannot use" in proc.stderr and "process_client_phone.php is a FIFO" in proc.stderr
    assert "Traceback" not in proc.stderr and "nothing was written" in proc.stderr


@pytest.mark.parametrize("damage", ["delete", "corrupt", "empty-object"])
def test_damaged_manifest_keeps_the_hand_edit_guard(actions, damage):
    deploy(str(EXAMPLE), "--to", str(actions), "--force")
    edited = actions / "process_final_params.php"
    edited.write_text(edited.read_text() + "// fixed on the server\n")
    manifest = actions / ".itgrix-gen" / "manifest.json"
    if damage == "delete":
        manifest.unlink()
    elif damage == "corrupt":
        manifest.write_text('{"files": {"process_final')
    else:
        manifest.write_text("{}")
    proc = deploy(str(OTHER), "--to", str(actions))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "hand-edited" in proc.stdout
    assert "fixed on the server" in edited.read_text()


def test_deleted_state_folder_keeps_the_guard_for_generated_files(actions):
    import shutil

    deploy(str(EXAMPLE), "--to", str(actions), "--force")
    edited = actions / "process_final_params.php"
    edited.write_text(edited.read_text() + "// fixed on the server\n")
    shutil.rmtree(actions / ".itgrix-gen")
    proc = deploy(str(OTHER), "--to", str(actions))
    assert proc.returncode == 1 and "hand-edited" in proc.stdout


def test_leftover_temporary_files_are_cleaned(actions):
    deploy(str(EXAMPLE), "--to", str(actions), "--force")
    stale = actions / ".need_registration.php.x1y2z3.tmp"
    stale.write_text("half a file")
    unrelated = actions / ".my-notes.tmp"
    unrelated.write_text("not ours")
    assert deploy(str(OTHER), "--to", str(actions)).returncode == 0
    assert not stale.exists() and unrelated.exists()


def test_second_deploy_waits_for_the_lock(actions):
    import fcntl

    lock = actions / ".itgrix-gen"
    lock.mkdir()
    fd = os.open(lock / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        proc = deploy(str(EXAMPLE), "--to", str(actions), "--wait", "0.3")
    finally:
        os.close(fd)
    assert proc.returncode == 1 and "still running" in proc.stderr
    assert php_files(actions) == {"need_registration.php": HAND}


def test_concurrent_deploys_never_mix_two_clients(actions):
    """Rounds of 2-5 deploys of two different specs at once: afterwards the files are all one
    spec's, and the manifest agrees with them."""
    from generator.pipeline import render_files
    from tests.conftest import load

    specs = {}
    for spec in (EXAMPLE, OTHER):
        loaded = load(spec)
        specs[loaded.spec.name] = {r.filename: r.content.encode() for r in render_files(loaded)}
    exe = [sys.executable, "-m", "generator", "deploy", "--force"]
    for round_ in range(4):
        count = 2 + round_
        procs = [
            subprocess.Popen(
                exe + [str((EXAMPLE, OTHER)[i % 2]), "--to", str(actions)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for i in range(count)
        ]
        for proc in procs:
            _, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
        files = {k: v for k, v in php_files(actions).items() if k.endswith(".php")}
        owners = [name for name, expected in specs.items() if files == expected]
        assert len(owners) == 1, f"round {round_}: the files mix two specs"
        manifest = json.loads((actions / ".itgrix-gen" / "manifest.json").read_text())
        assert manifest["spec"] == owners[0]
        assert manifest["files"] == {n: dep.sha256(b) for n, b in files.items()}
