"""`itgrix-gen fields --probe`: the field table against real calls, per server and in total.

For each condition key and placeholder: on how many captured calls each source path found a value
(read the way the generated files read it: `collect()` below is the Python twin of the files'
field reader, templates/_collect.php.j2, tested equal against the real PHP in tests/test_probe.py); which
paths the real inputs carry that the table never reads; a connector older than 3.10 (no `call_full`, only
the root `call`/`conversation`); and, for a key that found nothing on some server, a `fields:`
override, printed only after a second pass over every call of every server has shown that it
gives that server a value and changes no value anywhere else.

The logs are read a line at a time and only counts are kept, so memory stays flat whatever the
logs' size (issue 23).  Large logs are cut into pieces at line starts, read by one worker process
per core; each piece's counts are merged in the pieces' order, which is the order one process
reading the files would have met them in, so the output is the same byte for byte.  A target is a
pulled folder's first level (`captures/acme/pbx1/...` -> `pbx1`); files named directly belong to
their folder."""

from __future__ import annotations

import functools
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from generator.capture import log
from generator.emit.fields import DIRECTION_KEY, FIELDS, Overrides, Source, override_paths, sources_for
from generator.errors import UsageProblem

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
# Where a connector older than 3.10 keeps the same facts (docs: the black-list example reads
# $params['conversation']['type'] == 2 ? 'to' : 'from'); some send them in the root `call` instead,
# so the hint names the root the calls carry them in ({root}).  The rest of `call` is undocumented:
# the probe lists what the calls carry there.
OLD_CONNECTOR_PATHS = (
    "direction: {root}.type (2 = incoming, 1 = outgoing; a number, so test it with a `field:` condition)",
    "extension: {root}.to on incoming calls, {root}.from on outgoing ones",
    "client_phone: {root}.from on incoming calls, {root}.to on outgoing ones",
)
OLD_ROOTS = ("conversation", "call")
CALL_DATA = ("call_full", "call", "conversation")  # where unread paths are worth showing
SUGGEST = 5  # candidate paths tried per key and server
KEYS = [k for k in FIELDS if k != "client_phone.raw"]
Used = dict[str, set[str]]  # key the spec reads -> the customizations whose rules or templates read it


# --- the field reader's twin ------------------------------------------------------------------


def php_text(value: Any) -> str:
    """A scalar as the files' field reader turns it into text (PHP 7.1+ float formatting); "" for none.
    json.loads gives Python ints of any size where PHP's json_decode gives a float beyond 64 bits:
    both are a non-empty text, which is all the probe's counts depend on."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return str(value)
        try:
            return php_float(float(value))
        except OverflowError:
            return "INF" if value > 0 else "-INF"
    if isinstance(value, float):
        return php_float(value)
    return value if isinstance(value, str) else ""


def php_float(value: float) -> str:
    """(string) $float, after the field reader's own integral case: 14 significant digits (PHP's
    default `precision`, the same on 5.2 and 8.x), in exponent form when the point would sit
    beyond them or more than three zeros after it (php_gcvt)."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == math.floor(value) and abs(value) < 1.0e15:
        # PHP's sprintf('%.0f', -0.0) is "0" on every version (Python's format says "-0").
        return f"{value:.0f}" if value else "0"
    mantissa, _, power = f"{abs(value):.13e}".partition("e")
    number = mantissa.replace(".", "").rstrip("0") or "0"
    point = int(power) + 1  # value = 0.<number> * 10^point
    sign = "-" if value < 0 else ""
    if point < -3 or point > 14:
        return f"{sign}{number[0]}.{number[1:] or '0'}E{'+' if point >= 1 else '-'}{abs(point - 1)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{number}"
    return sign + number[:point].ljust(point, "0") + (f".{number[point:]}" if number[point:] else "")


def _member(item: Any, key: str) -> tuple[bool, Any]:
    """PHP's array_key_exists($key, $item) and $item[$key] on a json_decode(..., true) value: a
    list's members are found by a canonical decimal ("1", never "01" or "+1")."""
    if isinstance(item, dict):
        return (True, item[key]) if key in item else (False, None)
    if isinstance(item, list) and re.fullmatch(r"0|[1-9][0-9]*", key) and int(key) < len(item):
        return True, item[int(key)]
    return False, None


def source_values(params: Any, source: Source, call: str) -> list[str] | None:
    """What one source finds on a call; None when it does not apply (another direction)."""
    if source.dirs and call not in source.dirs:
        return None
    level = [params]
    for key in source.path:  # written out for speed: it runs ~50 times per captured call
        nxt: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is dict:
                if key == "*":
                    nxt += item.values()
                elif key in item:
                    nxt.append(item[key])
            elif kind is list:
                if key == "*":
                    nxt += item
                else:
                    found, value = _member(item, key)
                    if found:
                        nxt.append(value)
        if not nxt:
            return []
        level = nxt
    values = []
    mapping = dict(source.map) if source.map else None
    for value in level:
        names = source.pick if source.pick and type(value) in (dict, list) else (None,)
        for name in names:
            one = value if name is None else _member(value, name)[1]
            text = one if type(one) is str else php_text(one)
            if text != "" and (mapping is None or text in mapping):
                values.append(mapping[text] if mapping else text)
                if name is not None and not source.every:
                    break
    return values


def collect(params: Any, sources: list[Source], call: str) -> tuple[bool, list[str]]:
    """(whether any source applies, every value found in the table's order): the files' field reader."""
    applies, values = False, []
    for s in sources:
        found = source_values(params, s, call)
        if found is not None:
            applies = True
            values += found
    return applies, values


def direction_of(params: Any, customization: str, overrides: Overrides) -> str:
    _applies, values = collect(params, sources_for(DIRECTION_KEY, customization, overrides), "")
    return values[0] if values else ""


# --- reading the logs, a line at a time ------------------------------------------------------


def target_files(paths: list[Path]) -> list[tuple[str, Path]]:
    """(target, file) for every log file under the paths (folders searched recursively, each
    file's rotations oldest first)."""
    out: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            folders = sorted({p.parent for p in path.rglob("*.jsonl*") if p.is_file()})
            for folder in folders:
                rel = folder.relative_to(path).parts
                target = rel[0] if rel else (path.resolve().name or str(path))
                out += [(target, f) for f in log.log_files([folder], recursive=False)]
        elif str(path) == "-":  # standard input: `itgrix-gen simulate --format jsonl | ... -`
            out.append(("stdin", path))
        elif path.is_file():
            out.append((path.resolve().parent.name, path))
        else:
            log.log_files([path])  # raises the usage error that names the problem
    return out


@dataclass(frozen=True)
class Piece:
    """The lines of one target's log file that start in bytes [start, end) (end None: to the end)."""

    target: str
    path: Path
    start: int = 0
    end: int | None = None


PIECE_BYTES = 32 * 1024 * 1024  # at most this much of a log per task (about 10,000 calls)
MIN_PIECE_BYTES = 1024 * 1024  # at least this much (a task costs a round trip to a worker)
PARALLEL_BYTES = 16 * 1024 * 1024  # smaller logs are read here: starting workers would cost more


def workers(jobs: int | None) -> int:
    """Worker processes for `jobs` (None: one per core this process may run on)."""
    if jobs:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def pieces(files: list[tuple[str, Path]], jobs: int) -> list[Piece]:
    """The files as pieces for `jobs` workers: whole files when one process reads them (one job,
    small logs, standard input), else cut at line starts into pieces that spread the work."""
    whole = [Piece(target, path) for target, path in files]
    if jobs <= 1 or any(str(path) == "-" for _t, path in files):
        return whole
    sizes = []
    for _target, path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)  # read (and counted as unreadable) whole, as one piece
    total = sum(sizes)
    if total < PARALLEL_BYTES:
        return whole
    every = max(MIN_PIECE_BYTES, min(PIECE_BYTES, total // (jobs * 4)))  # a few pieces per worker
    out = []
    for (target, path), size in zip(files, sizes, strict=True):
        try:
            cuts = log.line_starts(path, every) if size > every else [0]
        except OSError:
            cuts = [0]
        out += [Piece(target, path, a, b) for a, b in zip(cuts, [*cuts[1:], None], strict=True)]
    return out


def entries(parts: list[Piece], skipped: Counter[str]) -> Iterator[tuple[str, log.Entry]]:
    from generator.customizations import NAMES

    for piece in parts:
        path = piece.path
        try:
            for number, raw in log._lines(path, start=piece.start, end=piece.end):
                where = f"{path}:{number}" if not piece.start else f"{path}: line {number} after byte {piece.start}"
                entry, reason = log._parse(raw, NAMES, where)
                if entry is not None:
                    yield piece.target, entry
                elif reason:
                    skipped[reason] += 1
        except OSError as exc:
            skipped[f"unreadable file ({exc.strerror or exc})"] += 1


T = TypeVar("T")
R = TypeVar("R")


def _each(work: Callable[[T], R], tasks: list[T], jobs: int) -> Iterator[R]:
    """Each task's result, in the tasks' order: on `jobs` worker processes when there is more
    than one task, else here.  Workers are forked (where the system can), so they start with
    this process's modules loaded: the spec's types and the customizations take seconds to
    import, more than a piece takes to read; `fork` starts them all before the pool's own threads
    (a progress bar's thread only draws, and a worker never draws)."""
    if jobs <= 1 or len(tasks) <= 1:
        yield from map(work, tasks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        yield from pool.map(work, tasks)


# --- the probe ---------------------------------------------------------------------------


@dataclass
class KeyReport:
    calls: int = 0  # calls on which the key applies
    resolved: int = 0  # ... and a value was found
    sources: Counter[str] = field(default_factory=Counter)

    def add(self, other: KeyReport) -> None:
        self.calls += other.calls
        self.resolved += other.resolved
        self.sources.update(other.sources)


@dataclass
class TargetReport:
    calls: int = 0
    keys: dict[str, KeyReport] = field(default_factory=lambda: {k: KeyReport() for k in KEYS})
    unread: Counter[str] = field(default_factory=Counter)
    shapes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (unread path, _shape) -> calls
    with_call_full: int = 0
    old_root: int = 0  # inputs without call_full that carry the root call/conversation (< 3.10)
    old_facts: Counter[str] = field(default_factory=Counter)  # "call.from" etc. -> old calls carrying it
    # The same per customization: a key the spec reads in one customization must be found in that
    # customization's calls (another customization's input does not reach its rules).
    applied_in: Counter[tuple[str, str]] = field(default_factory=Counter)  # (customization, key) -> calls
    resolved_in: Counter[tuple[str, str]] = field(default_factory=Counter)
    unread_in: Counter[tuple[str, str]] = field(default_factory=Counter)  # (customization, path) -> calls
    shapes_in: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (customization, path, shape)

    @property
    def old_connector(self) -> bool:
        return self.old_root > 0 and self.with_call_full == 0

    def old_paths(self) -> list[str]:
        """OLD_CONNECTOR_PATHS in the root these calls carry the facts in (the documented
        `conversation` when they carry them in neither)."""
        carried = {r: sum(self.old_facts[f"{r}.{k}"] for k in ("type", "from", "to")) for r in OLD_ROOTS}
        root = max(OLD_ROOTS, key=lambda r: carried[r]) if any(carried.values()) else OLD_ROOTS[0]
        return [line.format(root=root) for line in OLD_CONNECTOR_PATHS]

    def add(self, other: TargetReport) -> None:
        """Another piece's counts (Counters keep the order their keys were first met in: merged
        in the pieces' order, the same order as one reader's)."""
        self.calls += other.calls
        for key, report in other.keys.items():
            self.keys[key].add(report)
        self.unread.update(other.unread)
        self.shapes.update(other.shapes)
        self.with_call_full += other.with_call_full
        self.old_root += other.old_root
        self.old_facts.update(other.old_facts)
        self.applied_in.update(other.applied_in)
        self.resolved_in.update(other.resolved_in)
        self.unread_in.update(other.unread_in)
        self.shapes_in.update(other.shapes_in)


@dataclass
class Suggestion:
    key: str
    paths: list[str]  # the whole override to write (the spec's own paths first)
    replace: bool
    fixes: dict[str, int]  # target -> calls that now get a value
    unfixed: list[str]  # failing targets no candidate path fixes ("pbx-c in need_registration")
    tried: list[str] = field(default_factory=list)  # the candidate paths checked


@dataclass
class Probe:
    targets: dict[str, TargetReport]
    suggestions: dict[str, Suggestion]
    skipped: Counter[str]
    checked_calls: int = 0  # calls the suggestions were checked on

    @property
    def calls(self) -> int:
        return sum(t.calls for t in self.targets.values())

    @property
    def keys(self) -> dict[str, KeyReport]:
        total = {k: KeyReport() for k in KEYS}
        for t in self.targets.values():
            for k, r in t.keys.items():
                total[k].add(r)
        return total

    @property
    def unread(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for t in self.targets.values():
            total.update(t.unread)
        return total

    def failing(self, used: Used) -> list[tuple[str, str, int, list[str]]]:
        """(key, target, calls, customizations) for each key the spec reads that found nothing on a
        target's calls of a customization whose rules or templates read it (the calls of those
        customizations, and the customizations)."""
        out = []
        for name, t in sorted(self.targets.items()):
            for k in sorted(used):
                empty = [c for c in sorted(used[k]) if t.applied_in[(c, k)] and not t.resolved_in[(c, k)]]
                if empty:
                    out.append((k, name, sum(t.applied_in[(c, k)] for c in empty), empty))
        return out

    def as_json(self, used: Used) -> dict[str, Any]:
        def keys_json(keys: dict[str, KeyReport]) -> dict[str, Any]:
            return {k: {"calls": r.calls, "resolved": r.resolved, "sources": dict(r.sources)} for k, r in keys.items()}

        unread = self.unread
        return {
            "calls": self.calls,
            "keys": keys_json(self.keys),
            "unread_paths": sorted(unread, key=lambda p: (-unread[p], p)),
            "suggestions": {k: s.paths for k, s in self.suggestions.items() if s.fixes},
            "targets": {
                name: {
                    "calls": t.calls,
                    "connector": "older than 3.10" if t.old_connector else "3.10 or later",
                    "keys": keys_json(t.keys),
                    "unread_paths": sorted(t.unread, key=lambda p: (-t.unread[p], p)),
                }
                for name, t in sorted(self.targets.items())
            },
            "failures": [
                {"key": k, "target": t, "calls": n, "customizations": cs} for k, t, n, cs in self.failing(used)
            ],
            "skipped": dict(self.skipped),
        }


def _leaves(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """The dotted paths of non-empty scalars under `prefix`, each with its first value; a map
    keyed by ids (conversations) and lists as "*"."""
    kind = type(value)
    if kind is dict:
        if prefix.endswith("conversations"):
            for member in value.values():
                _leaves(member, prefix + ".*", out)
        else:
            for key, member in value.items():
                _leaves(member, f"{prefix}.{key}", out)
    elif kind is list:
        for member in value:
            _leaves(member, prefix + ".*", out)
    elif value is not None and value != "" and prefix not in out:
        out[prefix] = value


def _shape(value: Any) -> str:
    """What a value looks like, for telling a client's number from an extension."""
    if value in DIRECTIONS:
        return "direction"
    digits = sum(map(str.isdigit, value)) if isinstance(value, str) else (len(str(value)) if type(value) is int else 0)
    if digits >= 7:
        return "phone"
    return "short number" if 2 <= digits <= 6 and (type(value) is int or value.strip("+ ").isdigit()) else "other"


# A candidate path's values must look like the key's, when the key is a number of some kind.
SHAPES = {"client_phone": "phone", "extension": "short number", "direction": "direction"}
DIRECTIONS = ("incoming", "outgoing", "local", "unknown")  # what rules compare `direction` with


def _reads(path: str, sources: list[Source]) -> bool:
    parts = path.split(".")
    for s in sources:
        n = len(s.path)
        if len(parts) >= n and all(a == b or a == "*" for a, b in zip(s.path, parts[:n], strict=False)):
            rest = parts[n:]
            if not rest or (s.pick and len(rest) == 1 and rest[0] in s.pick):
                return True
    return False


class _Table:
    """The sources of every key in each customization, and whether a path is read (memoised: the
    same few hundred paths recur on every call)."""

    def __init__(self, overrides: Overrides):
        self.overrides = overrides
        self.sources: dict[str, dict[str, list[Source]]] = {}
        self.read: dict[tuple[str, str], bool] = {}

    def of(self, customization: str) -> dict[str, list[Source]]:
        if customization not in self.sources:
            self.sources[customization] = {k: sources_for(k, customization, self.overrides) for k in KEYS}
        return self.sources[customization]

    def reads(self, customization: str, path: str) -> bool:
        known = self.read.get((customization, path))
        if known is None:
            every = [s for sources in self.of(customization).values() for s in sources]
            known = self.read[(customization, path)] = _reads(path, every)
        return known


def _label(s: Source) -> str:
    return ".".join(s.path) + (" -> " + "/".join(s.pick) if s.pick else "")


def probe(
    files: list[tuple[str, Path]],
    overrides: Overrides = None,
    tick: Callable[[], None] | None = None,
    jobs: int | None = None,
    used: Used | None = None,
) -> Probe:
    """The first pass: counts per target and key.  Then, when some key found nothing on some
    server (for a key the spec reads: in the calls of a customization that reads it), a second
    pass that checks the candidate overrides (see `suggest`).  `jobs`: worker processes for large
    logs (default: one per core)."""
    jobs = workers(jobs)
    parts = pieces(files, jobs)
    targets: dict[str, TargetReport] = defaultdict(TargetReport)
    skipped: Counter[str] = Counter()
    here = jobs <= 1 or len(parts) <= 1
    count = functools.partial(_count, overrides=overrides, tick=tick if here else None)
    for found, missed in _each(count, parts, 1 if here else jobs):
        for name, report in found.items():
            targets[name].add(report)
            if tick and not here:
                for _ in range(report.calls):
                    tick()
        skipped.update(missed)
    result = Probe(dict(targets), {}, skipped)
    suggest(result, parts, overrides, jobs, used or {})
    return result


def _count(
    piece: Piece, overrides: Overrides, tick: Callable[[], None] | None = None
) -> tuple[dict[str, TargetReport], Counter[str]]:
    """One piece's counts per target, and its skipped lines."""
    table = _Table(overrides)
    targets: dict[str, TargetReport] = defaultdict(TargetReport)
    skipped: Counter[str] = Counter()
    for name, entry in entries([piece], skipped):
        if tick:
            tick()
        _observe(targets[name], entry, table, overrides)
    return dict(targets), skipped


def _observe(report: TargetReport, entry: log.Entry, table: _Table, overrides: Overrides) -> None:
    """One call's counts."""
    report.calls += 1
    params, customization = entry.input, entry.customization
    if isinstance(params, dict):
        if isinstance(params.get("call_full"), dict):
            report.with_call_full += 1
        elif "call_full" not in params and ("call" in params or "conversation" in params):
            report.old_root += 1
            for root in OLD_ROOTS:
                facts = params.get(root)
                if isinstance(facts, dict):
                    report.old_facts.update(
                        f"{root}.{k}" for k in ("type", "from", "to") if facts.get(k) not in (None, "")
                    )
    sources = table.of(customization)
    call = direction_of(params, customization, overrides)
    for key, key_report in report.keys.items():
        hit, applies = False, False
        for s in sources[key]:
            found = source_values(params, s, call)
            if found is None:
                continue
            applies = True
            if found:
                key_report.sources[_label(s)] += 1
                hit = True
        if not applies:
            continue
        key_report.calls += 1
        if key == "duration" and not hit and _computed_duration(params):
            key_report.sources["call_full.channel.answer_time, end_time (computed)"] += 1
            hit = True
        key_report.resolved += hit
        report.applied_in[(customization, key)] += 1
        report.resolved_in[(customization, key)] += hit
    paths: dict[str, Any] = {}
    if isinstance(params, dict):
        for root in CALL_DATA:
            if root in params:
                _leaves(params[root], root, paths)
    for path, value in paths.items():
        if not table.reads(customization, path):
            shape = _shape(value)
            report.unread[path] += 1
            report.shapes[(path, shape)] += 1
            report.unread_in[(customization, path)] += 1
            report.shapes_in[(customization, path, shape)] += 1


def _computed_duration(params: Any) -> bool:
    """No DURATION: the files compute it from the main channel's answer and end times."""
    full = params.get("call_full") if isinstance(params, dict) else None
    channel = full.get("channel") if isinstance(full, dict) else None
    times = [channel.get(k) for k in ("answer_time", "end_time")] if isinstance(channel, dict) else []
    return len(times) == 2 and all(isinstance(t, str) and t[:4] not in ("", "0001") for t in times)


def _candidates(key: str, report: TargetReport, customization: str | None = None) -> list[str]:
    """The unread paths of the target's calls (of one customization's calls, when named) that look
    like the key."""
    words = HINTS.get(key, tuple(re.split(r"[._]", key)))
    unread: Counter[str] = report.unread
    shapes: Counter[tuple[str, str]] = report.shapes
    if customization is not None:
        unread = Counter({p: n for (c, p), n in report.unread_in.items() if c == customization})
        shapes = Counter({(p, sh): n for (c, p, sh), n in report.shapes_in.items() if c == customization})
    ranked = sorted(unread, key=lambda p: (-unread[p], "*" in p, len(p), p))  # the main channel first
    near = [p for p in ranked if any(w in p.lower() for w in words)]
    shape = SHAPES.get(key)
    if shape:  # most of its values look like the key's (a client's number, not an extension)
        near = [p for p in near if shapes[(p, shape)] * 2 > unread[p]]
    return near[:SUGGEST]


def _with_path(overrides: Overrides, key: str, path: str) -> dict[str, Any]:
    """The spec's overrides with `path` added to the key's (after the spec's own paths)."""
    from generator.speclang.types import ReplacePaths

    merged = dict(overrides or {})
    found = override_paths(key, overrides)
    paths, replace = found if found else ([], False)
    merged[key] = ReplacePaths(replace=[*paths, path]) if replace else [*paths, path]
    return merged


Unit = tuple[str, str | None]  # (target, customization; None: all of the target's calls)


def _failing_units(result: Probe, used: Used) -> dict[str, list[Unit]]:
    """Per key, where it found nothing: for a key the spec reads, each (target, customization that
    reads it); for another key, each target where it found nothing at all."""
    failing: dict[str, list[Unit]] = defaultdict(list)
    for name, t in sorted(result.targets.items()):
        for key, r in t.keys.items():
            if key in used:
                failing[key] += [
                    (name, c) for c in sorted(used[key]) if t.applied_in[(c, key)] and not t.resolved_in[(c, key)]
                ]
            elif r.calls and not r.resolved:
                failing[key].append((name, None))
    return {k: units for k, units in failing.items() if units}


def _gain(counts: Counter[tuple[str, str]], unit: Unit) -> int:
    name, customization = unit
    return sum(n for (t, c), n in counts.items() if t == name and customization in (None, c))


def suggest(result: Probe, parts: list[Piece], overrides: Overrides, jobs: int = 1, used: Used | None = None) -> None:
    """For each key that found nothing on some server (in some customization's calls that read it):
    the first of those calls' unread paths that look like the key which, added to the key's
    `fields:` (before the table's own paths), gives those calls a value and changes no value on
    any call that already had one, on any server (a placeholder reads the first value, a condition
    any of them)."""
    failing = _failing_units(result, used or {})
    trials: dict[str, list[str]] = {}
    for key, units in failing.items():
        seen: list[str] = []
        for name, c in units:
            seen += [p for p in _candidates(key, result.targets[name], c) if p not in seen]
        if seen:
            trials[key] = seen
    if not trials:
        return
    fixes: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    breaks: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    check = functools.partial(_check, overrides=overrides, trials=trials)
    for checked, gains, losses in _each(check, parts, jobs):
        result.checked_calls += checked
        for pair, counts in gains.items():
            fixes[pair].update(counts)
        for pair, counts in losses.items():
            breaks[pair].update(counts)
    for key, units in failing.items():
        chosen: list[str] = []
        fixed: Counter[str] = Counter()
        unfixed = []
        for unit in units:
            if any(_gain(fixes[(key, p)], unit) for p in chosen):
                continue
            name, c = unit
            good = next(
                (
                    p
                    for p in _candidates(key, result.targets[name], c)
                    if _gain(fixes[(key, p)], unit) and not sum(breaks[(key, p)].values())
                ),
                None,
            )
            if good is None:
                label = name if c is None or not result.targets[name].keys[key].resolved else f"{name} in {c}"
                unfixed += [label] if label not in unfixed else []
            else:
                chosen.append(good)
        for p in chosen:
            fixed.update({t: n for (t, _c), n in fixes[(key, p)].items()})
        found = override_paths(key, overrides)
        own, replace = found if found else ([], False)
        result.suggestions[key] = Suggestion(key, [*own, *chosen], replace, dict(fixed), unfixed, trials.get(key, []))


def _check(
    piece: Piece, overrides: Overrides, trials: dict[str, list[str]]
) -> tuple[int, dict[tuple[str, str], Counter[tuple[str, str]]], dict[tuple[str, str], Counter[tuple[str, str]]]]:
    """One piece of the second pass: the calls read, and per (key, candidate path) the calls per
    (target, customization) it gives a value where there was none (fixes) and those whose value
    it changes (breaks)."""
    tables = {(key, p): _Table(_with_path(overrides, key, p)) for key, paths in trials.items() for p in paths}
    fixes: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    breaks: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    base = _Table(overrides)
    skipped: Counter[str] = Counter()
    checked = 0
    for name, entry in entries([piece], skipped):
        checked += 1
        params, customization = entry.input, entry.customization
        call = direction_of(params, customization, overrides)
        for key, paths in trials.items():
            _applies, before = collect(params, base.of(customization)[key], call)
            for p in paths:
                trial = tables[(key, p)]
                now_call = direction_of(params, customization, trial.overrides) if key == DIRECTION_KEY else call
                now_applies, after = collect(params, trial.of(customization)[key], now_call)
                if before and (after[:1] != before[:1] or set(after) != set(before)):
                    breaks[(key, p)][(name, customization)] += 1
                elif not before and after and now_applies:
                    fixes[(key, p)][(name, customization)] += 1
    return checked, dict(fixes), dict(breaks)


def keys_used(loaded: Any) -> Used:
    """The field-table keys a spec's conditions and placeholders read, each with the
    customizations whose section reads it."""
    from generator.customizations import CUSTOMIZATIONS
    from generator.speclang import placeholders
    from generator.speclang.crosschecks import _get, _section_texts, iter_whens

    used: Used = defaultdict(set)

    def add(key: str, customization: str) -> None:
        if key in FIELDS:
            used["client_phone" if key == "client_phone.raw" else key].add(customization)

    for path, when in iter_whens(loaded.data):
        for c in CUSTOMIZATIONS:
            if tuple(path[: len(c.section_path)]) == c.section_path:
                for k in when:
                    add(k, c.name)
    for c in CUSTOMIZATIONS:
        for _path, text in _section_texts(_get(loaded.data, *c.section_path), c.section_path):
            try:
                parts = placeholders.parse(text)
            except placeholders.TemplateError:
                continue
            for p in placeholders.each(parts):
                add(p.key, c.name)
    return dict(used)


def require_calls(probe_result: Probe, files: list[tuple[str, Path]]) -> None:
    if not probe_result.calls:
        raise UsageProblem(
            f"no captured call in {len(files)} log file(s)"
            + (
                f" ({', '.join(f'{n} {r}' for r, n in sorted(probe_result.skipped.items()))})"
                if probe_result.skipped
                else ""
            )
            + ": name the capture folder or its .jsonl files"
        )
