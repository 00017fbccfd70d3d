"""Writing generated files: only what changed, each atomically, nothing when anything failed.

Rendering happens wholly in memory first; only a complete, checked set of files is written.  Each
file goes to a temporary file in the same folder and is renamed over the old one, so a crash or a
full disk leaves either the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Planned:
    path: Path
    content: str
    status: str  # "create" | "update" | "identical"


def slug(name: str) -> str:
    text = re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip(".-")
    return text[:80] or "spec"


_NAME_LINE = re.compile(r'^ \* Spec name: ("(?:[^"\\]|\\.)*")', re.M)


def spec_name_line(content: str) -> str | None:
    """The spec name (as quoted in the header) a generated file came from."""
    match = _NAME_LINE.search(content[:4096])
    return match.group(1) if match else None


def folder_owner(folder: Path) -> str | None:
    """The spec name quoted in the header of the generated files already in `folder`, if any."""
    probe = folder / "need_registration.php"
    try:
        with open(probe, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    return spec_name_line(head)


class OutputFolderError(ValueError):
    """The output folder cannot be used (a name too long for the file system, a file in the way)."""


def check_folder(folder: Path) -> None:
    """Refuse an output folder the file system cannot hold before anything is rendered: a clear
    one-line error instead of an OSError half-way."""
    import errno

    try:
        os.stat(folder)
    except FileNotFoundError:
        pass
    except NotADirectoryError:
        raise OutputFolderError(f"{_short(folder)}: a file stands where the output folder's path goes") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise OutputFolderError(
                f"{_short(folder)}: the path is too long for the file system "
                "(each name at most 255 bytes, the whole path at most 4096)"
            ) from None
        raise OutputFolderError(f"{_short(folder)}: cannot use this folder: {exc.strerror or exc}") from None
    else:
        if not folder.is_dir():
            raise OutputFolderError(f"{_short(folder)}: not a folder")


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:60] + f"... ({len(text):,} characters)"


def plan(files: dict[str, str], folder: Path) -> list[Planned]:
    out = []
    for filename, content in files.items():
        path = folder / filename
        if not path.exists():
            status = "create"
        else:
            try:
                current = path.read_bytes()
            except OSError:
                current = b""
            status = "identical" if current == content.encode("utf-8") else "update"
        out.append(Planned(path, content, status))
    return out


def atomic_write(
    path: Path,
    content: str | bytes,
    mode: int | None = None,
    durable: bool = True,
    owner: tuple[int, int] | None = None,
) -> None:
    """Write via a temporary file and a rename: readers see the old file or the new, never half.
    `durable` also fsyncs before the rename (deploys to a server); generated output in a build
    folder skips that, as the rename alone keeps every file whole if the process dies.  `owner`
    (uid, gid) is applied where we may (as root); otherwise the writing user keeps the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is None:
            mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        if owner is not None:
            with contextlib.suppress(PermissionError):
                os.chown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write(planned: list[Planned]) -> None:
    for item in planned:
        if item.status != "identical":
            atomic_write(item.path, item.content, durable=False)


def diff_text(old: bytes | str | None, new: bytes | str | None, old_label: str, new_label: str) -> str:
    """The one diff printer: a unified diff of two texts (bytes decoded as UTF-8, leniently)."""

    def lines(value: bytes | str | None) -> list[str]:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")
        return text.splitlines(keepends=True)

    return "".join(difflib.unified_diff(lines(old), lines(new), fromfile=old_label, tofile=new_label))


def unified_diff(item: Planned) -> str:
    old = item.path.read_bytes() if item.path.exists() else None
    return diff_text(old, item.content, f"a/{item.path}", f"b/{item.path}")
