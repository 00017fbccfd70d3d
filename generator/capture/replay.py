"""`itgrix-gen replay`: every captured call through a spec's files with real PHP, compared with a
baseline, streamed (see stream.py): counts per customization and per pair of deciding rules, and
the first differences in full.

Baselines: `decided` (the default) is what the deployed spec decided: the capture line's
`would_reply` in shadow (the connector got the pass-through then), else its `reply`; `answered`
is what the connector got; a spec file is another spec's decision on the same input (say the
reviewed one from git).  Each changed call is labelled with the rule of the spec judged that
decides it now and the baseline's, and carries the webhooks the new decision would send (caught
by the harness's stub: never the network)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from generator.capture import stream
from generator.capture.log import Capture, Reading, loads, parse
from generator.capture.redact import redact, redact_key
from generator.customizations import CUSTOMIZATIONS, NAMES
from generator.errors import UsageProblem
from generator.speclang.loader import LoadedSpec

BASELINES = ("decided", "answered")


@dataclass
class Change:
    customization: str
    at: str
    where: str
    rule: str | None  # the rule of the spec judged that decides the call now
    was: str  # the baseline's rule (the capture line's decided_by, or the baseline spec's)
    before: Any  # the baseline's reply
    now: Any  # the reply now (None: the file failed)
    webhooks: list[dict[str, str]] = field(default_factory=list)  # what the decision now sends
    before_webhooks: list[dict[str, str]] | None = None  # the baseline spec's (with a baseline spec)
    problem: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "customization": self.customization,
            "at": self.at,
            "where": self.where,
            "rule": self.rule,
            "was": self.was,
            "decided_by": self.was,  # the name this field had before (second-round scripts read it)
            "captured": self.before,
            "now": self.now,
            "webhooks": self.webhooks,
        }
        if self.before_webhooks is not None:
            out["webhooks_before"] = self.before_webhooks
        if self.problem:
            out["problem"] = self.problem
        return out


@dataclass
class Report:
    calls: int = 0  # calls that pass the filters
    changed: int = 0
    seen: int = 0  # every call in the logs, filtered or not
    by_customization: dict[str, dict[str, int]] = field(default_factory=dict)
    by_rule: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (customization, was, rule)
    changes: list[Change] = field(default_factory=list)  # the first `keep`
    other_specs: int = 0  # calls captured under another spec name
    # Redacted lines this very spec's file decided (the line names the version of the file this
    # spec renders for its customization) whose replay differs: only the pseudonyms differ (a rule
    # on a number no longer matches its pseudonym), so no change.
    redaction_only: int = 0
    baseline: str = "decided"

    def as_json(self, reading: Reading, changes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "changed": self.changed,
            "baseline": self.baseline,
            "by_customization": self.by_customization,
            "by_rule": [
                {"customization": c, "was": was, "rule": rule, "changed": n}
                for (c, was, rule), n in sorted(self.by_rule.items())
            ],
            "changes": [c.as_json() for c in self.changes] if changes is None else changes,
            "skipped": dict(reading.skipped),
            "redaction_only": self.redaction_only,
        }


def rule_matches(rule: str | None, wanted: list[str]) -> bool:
    """`registration` matches `registration.rules[1]`; `registration.rules[1]` only itself."""
    if rule is None:
        return False
    return any(rule == w or rule.startswith(w + ".") or rule.startswith(w + "[") for w in wanted)


def _same(before_json: str | None, now_json: str | None, spec_name: str, redacted: bool) -> bool:
    """Equal as JSON (key order aside: the workers compare that themselves), or, for a spec that
    redacts its capture, equal once the reply is redacted as the line was."""
    if before_json is None or now_json is None:
        return False
    if before_json == now_json:
        return True
    if not redacted:
        return False
    before, now = loads(before_json), loads(now_json)
    return bool(before == now or redact(now, redact_key(spec_name)) == before)


def _versions(loaded: LoadedSpec) -> dict[str, set[str]]:
    """Per customization, the versions a capture line of this spec's own file carries: the file's
    own version (what lines name now), and the set's version (what lines of older files name: it
    matches only when every file of the set that decided was this spec's)."""
    from generator.pipeline import render_files

    return {f.customization.name: {f.version, f.spec_version} - {""} for f in render_files(loaded)}


def _decided_by(raw: str | bytes, versions: dict[str, set[str]]) -> bool:
    """Was the capture line decided by this spec's own file for its customization (the line names
    that file's version)?  A line without a version, or with another's, is of some other file:
    it is judged like any line.  (Read only for the few lines of a redacted capture whose replay
    differs.)"""
    try:
        data = loads(raw)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    customization, version = data.get("customization"), data.get("spec_version")
    return isinstance(customization, str) and isinstance(version, str) and version in versions.get(customization, ())


def _problem(answer: dict[str, Any]) -> str:
    """What went wrong running the call ("" when nothing did)."""
    if "crash" in answer:
        return str(answer["crash"])
    if not answer.get("failed"):
        return ""
    import base64

    printed = base64.b64decode(answer.get("output") or "").decode("utf-8", "replace")
    errors = answer.get("errors") or []
    return (
        "; ".join(errors)
        or (f"the file printed {printed!r}" if printed else "")
        or ("no reply" if answer.get("reply") is None else "")
    )


def check_filters(customizations: list[str]) -> None:
    for name in customizations:
        if name.removesuffix(".php") not in NAMES:
            raise UsageProblem(f"--customization {name}: unknown; one of: {', '.join(NAMES)}")


_PLACE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*")
_FORM = "a section such as registration, a rule such as registration.rules[0], or default"


def _resolves(spec: Any, place: str) -> bool:
    """Whether `registration.rules[1]` (or a section, or a section's key) is there in the spec."""
    node = spec
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", place):
        if name:
            node = getattr(node, name, None)
        elif isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return False
        if node is None:
            return False
    return True


def rule_places(spec: Any) -> list[str]:
    """The spec's rules a call can be decided by, as replay labels them (a section's rules in one
    range: registration.rules[0..2])."""
    counts = {c.section: len(getattr(c.section_of(spec), "rules", None) or []) for c in CUSTOMIZATIONS}
    return [f"{name}.rules[0]" if n == 1 else f"{name}.rules[0..{n - 1}]" for name, n in counts.items() if n]


def check_rules(rules: list[str], specs: list[Any]) -> None:
    """A --rule that names no place of the spec (nor of the baseline spec) would quietly match no
    call: a usage error, with the spec's rules (or the form) to choose from."""
    for rule in rules:
        if rule == "default" or (_PLACE.fullmatch(rule) and any(_resolves(spec, rule) for spec in specs)):
            continue
        if not _PLACE.fullmatch(rule):
            raise UsageProblem(f"--rule {rule}: not a rule's place; {_FORM}")
        places = sorted({p for spec in specs for p in rule_places(spec)})
        choices = f"the spec's rules: {', '.join(places)}" if places else "the spec has no rules"
        raise UsageProblem(f"--rule {rule}: no such place in the spec; {choices} (or {_FORM})")


def replay(
    loaded: LoadedSpec,
    reading: Reading | Capture,
    php: str | None,
    baseline: str | LoadedSpec = "decided",
    customizations: list[str] | None = None,
    rules: list[str] | None = None,
    keep: int = 5,
    spool: IO[str] | None = None,
    progress: Callable[[], None] | None = None,
    jobs: int | None = None,
) -> Report:
    """Replay the logs; the first `keep` changes kept whole, every change also written to
    `spool` (a JSON object per line) when given.  UsageProblem when the logs hold no call."""
    from generator.php.runner import require_php

    php = require_php(php)
    if isinstance(reading, Capture):
        reading = Reading.of(reading)
    only = {c.removesuffix(".php") for c in customizations} if customizations else None
    report = Report(baseline=baseline if isinstance(baseline, str) else str(baseline.path))
    mode = baseline if isinstance(baseline, str) else "none"
    with ExitStack() as stack:
        configs = [stream.config(stack.enter_context(stream.spec_files(loaded)), mode, only)]
        if not isinstance(baseline, str):
            configs.append(stream.config(stack.enter_context(stream.spec_files(baseline)), "none", only))
        pool = stream.Pool(php, configs, jobs)
        redacted = loaded.spec.capture is not None and loaded.spec.capture.redact

        def details() -> bool:
            # A redacting spec's replies are compared once more here (see _same), and so is
            # every reply against a baseline spec (its worker knows only its own reply): a
            # count that must not depend on how many examples --show prints.
            return spool is not None or redacted or len(configs) > 1 or len(report.changes) < keep

        versions = _versions(loaded) if redacted and mode == "decided" else None
        for line in stream.decide(pool, stream.chunks(reading), progress, details):
            _account(report, reading, line, loaded, rules, keep, spool, versions)
    if not report.seen:
        raise reading.no_calls()
    report.by_customization = dict(sorted(report.by_customization.items()))
    return report


def _account(
    report: Report,
    reading: Reading,
    line: stream.Line,
    loaded: LoadedSpec,
    rules: list[str] | None,
    keep: int,
    spool: IO[str] | None,
    versions: dict[str, set[str]] | None = None,
) -> None:
    """Count one decided line; `versions`: this spec's files' (see _versions), when a line its own
    file decided in a redacted capture is to be judged by that (see Report.redaction_only)."""
    now = line.answers[0]
    if "skip" in now:
        reading.skipped[now["skip"]] += 1
        return
    where = f"{reading.files[line.file]}:{line.number}"
    if "crash" in now:
        entry, reason = parse(line.raw, NAMES, where)
        if entry is None:
            reading.skipped[reason or "lines that are not JSON"] += 1
            return
        now = {"c": entry.customization, "old": entry.decided_by, "at": entry.at, "spec": entry.spec, **now}
    report.seen += 1
    if now.get("out"):
        return  # a customization the command was not asked about
    was = now.get("old", "")
    if len(line.answers) > 1:
        was = line.answers[1].get("d") or ""
    if rules and not (rule_matches(now.get("d"), rules) or rule_matches(was, rules)):
        return
    name = now["c"]
    report.calls += 1
    counts = report.by_customization.setdefault(name, {"calls": 0, "changed": 0})
    counts["calls"] += 1
    if now.get("spec") != loaded.spec.name:
        report.other_specs += 1
    problem = _problem(now)
    redacted = loaded.spec.capture is not None and loaded.spec.capture.redact
    before_webhooks = None
    before_json: str | None = None
    if len(line.answers) > 1:
        base = line.answers[1]
        before_json = base.get("reply")
        before_webhooks = base.get("sent") or []
        changed = bool(problem) or not _same(before_json, now.get("reply"), now.get("spec", ""), redacted)
        changed = changed or before_webhooks != (now.get("sent") or [])
    elif "x" in now:
        changed = True  # the worker said only that it changed: the report has its examples
    else:
        if "base" not in now and not problem:
            return  # the worker found it the same
        before_json = now.get("base")
        changed = bool(problem) or not _same(before_json, now.get("reply"), now.get("spec", ""), redacted)
    if not changed:
        return
    if versions is not None and not problem and _decided_by(line.raw, versions):
        report.redaction_only += 1
        return
    report.changed += 1
    counts["changed"] += 1
    report.by_rule[(name, was, now.get("d") or "(failed)")] += 1
    if "x" in now or (len(report.changes) >= keep and spool is None):
        return
    change = Change(
        customization=name,
        at=now.get("at", ""),
        where=where,
        rule=now.get("d"),
        was=was,
        before=loads(before_json) if before_json is not None else None,
        now=loads(now["reply"]) if now.get("reply") is not None else None,
        webhooks=list(now.get("sent") or []),
        before_webhooks=before_webhooks,
        problem=problem,
    )
    if len(report.changes) < keep:
        report.changes.append(change)
    if spool is not None:
        spool.write(json.dumps(change.as_json(), ensure_ascii=False) + "\n")
