"""pydantic's validation errors as SpecIssues: `file:line:col: field.path: message`, in words a
spec's author understands, with "did you mean" hints for misspelt keys."""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.speclang.issues import KeyPath, Pos, Positions, SpecIssue


def nearest(positions: Positions, path: KeyPath, default: Pos) -> Pos:
    """The place of `path`, or of the closest enclosing key that has one."""
    path = tuple(path)
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return positions.get((), default)


def unique(issues: list[SpecIssue]) -> list[SpecIssue]:
    """One message per place: a regex Python and PCRE both reject is reported once; a missing key
    that a "did you mean" beside it already names is not reported again (`strat:` says it)."""
    seen: dict[KeyPath, SpecIssue] = {}
    meant = {
        (i.file, i.path.rpartition(".")[0], m.group(1))
        for i in issues
        if (m := re.search(r"did you mean '([^']+)'", i.message))
    }
    for issue in issues:
        missing = re.fullmatch(r"required key '([^']+)' is missing", issue.message)
        if missing and (issue.file, issue.path.rpartition(".")[0], missing.group(1)) in meant:
            continue
        key = (issue.file, issue.line, issue.col, issue.path)
        if key not in seen:
            seen[key] = issue
    return sorted(seen.values(), key=lambda i: (i.file, i.line, i.col))


# --- pydantic errors -> SpecIssues ---------------------------------------------------------


def issues(exc: ValidationError, data: Any, positions: Positions, display: str, root: Any = None) -> list[SpecIssue]:
    """`root`: the model validated (default the Spec), for the keys a "did you mean" may offer."""
    issues: list[SpecIssue] = []
    seen: set[KeyPath] = set()
    for error in exc.errors(include_url=False):
        path = _data_path(data, error["loc"])
        message = _message(dict(error), data, path, root)
        # A model validator that spans keys names its place itself: "@rings.0.transfer_from: message"
        # (the simulator's Scenario; the spec's cross-section checks run on plain data instead).
        m = re.match(r"^@([\w.]+): (.*)$", message, re.S)
        if m:
            path = tuple(int(p) if p.isdigit() else p for p in m.group(1).split("."))
            message = m.group(2)
        pos = position(positions, path, error["type"], display)
        dotted = ".".join(str(p) for p in path)
        key = (pos, dotted, message)
        if key in seen:
            continue
        seen.add(key)
        issues.append(SpecIssue(pos[0], pos[1], pos[2], dotted, message))
    issues.sort(key=lambda i: (i.file, i.line, i.col))
    return issues


def _data_path(data: Any, loc: KeyPath) -> KeyPath:
    """Pydantic's loc with union tags and validator names dropped: a path through the spec data
    (None: data not at hand, as for a Python spec's own Spec.model_validate: the loc's keys)."""
    if data is None:
        return tuple(p for p in loc if not (isinstance(p, str) and _is_tag(p)))
    path: list[Any] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
            path.append(part)  # a missing or unknown key: still the right place to name
            node = None
    return tuple(path)


def _is_tag(part: str) -> bool:
    return any(c in part for c in "[](),") or part in ("str", "int", "bool", "float", "list", "dict")


def position(positions: Positions, path: KeyPath, kind: str, display: str) -> Pos:
    if kind != "extra_forbidden" and path + ("<value>",) in positions:
        return positions[path + ("<value>",)]
    if kind == "missing" and path:
        return nearest(positions, path[:-1], (display, 1, 1))
    return nearest(positions, path, (display, 1, 1))


def _either(values: list[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _message(error: dict[str, Any], data: Any, path: KeyPath, root: Any = None) -> str:
    kind = error["type"]
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        allowed = _allowed_keys(path[:-1], root)
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = (
            f"; did you mean '{close[0]}'?" if close else (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        )
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return f"required key '{path[-1] if path else '?'}' is missing"
    if kind == "literal_error":
        got = error.get("input")
        allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(str(got), allowed, n=1, cutoff=0.6) if isinstance(got, str) else []
        if isinstance(got, str) and re.fullmatch(r"\d+\.\d+", got):
            # A version: the same major's ('5.0' is not nearer to '8.0' than to '5.6'), else none.
            same = [a for a in allowed if a.split(".")[0] == got.split(".")[0]]
            close = [c for c in close if c in same] or same
        hint = f" (did you mean {_either(close)}?)" if close else ""
        return f"{got!r} is not allowed{hint}: {msg[0].lower() + msg[1:]}"
    text = msg[0].lower() + msg[1:] if msg and msg[:2] != msg[:2].upper() else msg
    got = error.get("input")
    text = str(text)
    if kind.endswith(("_type", "_parsing")) and isinstance(got, (str, int, float, bool)) and not isinstance(got, dict):
        text += f" (got {got!r})"
    return text


def _allowed_keys(path: KeyPath, root: Any = None) -> list[str]:
    """The keys the model at `path` accepts, for 'did you mean' hints."""
    from typing import get_args, get_origin

    from generator.speclang.spec import Spec

    model: Any = root or Spec
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


def _model_in(annotation: Any, get_args: Any, get_origin: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg, get_args, get_origin)
        if found is not None:
            return found
    return None
