"""Deploying the fourteen files into a connector's folder (normally
/opt/itgrix_bx/customizer/actions/) without ever losing a file or leaving it half-deployed: the one
deploy planner, the one rollback planner and the one outcome builder, over a `TargetState`
(generator/deploystate.py, which also spells the state folder's format), and the local executor.
The other executor is remote.sh, driven by generator/remote/server.py.

Order of work, all under the lock: clean temporary files a killed deploy left; plan (refuse files
edited by hand since the last deploy or never written by itgrix-gen, and files that cannot be read
or trusted); write the backup; write the journal; replace each file atomically (temp file + rename
in the same folder, keeping the old file's mode and owner), checking just before that it is still
what was planned; write the manifest; delete the journal.  When a step fails, what this deploy
changed is put back before the error is reported, so a failed deploy leaves the folder as it found
it.  A crash (kill -9, power loss) leaves every file either old or new, and the journal tells the
next run which new files are ours; `--rollback` restores the last backup (or undoes every deploy
down to one named with `--backup`).

The folder belongs to the connector's user, and root deploys into it: every file operation goes
through generator/safedir.py (no link followed, no file read that is not a trusted regular file,
the state folder only when it is the deploying user's own).  Nothing read from the folder is
trusted as a path either: a name in backup.json must be one of the fourteen file names.
"""

from __future__ import annotations

import errno
import fcntl
import os
import pwd
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.deploystate import (
    BEFORE_ROLLBACK,
    HAND_EDITED,
    MISSING,
    RESTORED,
    STALE,
    STATE_DIR,
    UNUSABLE,
    BackupRecord,
    FoundFile,
    Outcome,
    TargetState,
    classify,
    classify_all,
    empty_manifest,
    file_names,
    journal_of,
    json_bytes,
    manifest_of,
    overall,
    parse_json,
    restorable,
    sha256,
)
from generator.errors import UserError
from generator.output import diff_text
from generator.safedir import Dir, Untrusted
from generator.target import folder_problem

if TYPE_CHECKING:
    from generator.pipeline import RenderedFile

__all__ = ["STATE_DIR", "file_names", "json_bytes", "sha256"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class DeployError(UserError):
    pass


class UnknownBackup(DeployError):
    """--backup names no backup of the target (a usage error: exit 2)."""


def state(folder: Path) -> Path:
    return folder / STATE_DIR


# --- opening the folder ----------------------------------------------------------------------


@dataclass
class Local:
    """A connector's folder opened for a deploy: the folder and (when there is one) our state."""

    folder: Dir
    state: Dir | None

    @property
    def path(self) -> Path:
        return self.folder.path

    def backups_dir(self, create: bool = False) -> Dir | None:
        if self.state is None:
            return None
        return self.state.sub("backups", create=create)


@contextmanager
def opened(folder: Path, create_state: bool = False) -> Iterator[Local]:
    """The folder and its state folder, refused clearly when either cannot be trusted."""
    try:
        top = Dir.open(folder)
    except (NotADirectoryError, FileNotFoundError):
        raise DeployError(folder_problem(folder) or f"{folder} is not a folder") from None
    except OSError as exc:
        raise DeployError(
            f"cannot open {folder}: {exc.strerror or exc} (run as the connector's owner or root)"
        ) from None
    with ExitStack() as stack:
        stack.callback(top.close)
        try:
            sub = top.sub(STATE_DIR, create=create_state)
        except Untrusted as exc:
            raise DeployError(str(exc)) from None
        except OSError as exc:
            raise DeployError(
                f"cannot create {state(folder)}: {exc.strerror or exc} (run as the connector's owner or root)"
            ) from None
        if sub is not None:
            stack.callback(sub.close)
        yield Local(top, sub)


# --- the lock and left-overs -----------------------------------------------------------------


@contextmanager
def locked(folder: Path, wait: float = 30.0) -> Iterator[None]:
    """An exclusive flock on .itgrix-gen/lock for the whole deploy or rollback: a second one waits
    up to `wait` seconds, then fails clearly, instead of mixing two clients' files."""
    if problem := folder_problem(folder):
        raise DeployError(problem)
    with opened(folder, create_state=True) as here:
        assert here.state is not None
        try:
            fd = os.open("lock", os.O_RDWR | os.O_CREAT | _NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=here.state.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise DeployError(str(here.state.refuse("lock", "a symbolic link"))) from None
            raise DeployError(
                f"cannot lock {folder}: {exc.strerror or exc} (run as the connector's owner or root)"
            ) from None
        try:
            why = here.state.problem(os.fstat(fd))
            if why:
                raise DeployError(str(here.state.refuse("lock", why)))
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise DeployError(f"cannot lock {folder}: {exc.strerror}") from None
                    if time.monotonic() >= deadline:
                        raise DeployError(
                            f"another deploy or rollback into {folder} is still running "
                            f"(waited {wait:g} s); try again when it has finished"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing releases the lock


_TMP = re.compile(r"^\.(.+)\.[^.]+\.tmp$")


def clean_leftovers(folder: Path) -> list[str]:
    """Temporary files of a deploy that was killed between writing and renaming (links are removed
    as links, never followed)."""
    removed = []
    names = file_names()
    with opened(folder) as here:
        for where in (here.folder, here.state):
            if where is None:
                continue
            for entry in where.names():
                match = _TMP.match(entry)
                if match and (where is here.state or match.group(1) in names) and where.unlink(entry):
                    removed.append(entry)
    return removed


# --- reading a local folder into a TargetState ---------------------------------------------------


def _meta(here: Local, name: str) -> tuple[dict[str, Any] | None, bool]:
    """A JSON file of the state folder and whether it exists."""
    if here.state is None:
        return None, False
    try:
        data = here.state.read(name)
    except Untrusted as exc:
        raise DeployError(str(exc)) from None
    return parse_json(data), data is not None


def _found(here: Local, name: str) -> FoundFile:
    """One customization file, read only when root may trust it."""
    try:
        found = here.folder.read_stat(name)
    except Untrusted as exc:
        return FoundFile(problem=str(exc))
    except OSError as exc:
        return FoundFile(problem=f"{exc.strerror or exc}: run as the connector's owner or root")
    if found is None:
        return FoundFile()
    data, st = found
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = ""
    return FoundFile(data, "", st.st_mode & 0o7777, st.st_uid, st.st_gid, int(st.st_mtime), user)


def _backups_of(here: Local, with_files: bool) -> tuple[dict[str, dict[str, Any] | None], dict[str, dict[str, str]]]:
    """Every backup folder's backup.json by folder name (None: unreadable), and (with_files) the
    sha256 of each trusted customization file it holds.  Links there are never entered."""
    infos: dict[str, dict[str, Any] | None] = {}
    saved: dict[str, dict[str, str]] = {}
    root = here.backups_dir()
    if root is None:
        return infos, saved
    names = file_names()
    with root:
        for name in root.names():
            st = root.lstat(name)
            if st is None or not stat.S_ISDIR(st.st_mode):
                continue
            sub = root.sub(name)
            if sub is None:
                continue
            with sub:
                if sub.lstat("backup.json") is None:
                    continue
                infos[name] = parse_json(sub.read("backup.json"))
                if with_files:
                    hashes = saved.setdefault(name, {})
                    for entry in sub.names():
                        if entry in names:
                            try:
                                data = sub.read(entry)
                            except Untrusted:
                                continue
                            if data is not None:
                                hashes[entry] = sha256(data)
    return dict(sorted(infos.items())), saved


def _read(here: Local, with_backup_files: bool = False) -> TargetState:
    found = TargetState(str(here.path))
    found.files = {name: _found(here, name) for name in sorted(file_names())}
    found.manifest, found.manifest_exists = _meta(here, "manifest.json")
    found.pending, _ = _meta(here, "pending.json")
    try:
        found.backups, found.backup_files = _backups_of(here, with_backup_files)
    except Untrusted as exc:
        raise DeployError(str(exc)) from None
    return found


def read_state(folder: Path, with_backup_files: bool = False) -> TargetState:
    """A local folder as the same TargetState a server's probe gives."""
    with opened(folder) as here:
        return _read(here, with_backup_files)


# --- the one deploy planner -----------------------------------------------------------------


@dataclass
class FilePlan:
    name: str
    content: str
    status: str  # the classifier's state: fresh | stale | hand-edited | unusable | missing
    customized: bool
    found: FoundFile = field(default_factory=FoundFile)

    @property
    def old(self) -> bytes | None:
        return self.found.data

    @property
    def mode(self) -> int:
        return self.found.mode

    @property
    def owner(self) -> tuple[int, int] | None:
        return self.found.owner

    @property
    def new_bytes(self) -> bytes:
        return self.content.encode("utf-8")

    @property
    def new_hash(self) -> str:
        return sha256(self.new_bytes)

    def diff(self, where: str) -> str:
        where = where.rstrip("/")
        return diff_text(
            self.old, self.new_bytes, f"{where}/{self.name} (on the server)", f"{where}/{self.name} (from the spec)"
        )


@dataclass
class Plan:
    folder: Path
    files: list[FilePlan] = field(default_factory=list)
    version: str = ""  # the rendered set's version (pipeline.spec_version: the deploy record's)
    file_versions: dict[str, str] = field(default_factory=dict)  # each file's own (what its capture lines name)

    def having(self, status: str) -> list[FilePlan]:
        return [f for f in self.files if f.status == status]

    @property
    def hand_edited(self) -> list[FilePlan]:
        return self.having(HAND_EDITED)

    @property
    def unusable(self) -> list[FilePlan]:
        return self.having(UNUSABLE)

    @property
    def changes(self) -> list[FilePlan]:
        """What a deploy writes (a hand-edited file only under --force, which the verdict checks)."""
        return [f for f in self.files if f.status in (MISSING, STALE, HAND_EDITED)]


def plan_deploy(found: TargetState, rendered: list[RenderedFile]) -> Plan:
    """The one deploy planner: each rendered file against what the target holds (a local folder
    or a server's probe), classified by the one classifier with what itgrix-gen knows it wrote."""
    known, lost = found.known()
    result = Plan(
        Path(found.where),
        version=rendered[0].spec_version if rendered else "",
        file_versions={r.filename: r.version for r in rendered},
    )
    for r in rendered:
        current = found.file(r.filename)
        status = classify(r.filename, current, r.content.encode("utf-8"), known, lost)
        result.files.append(FilePlan(r.filename, r.content, status, r.customized, current))
    return result


def plan(folder: Path, rendered: list[RenderedFile]) -> Plan:
    return plan_deploy(read_state(folder), rendered)


# --- the one outcome builder ------------------------------------------------------------------


def judged(outcome: Outcome, p: Plan, force: bool, dry_run: bool) -> bool:
    """Fill `outcome` from a plan before anything is written, the same words for a folder and a
    server; True when the deploy stops here (a file it cannot use, refused, a dry run)."""
    where = outcome.target
    outcome.files = {f.name: f.status for f in p.files}
    outcome.forced = force
    if p.unusable:
        outcome.result = "failed"
        outcome.detail = (
            "cannot use " + "; ".join(f"{f.name} ({f.found.problem})" for f in p.unusable) + "; nothing was written"
        )
        return True
    if p.hand_edited and not force:
        outcome.result = "refused"
        outcome.detail = "hand-edited on the server or not written by itgrix-gen: " + ", ".join(
            f.name for f in p.hand_edited
        )
        outcome.diffs = [f.diff(where) for f in p.hand_edited]
        return True
    if dry_run:
        outcome.result = "dry run"
        outcome.detail = f"{len(p.changes)} file(s) would change" if p.changes else "nothing would change"
        outcome.diffs = [f.diff(where) for f in p.changes]
        return True
    return False


def finished(outcome: Outcome, changed: int, backup: str) -> Outcome:
    """A deploy that went through: `backup` is the backup's folder name ('' when nothing changed)."""
    if not changed:
        outcome.result, outcome.detail = "unchanged", "nothing to change: every file is already deployed"
    else:
        outcome.result = "deployed"
        outcome.detail = f"{changed} file(s) written; backup {STATE_DIR}/backups/{backup}"
        outcome.backup = backup
    return outcome


def noted(outcome: Outcome, note: str) -> Outcome:
    """Add a remark (the capture folder made, or why not) to an outcome's detail."""
    outcome.detail = "; ".join(filter(None, [outcome.detail, note]))
    return outcome


def rolled_back(outcome: Outcome, backup: str, restored: list[str], removed: list[str]) -> Outcome:
    outcome.result = "rolled back"
    done = f"from backups/{backup}: {len(restored)} restored, {len(removed)} removed"
    outcome.detail = "; ".join(filter(None, [outcome.detail, done]))
    outcome.files.update({n: "restored" for n in restored} | {n: "removed" for n in removed})
    return outcome


def records(
    p: Plan, spec_name: str, digest: str, stamp: str, previous: dict[str, Any] | None, git_commit: str = ""
) -> dict[str, Any]:
    """The deploy record, for both executors: manifest.json (what the folder holds now),
    backup.json (a BackupRecord) and pending.json (the journal)."""
    changes = p.changes
    replaced = [f for f in changes if f.old is not None]
    record = BackupRecord(
        tool=manifest_of("", "", "", {})["tool"],
        spec=spec_name,
        spec_version=spec_version(p),
        deployed_by=deploying_user(),
        git_commit=git_commit,
        replaced=[f.name for f in replaced],
        created=[f.name for f in changes if f.old is None],
        modes_owners={f.name: [f.mode, *(f.owner or (None, None))] for f in replaced},
        wrote={f.name: f.new_hash for f in changes},
        had={f.name: sha256(f.old or b"") for f in replaced},
        previous_manifest=previous,
    )
    return {
        "manifest.json": manifest_of(
            spec_name, digest, spec_version(p), {f.name: f.new_hash for f in p.files}, p.file_versions
        ),
        "backup.json": record.to_json(),
        "pending.json": journal_of(stamp, {f.name: f.new_hash for f in changes}),
    }


def spec_version(p: Plan) -> str:
    """The version of the set that was deployed (pipeline.spec_version, a hash of the rendered
    files): what `--rollback --list` shows.  A pulled capture line names its own file's version,
    which the manifest keeps under `file_versions`, so the line still leads to the deploy that made it."""
    return p.version


def deploying_user() -> str:
    """Who deploys: the login behind sudo when there is one, else this process's user."""
    import getpass

    sudo = os.environ.get("SUDO_USER")
    try:
        me = getpass.getuser()
    except (KeyError, OSError):
        me = str(os.geteuid())
    return f"{sudo} (as {me})" if sudo and sudo != me else me


def check(rendered: list[RenderedFile], php: str | None) -> list[str]:
    """Every check before touching the folder: the pipeline's syntax check (phply, PHP 5 syntax)
    and, with php, `php -l`."""
    from generator.php.runner import php_lint
    from generator.pipeline import check as syntax_check

    problems = syntax_check(rendered)
    if problems:
        return problems
    with tempfile.TemporaryDirectory(prefix="itgrix-gen-deploy-") as tmp:
        for r in rendered:
            if php:
                path = Path(tmp) / r.filename
                path.write_text(r.content, encoding="utf-8")
                problem = php_lint(str(path), php)
                if problem:
                    problems.append(f"{r.filename}: php -l: {problem}")
    return problems


# --- writing -----------------------------------------------------------------------------

Writer = Callable[[Dir, str, bytes, int, "tuple[int, int] | None"], None]


def replace_file(where: Dir, name: str, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    """Atomically put `data` at `name` with `mode` and (where we may) `owner`."""
    where.write(name, data, mode, owner)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def apply(
    p: Plan, spec_name: str, digest: str, force: bool = False, writer: Writer = replace_file, git_commit: str = ""
) -> Path | None:
    """Carry out a plan (the caller holds the lock); returns the backup folder (None when nothing
    changed).  On failure, what was changed is put back and DeployError says so."""
    if p.unusable:
        raise DeployError("cannot use " + "; ".join(f"{f.name} ({f.found.problem})" for f in p.unusable))
    if p.hand_edited and not force:
        raise DeployError("hand-edited on the server: " + ", ".join(f.name for f in p.hand_edited))
    folder = p.folder
    if not os.access(folder, os.W_OK):
        raise DeployError(f"{folder} is not writable (run as the connector's owner or root)")
    with opened(folder, create_state=True) as here:
        assert here.state is not None
        previous, _ = _meta(here, "manifest.json")
        stamp = _stamp()
        return _apply(here, here.state, p, records(p, spec_name, digest, stamp, previous, git_commit), stamp, writer)


def _apply(here: Local, st: Dir, p: Plan, record: dict[str, Any], stamp: str, writer: Writer) -> Path | None:
    changes = p.changes
    manifest = record["manifest.json"]
    if not changes:
        if _meta(here, "manifest.json")[0] != manifest:
            st.write("manifest.json", json_bytes(manifest))
        return None
    done: list[FilePlan] = []
    backups = here.backups_dir(create=True)
    assert backups is not None
    backup: Dir | None = None
    try:
        with backups:
            backup = backups.mkdir(stamp)
            replaced = [f for f in changes if f.old is not None]
            for f in replaced:
                # 0600, not the old file's mode: a set-uid bit the connector's user put on its
                # own file must not become a root-owned set-uid copy (backup.json keeps the mode).
                backup.write(f.name, f.old or b"", 0o600, None)
            backup.write("backup.json", json_bytes(record["backup.json"]))
            backup.sync()
            st.write("pending.json", json_bytes(record["pending.json"]))
            for f in changes:
                # A hand edit made since the plan was read (another editor on the server) is
                # refused here, not overwritten: it has no backup.
                now = _found(here, f.name)
                if now.problem or now.data != f.old:
                    raise DeployError(f"{f.name} changed on the server while deploying; run the deploy again")
                writer(here.folder, f.name, f.new_bytes, f.mode, f.owner or here.folder.owner())
                done.append(f)
            here.folder.sync()
            st.write("manifest.json", json_bytes(manifest))
            st.unlink("pending.json")
    except Exception as exc:
        left = _undo(here, st, done, stamp if backup is not None else None)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = here.path / STATE_DIR / "backups" / stamp
        if left:
            raise DeployError(
                f"deploy failed ({why}) and could not put back {', '.join(left)}; the files "
                f"that were replaced are in {where}; `itgrix-gen deploy --rollback --to {here.path}` "
                "restores them"
            ) from None
        raise DeployError(f"deploy failed ({why}); every file was put back as it was: nothing changed") from None
    finally:
        if backup is not None:
            backup.close()
    return here.path / STATE_DIR / "backups" / stamp


def _undo(here: Local, st: Dir, done: list[FilePlan], stamp: str | None) -> list[str]:
    """Put back what a failed deploy wrote; the names it could not put back."""
    left = []
    for f in reversed(done):
        try:
            if f.old is None:
                here.folder.unlink(f.name)
            else:
                here.folder.write(f.name, f.old, f.mode, f.owner)
        except OSError:
            left.append(f.name)
    if not left:
        st.unlink("pending.json")
        if stamp is not None:
            backups = here.backups_dir()
            if backups is not None:
                with backups:
                    backups.remove_tree(stamp)
    return left


# --- the one rollback planner --------------------------------------------------------------


def backups(folder: Path) -> list[Path]:
    """Backups that a rollback may still restore, oldest first."""
    found = read_state(folder)
    return [folder / STATE_DIR / "backups" / n for n in restorable(list(found.backups))]


def listing(found: TargetState) -> list[tuple[str, BackupRecord | None, bool]]:
    """Every backup of the target, oldest first: (id, its record or None when unreadable, whether
    a rollback may still restore it)."""
    names = sorted(set(found.backups) | {n for n in found.backup_files})
    usable = set(restorable(names))
    return [(n, found.record(n), n in usable) for n in names]


def steps_to(found: TargetState, backup: str | None) -> list[str]:
    """The backups a rollback restores, newest first: the newest alone, or (with --backup ID)
    each from the newest down to ID, so the target ends as it was before deploy ID."""
    found_ids = restorable(list(found.backups))
    if not found_ids:
        raise DeployError(f"no backup to restore in {found.where}/{STATE_DIR}/backups")
    if backup is None:
        return [found_ids[-1]]
    if backup not in found_ids:
        said = (
            "restored already"
            if backup.endswith((RESTORED, BEFORE_ROLLBACK)) or backup + RESTORED in found.backups
            else "unknown"
        )
        raise UnknownBackup(
            f"backup {backup!r} of {found.where}: {said}; the backups a rollback can restore are "
            + ", ".join(found_ids)
            + " (itgrix-gen deploy --rollback --list lists them)"
        )
    return list(reversed(found_ids[found_ids.index(backup) :]))


@dataclass
class RollbackPlan:
    """One rollback step, for a folder and a server alike: restore one backup (the newest)."""

    backup: str  # the backup folder's name under .itgrix-gen/backups/
    restore: list[str]  # files that deploy replaced: they come back from the backup
    remove: list[str]  # files that deploy created: they go
    edited: list[str]  # changed on the target since the deploy being undone
    owners: dict[str, tuple[int, int | None, int | None]]  # each restored file's mode, uid, gid
    saved: dict[str, str]  # sha256 of each file to restore, as the backup holds it
    manifest: dict[str, Any]  # the manifest after the rollback: the one before that deploy
    current: dict[str, str] = field(default_factory=dict)  # sha256 of what is there now


def plan_rollback(found: TargetState) -> RollbackPlan:
    """The one rollback planner: undo the newest deploy of `found` (read with its backups' file
    hashes).  DeployError when there is nothing to restore or the backup cannot be trusted."""
    backup = steps_to(found, None)[0]
    where = f"{found.where}/{STATE_DIR}/backups/{backup}"
    info = found.record(backup)
    if info is None:
        raise DeployError(f"{where}/backup.json is unreadable; refusing to guess what to restore")
    problem = info.problem()
    if problem:
        raise DeployError(f"{where}/backup.json {problem}")
    saved = found.backup_files.get(backup, {})
    missing = [n for n in info.replaced if n not in saved]
    if missing:
        raise DeployError(f"{', '.join(missing)} missing from {where}; refusing a partial rollback")
    # A backup written by an older itgrix-gen has no "wrote": the manifest tells.
    wrote: dict[str, Any] = info.wrote if info.wrote is not None else (found.manifest or {}).get("files") or {}
    edited: list[str] = []
    current: dict[str, str] = {}
    for name in info.replaced + info.created:
        now = found.file(name)
        if now.problem:
            raise DeployError(f"cannot use {found.where.rstrip('/')}/{name} ({now.problem}); nothing was changed")
        current[name] = now.sha
        if now.sha == "-":
            continue
        # What that deploy wrote, or (after a deploy that died half-way) what it had not yet replaced.
        expected = {wrote.get(name)} | ({saved[name]} if name in info.replaced else set())
        if now.sha not in expected:
            edited.append(name)
    owners = {name: info.owner_of(name) for name in info.replaced}
    after = info.previous_manifest if info.previous_manifest is not None else empty_manifest()
    return RollbackPlan(backup, info.replaced, info.created, edited, owners, saved, after, current)


def refusal(rp: RollbackPlan) -> str:
    return (
        "edited on the server since the last deploy: "
        + ", ".join(rp.edited)
        + "; a rollback would discard those edits (use --force to back them up and roll back)"
    )


Step = Callable[[TargetState, RollbackPlan], tuple[list[str], list[str]]]


def roll_back_steps(
    outcome: Outcome,
    found: TargetState,
    backup: str | None,
    force: bool,
    dry_run: bool,
    step: Step,
    again: Callable[[], TargetState],
) -> Outcome:
    """The one rollback, for both executors: undo the newest deploy, or each deploy down to
    `backup`, newest first, each step planned from what the target holds then (`again()` reads it
    anew) and carried out by `step` (restored, removed; DeployError when it stopped)."""
    try:
        steps = steps_to(found, backup)
    except UnknownBackup as exc:
        outcome.detail, outcome.usage = str(exc), True
        return outcome
    except DeployError as exc:
        outcome.detail = str(exc)
        return outcome
    for i, name in enumerate(steps):
        try:
            if i:
                found = again()
            rp = plan_rollback(found)
            if rp.backup != name:
                raise DeployError(f"the backups changed while rolling back (expected {name}, found {rp.backup})")
        except DeployError as exc:
            outcome.result, outcome.detail = "failed", "; ".join(filter(None, [outcome.detail, str(exc)]))
            return outcome
        if rp.edited and not force:
            outcome.result, outcome.detail = "refused", "; ".join(filter(None, [outcome.detail, refusal(rp)]))
            return outcome
        if dry_run:
            outcome.result = "dry run"
            outcome.detail = f"would restore {len(rp.restore)} and remove {len(rp.remove)} from backups/{rp.backup}"
            if len(steps) > 1:
                outcome.detail += f", then undo {len(steps) - 1} older deploy(s) down to backups/{steps[-1]}"
            outcome.files = {n: "restore" for n in rp.restore} | {n: "remove" for n in rp.remove}
            return outcome
        try:
            restored, removed = step(found, rp)
        except (DeployError, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            outcome.result, outcome.detail = "failed", "; ".join(filter(None, [outcome.detail, why]))
            return outcome
        rolled_back(outcome, rp.backup, restored, removed)
    return outcome


def listed(outcome: Outcome, found: TargetState) -> Outcome:
    """--rollback --list: the target's backups."""
    outcome.result = "listed"
    outcome.backups = listing(found)
    outcome.detail = f"{sum(1 for b in outcome.backups if b[2])} backup(s) a rollback can restore"
    return outcome


def status_of(outcome: Outcome, found: TargetState, rendered: list[RenderedFile], diff: bool = False) -> Outcome:
    """`status` of a target, by the classifier `deploy --dry-run` uses; with `diff`, each hand
    edit's diff against what the spec renders, headed by the file's time and owner."""
    outcome.files = classify_all(found, rendered)
    for name, f in sorted(found.files.items()):
        if f.problem and name in outcome.files:
            outcome.detail = "; ".join(filter(None, [outcome.detail, f"{name}: {f.problem}"]))
    outcome.result = overall(outcome.files)
    if diff:
        where = found.where.rstrip("/")
        for r in rendered:
            f = found.file(r.filename)
            if outcome.files[r.filename] == HAND_EDITED:
                label = f"{where}/{r.filename} (on the server: {_when_who(f)})"
                outcome.diffs.append(
                    diff_text(f.data, r.content.encode("utf-8"), label, f"{where}/{r.filename} (from the spec)")
                )
    return outcome


def _when_who(f: FoundFile) -> str:
    when = datetime.fromtimestamp(f.mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if f.mtime is not None else "?"
    who = f"{f.user} (uid {f.uid})" if f.user else f"uid {f.uid}"
    return f"modified {when}, owner {who}"


def restore_step(folder: Path, found: TargetState, rp: RollbackPlan) -> tuple[list[str], list[str]]:
    """Carry out one rollback step in a local folder (the caller holds the lock): replaced files
    come back byte for byte with their mode and owner, files the deploy created go away, and the
    manifest is the one before that deploy.  Files edited by hand since that deploy (only under
    --force) are backed up first."""
    with opened(folder, create_state=True) as here:
        assert here.state is not None
        backups_dir = here.backups_dir()
        assert backups_dir is not None
        with backups_dir:
            if rp.edited:
                with backups_dir.mkdir(_stamp() + BEFORE_ROLLBACK) as keep:
                    for name in rp.edited:
                        now = _found(here, name)
                        if now.problem or now.data is None or now.sha != rp.current[name]:
                            raise DeployError(f"{name} changed on the server while rolling back; run it again")
                        keep.write(name, now.data, 0o600, None)
            source = backups_dir.sub(rp.backup)
            assert source is not None
            with source:
                for name in rp.restore:
                    data = source.read(name)
                    if data is None or sha256(data) != rp.saved[name]:
                        raise DeployError(f"{name} changed in the backup while rolling back; nothing more was done")
                    mode, uid, gid = rp.owners[name]
                    owner = (uid, gid) if uid is not None and gid is not None else here.folder.owner()
                    here.folder.write(name, data, mode, owner)
            removed = []
            for name in rp.remove:
                if here.folder.unlink(name):
                    removed.append(name)
            here.state.write("manifest.json", json_bytes(rp.manifest))
            here.state.unlink("pending.json")
            backups_dir.rename(rp.backup, rp.backup + RESTORED)
    return rp.restore, removed


# --- the capture folder ----------------------------------------------------------------------


def make_capture_dir(path: str, owner: tuple[int, int]) -> str:
    """Create the spec's capture folder when it is missing (mode 0700, owned like the
    customization folder), so the connector's first call need not; never through a link: the
    folder itself, and every folder made here, is opened with O_NOFOLLOW and given its mode and
    owner through its descriptor.  Returns what was done, or why the connector will not capture
    there ('' when the folder was there already and is the connector's)."""
    parts = [p for p in path.split("/") if p]
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    created = False
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                os.mkdir(part, 0o700 if last else 0o755, dir_fd=fd)
                created = True
            except FileExistsError:
                created = False
            # An existing parent may be a link the administrator made (/var/run); the folder itself
            # and anything made here never are.
            nofollow = _NOFOLLOW if last or created else 0
            try:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | nofollow, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    where = "/" + "/".join(parts[: i + 1])
                    return (
                        f"capture folder {path}: {where} is a link or not a folder; the connector will not write there"
                    )
                raise
            os.close(fd)
            fd = inner
        st = os.fstat(fd)
        if created:
            if os.geteuid() == 0:
                os.fchown(fd, *owner)
            os.fchmod(fd, 0o700)
            return f"capture folder {path} created (0700, uid {owner[0]})"
        if st.st_uid != owner[0]:
            return (
                f"capture folder {path} belongs to uid {st.st_uid}, not to the connector's folder owner "
                f"(uid {owner[0]}): calls may not be captured"
            )
        return ""
    except OSError as exc:
        return f"capture folder {path} not created: {exc.strerror or exc}"
    finally:
        os.close(fd)
