"""Root deploys into a folder the connector's user owns (issue 22): that user plants links and odd
files, and root's routine deploy, --dry-run, --rollback (with and without --dry-run) and status,
locally and over SSH, never follow them.  A root-only secret must never reach the output, a backup
or a state file; its mode and owner never change; a dangling link never makes root create the
file it names; a linked state folder never receives anything.

The connector's user is a real system user (`igg-connector`, made with useradd when missing); the
links are planted by that user, as on a server.  Needs root (skipped otherwise, saying why)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_here
from tests.sshd import find_sshd
from tests.test_deploy_ssh import sshd  # noqa: F401  (the session's throwaway sshd)

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
OTHER = ROOT / "specs" / "docs-blacklist" / "spec.yaml"
SECRET = b"root:$6$TOP-SECRET-MARKER-7f3a$hash:19000:0:99999:7:::\n"
CONNECTOR = "igg-connector"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: root deploying into a folder another user owns is the point"
)


@pytest.fixture(scope="session")
def connector() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(CONNECTOR)
    except KeyError:
        useradd = shutil.which("useradd")
        if not useradd:
            pytest.skip("useradd is missing: cannot make the connector's user")
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", CONNECTOR],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(CONNECTOR)
    return entry.pw_uid, entry.pw_gid


class Server:
    """/tmp/igg-conn-*/: actions/ (the connector's folder, its user's), secret (root's, 0600)."""

    def __init__(self, base: Path, uid: int, gid: int):
        self.base, self.uid, self.gid = base, uid, gid
        self.folder = base / "actions"
        self.secret = base / "secret"

    def as_connector(self, *command: str) -> None:
        subprocess.run(command, user=self.uid, group=self.gid, extra_groups=[], check=True, capture_output=True)

    def plant_link(self, name: str, to: Path) -> None:
        self.as_connector("ln", "-sfn", str(to), str(self.folder / name))


@pytest.fixture
def server(connector) -> Iterator[Server]:
    base = Path(tempfile.mkdtemp(prefix="igg-conn-", dir="/tmp"))
    base.chmod(0o755)
    here = Server(base, *connector)
    here.folder.mkdir()
    os.chown(here.folder, *connector)
    here.secret.write_bytes(SECRET)
    here.secret.chmod(0o600)
    yield here
    shutil.rmtree(base)


@pytest.fixture(params=["local", "ssh"])
def kind(request) -> str:
    if request.param == "ssh" and find_sshd() is None:
        pytest.skip("sshd missing: scripts/install.sh installs it")
    return str(request.param)


@pytest.fixture
def to(kind, server, request, monkeypatch) -> str:
    if kind == "local":
        return str(server.folder)
    daemon = request.getfixturevalue("sshd")
    monkeypatch.setenv("ITGRIX_GEN_SSH", daemon.ssh)
    return f"ssh://pbx1{server.folder}"


def everything(base: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under base, as lstat sees it (a link's own target, a file's bytes)."""
    found: dict[str, tuple[object, ...]] = {}
    for path in sorted(base.rglob("*")):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            found[str(path)] = ("link", os.readlink(path), st.st_uid)
        elif stat.S_ISREG(st.st_mode):
            found[str(path)] = ("file", path.read_bytes(), st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns)
        else:
            found[str(path)] = ("other", st.st_mode, st.st_uid, st.st_mtime_ns)
    return found


def files_and_links(snapshot: dict[str, tuple[object, ...]]) -> dict[str, tuple[object, ...]]:
    """A snapshot without the state folder (a refused deploy may make it and its lock) and without
    folders' times."""
    return {k: v for k, v in snapshot.items() if "/.itgrix-gen" not in k and v[0] != "other"}


def same(before: dict[str, tuple[object, ...]], server: Server, args: tuple[str, ...]) -> None:
    """A dry run changes nothing at all; a refused deploy or rollback nothing but its lock."""
    now = everything(server.base)
    if "--dry-run" in args:
        assert now == before, f"{args} changed something"
    else:
        assert files_and_links(now) == files_and_links(before), f"{args} changed something"


def assert_secret_kept(server: Server, *outputs: subprocess.CompletedProcess[str]) -> None:
    st = server.secret.lstat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o600, 0, 0), "the secret's mode and owner never change"
    assert server.secret.read_bytes() == SECRET
    marker = "TOP-SECRET-MARKER"
    for proc in outputs:
        assert marker not in proc.stdout + proc.stderr, "the secret was printed"
    for path in server.base.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.lstat().st_ino != st.st_ino:
            assert marker.encode() not in path.read_bytes(), f"the secret was copied into {path}"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return cli_here(*args)


def test_a_planted_link_is_never_followed(server, to):
    server.plant_link("need_registration.php", server.secret)
    outputs = []
    for extra in ((), ("--dry-run",), ("--force",), ("--dry-run", "--force")):
        before = everything(server.base)
        proc = run("deploy", str(EXAMPLE), "--to", to, *extra)
        outputs.append(proc)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "need_registration.php is a symbolic link" in proc.stderr
        same(before, server, extra)
    before = everything(server.base)
    status = run("status", str(EXAMPLE), "--to", to, "--format", "json")
    outputs.append(status)
    assert status.returncode == 1
    # Not "hand-edited" (a user would reach for --force, which refuses it too): unusable, and why.
    (report,) = json.loads(status.stdout)["targets"]
    assert report["files"]["need_registration.php"] == "unusable", report
    assert report["state"] == "unusable" and "need_registration.php" in report["detail"], report
    assert "symbolic link" in report["detail"], report
    same(before, server, ("--dry-run",))
    assert_secret_kept(server, *outputs)


def test_a_deployed_file_swapped_for_a_link_is_refused_by_deploy_rollback_and_status(server, to):
    first = run("deploy", str(EXAMPLE), "--to", to)
    assert first.returncode == 0, first.stdout + first.stderr
    (server.folder / "process_final_params.php").unlink()
    server.plant_link("process_final_params.php", server.secret)
    outputs = []
    for args in (
        ("deploy", str(OTHER), "--to", to),
        ("deploy", str(OTHER), "--to", to, "--force"),
        ("deploy", str(OTHER), "--to", to, "--dry-run"),
        ("deploy", "--rollback", "--to", to),
        ("deploy", "--rollback", "--to", to, "--force"),
        ("deploy", "--rollback", "--to", to, "--dry-run"),
        ("status", str(EXAMPLE), "--to", to),
    ):
        before = everything(server.base)
        proc = run(*args)
        outputs.append(proc)
        assert proc.returncode == 1, (args, proc.stdout + proc.stderr)
        if args[0] == "deploy":
            assert "process_final_params.php is a symbolic link" in proc.stderr, (args, proc.stderr)
        else:
            assert "unusable" in proc.stdout and "symbolic link" in " ".join(proc.stdout.split()), proc.stdout
        same(before, server, args if args[0] == "deploy" else ("--dry-run",))
    assert_secret_kept(server, *outputs)


def test_a_hard_linked_file_is_refused(server, to):
    # protected_hardlinks stops the connector's user from making one; a server without it would not
    os.link(server.secret, server.folder / "need_registration.php")
    proc = run("deploy", str(EXAMPLE), "--to", to, "--force")
    assert proc.returncode == 1 and "2 hard links" in proc.stderr, proc.stderr
    assert_secret_kept(server, proc)


def test_a_fifo_never_blocks_and_is_refused(server, to):
    server.as_connector("mkfifo", str(server.folder / "need_registration.php"))
    proc = run("deploy", str(EXAMPLE), "--to", to)
    assert proc.returncode == 1 and "need_registration.php is a FIFO" in proc.stderr, proc.stderr


@pytest.mark.parametrize("how", ["own folder with a dangling lock link", "link to a root folder"])
def test_a_planted_state_folder_is_refused(server, to, how):
    """The state folder: the connector's own (with `lock` linked to a file root would create), or
    a link to a folder of root's (which would then receive backups and manifests)."""
    made_by_root = server.base / "created-by-root"
    elsewhere = server.base / "elsewhere"
    elsewhere.mkdir()
    if how.startswith("own"):
        state = server.folder / ".itgrix-gen"
        server.as_connector("mkdir", str(state))
        server.as_connector("ln", "-s", str(made_by_root), str(state / "lock"))
        server.as_connector("ln", "-s", str(server.secret), str(state / "manifest.json"))
    else:
        server.plant_link(".itgrix-gen", elsewhere)
    before = everything(server.base)
    outputs = []
    for args in (
        ("deploy", str(EXAMPLE), "--to", to),
        ("deploy", str(EXAMPLE), "--to", to, "--dry-run"),
        ("deploy", str(EXAMPLE), "--to", to, "--force"),
        ("deploy", "--rollback", "--to", to),
        ("deploy", "--rollback", "--to", to, "--dry-run"),
        ("status", str(EXAMPLE), "--to", to),
    ):
        proc = run(*args)
        outputs.append(proc)
        assert proc.returncode == 1, (args, proc.stdout + proc.stderr)
        assert ".itgrix-gen is " in proc.stderr + proc.stdout, (args, proc.stderr)
        assert everything(server.base) == before, f"{args} changed something"
    assert not made_by_root.exists() and not os.listdir(elsewhere)
    assert_secret_kept(server, *outputs)


def test_a_planted_temporary_name_is_removed_never_written_through(server, to):
    """Older versions of the server side wrote `.NAME.itgrix-gen.tmp` beside the files; a link
    planted under such a name (or under the local deploy's `.NAME.x.tmp`) is removed as a link."""
    made_by_root = server.base / "created-by-root"
    for name in (".need_registration.php.itgrix-gen.tmp", ".need_registration.php.abcd.tmp"):
        server.plant_link(name, made_by_root)
    proc = run("deploy", str(EXAMPLE), "--to", to)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not made_by_root.exists()
    owners = {p.name: p.lstat().st_uid for p in server.folder.iterdir() if p.suffix == ".php"}
    assert set(owners.values()) == {server.uid}, "new files belong to the folder's owner"
    assert_secret_kept(server, proc)


def test_a_set_uid_file_is_never_copied_as_roots(server, to):
    """The connector's user marks its own file set-uid; the backup root makes of it (root's file)
    must not keep that bit, while the rollback gives the file back with its own mode and owner."""
    path = server.folder / "need_registration.php"
    server.as_connector("sh", "-c", f"printf '<?php // by hand\\n' > {path} && chmod 4755 {path}")
    proc = run("deploy", str(EXAMPLE), "--to", to, "--force")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [copy] = list((server.folder / ".itgrix-gen" / "backups").glob("*/need_registration.php"))
    st = copy.lstat()
    assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID | 0o111), oct(st.st_mode)
    back = run("deploy", "--rollback", "--to", to)
    assert back.returncode == 0, back.stdout + back.stderr
    st = path.lstat()
    assert (st.st_mode & 0o7777, st.st_uid) == (0o4755, server.uid)
