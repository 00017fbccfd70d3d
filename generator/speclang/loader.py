"""Loading a spec: YAML (with positions) or Python, `extends` chains, validation, errors.

Every problem becomes a SpecIssue `file:line:col: field.path: message`, and all of a spec's
problems are reported together.  Positions survive `extends`: each value remembers the file and
place it came from, so an error in a base spec points into the base file.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.speclang import pyspec, validation, yamlfile
from generator.speclang.crosschecks import cross_section_problems
from generator.speclang.issues import KeyPath, Pos, Positions, SpecError, SpecIssue, fail
from generator.speclang.merge import merge
from generator.speclang.spec import Spec

__all__ = ["LoadedSpec", "Loader", "Pos", "SpecError", "SpecIssue", "digest", "from_model", "merge"]

YAML_SUFFIXES = (".yaml", ".yml")
MAX_EXTENDS = 32  # a company base, a region, a client: a few levels; a thousand is a mistake or an attack


@dataclass
class LoadedSpec:
    spec: Spec
    path: Path
    digest: str  # sha256 of the merged spec data: the same spec gives the same files
    positions: Positions = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict[str, Any])  # the merged spec as plain data (before validation)
    sources: list[Path] = field(default_factory=list)  # this file and its bases
    # Render with the deciding rule recorded in $decided even without capture or shadow (replay
    # and `cases import` ask the files which rule decided each call).
    record_decisions: bool = False

    def position(self, path: KeyPath) -> Pos:
        return validation.nearest(self.positions, path, (str(self.path), 1, 1))


def from_model(spec: Spec, name: str = "spec.yaml") -> LoadedSpec:
    """A spec built in Python (tests, tools) as if it had been loaded from `name`."""
    data = plain(spec)
    return LoadedSpec(spec=spec, path=Path(name), digest=digest(data), positions={}, data=data, sources=[])


class Loader:
    """Loads specs; one Loader shares parsed base files across many specs (a consultant's batch).

    Trust: the spec named on the command line may be YAML or Python (a Python spec is code the
    user chose to run).  Everything reached through `extends` is data: a YAML spec inside the
    folder tree of the named spec, never a Python file, an absolute path, a path that climbs out
    with `..` or a symlink that points out of the tree."""

    def __init__(self, root: Path | None = None) -> None:
        # The folder tree `extends` may reach: by default the folder of each spec named on the
        # command line; `--root DIR` widens it for a repository of clients and shared templates.
        self.root = root.resolve() if root is not None else None
        # Parsed files, shared by every spec this Loader loads: a company base that a hundred
        # client specs extend is read once.
        self._raw_cache: dict[Path, tuple[Any, Positions]] = {}
        self.reads = 0

    # --- raw documents ------------------------------------------------------------------
    def _read(self, path: Path, display: str) -> tuple[Any, Positions]:
        key = path.resolve()
        if key in self._raw_cache:
            return self._raw_cache[key]
        self.reads += 1
        if path.suffix == ".py":
            result = pyspec.read(path, display)
        else:
            result = yamlfile.load(yamlfile.read_text(path, display), display)
        self._raw_cache[key] = result
        return result

    def _resolve(
        self, path: Path, display: str, chain: tuple[Path, ...], root: Path
    ) -> tuple[Any, Positions, list[Path]]:
        data, positions = self._read(path, display)
        if not isinstance(data, dict):
            raise fail(display, "a spec is a map of keys (version, name, ...)")
        base_ref = data.get("extends")
        if base_ref is None:
            return data, positions, [path]
        where = positions.get(("extends", "<value>")) or positions.get(("extends",), (display, 1, 1))
        if len(chain) > MAX_EXTENDS:
            raise SpecError(
                [
                    SpecIssue(
                        *where, "extends", f"a chain of more than {MAX_EXTENDS} specs extending each other is refused"
                    )
                ]
            )
        base_path = _base_path(path, base_ref, root, where)
        if base_path.resolve() in chain:
            cycle = " -> ".join(p.name for p in chain + (base_path.resolve(),))
            raise SpecError([SpecIssue(*where, "extends", f"extends cycle: {cycle}")])
        base_display = _display(base_path)
        base_data, base_pos, sources = self._resolve(base_path, base_display, chain + (base_path.resolve(),), root)
        merged, merged_pos = merge(base_data, base_pos, data, positions)
        merged.pop("extends", None)
        return merged, merged_pos, [path] + sources

    def load(self, path: str | Path) -> LoadedSpec:
        path = Path(path)
        display = _display(path)
        if path.is_dir():
            for candidate in YAML_SUFFIXES:
                if (path / f"spec{candidate}").is_file():
                    return self.load(path / f"spec{candidate}")
            if (path / "spec.py").is_file():
                raise fail(
                    display,
                    "the folder holds spec.py: a Python spec runs only when its file is named on the command line",
                )
            raise fail(display, "folder holds no spec.yaml")
        if not path.exists() and not path.is_symlink():
            raise fail(display, "no such file")
        return self._load(path, display)

    def _load(self, path: Path, display: str) -> LoadedSpec:
        root = self.root or path.resolve().parent
        try:
            path.resolve().relative_to(root)
        except ValueError:
            raise fail(display, f"the spec lies outside --root {root}") from None
        data, positions, sources = self._resolve(path, display, (path.resolve(),), root)
        data = dict(data)
        extends = data.pop("extends", None)
        from generator.speclang.pcre import check_patterns  # late: it may run php

        issues = check_patterns(data, positions, display)
        for where_path, message in cross_section_problems(data):
            pos = validation.position(positions, where_path, "", display)
            issues.append(SpecIssue(pos[0], pos[1], pos[2], ".".join(str(p) for p in where_path), message))
        try:
            spec = Spec.model_validate(data)
        except ValidationError as exc:
            issues = validation.issues(exc, data, positions, display) + issues
            raise SpecError(validation.unique(issues)) from None
        if issues:
            raise SpecError(validation.unique(issues))
        if extends is not None:
            spec = spec.model_copy(update={"extends": extends})
        return LoadedSpec(spec=spec, path=path, digest=digest(data), positions=positions, data=data, sources=sources)


def _base_path(path: Path, base_ref: Any, root: Path, where: Pos) -> Path:
    """The file `extends` names, if it may be read at all (see Loader)."""

    def refuse(message: str) -> SpecError:
        return SpecError([SpecIssue(*where, "extends", message)])

    if not isinstance(base_ref, str) or not base_ref.strip():
        raise refuse("extends is the path of a base spec, relative to this file")
    if "\x00" in base_ref or len(base_ref) > 1024:
        raise refuse("extends is not a usable path")
    if PurePosixPath(base_ref).is_absolute() or PureWindowsPath(base_ref).is_absolute() or base_ref.startswith("~"):
        raise refuse(f"extends {base_ref!r}: give a path relative to this spec, not an absolute one")
    if PurePosixPath(base_ref).suffix not in YAML_SUFFIXES:
        raise refuse(
            f"extends {base_ref!r}: a base spec is a YAML file (.yaml); a Python spec runs only "
            "when it is named on the command line"
        )
    base_path = path.parent / base_ref
    try:
        resolved = base_path.resolve()
    except (OSError, RuntimeError):
        raise refuse(f"extends {base_ref!r}: the path cannot be resolved (a symlink loop?)") from None
    try:
        resolved.relative_to(root)
    except ValueError:
        shown = _display(root)
        inside = "the folder of the spec named on the command line" if shown in (".", "") else f"{shown}/"
        raise refuse(
            f"extends {base_ref!r}: a base spec must lie inside {inside} (or the tree named with "
            "--root DIR); it may not climb out with '..' or a symlink"
        ) from None
    if not resolved.exists():
        raise refuse(f"base spec {base_ref!r} not found (looked for {base_path})")
    if not resolved.is_file():
        raise refuse(f"base spec {base_ref!r} is not a regular file")
    return base_path


def digest(data: Any) -> str:
    text = json.dumps(plain(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def plain(value: Any, text_keys: bool = True) -> Any:
    """Models dumped as written, tuples as lists; `text_keys` also makes every map key text (for
    the digest), while a Python spec keeps its keys so that validation judges them."""
    if isinstance(value, BaseModel):
        return plain(value.model_dump(mode="json", by_alias=True, exclude_none=True), text_keys)
    if isinstance(value, dict):
        return {(str(k) if text_keys else k): plain(v, text_keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, text_keys) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()  # a Python spec's date: the text a YAML spec would hold
    return value


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
