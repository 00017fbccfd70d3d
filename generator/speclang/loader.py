"""Loading a spec: YAML (with positions) or Python, `extends` chains, validation, errors.

Every problem becomes a SpecIssue `file:line:col: field.path: message`, and all of a spec's
problems are reported together.  Positions survive `extends`: each value remembers the file and
place it came from, so an error in a base spec points into the base file.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.speclang import yamlfile
from generator.speclang.crosschecks import cross_section_problems
from generator.speclang.issues import Pos, SpecError, SpecIssue, fail
from generator.speclang.spec import Spec

__all__ = ["Loader", "LoadedSpec", "SpecError", "SpecIssue", "Pos", "digest", "from_model", "merge"]

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedSpec:
    spec: Spec
    path: Path
    digest: str  # sha256 of the merged spec data: the same spec gives the same files
    positions: dict[tuple, Pos] = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # the merged spec as plain data (before validation)
    sources: list[Path] = field(default_factory=list)  # this file and its bases

    def position(self, path: tuple) -> Pos:
        return _nearest(self.positions, path, (str(self.path), 1, 1))


def from_model(spec: Spec, name: str = "spec.yaml") -> LoadedSpec:
    """A spec built in Python (tests, tools) as if it had been loaded from `name`."""
    data = _plain(spec)
    return LoadedSpec(spec=spec, path=Path(name), digest=digest(data), positions={}, data=data, sources=[])


def _nearest(positions: dict[tuple, Pos], path: tuple, default: Pos) -> Pos:
    path = tuple(path)
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return positions.get((), default)


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
        self._raw_cache: dict[Path, tuple[Any, dict[tuple, Pos]]] = {}
        self.reads = 0

    # --- raw documents ------------------------------------------------------------------
    def _read(self, path: Path, display: str) -> tuple[Any, dict[tuple, Pos]]:
        key = path.resolve()
        if key in self._raw_cache:
            return self._raw_cache[key]
        self.reads += 1
        if path.suffix == ".py":
            result = _read_python(path, display)
        else:
            result = yamlfile.load(yamlfile.read_text(path, display), display)
        self._raw_cache[key] = result
        return result

    def _resolve(self, path: Path, display: str, chain: tuple[Path, ...],
                 root: Path) -> tuple[Any, dict[tuple, Pos], list[Path]]:
        data, positions = self._read(path, display)
        if not isinstance(data, dict):
            raise fail(display, "a spec is a map of keys (version, name, ...)")
        base_ref = data.get("extends")
        if base_ref is None:
            return data, positions, [path]
        where = positions.get(("extends", "<value>")) or positions.get(("extends",), (display, 1, 1))
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
                raise fail(display, "the folder holds spec.py: a Python spec runs only when its file is "
                                    "named on the command line")
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
            pos = _position(positions, where_path, "", display)
            issues.append(SpecIssue(pos[0], pos[1], pos[2], ".".join(str(p) for p in where_path), message))
        try:
            spec = Spec.model_validate(data)
        except ValidationError as exc:
            issues = _issues(exc, data, positions, display) + issues
            raise SpecError(_unique(issues)) from None
        if issues:
            raise SpecError(_unique(issues))
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
        raise refuse(f"extends {base_ref!r}: a base spec is a YAML file (.yaml); a Python spec runs only "
                     "when it is named on the command line")
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
        raise refuse(f"extends {base_ref!r}: a base spec must lie inside {inside} (or the tree named with "
                     "--root DIR); it may not climb out with '..' or a symlink") from None
    if not resolved.exists():
        raise refuse(f"base spec {base_ref!r} not found (looked for {base_path})")
    if not resolved.is_file():
        raise refuse(f"base spec {base_ref!r} is not a regular file")
    return base_path


def _unique(issues: list[SpecIssue]) -> list[SpecIssue]:
    """One message per place: a regex Python and PCRE both reject is reported once."""
    seen: dict[tuple, SpecIssue] = {}
    for issue in issues:
        key = (issue.file, issue.line, issue.col, issue.path)
        if key not in seen:
            seen[key] = issue
    return sorted(seen.values(), key=lambda i: (i.file, i.line, i.col))


def digest(data: Any) -> str:
    text = json.dumps(_plain(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: Any, text_keys: bool = True) -> Any:
    """Models dumped as written, tuples as lists; `text_keys` also makes every map key text (for
    the digest), while a Python spec keeps its keys so that validation judges them."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json", by_alias=True, exclude_none=True), text_keys)
    if isinstance(value, dict):
        return {(str(k) if text_keys else k): _plain(v, text_keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, text_keys) for v in value]
    return value


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_python(path: Path, display: str) -> tuple[Any, dict[tuple, Pos]]:
    module_name = "itgrix_gen_spec_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec_obj = importlib.util.spec_from_file_location(module_name, path)
    if spec_obj is None or spec_obj.loader is None:
        raise SpecError([SpecIssue(display, 1, 1, "", "cannot import this Python file")])
    module = importlib.util.module_from_spec(spec_obj)
    try:
        spec_obj.loader.exec_module(module)
    except ValidationError as exc:
        raise SpecError(_issues(exc, {}, {}, display)) from None
    except SyntaxError as exc:
        raise SpecError([SpecIssue(display, exc.lineno or 1, exc.offset or 1, "", f"Python syntax error: {exc.msg}")]) from None
    except SystemExit as exc:
        # sys.exit() inside a spec must not end a batch (with exit 0, no less).
        line = _traceback_line(exc, path)
        raise fail(display, f"importing the spec called sys.exit({exc.code!r}); a spec only defines SPEC", line) from None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the user's module raised: report it, never a traceback
        line = _traceback_line(exc, path)
        raise SpecError([SpecIssue(display, line, 1, "", f"importing the spec raised {type(exc).__name__}: {exc}")]) from None
    finally:
        sys.modules.pop(module_name, None)
    if not hasattr(module, "SPEC"):
        raise SpecError([SpecIssue(display, 1, 1, "", "a Python spec must define SPEC (a Spec model or a dict)")])
    value = module.SPEC
    if isinstance(value, Spec):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not isinstance(value, dict):
        raise SpecError([SpecIssue(display, 1, 1, "SPEC", "SPEC must be a Spec model or a dict")])
    yamlfile.check_data(value, display)
    return _plain(value, text_keys=False), {(): (display, 1, 1)}


def _traceback_line(exc: BaseException, path: Path) -> int:
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def merge(base: Any, base_pos: dict[tuple, Pos], child: Any, child_pos: dict[tuple, Pos]) -> tuple[Any, dict[tuple, Pos]]:
    """`extends` semantics: maps merge key by key (recursively), everything else - lists included -
    is replaced by the child's value, and a child's `null` removes the base's key."""
    positions = dict(base_pos)
    merged = _merge(base, child, (), positions, child_pos)
    return merged, positions


def _merge(base: Any, child: Any, path: tuple, positions: dict, child_pos: dict) -> Any:
    if isinstance(base, dict) and isinstance(child, dict):
        out = dict(base)
        for key, value in child.items():
            key_path = path + (key,)
            if value is None:
                out.pop(key, None)
                _drop(positions, key_path)
            elif key in out:
                out[key] = _merge(out[key], value, key_path, positions, child_pos)
                _copy_one(positions, child_pos, key_path)
            else:
                out[key] = value
                _take(positions, child_pos, key_path)
        return out
    _drop(positions, path)
    _take(positions, child_pos, path)
    return child


def _drop(positions: dict, prefix: tuple) -> None:
    if not prefix:
        return
    for key in [k for k in positions if k[: len(prefix)] == prefix]:
        del positions[key]


def _take(positions: dict, source: dict, prefix: tuple) -> None:
    for key, pos in source.items():
        if key[: len(prefix)] == prefix:
            positions[key] = pos


def _copy_one(positions: dict, source: dict, key: tuple) -> None:
    if key in source:
        positions[key] = source[key]
    value_key = key + ("<value>",)
    if value_key in source:
        positions[value_key] = source[value_key]


# --- pydantic errors -> SpecIssues ---------------------------------------------------------

def _issues(exc: ValidationError, data: Any, positions: dict[tuple, Pos], display: str) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    seen: set[tuple] = set()
    for error in exc.errors(include_url=False):
        path = _data_path(data, error["loc"])
        message = _message(error, data, path)
        # Checks across sections name their place themselves: "@originate.format: message".
        m = re.match(r"^@([\w.]+): (.*)$", message, re.S)
        if m:
            path = tuple(int(p) if p.isdigit() else p for p in m.group(1).split("."))
            message = m.group(2)
        pos = _position(positions, path, error["type"], display)
        dotted = ".".join(str(p) for p in path)
        key = (pos, dotted, message)
        if key in seen:
            continue
        seen.add(key)
        issues.append(SpecIssue(pos[0], pos[1], pos[2], dotted, message))
    issues.sort(key=lambda i: (i.file, i.line, i.col))
    return issues


def _data_path(data: Any, loc: tuple) -> tuple:
    """Pydantic's loc with union tags and validator names dropped: a path through the spec data."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
            path.append(part)  # a missing or unknown key: still the right place to name
            node = None
    return tuple(path)


def _is_tag(part: str) -> bool:
    return any(c in part for c in "[](),") or part in ("str", "int", "bool", "float", "list", "dict")


def _position(positions: dict[tuple, Pos], path: tuple, kind: str, display: str) -> Pos:
    if kind != "extra_forbidden" and path + ("<value>",) in positions:
        return positions[path + ("<value>",)]
    if kind == "missing" and path:
        return _nearest(positions, path[:-1], (display, 1, 1))
    return _nearest(positions, path, (display, 1, 1))


def _message(error: dict, data: Any, path: tuple) -> str:
    kind = error["type"]
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, "):]
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        allowed = _allowed_keys(path[:-1])
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return f"required key '{path[-1] if path else '?'}' is missing"
    if kind == "literal_error":
        got = error.get("input")
        return f"{got!r} is not allowed: {msg[0].lower() + msg[1:]}"
    text = msg[0].lower() + msg[1:] if msg and msg[:2] != msg[:2].upper() else msg
    got = error.get("input")
    if kind.endswith(("_type", "_parsing")) and isinstance(got, (str, int, float, bool)) and not isinstance(got, dict):
        text += f" (got {got!r})"
    return text


def _allowed_keys(path: tuple) -> list[str]:
    """The keys the model at `path` accepts, for 'did you mean' hints."""
    from typing import get_args, get_origin

    model: Any = Spec
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        model = _model_in(annotation, get_args, get_origin)
        if model is None:
            return []
    fields = getattr(model, "model_fields", {})
    return [info.alias or name for name, info in fields.items()]


def _model_in(annotation: Any, get_args, get_origin) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg, get_args, get_origin)
        if found is not None:
            return found
    return None
