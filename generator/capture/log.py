"""Reading capture logs (the JSON Lines the generated files append; see spec-language.md,
"Capture log").  A log comes from a live server, so nothing in it is trusted: a torn or garbled
line, a line of another format version or of an unknown customization is skipped and counted,
never fatal.

Every command that reads logs (`replay`, `cases import`, `fields --probe`) starts here: `open_logs`
takes files and folders (searched recursively), and the lines are *streamed* (`raw_lines`,
`entries`), one at a time, so that a month of calls is read in the memory of one line.  A reading
that found no call at all is an error (`no_calls`): a wrong path must never pass for "0 calls"."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from generator.errors import UsageProblem

MAX_LINE_BYTES = 16 * 1024 * 1024  # one call; real ones are a few kilobytes
VERSIONS = (1,)  # the capture-line format versions this reader understands
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
    shadow: bool = False  # the line has would_reply: the connector got the pass-through
    # Newer files say which rendering decided: the deciding file's own version (pipeline.file_version);
    # older files wrote the whole set's (pipeline.spec_version) into every line.
    spec_version: str | None = None

    @property
    def decision(self) -> Any:
        """What the deployed spec decided (in shadow, not what the connector got)."""
        return self.would_reply if self.shadow else self.reply

    @property
    def unix(self) -> int | None:
        try:
            moment = datetime.fromisoformat(self.at)
        except ValueError:
            return None
        return int(moment.timestamp()) if moment.tzinfo is not None else None

    @property
    def input_json(self) -> str:
        return json.dumps(self.input, ensure_ascii=False)


@dataclass
class Reading:
    """The log files of a command's arguments, and what reading them skipped (reason -> lines)."""

    files: list[Path]
    skipped: Counter[str] = field(default_factory=Counter)
    size: int = 0  # bytes in all files, for progress
    done: int = 0  # bytes read so far
    given: list[Entry] | None = None  # entries already in memory, read instead of the files

    @classmethod
    def of(cls, capture: Capture) -> Reading:
        """A reading of entries already in memory (a caller that filtered a small log)."""
        return cls(files=[Path("<entries>")], skipped=capture.skipped, given=list(capture.entries))

    def skipped_text(self) -> str:
        if not self.skipped:
            return ""
        return ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))

    def no_calls(self, what: str = "call") -> UsageProblem:
        """The error for logs that hold no call (exit 2): a wrong path or format is not "0 calls"."""
        where = f"{len(self.files)} file(s)" if self.files else "no .jsonl file"
        why = f"; skipped: {self.skipped_text()}" if self.skipped else ""
        return UsageProblem(f"no captured {what} in the logs given ({where}{why})")


@dataclass
class Capture:
    """Every entry of some logs, in memory: for small logs and tests; commands stream instead."""

    entries: list[Entry] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> lines
    files: list[Path] = field(default_factory=list)

    def skipped_text(self) -> str:
        return Reading(self.files, self.skipped).skipped_text()


def _order(path: Path) -> tuple[str, int]:
    m = _ROTATED.match(path.name)
    assert m is not None
    return (str(path.parent / m.group("base")), -int(m.group("n") or 0))


def log_files(paths: list[Path], recursive: bool = True) -> list[Path]:
    """The log files named, and those anywhere below the folders named (`*.jsonl` and their
    rotations `*.jsonl.N`; only directly inside with recursive=False), each file's rotations
    oldest first; a file named twice is read once."""
    files: list[Path] = []
    for path in paths:
        if str(path) == "-":  # standard input: `itgrix-gen simulate --format jsonl | itgrix-gen replay SPEC -`
            files.append(path)
        elif path.is_dir():
            found: list[Path] = []
            for folder, dirs, names in os.walk(path, onerror=_walk_error):
                dirs[:] = sorted(dirs) if recursive else []
                found += [Path(folder) / n for n in names if _ROTATED.match(n) and (Path(folder) / n).is_file()]
            files += sorted(found, key=_order)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise UsageProblem(f"{path}: not a file or folder of capture logs")
        else:
            raise UsageProblem(f"{path}: no such file or folder")
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(f if str(f) == "-" else f.resolve(), f)
    return list(unique.values())


def _walk_error(exc: OSError) -> None:
    raise UsageProblem(f"{exc.filename}: cannot read the folder: {exc.strerror or exc}")


def open_logs(paths: list[Path]) -> Reading:
    """The files to read for these arguments (UsageProblem for none named or a missing path)."""
    if not paths:
        raise UsageProblem("name at least one capture log (a .jsonl file or a folder that holds them)")
    files = log_files(paths)
    size = 0
    for f in files:
        with contextlib.suppress(OSError):
            size += f.stat().st_size if str(f) != "-" else 0
    return Reading(files, size=size)


def _lines(
    path: Path, progress: Reading | None = None, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) of a file ("-": standard input); None for a line too long to be a
    call (its rest skipped).  `start`/`end`: only the lines that start in those bytes (`start` a
    line's start, see `line_starts`; numbered from 1 there)."""
    import sys

    opened = contextlib.nullcontext(sys.stdin.buffer) if str(path) == "-" else path.open("rb")
    with opened as handle:
        if start:
            handle.seek(start)
        at, number = start, 0
        while end is None or at < end:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            at += len(raw)
            number += 1
            if progress is not None:
                progress.done += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the monster line
                    raw = handle.readline(MAX_LINE_BYTES)
                    at += len(raw)
                    if progress is not None:
                        progress.done += len(raw)
                yield number, None
                continue
            yield number, raw


def line_starts(path: Path, every: int) -> list[int]:
    """Offsets that split a file into pieces of about `every` bytes, each a line's start (the
    first 0): pieces that workers can read apart and that hold every line exactly once."""
    cuts = [0]
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        at = every
        while at < size:
            handle.seek(at - 1)
            while True:  # to just after the next newline, a megabyte at a time (a monster line)
                read = handle.readline(1 << 20)
                if not read or read.endswith(b"\n"):
                    break
            at = handle.tell()
            if at >= size:
                break
            cuts.append(at)
            at += every
    return cuts


def _unusable(raw: bytes | None) -> str | None:
    """Why a line read from a file cannot be a call ("" for a blank line), or None."""
    if raw is None:
        return "lines too long"
    if not raw.strip():
        return ""
    if not raw.endswith(b"\n"):
        return "torn lines"  # the last line of a file still being written, or cut
    return None


def raw_lines(reading: Reading) -> Iterator[tuple[int, int, bytes]]:
    """(file index, line number, the line's bytes ending in a newline) of every line that may be
    a call; the rest (too long, torn, unreadable) counted in reading.skipped."""
    if reading.given is not None:
        for number, entry in enumerate(reading.given, 1):
            yield 0, number, json.dumps(_line(entry), ensure_ascii=False).encode("utf-8") + b"\n"
        return
    for index, path in enumerate(reading.files):
        try:
            for number, raw in _lines(path, reading):
                why = _unusable(raw)
                if why:
                    reading.skipped[why] += 1
                elif why is None and raw is not None:
                    yield index, number, raw
        except OSError as exc:
            reading.skipped[f"unreadable file ({exc.strerror or exc})"] += 1


def _line(entry: Entry) -> dict[str, Any]:
    """An entry as the capture line it came from."""
    line = {"v": VERSIONS[-1], "at": entry.at, "customization": entry.customization, "spec": entry.spec}
    line |= {"input": entry.input, "reply": entry.reply, "decided_by": entry.decided_by}
    if entry.shadow:
        line["would_reply"] = entry.would_reply
    return line


def entries(reading: Reading, known: tuple[str, ...] | None = None) -> Iterator[Entry]:
    """Every usable entry of the logs, in file order, parsed in Python; the rest counted."""
    from generator.customizations import NAMES

    names = known or NAMES
    for index, number, raw in raw_lines(reading):
        entry, reason = parse(raw, names, f"{reading.files[index]}:{number}")
        if entry is not None:
            yield entry
        elif reason:
            reading.skipped[reason] += 1


def read(paths: list[Path], known: tuple[str, ...] | None = None) -> Capture:
    """Every usable entry of the logs in a list (small logs; commands stream with `entries`)."""
    reading = open_logs(paths)
    found = list(entries(reading, known))
    return Capture(entries=found, skipped=reading.skipped, files=reading.files)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python takes them, PHP does not


def loads(raw: bytes | str) -> Any:
    """JSON as PHP's json_decode takes it (no NaN or Infinity)."""
    return json.loads(raw, parse_constant=_no_constant)


def _parse(raw: bytes | None, names: tuple[str, ...], where: str) -> tuple[Entry | None, str | None]:
    """A line as `_lines` gives it: an entry, or why not (None for a blank line)."""
    why = _unusable(raw)
    if why is not None or raw is None:
        return None, why or None
    return parse(raw, names, where)


def parse(raw: bytes, names: tuple[str, ...], where: str) -> tuple[Entry | None, str | None]:
    """One line as an entry, or why it is not one.  Old lines and new ones (with `spec_version`,
    or any key a later writer adds) are read alike."""
    try:
        data = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "lines that are not JSON"
    if not isinstance(data, dict):
        return None, "lines that are not JSON objects"
    if data.get("v") not in VERSIONS or isinstance(data.get("v"), bool):
        return None, "lines of another format version"
    customization = data.get("customization")
    if customization not in names:
        return None, "lines of unknown customizations"
    at, spec, decided = data.get("at"), data.get("spec"), data.get("decided_by")
    if not isinstance(at, str) or not isinstance(spec, str) or not isinstance(decided, str) or "input" not in data:
        return None, "lines with missing fields"
    if isinstance(data["input"], dict) and "itgrix_gen_not_captured" in data["input"]:
        return None, "calls too large to have been captured"
    version = data.get("spec_version")
    entry = Entry(
        at=at,
        customization=customization,
        spec=spec,
        input=data["input"],
        reply=data.get("reply"),
        decided_by=decided,
        would_reply=data.get("would_reply"),
        where=where,
        shadow="would_reply" in data,
        spec_version=version if isinstance(version, str) else None,
    )
    # A line without a valid time is still a call for the probe; replay and import skip it
    # (they run the call at its time).
    return entry, None
