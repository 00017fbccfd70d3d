"""Golden cases: one folder per case beside its spec (cases/<name>/case.yaml, input.json,
expected.json), run through real PHP by our harness and compared as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.capture.log import loads
from generator.customizations import BY_NAME, NAMES
from generator.errors import UserError
from generator.php.runner import Case, Result
from generator.speclang.issues import SpecError
from generator.speclang.loader import LoadedSpec
from generator.speclang.yamlfile import load_plain, scan


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customization: str
    description: str | None = None
    now: str | None = Field(
        default=None, description="pin the clock: ISO 8601 with offset, e.g. 2026-11-24T10:00:00+03:00"
    )
    log_contains: str | None = Field(default=None, description="text the file must write to stderr")
    base: str | None = Field(
        default=None, description="a JSON file with a whole call's input (relative to the case folder), to start from"
    )
    input: dict[str, Any] | None = Field(
        default=None,
        description="the input, or with `base` only what differs from it: maps merge key by key, null removes a key",
    )

    @field_validator("customization")
    @classmethod
    def _known(cls, value: str) -> str:
        name = value[:-4] if value.endswith(".php") else value
        if name not in BY_NAME:
            raise ValueError(f"unknown customization {value!r}; one of: {', '.join(NAMES)}")
        return name

    @field_validator("now")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value is not None:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("now needs an offset, e.g. 2026-11-24T10:00:00+03:00")
        return value

    def unix_now(self) -> int | None:
        return int(datetime.fromisoformat(self.now).timestamp()) if self.now else None


@dataclass
class GoldenCase:
    folder: Path
    meta: CaseFile
    input_json: str
    expected: object | None  # None when expected.json is missing (first --update writes it)

    @property
    def name(self) -> str:
        return self.folder.name


@dataclass
class CaseOutcome:
    """One golden case run through PHP: its reply and what differs from expected.json (a
    deploy's outcome is generator.deploystate.Outcome)."""

    case: GoldenCase
    result: Result
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


class CaseError(UserError):
    """A golden case that cannot be read or written."""


def discover(spec_path: Path, cases_dir: Path | None = None) -> list[GoldenCase]:
    """Every case of a spec; CaseError for the first that cannot be read."""
    cases, broken = discover_all(spec_path, cases_dir)
    if broken:
        raise broken[0]
    return cases


def discover_all(spec_path: Path, cases_dir: Path | None = None) -> tuple[list[GoldenCase], list[CaseError]]:
    """Every case of a spec that can be read, and what is wrong with each of the others: one
    broken case must never hide the rest of the suite."""
    root = cases_dir or spec_path.parent / "cases"
    if not root.is_dir():
        return [], []
    cases, broken = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            cases.append(load_case(folder))
        except CaseError as exc:
            broken.append(exc)
    return cases, broken


def read_text(path: Path) -> str:
    """A case file's text, or a CaseError that says what is wrong with it (never a traceback)."""
    from generator.speclang.yamlfile import MAX_SPEC_BYTES

    if path.is_symlink() or not path.is_file():
        what = "a symlink" if path.is_symlink() else "not a regular file"
        raise CaseError(f"{path}: {what}; case files are plain files inside the case folder")
    try:
        if path.stat().st_size > 16 * MAX_SPEC_BYTES:
            raise CaseError(f"{path}: larger than {16 * MAX_SPEC_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise CaseError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start}); JSON files are UTF-8") from None


def merge_patch(base: Any, patch: Any) -> Any:
    """JSON Merge Patch (RFC 7386): maps merge key by key, null removes a key, all else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _input(folder: Path, meta: CaseFile) -> str:
    """The case's input JSON: input.json as written, or the compact form of case.yaml (a base call
    plus what differs), expanded here to the whole input the file receives."""
    input_path = folder / "input.json"
    if meta.base is None and meta.input is None:
        if not input_path.exists():
            raise CaseError(f"{folder}: no input.json (or `input:` in case.yaml)")
        text = read_text(input_path)
        read_json(input_path, text)
        return text
    if input_path.exists():
        raise CaseError(f"{folder}: both input.json and `base`/`input` in case.yaml; keep one")
    base: Any = {}
    if meta.base is not None:
        base_path = folder / meta.base
        try:
            base_path.resolve().relative_to(folder.resolve().parent.parent)
        except ValueError:
            raise CaseError(f"{folder}/case.yaml: base {meta.base!r} must lie beside the spec") from None
        base = read_json(base_path)
    return json.dumps(merge_patch(base, meta.input or {}), ensure_ascii=False, indent=2) + "\n"


MAX_JSON_DEPTH = 256  # a call's data is a few levels deep; PHP's json_decode stops at 512


def read_json(path: Path, text: str | None = None) -> Any:
    """A case's JSON file, or a CaseError (invalid, or nested deeper than any call)."""
    text = read_text(path) if text is None else text
    depth = deepest = 0
    in_string = escaped = False
    for char in text:  # nesting outside strings, counted before a recursive decoder sees it
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    if deepest > MAX_JSON_DEPTH:
        raise CaseError(f"{path}: nested {deepest} levels deep; a case's JSON may nest at most {MAX_JSON_DEPTH}")
    try:
        return loads(text)  # as PHP's json_decode reads it: NaN and Infinity are not JSON
    except ValueError as exc:
        raise CaseError(f"{path}: not valid JSON: {exc}") from None


def load_case(folder: Path) -> GoldenCase:
    meta_path = folder / "case.yaml"
    if not meta_path.is_file():
        raise CaseError(f"{folder}: no case.yaml (it names the customization)")
    try:
        text = read_text(meta_path)
        scan(text, str(meta_path))  # depth and size limits before a recursive loader sees it
        raw = load_plain(text, str(meta_path))
        meta = CaseFile.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CaseError(f"{meta_path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    except CaseError:
        raise
    except SpecError as exc:
        raise CaseError("; ".join(str(i) for i in exc.issues)) from None
    except Exception as exc:
        raise CaseError(f"{meta_path}: {' '.join(str(exc).split())[:300]}") from None
    input_json = _input(folder, meta)
    expected = None
    expected_path = folder / "expected.json"
    if expected_path.exists() or expected_path.is_symlink():
        expected = read_json(expected_path)
    return GoldenCase(folder, meta, input_json, expected)


def run_cases(
    loaded: LoadedSpec, cases: list[GoldenCase], php: str | None = None, version: str = "native"
) -> list[CaseOutcome]:
    from generator.php import specfiles

    with specfiles.spec_files(loaded) as paths:
        batch = [Case(str(paths[c.meta.customization]), c.input_json, c.meta.unix_now()) for c in cases]
        # Golden cases never reach the network: a webhook a case triggers goes to the harness's
        # stub, which logs what would be sent (assert it with log_contains).
        results = specfiles.run(batch, php, version)
    outcomes = []
    for case, result in zip(cases, results):
        outcomes.append(CaseOutcome(case, result, problems(case, result)))
    return outcomes


def problems(case: GoldenCase, result: Result) -> list[str]:
    found = []
    if result.crash:
        found.append(result.crash)
    found.extend(result.errors)
    if result.output:
        found.append(f"the file printed {result.output!r} (it must print nothing)")
    if case.meta.log_contains and not any(case.meta.log_contains in line for line in result.log):
        found.append(f"stderr lacks {case.meta.log_contains!r} (got {result.log!r})")
    if case.expected is None:
        found.append("no expected.json (run `itgrix-gen test --update` to write it, then review it)")
    elif result.reply_json is not None and result.reply != case.expected:
        found.append("reply differs from expected.json:\n" + json_diff(case.expected, result.reply))
    return found


def pretty(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def json_diff(expected: object, actual: object) -> str:
    from generator.output import diff_text

    return diff_text(pretty(expected), pretty(actual), "expected.json", "reply")


def update_expected(outcome: CaseOutcome) -> bool:
    """Rewrite expected.json from the reply; False when there is no clean reply to take."""
    from generator.output import atomic_write

    result = outcome.result
    if result.reply_json is None or result.errors or result.output or result.crash:
        return False
    target = outcome.case.folder / "expected.json"
    # Never write through a symlink (it may point anywhere) or over a folder.
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise CaseError(f"{target}: not a regular file; --update writes only plain files in the case folder")
    try:
        atomic_write(target, pretty(result.reply), durable=False)
    except OSError as exc:
        raise CaseError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return True
