"""`itgrix-gen deploy` against a real temporary folder: first deploy over hand-written files,
idempotent redeploy, a hand-edited file refused, a crash between two files (every file old or new,
never half-written; rollback restores; the next deploy recognises its own files), rollback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator import deploy as dep
from generator.pipeline import render_files
from tests.conftest import ROOT, cli_here, load

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
OTHER = ROOT / "specs" / "docs-blacklist" / "spec.yaml"
LIVE_TRIAL = ROOT / "specs" / "live-trial" / "spec.yaml"
HAND = "<?php\nreturn array('state' => 'success', 'data' => array('result' => true));\n"


@pytest.fixture
def actions(tmp_path):
    folder = tmp_path / "actions"
    folder.mkdir()
    (folder / "need_registration.php").write_text(HAND)
    os.chmod(folder / "need_registration.php", 0o640)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_dry_run_writes_nothing(actions):
    before = snapshot(actions)
    proc = cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert f"hand-edited {actions}: need_registration.php\n" in proc.stdout and "missing     " in proc.stdout
    assert f"dry run {actions}: 13 new, 1 changed, 0 unchanged, 0 refused" in proc.stdout
    assert "+<?php" not in proc.stdout, "diffs only with --diff"
    diffs = cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force", "--dry-run", "--diff").stdout
    assert diffs.index("dry run ") < diffs.index("+<?php"), "the summary first, then the diffs"
    assert snapshot(actions) == before
    assert not (actions / ".itgrix-gen").exists()


def test_first_deploy_over_a_hand_written_file_is_refused_with_its_diff(actions):
    """Issue 17: a customization file written by hand before itgrix-gen is someone's work: the
    first deploy refuses it like a hand edit (dry run too), --force replaces it, the backup keeps it."""
    before = snapshot(actions)
    for extra in ((), ("--dry-run",)):
        proc = cli_here("deploy", str(EXAMPLE), "--to", str(actions), *extra)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "refused" in proc.stderr and "need_registration.php" in proc.stderr
        assert "-return array('state' => 'success'" in proc.stdout, "the hand-written file's diff"
        assert snapshot(actions) == before
    status = cli_here("status", str(EXAMPLE), "--to", str(actions), "--format", "json")
    files = json.loads(status.stdout)["targets"][0]["files"]
    assert files["need_registration.php"] == "hand-edited", "status and deploy agree about it"
    assert cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force").returncode == 0
    [backup] = dep.backups(actions)
    assert (backup / "need_registration.php").read_text() == HAND


def test_deploy_backup_manifest_mode_and_summary(actions):
    proc = cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force")
    assert proc.returncode == 0, proc.stderr
    assert len([p for p in actions.iterdir() if p.suffix == ".php"]) == 14
    assert oct(os.stat(actions / "need_registration.php").st_mode & 0o777) == "0o640", "mode of the replaced file kept"
    manifest = json.loads((actions / ".itgrix-gen" / "manifest.json").read_text())
    assert set(manifest["files"]) == {p.name for p in actions.iterdir() if p.suffix == ".php"}
    for name, digest in manifest["files"].items():
        assert dep.sha256((actions / name).read_bytes()) == digest
    [backup] = dep.backups(actions)
    assert (backup / "need_registration.php").read_text() == HAND
    assert "Switch on in the admin panel" in proc.stdout
    again = cli_here("deploy", str(EXAMPLE), "--to", str(actions))
    assert again.returncode == 0 and f"fresh       {actions}: 14 file(s)" in again.stdout
    assert f"unchanged {actions}: 0 new, 0 changed, 14 unchanged, 0 refused" in again.stdout
    assert "nothing to change" in again.stdout
    assert len(dep.backups(actions)) == 1


def test_hand_edited_file_is_refused_then_forced(actions):
    cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force")
    target = actions / "process_final_params.php"
    target.write_text(target.read_text() + "// quick fix on the server\n")
    proc = cli_here("deploy", str(OTHER), "--to", str(actions))
    assert proc.returncode == 1
    assert "hand-edited" in proc.stdout and "-// quick fix on the server" in proc.stdout
    assert "// quick fix on the server" in target.read_text(), "nothing overwritten"
    assert cli_here("deploy", str(OTHER), "--to", str(actions), "--force").returncode == 0
    assert "quick fix" not in target.read_text()


def test_failure_mid_deploy_puts_everything_back(actions):
    cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force")
    deployed = snapshot(actions)
    backups_before = dep.backups(actions)
    loaded = load(OTHER)
    rendered = render_files(loaded)
    plan = dep.plan(actions, rendered)
    assert len(plan.changes) > 3
    written = []

    def failing_writer(where, name, data, mode, owner):
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        dep.replace_file(where, name, data, mode, owner)
        written.append(name)

    with pytest.raises(dep.DeployError) as failure:
        dep.apply(plan, loaded.spec.name, loaded.digest, writer=failing_writer)
    assert "nothing changed" in str(failure.value) and "rollback" not in str(failure.value)
    assert snapshot(actions) == deployed, "the three files already written were put back"
    assert dep.backups(actions) == backups_before, "no backup of a deploy that did not happen"
    assert not (actions / ".itgrix-gen" / "pending.json").exists()
    # and a rollback still undoes the last good deploy, not the failed one
    assert cli_here("deploy", "--rollback", "--to", str(actions)).returncode == 0
    assert (actions / "need_registration.php").read_text() == HAND


CRASH = """
import os, sys
from pathlib import Path
from generator import deploy as dep
from generator.pipeline import render_files
from generator.speclang.loader import Loader
folder, spec = Path(sys.argv[1]), sys.argv[2]
loaded = Loader().load(spec)
rendered = render_files(loaded)
written = []
def writer(where, name, data, mode, owner):
    if len(written) == 3:
        # half a temporary file, then the process dies as under kill -9
        (where.path / ("." + name + ".abc123.tmp")).write_bytes(data[:100])
        os._exit(9)
    dep.replace_file(where, name, data, mode, owner)
    written.append(name)
with dep.locked(folder):
    dep.apply(dep.plan(folder, rendered), loaded.spec.name, loaded.digest, writer=writer)
"""


def test_killed_mid_deploy_every_file_old_or_new_then_recovered(actions):
    import subprocess
    import sys

    cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force")
    deployed = snapshot(actions)
    proc = subprocess.run([sys.executable, "-c", CRASH, str(actions), str(OTHER)], cwd=ROOT, capture_output=True)
    assert proc.returncode == 9, proc.stderr
    loaded = load(OTHER)
    rendered = render_files(loaded)
    new = {r.filename: r.content.encode() for r in rendered}
    now = {k: v for k, v in snapshot(actions).items() if not k.endswith(".tmp")}
    for name, data in now.items():
        assert data in (deployed[name], new[name]), f"{name} is neither old nor new"
    assert sum(now[n] == new[n] != deployed[n] for n in now) == 3
    assert [p for p in actions.iterdir() if p.name.endswith(".tmp")], "the crash left a temporary file"
    # the next deploy knows the three new files are its own (journal), not hand edits
    assert not dep.plan(actions, rendered).hand_edited
    proc = cli_here("deploy", "--rollback", "--to", str(actions))
    assert proc.returncode == 0, proc.stderr
    assert snapshot(actions) == deployed, "rolled back, and the temporary file cleaned up"
    assert not (actions / ".itgrix-gen" / "pending.json").exists()


def test_rollback_restores_previous_deploy_and_removes_created(actions):
    original = snapshot(actions)
    cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force")
    first = snapshot(actions)
    cli_here("deploy", str(OTHER), "--to", str(actions))
    assert cli_here("deploy", "--rollback", "--to", str(actions)).returncode == 0
    assert snapshot(actions) == first
    manifest = json.loads((actions / ".itgrix-gen" / "manifest.json").read_text())
    assert manifest["spec"] == "example"
    assert cli_here("deploy", "--rollback", "--to", str(actions)).returncode == 0
    assert snapshot(actions) == original, "created files removed, the hand-written one back"
    proc = cli_here("deploy", "--rollback", "--to", str(actions))
    assert proc.returncode == 1 and "no backup" in proc.stderr  # a failed target (cli.md: 1)


def test_failed_check_writes_nothing(actions, monkeypatch):
    """A generated file that fails the syntax check stops the deploy before the folder is touched."""
    from generator import pipeline
    from tests.conftest import cli_here

    real = pipeline.render_files

    def broken(loaded):
        files = real(loaded)
        return [
            f
            if f.customization.name != "need_registration"
            else pipeline.RenderedFile(f.customization, f.content.replace("return array(", "return [", 1), True)
            for f in files
        ]

    monkeypatch.setattr(pipeline, "render_files", broken)
    monkeypatch.setenv("ITGRIX_GEN_NO_CACHE", "1")
    before = snapshot(actions)
    proc = cli_here("deploy", str(EXAMPLE), "--to", str(actions))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # check failed on a target (cli.md: 1)
    assert "check failed: need_registration.php" in proc.stderr and "nothing was written" in proc.stderr
    assert snapshot(actions) == before
    assert not (actions / ".itgrix-gen").exists()


def _wide_status(folder):
    """`status`'s table for `folder` as a wide terminal shows it (a narrow one wraps a long path)."""
    import io

    from rich.console import Console

    from generator.commands.status import table
    from generator.deploystate import Outcome

    found = json.loads(cli_here("status", str(EXAMPLE), "--to", str(folder), "--format", "json").stdout)
    entry = found["targets"][0]
    outcome = Outcome(entry["spec"], entry["target"], entry["state"], entry["detail"], entry["files"])
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(table([outcome], None))
    return console.export_text()


def test_deploy_errors(tmp_path):
    # A mistyped path and a file are told apart, by deploy, rollback and status alike.
    missing, a_file = tmp_path / "missing", tmp_path / "a-file"
    a_file.write_text("x\n")
    for argv in (["deploy"], ["deploy", "--rollback"], ["status", "--format", "json"]):
        proc = cli_here(*argv, str(EXAMPLE), "--to", str(missing))
        said = proc.stdout + proc.stderr
        assert proc.returncode == 1 and f"{missing} does not exist (the connector's" in said, said
        proc = cli_here(*argv, str(EXAMPLE), "--to", str(a_file))
        assert proc.returncode == 1 and f"{a_file} is not a folder" in proc.stdout + proc.stderr
    # The status table names one missing folder, not its fourteen files.
    table = _wide_status(missing)
    assert "all 14 files missing" in table and "need_registration.php" not in table, table
    proc = cli_here("deploy", "--to", str(tmp_path))
    assert proc.returncode == 2
    bad = tmp_path / "spec.yaml"
    bad.write_text("version: 1\nname: x\nregistration: {default: maybe}\n")
    proc = cli_here("deploy", str(bad), "--to", str(tmp_path))
    assert proc.returncode == 2 and "spec.yaml:3" in proc.stderr
    assert not (tmp_path / ".itgrix-gen").exists()


def test_a_rule_inserted_in_a_capturing_spec_redeploys_one_file(tmp_path):
    """Issue 18: with `capture:` on, every file carried the whole set's version, so one rule
    inserted in registration made all fourteen files stale and the deploy backed up fourteen;
    now status says one file is stale, the deploy replaces and backs up that one, and the
    manifest's set version and that file's own version move while the other thirteen stay."""
    spec = tmp_path / "spec.yaml"
    text = LIVE_TRIAL.read_text(encoding="utf-8").replace("/var/log/itgrix-gen", str(tmp_path / "captures"))
    spec.write_text(text, encoding="utf-8")
    folder = tmp_path / "actions"
    folder.mkdir()
    assert cli_here("deploy", str(spec), "--to", str(folder)).returncode == 0
    manifest = json.loads((folder / ".itgrix-gen" / "manifest.json").read_text())
    rule = "    - when: {extension: ['555']}\n      then: skip\n"
    spec.write_text(text.replace("registration:\n  rules:\n", "registration:\n  rules:\n" + rule, 1), encoding="utf-8")
    status = cli_here("status", str(spec), "--to", str(folder), "--format", "json")
    files = json.loads(status.stdout)["targets"][0]["files"]
    assert sorted(name for name, state in files.items() if state != "fresh") == ["need_registration.php"], files
    proc = cli_here("deploy", str(spec), "--to", str(folder))
    assert proc.returncode == 0 and "1 file(s) written" in proc.stdout, proc.stdout + proc.stderr
    newest = dep.backups(folder)[-1]
    record = json.loads((newest / "backup.json").read_text())
    assert record["replaced"] == ["need_registration.php"] and record["created"] == []
    after = json.loads((folder / ".itgrix-gen" / "manifest.json").read_text())
    assert after["spec_version"] != manifest["spec_version"]
    moved = [n for n in after["file_versions"] if after["file_versions"][n] != manifest["file_versions"][n]]
    assert moved == ["need_registration.php"]


def test_the_deploy_record_names_the_spec_version_and_the_user(actions):
    """Issue 19: the manifest and the backup record say which files (a hash of the rendered files)
    were deployed, by whom and with which tool, the same for a folder and a server."""
    import getpass

    from generator import __version__

    assert cli_here("deploy", str(EXAMPLE), "--to", str(actions), "--force").returncode == 0
    manifest = json.loads((actions / ".itgrix-gen" / "manifest.json").read_text())
    plan = dep.plan(actions, render_files(load(EXAMPLE)))
    assert manifest["spec_version"] == dep.spec_version(plan) == render_files(load(EXAMPLE))[0].spec_version
    assert len(manifest["spec_version"]) == 12
    # Each file's own version (what its capture lines name), by file name.
    assert manifest["file_versions"] == {f.filename: f.version for f in render_files(load(EXAMPLE))}
    assert len(set(manifest["file_versions"].values())) == 14
    [backup] = dep.backups(actions)
    record = json.loads((backup / "backup.json").read_text())
    assert record["spec"] == "example" and record["spec_version"] == manifest["spec_version"]
    assert record["deployed_by"] == getpass.getuser() and record["tool"] == f"itgrix-gen {__version__}"


def test_a_folder_targets_php_bin_is_checked_as_a_servers(tmp_path):
    """deploy.to's php_bin and --php-bin were ignored for a folder target (issue 19): now that php
    must run, reach the spec's php: and accept every file with php -l, as over SSH, before
    anything is written."""
    from tests.test_deploy_ssh import fake_php

    folder = tmp_path / "actions"
    folder.mkdir()
    spec = tmp_path / "spec.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    spec.write_text(
        text + f"\ndeploy:\n  to: {{to: {json.dumps(str(folder))}, php_bin: /nonexistent/php56}}\n", encoding="utf-8"
    )
    proc = cli_here("deploy", str(spec))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    said = proc.stdout + proc.stderr
    assert "check failed" in said and "the server's php (/nonexistent/php56) does not run" in said, said
    assert list(folder.iterdir()) == []
    labelled = fake_php(tmp_path, "'PHP 5.3.3'")
    old = cli_here("deploy", str(EXAMPLE), "--to", str(folder), "--php-bin", labelled)
    said = old.stdout + old.stderr
    assert old.returncode == 1 and "says its version is 'PHP 5.3.3'" in said, said
    below = cli_here("deploy", str(EXAMPLE), "--to", str(folder), "--php-bin", fake_php(tmp_path, "5.3.3"))
    said = below.stdout + below.stderr
    assert below.returncode == 1 and "the server runs PHP 5.3.3, below the spec's php: 5.6" in said, said
    refuses = cli_here("deploy", str(EXAMPLE), "--to", str(folder), "--php-bin", fake_php(tmp_path, lint="reject"))
    said = refuses.stdout + refuses.stderr
    assert refuses.returncode == 1 and "php -l refused" in said and "unexpected '['" in said, said
    assert list(folder.iterdir()) == []
    good = cli_here("deploy", str(EXAMPLE), "--to", str(folder), "--php-bin", fake_php(tmp_path, "5.6.40"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert (folder / "need_registration.php").exists()
