"""What a deploy target holds, in one structure for both kinds of target, and the one place the
on-disk format of itgrix-gen's state folder is spelt in Python (remote.sh is the other, in sh).

A local folder (generator/deploy.py reads it through generator/safedir.py) and a server (remote.sh's
probe, read by generator/remote/server.py) both become a `TargetState`; the deploy planner, the
rollback planner, the status classifier and the backup listing read only that.  So `status` and
`deploy --dry-run` cannot disagree about a file, and a format change touches `BackupRecord`,
`manifest_of`/`journal_of` here and remote.sh.

Layout kept inside the customization folder:
    .itgrix-gen/lock                    flock()ed while a deploy or rollback runs
    .itgrix-gen/manifest.json           what the last deploy wrote (sha256 per file)
    .itgrix-gen/pending.json            journal of a deploy in progress (new hashes, backup folder)
    .itgrix-gen/backups/<UTC time>/     the files that deploy replaced (bytes, mode and owner kept),
                                        and backup.json (a BackupRecord)
    .itgrix-gen/backups/<time>.restored         a backup a rollback has restored
    .itgrix-gen/backups/<time>.before-rollback  hand edits a forced rollback kept
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator import __version__

if TYPE_CHECKING:
    from generator.pipeline import RenderedFile

STATE_DIR = ".itgrix-gen"
RESTORED = ".restored"
BEFORE_ROLLBACK = ".before-rollback"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_names() -> frozenset[str]:
    from generator.customizations import CUSTOMIZATIONS

    return frozenset(c.filename for c in CUSTOMIZATIONS)


def parse_json(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def restorable(names: list[str]) -> list[str]:
    """Backups that a rollback may still restore, oldest first."""
    return sorted(n for n in names if not n.endswith((RESTORED, BEFORE_ROLLBACK)))


# --- the records ---------------------------------------------------------------------------


@dataclass
class BackupRecord:
    """backup.json: what one deploy replaced, created and wrote, with each replaced file's mode
    and owner, the manifest before it (a rollback writes it back) and who deployed what.  Read
    defensively: a state folder may have been written by an older itgrix-gen or tampered with."""

    tool: str = ""
    spec: str = ""
    spec_version: str = ""
    deployed_by: str = ""
    git_commit: str = ""  # the spec's commit when the spec is in a git repository ("+" when edited since)
    replaced: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    modes_owners: dict[str, list[int | None]] = field(default_factory=dict)
    wrote: dict[str, str] | None = None  # None: written by an itgrix-gen before it was recorded
    had: dict[str, str] = field(default_factory=dict)
    previous_manifest: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "spec": self.spec,
            "spec_version": self.spec_version,
            "deployed_by": self.deployed_by,
            "git_commit": self.git_commit,
            "replaced": self.replaced,
            "created": self.created,
            "modes_owners": self.modes_owners,
            "wrote": self.wrote or {},
            "had": self.had,
            "previous_manifest": self.previous_manifest,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackupRecord:
        """Every field whose type is right; the file lists are checked by `problem()`."""

        def text(key: str) -> str:
            value = data.get(key)
            return value if isinstance(value, str) else ""

        def hashes(key: str) -> dict[str, str]:
            value = data.get(key)
            if not isinstance(value, dict):
                return {}
            return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

        modes = data.get("modes_owners")
        previous = data.get("previous_manifest")
        return cls(
            tool=text("tool"),
            spec=text("spec"),
            spec_version=text("spec_version"),
            deployed_by=text("deployed_by"),
            git_commit=text("git_commit"),
            replaced=data.get("replaced") or [],
            created=data.get("created") or [],
            modes_owners=modes if isinstance(modes, dict) else {},
            wrote=hashes("wrote") if isinstance(data.get("wrote"), dict) else None,
            had=hashes("had"),
            previous_manifest=previous if isinstance(previous, dict) else None,
        )

    def problem(self) -> str:
        """Why a rollback must not use this record ('' when it may): only the fourteen plain file
        names, so a tampered backup.json never makes a rollback write or delete anywhere else."""
        names = file_names()
        for key in ("replaced", "created"):
            value = getattr(self, key)
            if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                return f"'{key}' is not a list of file names; refusing"
            for name in value:
                if name not in names:
                    return (
                        f"names {name!r}, which is not one of the fourteen customization files; "
                        "refusing to restore from a tampered backup"
                    )
        return ""

    def owner_of(self, name: str) -> tuple[int, int | None, int | None]:
        """(mode, uid, gid) a restored file gets back (0644 and the folder's owner when unrecorded)."""
        entry = self.modes_owners.get(name)
        if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], int):
            uid, gid = entry[1], entry[2]
            return entry[0] & 0o7777, uid if isinstance(uid, int) else None, gid if isinstance(gid, int) else None
        return 0o644, None, None


def empty_manifest() -> dict[str, Any]:
    """The manifest of a folder before its first deploy (a missing one would read as lost history)."""
    return {"tool": f"itgrix-gen {__version__}", "spec": None, "files": {}}


def manifest_of(
    spec_name: str, digest: str, version: str, files: dict[str, str], file_versions: dict[str, str] | None = None
) -> dict[str, Any]:
    """manifest.json: what the folder holds now.  `spec_version` is the set's version (what
    `--rollback --list` shows), `file_versions` each file's own, the one its capture lines name."""
    return {
        "tool": f"itgrix-gen {__version__}",
        "spec": spec_name,
        "spec_sha256": digest,
        "spec_version": version,
        "files": files,
        "file_versions": file_versions or {},
    }


def journal_of(stamp: str, files: dict[str, str]) -> dict[str, Any]:
    """pending.json: the deploy in progress (a crash leaves it; the next run knows its files)."""
    return {"backup": stamp, "files": files}


# --- what a target holds ---------------------------------------------------------------------


@dataclass
class FoundFile:
    """One customization file on the target."""

    data: bytes | None = None  # None: absent, or unusable (see problem): its content is never read
    problem: str = ""  # why root will not use it (a link, a FIFO, a foreign owner, unreadable)
    mode: int = 0o644
    uid: int | None = None
    gid: int | None = None
    mtime: int | None = None  # seconds since the epoch
    user: str = ""  # the owner's name, when the target knows it

    @property
    def owner(self) -> tuple[int, int] | None:
        return (self.uid, self.gid) if self.uid is not None and self.gid is not None else None

    @property
    def sha(self) -> str:
        """sha256 of the content, "-" when absent (or unusable)."""
        return sha256(self.data) if self.data is not None else "-"


@dataclass
class TargetState:
    """A target as read for one deploy, rollback or status: a local folder or a server's probe."""

    where: str  # the target as the user named it, for messages
    folder: str = "ok"  # ok | missing | notdir | readonly | unreadable
    unsafe: str = ""  # why the state folder cannot be trusted (then nothing in it is used)
    php_version: str | None = None  # a server's php (probe), None when unknown
    php_problem: str = ""
    manifest: dict[str, Any] | None = None
    manifest_exists: bool = False
    pending: dict[str, Any] | None = None
    files: dict[str, FoundFile] = field(default_factory=dict)
    backups: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # folder -> backup.json (None: unreadable)
    backup_files: dict[str, dict[str, str]] = field(default_factory=dict)  # folder -> {file: sha256}
    capture: str = ""  # the capture folder's state: ok | missing | a reason it cannot be used ('' unasked)

    def file(self, name: str) -> FoundFile:
        return self.files.get(name) or FoundFile()

    def sha(self, name: str) -> str:
        return self.file(name).sha

    def record(self, backup: str) -> BackupRecord | None:
        data = self.backups.get(backup)
        return BackupRecord.from_json(data) if isinstance(data, dict) else None

    def known(self) -> tuple[dict[str, set[str]], bool]:
        """Per file, the contents itgrix-gen itself put there: the last manifest's, a crashed
        deploy's journal, and what every kept backup records that its deploy wrote (and replaced:
        a rollback puts it back).  Also whether this folder has a deploy history whose manifest
        is missing or unreadable (then nothing is taken on trust)."""
        known: dict[str, set[str]] = {}
        sources: list[Any] = [self.manifest, self.pending]
        for name in sorted(self.backups):
            info = self.backups[name] or {}
            sources.append({"files": info.get("wrote") or {}})
            sources.append({"files": info.get("had") or {}})
            previous = info.get("previous_manifest")
            sources.append(previous if isinstance(previous, dict) else None)
        for data in sources:
            files = (data or {}).get("files") if isinstance(data, dict) else None
            if isinstance(files, dict):
                for name, digest in files.items():
                    if isinstance(name, str) and isinstance(digest, str):
                        known.setdefault(name, set()).add(digest)
        history = self.manifest_exists or bool(self.backups)
        # A deploy in progress (its journal there, its manifest not yet) is not a lost manifest:
        # a deploy that lost the race for the lock reads the folder again while the winner writes.
        journal = isinstance(self.pending, dict) and isinstance(self.pending.get("files"), dict)
        manifest_lost = (
            history
            and not (journal and not self.manifest_exists)
            and (self.manifest is None or not isinstance(self.manifest.get("files"), dict))
        )
        return known, manifest_lost


# --- the one classifier ---------------------------------------------------------------------

# A file's state against what the spec renders now; `status` prints these words, `deploy --dry-run`
# prints them too, with what a deploy does about each (ACTIONS).
FRESH, STALE, HAND_EDITED, UNUSABLE, MISSING = "fresh", "stale", "hand-edited", "unusable", "missing"
STATES = (FRESH, STALE, HAND_EDITED, UNUSABLE, MISSING)
ACTIONS = {FRESH: "unchanged", STALE: "changed", MISSING: "new", HAND_EDITED: "refused", UNUSABLE: "refused"}


def classify(name: str, found: FoundFile, new: bytes, known: dict[str, set[str]], manifest_lost: bool) -> str:
    """fresh (what the spec renders now), stale (an earlier deploy of itgrix-gen's: a deploy
    replaces it), hand-edited (neither: edited by hand since, or hand-written before the first
    deploy, or the history that would tell is lost: never replaced without --force, it is
    someone's work), unusable (root will not read it: a link, a FIFO, a foreign owner), missing."""
    if found.problem:
        return UNUSABLE
    if found.data is None:
        return MISSING
    if found.data == new:
        return FRESH
    if sha256(found.data) in known.get(name, set()) and not manifest_lost:
        return STALE
    return HAND_EDITED


def classify_all(state: TargetState, rendered: list[RenderedFile]) -> dict[str, str]:
    known, lost = state.known()
    return {
        r.filename: classify(r.filename, state.file(r.filename), r.content.encode("utf-8"), known, lost)
        for r in rendered
    }


def overall(states: dict[str, str]) -> str:
    """A target's state in one word: its worst file's."""
    for worst in (UNUSABLE, HAND_EDITED, MISSING, STALE):
        if worst in states.values():
            return worst
    return FRESH


# --- the one outcome -----------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened on one target (a fleet's summary line and its details), for deploy, rollback
    and status alike."""

    spec: str
    target: str
    result: (
        str  # deployed | unchanged | refused | check failed | unreachable | failed | dry run | rolled back | a state
    )
    detail: str = ""
    files: dict[str, str] = field(default_factory=dict)  # file -> its state (or what a rollback did)
    diffs: list[str] = field(default_factory=list)
    backup: str = ""
    backups: list[tuple[str, BackupRecord | None, bool]] = field(
        default_factory=list
    )  # --list: (id, record, restorable)
    forced: bool = False  # --force: hand-edited files are replaced, not refused
    usage: bool = False  # the command line asked for something the target does not have (exit 2)

    @property
    def ok(self) -> bool:
        return self.result in ("deployed", "unchanged", "dry run", "rolled back", "listed")

    def counts(self) -> dict[str, int]:
        """new / changed / unchanged / refused: what a deploy does with this target's files."""
        found = {"new": 0, "changed": 0, "unchanged": 0, "refused": 0}
        for state in self.files.values():
            action = "changed" if self.forced and state == HAND_EDITED else ACTIONS.get(state)
            if action:
                found[action] += 1
        return found
