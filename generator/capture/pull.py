"""`itgrix-gen capture pull`: each target's capture files copied into `DIR/<target>/`,
incrementally, over the deploy's OpenSSH connection (or from a local folder).

What a pull guarantees:
- Only what is new is copied.  A file is known by its first line (its first 1,024 bytes: a line
  starts with the call's time and input, and the start of an append-only file never changes);
  for each, the offset already copied is kept in `DIR/<target>/.pull-state.json`.  A rotation
  renames `x.jsonl` to `x.jsonl.1`: the same first line, so the pull goes on from its offset
  there and takes the new `x.jsonl` from its start.  A file truncated or replaced in place has
  another first line (or is shorter than the offset): it is read from its start.
- Never a torn line: only up to the last newline is copied; the rest comes with the next pull.
- Never a duplicate line: the copy is appended to `DIR/<target>/<name>.jsonl` and only then is
  the state written; a pull that died in between is undone first (each copy is cut back to the
  size the state records).
- Nothing is trusted on the server (root reads a folder the connector's user can write): see
  generator/remote/pull.sh; locally the same rules through O_NOFOLLOW and the open folder."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from generator.safedir import Dir
from generator.target import LocalTarget, SshTarget, Target

if TYPE_CHECKING:
    from generator.remote.ssh import Connection

SCRIPT = (Path(__file__).resolve().parent.parent / "remote" / "pull.sh").read_text(encoding="utf-8")
HEAD = 1024  # bytes that identify a file
STATE = ".pull-state.json"
KEEP_SEEN = 5000  # files remembered per target (a file per customization per rotation)
TIMEOUT = 3600.0  # seconds a target may take in all (a first pull copies up to max_mb * (keep + 1) per file)
_NAME = re.compile(r"^(?P<base>[A-Za-z0-9_-][A-Za-z0-9_.-]*\.jsonl)(?:\.(?P<n>[0-9]{1,3}))?$")


class PullError(Exception):
    """One target could not be pulled (the message says why); the others go on."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    inode: int
    size: int
    head: bytes

    @property
    def base(self) -> str:
        m = _NAME.match(self.name)
        assert m is not None
        return m.group("base")

    @property
    def age(self) -> int:
        """Rotations are numbered from the newest (.1); the live file is 0."""
        m = _NAME.match(self.name)
        assert m is not None
        return int(m.group("n") or 0)

    @property
    def fingerprint(self) -> str | None:
        """The file's first line (at most HEAD bytes); None while not even that is complete."""
        end = self.head.find(b"\n")
        if end < 0 and len(self.head) < HEAD:
            return None
        return hashlib.sha256(self.head[: end + 1] if end >= 0 else self.head).hexdigest()


@dataclass
class Pulled:
    """What one target's pull did."""

    target: str
    folder: Path
    lines: int = 0
    bytes: int = 0
    files: int = 0
    skipped: list[str] = field(default_factory=list)  # files not read, and why
    error: str = ""
    absent: bool = False  # no capture folder on the target yet

    @property
    def ok(self) -> bool:
        return not self.error


class Source(Protocol):
    def listing(self) -> tuple[list[RemoteFile], list[str]] | None: ...

    def read(self, f: RemoteFile, offset: int, count: int, out: IO[bytes]) -> None: ...


# --- over SSH ----------------------------------------------------------------------------------


class SshSource:
    def __init__(self, conn: Connection, folder: str):
        self.conn = conn
        self.folder = folder

    def _run(self, args: list[str], out: IO[bytes] | None) -> tuple[int, str, str]:
        """pull.sh on the server over the deploy's connection (its deadline, its signal handling)."""
        answer = self.conn.run(args, script=SCRIPT, out=out)
        return answer.code, answer.out, answer.err.strip()

    def listing(self) -> tuple[list[RemoteFile], list[str]] | None:
        code, text, said = self._run(["list", self.folder], None)
        if code != 0:
            raise PullError(said or f"the server's pull script exited with {code}")
        lines = text.splitlines()
        if lines[:1] == ["absent"]:
            return None
        if lines[:1] != ["folder"] or lines[-1:] != ["end"]:
            raise PullError("the server's answer was cut short (" + (said or "no reason given") + ")")
        files, skipped = [], []
        pending: tuple[int, int, str] | None = None
        for line in lines[1:-1]:
            kind, _, rest = line.partition(" ")
            if kind == "F":
                inode, size, name = rest.split(" ", 2)
                pending = (int(inode), int(size), name)
            elif kind == "H" and pending is not None:
                files.append(RemoteFile(pending[2], pending[0], pending[1], base64.b64decode(rest)))
                pending = None
            elif kind == "S":
                name, _, why = rest.partition(" ")
                skipped.append(f"{name} ({why})")
        return files, skipped

    def read(self, f: RemoteFile, offset: int, count: int, out: IO[bytes]) -> None:
        code, _text, said = self._run(["read", self.folder, f.name, str(f.inode), str(offset), str(count)], out)
        if code != 0:
            raise PullError(said or f"{f.name}: the server's pull script exited with {code}")


# --- a local folder ----------------------------------------------------------------------------

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class LocalSource:
    """The same rules as pull.sh: the folder reached without a link and opened once, every file
    opened through it without following a link, read only when safedir finds nothing wrong."""

    def __init__(self, folder: str):
        self.folder = folder

    @contextlib.contextmanager
    def _dir(self) -> Iterator[Dir]:
        real = os.path.realpath(self.folder)
        if real != os.path.normpath(self.folder):
            raise PullError(f"{self.folder} leads through a symbolic link to {real}: pull never follows a link")
        try:
            folder = Dir.open(Path(self.folder))
        except OSError as exc:
            raise PullError(f"{self.folder}: {exc.strerror or exc}") from None
        with folder:
            yield folder

    def _open(self, folder: Dir, name: str, inode: int) -> int:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | os.O_CLOEXEC, dir_fd=folder.fd)
        except OSError as exc:
            raise PullError(f"{name}: {exc.strerror or exc} (a symbolic link is never followed)") from None
        st = os.fstat(fd)
        why = folder.problem(st) or ("another file than the one listed" if st.st_ino != inode else "")
        if why:
            os.close(fd)
            raise PullError(f"{name} is {why}: not read")
        return fd

    def listing(self) -> tuple[list[RemoteFile], list[str]] | None:
        if not os.path.lexists(self.folder):
            return None
        files, skipped = [], []
        with self._dir() as folder:
            for name in folder.names():
                st = folder.lstat(name) if _NAME.match(name) else None
                if st is None:
                    continue
                why = folder.problem(st)
                if why:
                    skipped.append(f"{name} ({why})")
                    continue
                fd = self._open(folder, name, st.st_ino)
                try:
                    files.append(RemoteFile(name, st.st_ino, os.fstat(fd).st_size, os.read(fd, HEAD)))
                finally:
                    os.close(fd)
        return files, skipped

    def read(self, f: RemoteFile, offset: int, count: int, out: IO[bytes]) -> None:
        with self._dir() as folder:
            fd = self._open(folder, f.name, f.inode)
            try:
                os.lseek(fd, offset, os.SEEK_SET)
                while count > 0:
                    chunk = os.read(fd, min(count, 1 << 20))
                    if not chunk:
                        break
                    out.write(chunk)
                    count -= len(chunk)
            finally:
                os.close(fd)


# --- the incremental copy ------------------------------------------------------------------------


def folder_name(target: Target) -> str:
    """The target's folder under DIR: its host alias, or its folder's name."""
    name = target.host if isinstance(target, SshTarget) else (target.path.resolve().name or "root")
    name = re.sub(r"[^\w.@\[\]:-]", "_", name)
    return "_" + name if name.startswith(".") or not name else name


def folder_name_of_spec(name: str) -> str:
    """A spec's name as one folder name (captures/<spec name>/)."""
    cleaned = re.sub(r"[^\w.-]+", "-", name).strip("-.")
    return cleaned or "spec"


def _load_state(folder: Path) -> dict[str, dict[str, int]]:
    path = folder / STATE
    if not path.exists():
        return {"out": {}, "seen": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("out"), dict) and isinstance(data.get("seen"), dict):
            return {"out": dict(data["out"]), "seen": dict(data["seen"])}
    except (ValueError, OSError):
        pass
    raise PullError(f"{path} is damaged: remove it and the folder's .jsonl files to pull everything again")


def _save_state(folder: Path, state: dict[str, dict[str, int]]) -> None:
    tmp = folder / (STATE + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(state, handle)  # in order: the most recently copied files last
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / STATE)


def pull_into(source: Source, folder: Path, result: Pulled) -> None:
    """Copy what is new from `source` into `folder` (see the module's text)."""
    folder.mkdir(parents=True, exist_ok=True)
    state = _load_state(folder)
    for name, size in state["out"].items():  # undo a copy whose state was never written
        path = folder / name
        if _NAME.match(name) and path.exists() and path.stat().st_size > size:
            with path.open("r+b") as handle:
                handle.truncate(size)
    listed = source.listing()
    if listed is None:
        result.absent = True
        return
    files, result.skipped = listed
    for f in sorted(files, key=lambda f: (f.base, -f.age)):  # oldest first
        fp = f.fingerprint
        if f.size and not f.head:
            result.skipped.append(f"{f.name} (could not be read: the server's dd needs iflag=nofollow, GNU coreutils)")
            continue
        if fp is None:
            continue  # not even a first line yet
        start = state["seen"].get(fp, 0)
        if start > f.size:
            start = 0  # the same first line but shorter: a new file
        if f.size == start:
            continue
        out = folder / f.base
        with tempfile.TemporaryFile(dir=folder) as part:
            source.read(f, start, f.size - start, part)
            got = part.tell()
            if got > f.size - start:
                raise PullError(f"{f.name}: the server sent more than was asked")
            cut = _last_newline(part, got)
            if cut <= 0:
                continue
            part.seek(0)
            before = out.stat().st_size if out.exists() else 0
            with out.open("ab") as handle:
                left = cut
                while left:
                    chunk = part.read(min(left, 1 << 20))
                    handle.write(chunk)
                    left -= len(chunk)
                    result.lines += chunk.count(b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        result.bytes += cut
        result.files += 1
        state["out"][f.base] = before + cut
        state["seen"].pop(fp, None)
        state["seen"][fp] = start + cut  # the most recent last
        _save_state(folder, state)
    # Files rotated away are forgotten only long after (a file renamed while the server listed
    # the folder may be missing from one listing: forgetting it then would copy it again).
    seen = state["seen"]
    if len(seen) > KEEP_SEEN:
        state["seen"] = dict(list(seen.items())[-KEEP_SEEN:])
    _save_state(folder, state)


def _last_newline(part: IO[bytes], size: int) -> int:
    """Where the last complete line ends in a long copy with no newline near its end."""
    step = 1 << 20
    end = size
    while end > 0:
        start = max(0, end - step)
        part.seek(start)
        chunk = part.read(end - start)
        at = chunk.rfind(b"\n")
        if at >= 0:
            return start + at + 1
        end = start
    return 0


def pull(target: Target, capture_dir: str, folder: Path, timeout: float = TIMEOUT) -> Pulled:
    """Pull one target; never raises for the target's own problems (they are the result)."""
    from generator.errors import UserError

    result = Pulled(str(target), folder)
    try:
        if isinstance(target, LocalTarget):
            result.error = target.missing()
            if not result.error:
                pull_into(LocalSource(capture_dir), folder, result)
        else:
            from generator.remote.ssh import Connection

            with Connection(target, timeout) as conn:
                pull_into(SshSource(conn, capture_dir), folder, result)
    except (PullError, UserError) as exc:
        result.error = str(exc)
    except OSError as exc:
        result.error = exc.strerror or str(exc)
    return result


# --- a fleet -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullJob:
    target: Target
    capture_dir: str
    folder: Path


def plan(pairs: list[tuple[Target, str, Path]]) -> list[PullJob]:
    """(target, the spec's capture folder, DIR) -> one job per capture folder on each machine, each
    into DIR/<target's name>/; UsageProblem when two would share a folder."""
    from generator.errors import UsageProblem

    jobs: dict[tuple[str, str], PullJob] = {}
    for target, capture_dir, out in pairs:
        # Local folder targets share this machine's capture folder: pulled once, unless one is
        # missing (its own job, to fail on its own without hiding the others).
        if isinstance(target, SshTarget):
            where = f"{target.user or ''}@{target.host}:{target.port or ''}"
        else:
            where = str(target) if target.missing() else ""
        key = (where, capture_dir)
        if key not in jobs:
            jobs[key] = PullJob(target, capture_dir, out / folder_name(target))
    taken: dict[Path, PullJob] = {}
    for job in jobs.values():
        other = taken.setdefault(job.folder, job)
        if other is not job:
            raise UsageProblem(
                f"{other.target} and {job.target} would both be pulled into {job.folder}: "
                "pull them with -o into different folders"
            )
    return list(jobs.values())


def check_output(folder: Path, named: str) -> None:
    """UsageProblem (one line naming it) when the folder the copies go to cannot be made or
    written: said once, before any target is contacted, rather than as every target's failure."""
    from generator.errors import UsageProblem

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageProblem(
            f"{named}: the folder the copies go to cannot be made or written ({exc.strerror or exc})"
        ) from None


def run(jobs: list[PullJob], parallel: int, done: Callable[[Pulled], None], timeout: float = TIMEOUT) -> list[Pulled]:
    """Every job, `parallel` at a time; one target's failure never stops the others."""
    from concurrent.futures import ThreadPoolExecutor

    def one(job: PullJob) -> Pulled:
        result = pull(job.target, job.capture_dir, job.folder, timeout)
        done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, jobs))
