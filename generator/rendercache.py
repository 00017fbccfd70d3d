"""A cache of renders, keyed by content, so that `render --check` of unchanged specs (a CI run on
every push) answers without loading pydantic, rendering or parsing PHP.

An entry is stored after a successful render, under the hash of the tool's own code, its
templates, the data written into the files (the versions of phonenumbers and holidays, and of the
time-zone data: the tzdata package and the system's zoneinfo) and the spec file's bytes.  It records the hash of every file the spec was built from
(its `extends` chain) and of every generated file.  A lookup is a hit only when all of those
still hash the same and every generated file on disk is exactly what the spec renders; anything
else (a changed base, a stale or missing file, another tool version) falls back to the full
pipeline.  Nothing is trusted that is not checked by hash; ITGRIX_GEN_NO_CACHE=1 switches it off.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import os
import zoneinfo
from functools import lru_cache
from pathlib import Path

from generator import output as writer
from generator.cachedir import cache_dir
from generator.resources import templates_dir

_PACKAGE = Path(__file__).resolve().parent


def _dir() -> Path | None:
    return cache_dir("renders")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The tool itself: every source, template and resource file it renders with."""
    digest = hashlib.sha256()
    for root in (_PACKAGE, templates_dir()):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".php", ".j2", ".json", ".mjs") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# Packages whose content is written into the generated files: numbering plans, holidays, zone
# offsets.  An upgrade of any of them changes the files a spec renders to.
DATA_PACKAGES = ("phonenumbers", "holidays", "tzdata")


def _zoneinfo_versions() -> list[str]:
    """The version line of each zoneinfo folder Python may read zones from (tzdata.zi starts with
    "# version 2025b"); zoneinfo prefers these folders to the tzdata package."""
    versions = []
    for folder in zoneinfo.TZPATH:
        try:
            with open(os.path.join(folder, "tzdata.zi"), encoding="utf-8") as f:
                versions.append(f"{folder}:{f.readline().strip()}")
        except OSError:
            versions.append(f"{folder}:-")
    return versions


@lru_cache(maxsize=1)
def data_versions() -> str:
    """The versions of the data written into the files, as one text."""
    parts = []
    for name in DATA_PACKAGES:
        try:
            parts.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name}=-")
    return "\0".join(parts + _zoneinfo_versions())


# At most this many entries per subfolder (256 of them), the oldest going first: one entry per
# spec, output folder and content, so a consultant's clients fit and throwaway outputs age out.
MAX_PER_FOLDER = 32


def _prune(folder: Path) -> None:
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
        for old in entries[: max(0, len(entries) - MAX_PER_FOLDER)]:
            old.unlink()
    except OSError:
        pass


MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # far above any generated file


def _read(path: Path, limit: int | None = None) -> bytes | None:
    """A file's bytes through the spec readers' one check (a regular file within the limit:
    never /dev/zero, never a FIFO), or None; the loader then says what is wrong with a spec."""
    from generator.speclang.issues import SpecError
    from generator.speclang.yamlfile import MAX_SPEC_BYTES, read_bytes

    try:
        return read_bytes(path, str(path), limit or MAX_SPEC_BYTES)
    except SpecError:
        return None


def _key(spec: Path, output: Path | None, many: bool, root: Path | None) -> str | None:
    data = _read(spec)
    if data is None:
        return None
    parts = [
        _code_digest(),
        data_versions(),
        str(spec.resolve()),
        str(output.resolve() if output else None),
        str(many),
        str(root.resolve() if root else None),
        _sha(data),
    ]
    return _sha("\0".join(parts).encode())


def lookup(spec: Path, output: Path | None, many: bool, root: Path | None) -> tuple[Path, list[str], list[str]] | None:
    """(output folder, customized customizations, file names in order) when every generated file
    on disk is what the spec renders now; None otherwise."""
    folder = _dir()
    key = _key(spec, output, many, root) if folder is not None else None
    if folder is None or key is None:
        return None
    try:
        entry = json.loads((folder / key[:2] / key).read_text(encoding="utf-8"))
        for source, digest in entry["sources"].items():
            data = _read(Path(source))
            if data is None or _sha(data) != digest:
                return None
        target = Path(entry["folder"])
        for name, digest in entry["files"].items():
            data = _read(target / name, MAX_OUTPUT_BYTES)
            if data is None or _sha(data) != digest:
                return None
        return target, list(entry["customized"]), list(entry["files"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store(
    spec: Path,
    output: Path | None,
    many: bool,
    root: Path | None,
    sources: list[Path],
    folder: Path,
    files: dict[str, str],
    customized: list[str],
) -> None:
    cache = _dir()
    key = _key(spec, output, many, root) if cache is not None else None
    if cache is None or key is None:
        return
    try:
        entry = {
            "sources": {str(p.resolve()): _sha(_read(p) or b"") for p in sources},
            "folder": str(folder),
            "customized": customized,
            "files": {name: _sha(text.encode("utf-8")) for name, text in files.items()},
        }
        writer.atomic_write(cache / key[:2] / key, json.dumps(entry), durable=False)
        _prune(cache / key[:2])
    except OSError:
        pass  # a read-only home: the full pipeline runs every time
