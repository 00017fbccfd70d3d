"""Installing the fourteen files into a connector's folder (normally
/opt/itgrix_bx/customizer/actions/) without ever leaving it half-deployed.

Layout kept inside DIR:
    .itgrix-gen/manifest.json           what the last deploy wrote (sha256 per file)
    .itgrix-gen/pending.json            journal of a deploy in progress (new hashes, backup folder)
    .itgrix-gen/backups/<UTC time>/     the files that deploy replaced, and backup.json

Order of work: check everything in memory (render, syntax, `php -l` when php is present), refuse
hand-edited files, write the backup, write the journal, replace each file atomically (temp file +
rename, keeping the old file's mode and owner), write the manifest, delete the journal.  A crash at
any point leaves every file either old or new, and the journal tells the next run which new files
are ours; `--rollback` restores the last backup.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from generator import __version__
from generator.output import atomic_write

STATE_DIR = ".itgrix-gen"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DeployError(Exception):
    pass


@dataclass
class FilePlan:
    name: str
    content: str
    status: str           # create | update | identical | hand-edited
    customized: bool
    old: bytes | None = None

    @property
    def new_hash(self) -> str:
        return sha256(self.content.encode("utf-8"))

    def diff(self, folder: Path) -> str:
        old = (self.old or b"").decode("utf-8", "replace")
        return "".join(difflib.unified_diff(
            old.splitlines(keepends=True), self.content.splitlines(keepends=True),
            fromfile=f"{folder / self.name} (on the server)", tofile=f"{folder / self.name} (from the spec)"))


@dataclass
class Plan:
    folder: Path
    files: list[FilePlan] = field(default_factory=list)

    @property
    def hand_edited(self) -> list[FilePlan]:
        return [f for f in self.files if f.status == "hand-edited"]

    @property
    def changes(self) -> list[FilePlan]:
        return [f for f in self.files if f.status != "identical"]


def state(folder: Path) -> Path:
    return folder / STATE_DIR


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def known_hashes(folder: Path) -> dict[str, set[str]]:
    """Per file, the contents itgrix-gen itself put there: the last manifest's, plus those of a
    deploy that crashed before writing its manifest (its journal)."""
    known: dict[str, set[str]] = {}
    for source in (state(folder) / "manifest.json", state(folder) / "pending.json"):
        data = read_json(source) or {}
        for name, digest in (data.get("files") or {}).items():
            known.setdefault(name, set()).add(digest)
    return known


def plan(folder: Path, rendered) -> Plan:
    known = known_hashes(folder)
    result = Plan(folder)
    for r in rendered:
        path = folder / r.filename
        old = path.read_bytes() if path.is_file() else None
        if old is None:
            status = "create"
        elif old == r.content.encode("utf-8"):
            status = "identical"
        elif r.filename in known and sha256(old) not in known[r.filename]:
            status = "hand-edited"
        else:
            status = "update"
        result.files.append(FilePlan(r.filename, r.content, status, r.customized, old))
    return result


def check(rendered, php: str | None) -> list[str]:
    """Every check before touching the folder: phply (PHP 5 syntax) and, with php, `php -l`."""
    from generator.php.lint import phply_errors
    from generator.php.runner import php_lint

    problems = []
    with tempfile.TemporaryDirectory(prefix="itgrix-gen-deploy-") as tmp:
        for r in rendered:
            problem = phply_errors(r.content)
            if problem:
                problems.append(f"{r.filename}: {problem}")
                continue
            if php:
                path = Path(tmp) / r.filename
                path.write_text(r.content, encoding="utf-8")
                problem = php_lint(str(path), php)
                if problem:
                    problems.append(f"{r.filename}: php -l: {problem}")
    return problems


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def apply(p: Plan, spec_name: str, digest: str, force: bool = False, writer=atomic_write) -> Path | None:
    """Carry out a plan; returns the backup folder (None when nothing changed)."""
    if p.hand_edited and not force:
        raise DeployError("hand-edited on the server: " + ", ".join(f.name for f in p.hand_edited))
    folder = p.folder
    if not folder.is_dir():
        raise DeployError(f"{folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise DeployError(f"{folder} is not writable (run as the connector's owner or root)")
    changes = p.changes
    manifest = {
        "tool": f"itgrix-gen {__version__}", "spec": spec_name, "spec_sha256": digest,
        "files": {f.name: f.new_hash for f in p.files},
    }
    if not changes:
        if read_json(state(folder) / "manifest.json") != manifest:
            atomic_write(state(folder) / "manifest.json", json.dumps(manifest, indent=2) + "\n", 0o644)
        return None
    backup = state(folder) / "backups" / _stamp()
    backup.mkdir(parents=True)
    replaced = [f for f in changes if f.old is not None]
    for f in replaced:
        shutil.copy2(folder / f.name, backup / f.name)
    previous = read_json(state(folder) / "manifest.json")
    atomic_write(backup / "backup.json", json.dumps({
        "replaced": [f.name for f in replaced],
        "created": [f.name for f in changes if f.old is None],
        "previous_manifest": previous,
    }, indent=2) + "\n", 0o644)
    atomic_write(state(folder) / "pending.json", json.dumps(
        {"backup": backup.name, "files": {f.name: f.new_hash for f in changes}}, indent=2) + "\n", 0o644)
    for f in changes:
        target = folder / f.name
        mode, owner = _mode_owner(target, folder)
        writer(target, f.content, mode)
        _chown(target, owner)
    atomic_write(state(folder) / "manifest.json", json.dumps(manifest, indent=2) + "\n", 0o644)
    (state(folder) / "pending.json").unlink()
    return backup


def _mode_owner(target: Path, folder: Path) -> tuple[int, tuple[int, int]]:
    if target.exists():
        st = target.stat()
        return st.st_mode & 0o7777, (st.st_uid, st.st_gid)
    st = folder.stat()
    return 0o644, (st.st_uid, st.st_gid)


def _chown(path: Path, owner: tuple[int, int]) -> None:
    st = path.stat()
    if (st.st_uid, st.st_gid) != owner and hasattr(os, "chown"):
        try:
            os.chown(path, *owner)
        except PermissionError:
            pass  # not root: the file keeps the deploying user as owner


def backups(folder: Path) -> list[Path]:
    root = state(folder) / "backups"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "backup.json").is_file()
                  and not p.name.endswith(".restored"))


def rollback(folder: Path, writer=atomic_write) -> tuple[Path, list[str], list[str]]:
    """Restore the newest backup: replaced files come back, files the deploy created go away,
    and the manifest is the one before that deploy."""
    found = backups(folder)
    if not found:
        raise DeployError(f"no backup to restore in {state(folder) / 'backups'}")
    backup = found[-1]
    info = read_json(backup / "backup.json") or {}
    restored, removed = [], []
    for name in info.get("replaced", []):
        source = backup / name
        mode = source.stat().st_mode & 0o7777
        writer(folder / name, source.read_text(encoding="utf-8"), mode)
        restored.append(name)
    for name in info.get("created", []):
        try:
            (folder / name).unlink()
            removed.append(name)
        except FileNotFoundError:
            pass
    previous = info.get("previous_manifest")
    manifest = state(folder) / "manifest.json"
    if previous:
        atomic_write(manifest, json.dumps(previous, indent=2) + "\n", 0o644)
    elif manifest.exists():
        manifest.unlink()
    pending = state(folder) / "pending.json"
    if pending.exists():
        pending.unlink()
    backup.rename(backup.with_name(backup.name + ".restored"))
    return backup, restored, removed
