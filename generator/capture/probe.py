"""`itgrix-gen fields --probe`: the field table against real calls.  For each condition key and
placeholder, on how many captured calls each source path found a value (read the way the
generated files read it: runtime.php's itgrix_rt_collect, ported here); which paths the real
inputs carry that the table never reads; and, for a key that never resolved, paths that look
like it, as a `fields:` override to try."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from generator.capture.log import Capture
from generator.emit.fields import DIRECTION_KEY, FIELDS, Overrides, Source, sources_for

# Words a path must hold to be suggested for a key that found nothing.
HINTS = {
    "extension": ("exten", "extension", "phones", "user", "number"),
    "trunk": ("trunk",),
    "client_phone": ("from", "to", "number", "phone", "caller"),
    "line": ("line", "trunk", "did"),
    "status": ("result", "status", "disposition"),
    "direction": ("type", "direction"),
    "answered": ("answer",),
    "record": ("record",),
    "user.name": ("user", "name"),
    "user.id": ("user", "id"),
    "entity.name": ("entity",),
    "entity.type": ("entity",),
    "entity.id": ("entity",),
}


def _text(value: Any) -> str:
    """A value as the generated files see it (itgrix_rt_collect): texts, numbers, flags."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.0f}" if value == int(value) and abs(value) < 1e15 else repr(value)
    return value if isinstance(value, str) else ""


def source_values(params: Any, source: Source, call: str) -> list[str] | None:
    """What one source finds on a call; None when it does not apply (another direction)."""
    if source.dirs and call not in source.dirs:
        return None
    level = [params]
    for key in source.path:
        nxt: list[Any] = []
        for item in level:
            if isinstance(item, dict) and (key == "*" or key in item):
                nxt += list(item.values()) if key == "*" else [item[key]]
            elif isinstance(item, list) and key == "*":
                nxt += item
            elif isinstance(item, list) and key.isdigit() and int(key) < len(item):
                nxt.append(item[int(key)])
        level = nxt
    found = []
    mapping = dict(source.map) if source.map else None
    for value in level:
        fields_ = source.pick if isinstance(value, dict) and source.pick else (None,)
        for name in fields_:
            one = value if name is None else value.get(name)
            text = _text(one)
            if text != "" and (mapping is None or text in mapping):
                found.append(mapping[text] if mapping else text)
                if name is not None and not source.every:
                    break
    return found


@dataclass
class KeyReport:
    calls: int = 0  # calls on which the key applies
    resolved: int = 0  # ... and a value was found
    sources: Counter[str] = field(default_factory=Counter)


@dataclass
class Probe:
    keys: dict[str, KeyReport]
    unread: Counter[str]  # path -> calls carrying a value there that no source reads
    suggestions: dict[str, list[str]]

    def as_json(self, capture: Capture) -> dict[str, Any]:
        return {
            "keys": {
                k: {"calls": r.calls, "resolved": r.resolved, "sources": dict(r.sources)} for k, r in self.keys.items()
            },
            "unread_paths": sorted(self.unread, key=lambda p: (-self.unread[p], p)),
            "suggestions": self.suggestions,
            "skipped": dict(capture.skipped),
        }


def _leaves(value: Any, prefix: tuple[str, ...], out: set[str]) -> None:
    """The dotted paths of non-empty scalars; a map keyed by ids (conversations) and lists as "*"."""
    if isinstance(value, dict):
        by_id = prefix[-1:] == ("conversations",)
        for key, member in value.items():
            _leaves(member, prefix + ("*" if by_id else str(key),), out)
    elif isinstance(value, list):
        for member in value:
            _leaves(member, prefix + ("*",), out)
    elif _text(value) != "" and prefix:
        out.add(".".join(prefix))


def _reads(path: str, sources: list[Source]) -> bool:
    parts = path.split(".")
    for s in sources:
        n = len(s.path)
        if len(parts) >= n and all(a == b or a == "*" for a, b in zip(s.path, parts[:n], strict=False)):
            rest = parts[n:]
            if not rest or (s.pick and len(rest) == 1 and rest[0] in s.pick):
                return True
    return False


def probe(capture: Capture, overrides: Overrides = None) -> Probe:
    keys = {k: KeyReport() for k in FIELDS if k != "client_phone.raw"}
    unread: Counter[str] = Counter()
    for entry in capture.entries:
        params, name = entry.input, entry.customization
        direction = []
        for s in sources_for(DIRECTION_KEY, name, overrides):
            direction += source_values(params, s, "") or []
        call = direction[0] if direction else ""
        read: list[Source] = []
        for key, report in keys.items():
            sources = sources_for(key, name, overrides)
            read += sources
            found = [(s, source_values(params, s, call)) for s in sources]
            if all(values is None for _s, values in found):
                continue
            report.calls += 1
            hit = False
            for s, values in found:
                if values:
                    report.sources[".".join(s.path) + (" -> " + "/".join(s.pick) if s.pick else "")] += 1
                    hit = True
            if key == "duration" and not hit:
                # No DURATION: the files compute it from the main channel's answer and end times.
                channel = params.get("call_full", {}).get("channel") if isinstance(params, dict) else None
                times = [channel.get(k) for k in ("answer_time", "end_time")] if isinstance(channel, dict) else []
                if len(times) == 2 and all(isinstance(t, str) and t[:4] not in ("", "0001") for t in times):
                    report.sources["call_full.channel.answer_time, end_time (computed)"] += 1
                    hit = True
            report.resolved += hit
        paths: set[str] = set()
        _leaves(params, (), paths)
        for path in paths:
            if path.startswith("call_full.") and not _reads(path, read):
                unread[path] += 1
    suggestions = {}
    for key, report in keys.items():
        if report.calls and not report.resolved:
            words = HINTS.get(key, tuple(re.split(r"[._]", key)))
            ranked = sorted(unread, key=lambda p: (-unread[p], "*" in p, len(p), p))  # the main channel first
            near = [p for p in ranked if any(w in p.lower() for w in words)]
            if near:
                suggestions[key] = near[:3]
    return Probe(keys, unread, suggestions)


def keys_used(loaded: Any) -> set[str]:
    """The field-table keys a spec's conditions and placeholders read."""
    from generator.customizations import CUSTOMIZATIONS
    from generator.speclang import placeholders
    from generator.speclang.crosschecks import _get, _section_texts, iter_whens

    used: set[str] = set()
    for _path, when in iter_whens(loaded.data):
        used |= {k for k in when if k in FIELDS}
    for c in CUSTOMIZATIONS:
        for _path, text in _section_texts(_get(loaded.data, *c.section_path), c.section_path):
            try:
                parts = placeholders.parse(text)
            except placeholders.TemplateError:
                continue
            used |= {p.key for p in parts if not isinstance(p, str) and p.key in FIELDS}
    return {"client_phone" if k == "client_phone.raw" else k for k in used}
