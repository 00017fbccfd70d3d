"""Deploy over SSH against a real sshd (tests/sshd.py) with the system's own ssh client: every
guarantee of the local deploy on a remote folder, the server's PHP as the judge, many targets at
once, and `status` in each state.  The server side runs under dash and under bash."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.pipeline import render_files
from tests.conftest import ROOT, cli_here, load
from tests.sshd import Sshd, find_sshd

pytestmark = pytest.mark.skipif(find_sshd() is None, reason="sshd missing: scripts/install.sh installs it")

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
OTHER = ROOT / "specs" / "docs-blacklist" / "spec.yaml"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def remote(request, sshd, monkeypatch, tmp_path):
    """A fresh connector folder on the server, and its ssh:// target.  The server's side runs under
    `sh` (dash, on Debian), or the shell a test names with indirect parametrization."""
    monkeypatch.setenv("ITGRIX_GEN_SSH", sshd.ssh)
    monkeypatch.setenv("ITGRIX_GEN_REMOTE_SH", getattr(request, "param", "sh"))
    folder = tmp_path / "server" / "actions"
    folder.mkdir(parents=True)
    return folder, f"ssh://pbx1{folder}"


def rendered(spec: Path) -> dict[str, bytes]:
    return {f.filename: f.content.encode() for f in render_files(load(spec))}


def php_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.suffix == ".php"}


def fake_php(folder: Path, version: str = "8.2.0", lint: str = "ok", pause: float = 0) -> str:
    """A `php` on the server that reports `version` and lints as told (an old server's php)."""
    path = folder / "fake-php"
    lint_part = {
        "ok": 'echo "No syntax errors detected in $2"',
        "reject": "echo \"PHP Parse error: syntax error, unexpected '[' in $2 on line 3\"; exit 255",
    }[lint]
    path.write_text(f'#!/bin/sh\ncase "$1" in\n  -r) echo {version} ;;\n  -l) sleep {pause}; {lint_part} ;;\nesac\n')
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("remote", ["sh", "bash"], indirect=True)
def test_fresh_server_then_redeploy_then_other_spec(remote):
    folder, target = remote
    proc = cli_here("deploy", str(EXAMPLE), "--to", target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"deployed {target}" in proc.stdout
    assert php_files(folder) == rendered(EXAMPLE)
    manifest = json.loads((folder / ".itgrix-gen" / "manifest.json").read_text())
    assert manifest["spec"] == "example" and set(manifest["files"]) == set(rendered(EXAMPLE))
    assert manifest["spec_version"] == render_files(load(EXAMPLE))[0].spec_version
    assert manifest["file_versions"] == {f.filename: f.version for f in render_files(load(EXAMPLE))}
    again = cli_here("deploy", str(EXAMPLE), "--to", target)
    assert again.returncode == 0 and f"unchanged {target}" in again.stdout
    # The local deploy reads the same state folder: a deploy made on the server itself agrees.
    assert "unchanged" in cli_here("deploy", str(EXAMPLE), "--to", str(folder)).stdout
    other = cli_here("deploy", str(OTHER), "--to", target)
    assert other.returncode == 0 and php_files(folder) == rendered(OTHER)
    assert not list(folder.glob(".*.tmp")) and not list((folder / ".itgrix-gen").glob("stage.*"))


def test_mode_and_owner_are_kept(remote):
    folder, target = remote
    cli_here("deploy", str(EXAMPLE), "--to", target)
    path = folder / "need_registration.php"
    path.chmod(0o640)
    assert cli_here("deploy", str(OTHER), "--to", target).returncode == 0
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("remote", ["sh", "bash"], indirect=True)
def test_hand_edit_refused_with_a_diff_then_forced_then_rolled_back(remote):
    folder, target = remote
    cli_here("deploy", str(EXAMPLE), "--to", target)
    edited = folder / "process_final_params.php"
    edited.write_text(edited.read_text() + "// fixed on the server\n")
    proc = cli_here("deploy", str(OTHER), "--to", target)
    assert proc.returncode == 1
    assert "refused" in proc.stderr and "+// fixed on the server" not in proc.stdout
    assert "-// fixed on the server" in proc.stdout  # the diff: the edit would be lost
    assert "fixed on the server" in edited.read_text()
    forced = cli_here("deploy", str(OTHER), "--to", target, "--force")
    assert forced.returncode == 0 and php_files(folder) == rendered(OTHER)
    back = cli_here("deploy", "--rollback", "--to", target)
    assert back.returncode == 0, back.stdout + back.stderr
    assert "fixed on the server" in edited.read_text(), "the rollback brings back what the forced deploy replaced"


@pytest.mark.parametrize("remote", ["sh", "bash"], indirect=True)
def test_rollback_is_lossless_and_refuses_edits(remote):
    folder, target = remote
    hand = b"<?php\r\nreturn array('state' => 'success', 'data' => array('result' => true)); // \xff\n"
    (folder / "need_registration.php").write_bytes(hand)
    (folder / "need_registration.php").chmod(0o640)
    first = cli_here("deploy", str(EXAMPLE), "--to", target)
    assert first.returncode == 1 and "not written by itgrix-gen: need_registration.php" in first.stderr
    assert "-return array('state' => 'success'" in first.stdout, "the hand-written file's diff"
    assert php_files(folder) == {"need_registration.php": hand}
    assert cli_here("deploy", str(EXAMPLE), "--to", target, "--force").returncode == 0
    edited = folder / "customize_entity.php"
    edited.write_text("<?php // edited\n")
    refused = cli_here("deploy", "--rollback", "--to", target)
    assert refused.returncode == 1 and "customize_entity.php" in refused.stderr
    assert cli_here("deploy", "--rollback", "--to", target, "--force").returncode == 0
    assert php_files(folder) == {"need_registration.php": hand}
    assert (folder / "need_registration.php").stat().st_mode & 0o777 == 0o640
    kept = list((folder / ".itgrix-gen" / "backups").glob("*.before-rollback"))
    assert len(kept) == 1 and (kept[0] / "customize_entity.php").read_text() == "<?php // edited\n"


def test_the_servers_php_lint_rejects_before_anything_is_replaced(remote, tmp_path):
    folder, target = remote
    cli_here("deploy", str(EXAMPLE), "--to", target)
    before = php_files(folder)
    php = fake_php(tmp_path, "5.6.40", "reject")
    proc = cli_here("deploy", str(OTHER), "--to", target, "--php-bin", php)
    assert proc.returncode == 1
    assert "check failed" in proc.stderr and "unexpected '['" in proc.stderr and "nothing was replaced" in proc.stderr
    assert php_files(folder) == before


def test_a_server_php_below_the_floor_is_refused_saying_both(remote, tmp_path):
    folder, target = remote
    proc = cli_here("deploy", str(EXAMPLE), "--to", target, "--php-bin", fake_php(tmp_path, "5.3.3"))
    assert proc.returncode == 1
    assert "the server runs PHP 5.3.3, below the spec's php: 5.6" in proc.stderr
    assert php_files(folder) == {}
    missing = cli_here("deploy", str(EXAMPLE), "--to", target, "--php-bin", str(tmp_path / "no-such-php"))
    assert missing.returncode == 1 and "does not run" in missing.stderr


def test_dry_run_shows_diffs_and_changes_nothing(remote):
    folder, target = remote
    cli_here("deploy", str(EXAMPLE), "--to", target)
    before = php_files(folder)
    state = sorted(p.name for p in (folder / ".itgrix-gen" / "backups").iterdir())
    proc = cli_here("deploy", str(OTHER), "--to", target, "--dry-run", "--diff")
    assert proc.returncode == 0 and "dry run" in proc.stdout and "+++ " in proc.stdout
    assert proc.stdout.index(f"dry run {target}: 0 new, ") < proc.stdout.index("+++ "), "the summary comes first"
    assert php_files(folder) == before
    assert sorted(p.name for p in (folder / ".itgrix-gen" / "backups").iterdir()) == state


@pytest.mark.parametrize("problem", ["missing", "file", "spaces"])
def test_target_paths(remote, tmp_path, problem):
    _folder, _target = remote
    if problem == "missing":
        proc = cli_here("deploy", str(EXAMPLE), "--to", f"ssh://pbx1{tmp_path}/nowhere")
        assert proc.returncode == 1 and "does not exist on the server" in proc.stderr
    elif problem == "file":
        (tmp_path / "a-file").write_text("x")
        proc = cli_here("deploy", str(EXAMPLE), "--to", f"ssh://pbx1{tmp_path}/a-file")
        assert proc.returncode == 1 and "is not a folder" in proc.stderr
    else:
        odd = tmp_path / "it's a $(touch pwned) `id` ; dir"
        odd.mkdir()
        proc = cli_here("deploy", str(EXAMPLE), "--to", f"ssh://pbx1{odd}")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert php_files(odd) == rendered(EXAMPLE)
        assert not list(Path.cwd().glob("pwned")) and not (Path.home() / "pwned").exists()


def test_two_deploys_at_once_never_mix(remote):
    folder, target = remote
    env = dict(os.environ)
    # Each deploy holds the lock through the server's `php -l` of fourteen files: on a loaded
    # machine the fourth waits for three of them, so the wait is generous (the point is no mixing).
    procs = [
        subprocess.Popen([sys.executable, "-m", "generator", "deploy", str(spec), "--to", target, "--wait", "600",
                          "--timeout", "1100"],
                         env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for spec in (EXAMPLE, OTHER, EXAMPLE, OTHER)
    ]  # fmt: skip
    results = [p.communicate(timeout=1200) + (p.returncode,) for p in procs]
    assert all(code == 0 for _o, _e, code in results), [(e, c) for _o, e, c in results if c != 0]
    now = php_files(folder)
    assert now in (rendered(EXAMPLE), rendered(OTHER)), "all files from one spec"


def test_a_connection_killed_mid_deploy_leaves_old_or_new_and_the_next_deploy_finishes(remote, tmp_path):
    folder, target = remote
    cli_here("deploy", str(EXAMPLE), "--to", target)
    old, new = rendered(EXAMPLE), rendered(OTHER)
    slow = fake_php(tmp_path, "8.2.0", "ok", pause=0.1)  # 14 lints: about 1.5 s on the server
    for delay in (0.5, 1.5):  # while uploading or linting, and later
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "deploy", str(OTHER), "--to", target, "--php-bin", slow],
            cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the laptop's side dies: ssh and all
        proc.wait()
        for name, data in php_files(folder).items():
            assert data in (old.get(name), new.get(name)), f"{name} is neither old nor new after {delay} s"
        finished = cli_here("deploy", str(OTHER), "--to", target)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert php_files(folder) == new
        assert cli_here("status", str(OTHER), "--to", target).returncode == 0
        cli_here("deploy", str(EXAMPLE), "--to", target, "--force")


def test_a_fleet_with_an_unreachable_server(remote, tmp_path):
    folder, target = remote
    clients = tmp_path / "clients"
    for name, spec in (("acme", EXAMPLE), ("beta", OTHER)):
        (clients / name).mkdir(parents=True)
        text = spec.read_text().replace("name: example", "name: acme")
        (clients / name / "spec.yaml").write_text(text)
        (clients / name / "calls").mkdir()
    second = folder.parent / "second"
    second.mkdir()
    acme = clients / "acme" / "spec.yaml"
    to = [target, "ssh://dead/opt/x", f"ssh://pbx2{second}"]
    acme.write_text(acme.read_text() + f"deploy:\n  to: {json.dumps(to)}\n")
    beta = clients / "beta" / "spec.yaml"
    third = folder.parent / "third"
    third.mkdir()
    beta.write_text(beta.read_text() + f"deploy: {{to: {json.dumps('ssh://pbx3' + str(third))}}}\n")
    proc = cli_here("deploy", str(clients), "--parallel", "3")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout
    assert "unreachable" in lines and lines.count("deployed") == 3
    assert php_files(second) == php_files(folder) and php_files(third)
    status = cli_here("status", str(clients), "--format", "json")
    assert status.returncode == 1
    states = {t["target"]: t["state"] for t in json.loads(status.stdout)["targets"]}
    assert states["ssh://dead/opt/x"] == "unreachable"
    assert [s for t, s in states.items() if t != "ssh://dead/opt/x"] == ["fresh", "fresh", "fresh"]


def test_status_in_each_state(remote):
    folder, target = remote
    data = json.loads(cli_here("status", str(EXAMPLE), "--to", target, "--format", "json").stdout)
    assert data["targets"][0]["state"] == "missing"
    cli_here("deploy", str(EXAMPLE), "--to", target)
    assert cli_here("status", str(EXAMPLE), "--to", target).returncode == 0
    cli_here("deploy", str(OTHER), "--to", target)
    stale = json.loads(cli_here("status", str(EXAMPLE), "--to", target, "--format", "json").stdout)["targets"][0]
    assert stale["state"] == "stale" and stale["files"]["need_registration.php"] == "stale"
    (folder / "need_registration.php").write_text("<?php // by hand\n")
    proc = cli_here("status", str(OTHER), "--to", target, "--format", "json")
    assert proc.returncode == 1
    entry = json.loads(proc.stdout)["targets"][0]
    assert entry["state"] == "hand-edited" and entry["files"]["need_registration.php"] == "hand-edited"
    assert entry["files"]["process_final_params.php"] == "fresh"
    (folder / "need_registration.php").unlink()
    assert (
        json.loads(cli_here("status", str(OTHER), "--to", target, "--format", "json").stdout)["targets"][0]["files"][
            "need_registration.php"
        ]
        == "missing"
    )


@pytest.mark.parametrize(
    "target,message",
    [
        ("ssh://pbx1", "absolute path"),
        ("ssh://-oProxyCommand=x/opt", "no usable host"),
        ("ssh://pbx1:99999/opt", "port"),
        ("ftp://pbx1/opt", "a target is a folder or ssh://"),
        ("ssh://bad user@pbx1/opt", "is not a user name"),
    ],
)
def test_bad_targets_are_usage_errors(target, message):
    proc = cli_here("deploy", str(EXAMPLE), "--to", target)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_spec_without_target_is_a_usage_error(tmp_path):
    proc = cli_here("deploy", str(EXAMPLE))
    assert proc.returncode == 2 and "no target" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_the_login_cannot_write_is_one_clear_line(remote, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = cli_here("deploy", str(EXAMPLE), "--to", f"ssh://pbx1{locked}")
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 1 and "is not writable" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_local_status_and_fleet_rollback(tmp_path, remote):
    folder, target = remote
    local = tmp_path / "local"
    local.mkdir()
    assert cli_here("deploy", str(EXAMPLE), "--to", str(local), "--to", target).returncode == 0
    data = json.loads(cli_here("status", str(EXAMPLE), "--to", str(local), "--to", target, "--format", "json").stdout)
    assert [t["state"] for t in data["targets"]] == ["fresh", "fresh"]
    assert cli_here("deploy", str(OTHER), "--to", str(local), "--to", target).returncode == 0
    back = cli_here("deploy", "--rollback", "--to", str(local), "--to", target)
    assert back.returncode == 0 and back.stdout.count("rolled back") == 2, back.stdout
    assert php_files(local) == php_files(folder) == rendered(EXAMPLE)


# --- deadlines, connections and what is left behind (issue 22) -------------------------------


def script_php(folder: Path, body: str) -> str:
    """A server `php` whose behaviour the test writes (sh; $1 is -r or -l, $2 the file)."""
    path = folder / "script-php"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def ours(control: Path) -> list[str]:
    """Processes whose command line names this run's control folder (its ssh clients and master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(control).encode() in cmdline:
                found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def wait_until(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def control(monkeypatch):
    """This test's own folder for control sockets, so leftovers are this test's alone."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="iggt-", dir="/tmp"))
    monkeypatch.setenv("ITGRIX_GEN_CONTROL_DIR", str(folder))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_server_that_never_answers_ends_at_the_deadline_leaving_nothing(remote, tmp_path, control):
    """The server's php hangs when asked its version: the run ends at --timeout (the master is
    ended with it, so the wait on its pipes ends too), and no process or folder of it is left."""
    _folder, target = remote
    php = script_php(tmp_path, 'case "$1" in -r) sleep 600 ;; *) echo ok ;; esac\n')
    proc = spawn("deploy", str(EXAMPLE), "--to", target, "--php-bin", php, "--timeout", "5")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "unreachable" in err and "no answer within 5 s" in err
    assert wait_until(lambda: not ours(control), 10), ours(control)
    assert not list(control.iterdir()), "the control folder of the connection is removed"


def test_an_unreachable_server_leaves_no_folder(remote, control, sshd):
    proc = cli_here("deploy", str(EXAMPLE), "--to", "ssh://dead/opt/x")
    assert proc.returncode == 1 and "unreachable" in proc.stderr
    assert not list(control.iterdir())
    # Nor in /tmp (where a version that ignored ITGRIX_GEN_CONTROL_DIR would have put it): a
    # folder that kept ssh's words about this test's dead port.
    port = f"port {sshd.dead_port}"
    for errors in Path("/tmp").glob("igg-*/errors"):
        with contextlib.suppress(OSError):
            assert port not in errors.read_text(errors="replace"), f"{errors.parent} was left behind"


def test_a_hanging_php_lint_releases_the_servers_lock(remote, tmp_path, control):
    """php -l hangs on the server: the server side stops it within the deploy's time, says so,
    and gives the lock back, so the next deploy need not wait."""
    folder, target = remote
    php = script_php(tmp_path, 'case "$1" in -r) echo 8.2.0 ;; -l) sleep 600 ;; esac\n')
    proc = spawn("deploy", str(EXAMPLE), "--to", target, "--php-bin", php, "--timeout", "20", "--wait", "0")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "did not finish" in err or "no answer within" in err, err
    assert not php_files(folder)
    again = cli_here("deploy", str(EXAMPLE), "--to", target, "--wait", "5")
    assert again.returncode == 0, again.stdout + again.stderr
    assert wait_until(lambda: not ours(control), 10) and not list(control.iterdir())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_run_ends_its_connections(remote, tmp_path, control, signum):
    _folder, target = remote
    started = tmp_path / "linting"
    php = script_php(tmp_path, f'case "$1" in -r) echo 8.2.0 ;; -l) touch {started}; sleep 60; echo ok ;; esac\n')
    proc = spawn("deploy", str(EXAMPLE), "--to", target, "--php-bin", php)
    assert wait_until(started.exists), "the server's lint began"
    assert ours(control), "a master is running"
    proc.send_signal(signum)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert wait_until(lambda: not ours(control), 10), ours(control)
    assert not list(control.iterdir())


def test_after_a_sigkill_the_master_ends_by_itself(remote, tmp_path, control):
    """Nothing can clean up after SIGKILL: the master must not live on (ControlPersist=yes did)."""
    _folder, target = remote
    started, go = tmp_path / "linting", tmp_path / "go"
    php = script_php(
        tmp_path,
        f'case "$1" in -r) echo 8.2.0 ;; -l) touch {started}; i=0; '
        f"while [ ! -e {go} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo ok ;; esac\n",
    )
    proc = spawn("deploy", str(EXAMPLE), "--to", target, "--php-bin", php)
    assert wait_until(started.exists)
    proc.kill()
    proc.communicate(timeout=60)
    go.touch()  # the server's side finishes its work; then the master has nothing left to carry
    assert wait_until(lambda: not ours(control), 120), ours(control)
    # The killed run's control folder is left behind; the next run removes it (issue 22: nothing
    # left in /tmp).
    assert [p.name for p in control.iterdir()], "SIGKILL leaves the folder (nothing can run then)"
    assert spawn("status", str(EXAMPLE), "--to", target).wait(timeout=120) in (0, 1)
    assert not list(control.iterdir())


def test_stale_control_folders_of_dead_runs_are_swept_and_nothing_else(tmp_path, monkeypatch):
    import subprocess

    from generator.remote import ssh

    monkeypatch.setenv("ITGRIX_GEN_CONTROL_DIR", str(tmp_path))
    monkeypatch.setattr(ssh, "_SWEPT", set())
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"igg-{dead.pid}-abc123"
    stale.mkdir(mode=0o700)
    (stale / "errors").write_text("")
    alive = tmp_path / f"igg-{os.getppid()}-def456"  # a run that is still going
    alive.mkdir()
    other = tmp_path / "igg-notours"
    other.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep").write_text("")
    (tmp_path / f"igg-{dead.pid}-link").symlink_to(elsewhere)
    ssh.sweep_stale_control_dirs()
    assert not stale.exists()
    assert alive.is_dir() and other.is_dir() and (elsewhere / "keep").exists()
    assert (tmp_path / f"igg-{dead.pid}-link").is_symlink()


def test_a_hand_edit_made_during_the_servers_lint_is_refused_not_overwritten(remote, tmp_path):
    folder, target = remote
    assert cli_here("deploy", str(EXAMPLE), "--to", target).returncode == 0
    started, go = tmp_path / "linting", tmp_path / "go"
    php = script_php(
        tmp_path,
        f'case "$1" in -r) echo 8.2.0 ;; -l) touch {started}; i=0; '
        f"while [ ! -e {go} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo ok ;; esac\n",
    )
    proc = spawn("deploy", str(OTHER), "--to", target, "--php-bin", php)
    assert wait_until(started.exists)
    edited = folder / "process_final_params.php"
    edited.write_text(edited.read_text() + "// fixed on the server during the lint\n")
    go.touch()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "refused" in err and "process_final_params.php" in err
    assert "fixed on the server during the lint" in edited.read_text()


# --- dry runs change nothing; a rollback of many targets is asked for (issue 17) ---------------


def tree(folder: Path) -> dict[str, tuple[object, ...]]:
    """The whole target folder, state folder included: bytes, modes, owners and times."""
    import stat as st_

    found: dict[str, tuple[object, ...]] = {}
    for path in sorted([folder, *folder.rglob("*")]):
        st = path.lstat()
        data = path.read_bytes() if st_.S_ISREG(st.st_mode) else b""
        found[str(path)] = (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, st.st_nlink, data)
    return found


@pytest.mark.parametrize("where", ["local", "ssh"])
def test_every_dry_run_changes_nothing(remote, where):
    folder, target = remote
    to = str(folder) if where == "local" else target
    (folder / "need_registration.php").write_text("<?php // written by hand before itgrix-gen\n")
    dry_runs = [
        ("deploy", str(EXAMPLE), "--to", to, "--dry-run"),
        ("deploy", str(EXAMPLE), "--to", to, "--dry-run", "--force"),
        ("deploy", "--rollback", "--to", to, "--dry-run"),
        ("deploy", "--rollback", "--to", to, "--dry-run", "--force"),
        ("status", str(EXAMPLE), "--to", to),
    ]

    def check_all(stage: str) -> None:
        for args in dry_runs:
            before = tree(folder)
            proc = cli_here(*args)
            assert proc.returncode in (0, 1), (stage, args, proc.stderr)
            assert tree(folder) == before, f"{stage}: {' '.join(args[:1] + args[2:])} changed the target"

    check_all("before any deploy")
    assert cli_here("deploy", str(EXAMPLE), "--to", to, "--force").returncode == 0
    check_all("after a deploy")
    assert cli_here("deploy", str(OTHER), "--to", to).returncode == 0
    (folder / "customize_entity.php").write_text("<?php // edited\n")
    check_all("after a second deploy and a hand edit")
    proc = cli_here("deploy", "--rollback", "--to", to, "--dry-run", "--force")
    assert proc.returncode == 0 and "dry run" in proc.stdout and "would restore" in proc.stdout, proc.stderr


def test_rollback_of_several_deploy_targets_must_name_them_or_say_all(remote, tmp_path):
    folder, target = remote
    second = tmp_path / "second"
    second.mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(EXAMPLE.read_text() + f"deploy:\n  to: {json.dumps([target, str(second)])}\n")
    assert cli_here("deploy", str(spec)).returncode == 0
    assert cli_here("deploy", str(OTHER), "--to", target, "--to", str(second)).returncode == 0
    deployed = php_files(folder), php_files(second)
    refused = cli_here("deploy", str(spec), "--rollback")
    assert refused.returncode == 2 and "--all" in refused.stderr and str(second) in refused.stderr
    assert (php_files(folder), php_files(second)) == deployed
    one = cli_here("deploy", str(spec), "--rollback", "--to", str(second))
    assert one.returncode == 0 and php_files(second) == rendered(EXAMPLE) and php_files(folder) == deployed[0]
    both = cli_here("deploy", str(spec), "--rollback", "--all")
    assert both.returncode == 0, both.stdout + both.stderr
    assert php_files(folder) == rendered(EXAMPLE) and php_files(second) == {}


@pytest.mark.parametrize(
    "target",
    [
        "",
        "ssh://pbx1//",
        "ssh://pbx1/./",
        "ssh://pbx1/%2F",
        "ssh://pbx1/opt/../",
        "ssh://pbx1:0/opt",
        "ssh://[-oX]/opt",
        "ssh://[::1;x]/opt",
        "ssh://pbx1/opt%00x",
        "ssh://pbx1/op\tt",
        "ssh://pbx1/op\rt",
    ],
)
def test_targets_that_would_be_guessed_are_refused(target, tmp_path):
    proc = cli_here("deploy", str(EXAMPLE), "--to", target, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: ") and "internal error" not in proc.stderr
    assert not list(tmp_path.iterdir()), "nothing deployed into the current folder"
