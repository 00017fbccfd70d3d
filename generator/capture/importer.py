"""`itgrix-gen cases import`: captured calls become golden case folders beside the spec, one per
rule of the spec *now* that decides some captured call and has no case yet.

Which rule decides a call is asked of the spec's own PHP (the files record it, see stream.py):
the log is streamed through the workers once, keeping for each undecided rule a few of its calls;
the existing cases are run the same way to learn which rules they cover (so a case keeps
counting after a rule is inserted above its own and its place changes).  A case is named after
the customization and the rule's place in the spec (`need_registration-registration-rules-1`).
With --redact the chosen input is redacted first and decided again: the case is named after the
rule that decides the *redacted* input and expects the spec's reply to it, so a case's name and
its reply never disagree.  Only cases that `test` reads back are written (checked in a scratch
folder, then renamed into place); the rest are counted with their reason."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.capture import stream
from generator.capture.log import Entry, Reading, parse
from generator.capture.redact import redact, redact_key
from generator.cases import CaseError, discover_all, load_case, pretty
from generator.customizations import NAMES
from generator.php.runner import Case, Result, run_batch
from generator.speclang.loader import LoadedSpec

CANDIDATES = 3  # calls kept per rule to try (a redacted one may be decided by another rule)


def case_name(customization: str, rule: str) -> str:
    """ "need_registration" + "registration.rules[1]" -> "need_registration-registration-rules-1"."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", rule).strip("-") or "default"
    return f"{customization}-{slug}"[:120]


@dataclass
class Imported:
    written: list[Path] = field(default_factory=list)
    existing: int = 0  # decisions (customization, rule) that already had a case
    decisions: int = 0  # decisions seen in the logs
    failed: list[str] = field(default_factory=list)  # the spec's file failed on the call: no case
    invalid: Counter[str] = field(default_factory=Counter)  # reason -> calls that could make no valid case
    unreadable_cases: list[str] = field(default_factory=list)  # existing cases that cannot be read


def covered(loaded: LoadedSpec, files: stream.SpecFiles, php: str) -> tuple[set[tuple[str, str]], list[str]]:
    """The (customization, rule) pairs the spec's existing cases are decided by now."""
    cases, broken = discover_all(loaded.path)
    runs = [
        Case(files.files[c.meta.customization], c.input_json, c.meta.unix_now(), files.decide[c.meta.customization])
        for c in cases
    ]
    pairs = set()
    for case, result in zip(cases, run_batch(runs, php, timeout=600, stub_http=True), strict=True):
        if result.decided is not None:
            pairs.add((case.meta.customization, result.decided))
    return pairs, [str(b) for b in broken]


def import_cases(
    loaded: LoadedSpec,
    reading: Reading,
    php: str,
    redacted: bool = False,
    limit: int | None = None,
    progress: Callable[[], None] | None = None,
    jobs: int | None = None,
) -> Imported:
    cases_dir = loaded.path.parent / "cases"
    done = Imported()
    key = redact_key(loaded.spec.name)
    with stream.spec_files(loaded) as files:
        have, done.unreadable_cases = covered(loaded, files, php)
        seen: set[tuple[str, str]] = set()
        candidates: dict[tuple[str, str], list[Entry]] = {}
        calls = 0
        pool = stream.Pool(php, [stream.config(files, "none")], jobs)
        for line in stream.decide(pool, stream.chunks(reading), progress):
            answer = line.answers[0]
            if "skip" in answer:
                reading.skipped[answer["skip"]] += 1
                continue
            calls += 1
            if answer.get("failed") or "crash" in answer or not answer.get("d"):
                where = f"{reading.files[line.file]}:{line.number}"
                if len(done.failed) < 20:
                    why = answer.get("crash") or "; ".join(answer.get("errors") or []) or "no reply"
                    done.failed.append(f"{answer.get('c', '?')} ({where}): {why}")
                continue
            pair = (answer["c"], answer["d"])
            seen.add(pair)
            if pair in have:
                continue
            kept = candidates.setdefault(pair, [])
            if len(kept) < CANDIDATES:
                entry, _reason = parse(line.raw, NAMES, f"{reading.files[line.file]}:{line.number}")
                if entry is not None:
                    kept.append(entry)
        if not calls:
            raise reading.no_calls()
        done.decisions = len(seen)
        done.existing = len(seen & have)
        _write(loaded, files, php, candidates, have, redacted, key, limit, cases_dir, done)
    return done


def _write(
    loaded: LoadedSpec,
    files: stream.SpecFiles,
    php: str,
    candidates: dict[tuple[str, str], list[Entry]],
    have: set[tuple[str, str]],
    redacted: bool,
    key: str,
    limit: int | None,
    cases_dir: Path,
    done: Imported,
) -> None:
    """Each rule's first candidate that makes a valid case (in rounds: one batch of PHP each)."""
    todo = {pair: list(entries) for pair, entries in candidates.items()}
    taken = set(have)
    while todo and (limit is None or len(done.written) < limit):
        tries: list[tuple[tuple[str, str], Entry]] = []
        for pair, entries in list(todo.items()):
            if pair in taken or not entries:
                del todo[pair]
                continue
            entry = entries.pop(0)
            if redacted:
                entry = Entry(**{**entry.__dict__, "input": redact(entry.input, key)})
            tries.append((pair, entry))
        if not tries:
            break
        runs = [
            Case(files.files[e.customization], e.input_json, e.unix, files.decide[e.customization]) for _p, e in tries
        ]
        for (pair, entry), result in zip(tries, run_batch(runs, php, timeout=600, stub_http=True), strict=True):
            if limit is not None and len(done.written) >= limit:
                return
            label = _usable(result, done, entry)
            if label is None:
                continue
            decided = (entry.customization, label)
            if decided in taken:
                if decided != pair:
                    done.invalid["redacted calls decided by a rule that already has a case"] += 1
                continue
            path = _save(cases_dir, entry, label, result, done)
            if path is not None:
                taken.add(decided)
                done.written.append(path)


def _usable(result: Result, done: Imported, entry: Entry) -> str | None:
    if not result.clean or result.decided is None:
        why = result.crash or "; ".join(result.errors) or "no reply"
        if len(done.failed) < 20:
            done.failed.append(f"{entry.customization} ({entry.where}): {why}")
        return None
    return result.decided


def _save(cases_dir: Path, entry: Entry, label: str, result: Result, done: Imported) -> Path | None:
    """Write one case whole in a scratch folder, read it back as `test` will, then rename it into
    place: never a half-written or unreadable case."""
    try:
        input_text = json.dumps(entry.input, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    except ValueError:
        done.invalid["calls whose input is not JSON (NaN or Infinity)"] += 1
        return None
    meta = (
        f"customization: {entry.customization}\n"
        f"description: {json.dumps(f'captured {entry.where}; decided by {label}', ensure_ascii=False)}\n"
        f"now: {json.dumps(entry.at)}\n"
    )
    try:
        cases_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaseError(f"{cases_dir}: cannot create: {exc.strerror or exc}") from None
    base = case_name(entry.customization, label)
    name, n = base, 1
    while (cases_dir / name).exists() or (cases_dir / name).is_symlink():
        n += 1  # a case of an earlier spec took the name (its rule moved): keep both
        name = f"{base}-{n}"
    with tempfile.TemporaryDirectory(prefix=".import-", dir=cases_dir) as tmp:
        scratch = Path(tmp) / name
        scratch.mkdir()
        (scratch / "case.yaml").write_text(meta, encoding="utf-8")
        (scratch / "input.json").write_text(input_text, encoding="utf-8")
        (scratch / "expected.json").write_text(pretty(result.reply), encoding="utf-8")
        try:
            load_case(scratch)
        except CaseError as exc:
            done.invalid[f"calls that make no valid case ({str(exc).split(': ', 1)[-1][:80]})"] += 1
            return None
        try:
            scratch.rename(cases_dir / name)
        except OSError as exc:
            shutil.rmtree(scratch, ignore_errors=True)
            raise CaseError(f"{cases_dir / name}: cannot write: {exc.strerror or exc}") from None
    return cases_dir / name
