"""Reading capture logs (the JSON Lines the generated files append; see spec-language.md,
"Capture log").  A log comes from a live server, so nothing in it is trusted: a torn or garbled
line, a line of another format version or of an unknown customization is skipped and counted,
never fatal."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from generator.errors import UsageProblem

MAX_LINE_BYTES = 16 * 1024 * 1024  # one call; real ones are a few kilobytes
_ROTATED = re.compile(r"^(?P<base>.+\.jsonl)(?:\.(?P<n>\d+))?$")


@dataclass(frozen=True)
class Entry:
    """One captured call."""

    at: str
    customization: str
    spec: str
    input: Any
    reply: Any
    decided_by: str
    would_reply: Any = None
    where: str = ""  # file:line, for messages

    @property
    def unix(self) -> int | None:
        try:
            return int(datetime.fromisoformat(self.at).timestamp())
        except ValueError:
            return None

    @property
    def input_json(self) -> str:
        return json.dumps(self.input, ensure_ascii=False)


@dataclass
class Capture:
    entries: list[Entry] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> lines
    files: list[Path] = field(default_factory=list)

    def skipped_text(self) -> str:
        if not self.skipped:
            return ""
        return ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))


def log_files(paths: list[Path]) -> list[Path]:
    """The log files named or inside the folders named, each file's rotations oldest first."""
    files: list[Path] = []
    for path in paths:
        if str(path) == "-":  # standard input: `itgrix-gen simulate --format jsonl | itgrix-gen replay SPEC -`
            files.append(path)
        elif path.is_dir():
            found = [p for p in path.iterdir() if p.is_file() and _ROTATED.match(p.name)]

            def order(p: Path) -> tuple[str, int]:
                m = _ROTATED.match(p.name)
                assert m is not None
                return (m.group("base"), -int(m.group("n") or 0))

            files += sorted(found, key=order)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise UsageProblem(f"{path}: not a file or folder of capture logs")
        else:
            raise UsageProblem(f"{path}: no such file or folder")
    return files


def _lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) of a file ("-": standard input); None for a line too long to be a call."""
    import contextlib
    import sys

    opened = contextlib.nullcontext(sys.stdin.buffer) if str(path) == "-" else path.open("rb")
    with opened as handle:
        number = 0
        while True:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the monster line
                    raw = handle.readline(MAX_LINE_BYTES)
                yield number, None
                continue
            yield number, raw


def read(paths: list[Path], known: tuple[str, ...] | None = None) -> Capture:
    """Every usable entry of the logs, in file order; the rest counted by reason."""
    from generator.customizations import NAMES

    names = known or NAMES
    capture = Capture(files=log_files(paths))
    for path in capture.files:
        try:
            for number, raw in _lines(path):
                entry, reason = _parse(raw, names, f"{path}:{number}")
                if entry is not None:
                    capture.entries.append(entry)
                elif reason:
                    capture.skipped[reason] += 1
        except OSError as exc:
            capture.skipped[f"unreadable file ({exc.strerror or exc})"] += 1
    return capture


def _parse(raw: bytes | None, names: tuple[str, ...], where: str) -> tuple[Entry | None, str | None]:
    if raw is None:
        return None, "lines too long"
    if not raw.strip():
        return None, None
    if not raw.endswith(b"\n"):
        return None, "torn lines"  # the last line of a file still being written, or cut
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "lines that are not JSON"
    if not isinstance(data, dict):
        return None, "lines that are not JSON objects"
    if data.get("v") != 1:
        return None, "lines of another format version"
    customization = data.get("customization")
    if customization not in names:
        return None, "lines of unknown customizations"
    at, spec, decided = data.get("at"), data.get("spec"), data.get("decided_by")
    if not isinstance(at, str) or not isinstance(spec, str) or not isinstance(decided, str) or "input" not in data:
        return None, "lines with missing fields"
    return (
        Entry(
            at=at,
            customization=customization,
            spec=spec,
            input=data["input"],
            reply=data.get("reply"),
            decided_by=decided,
            would_reply=data.get("would_reply"),
            where=where,
        ),
        None,
    )
