"""A simulated call, printed: the text timeline, `--format json` and `--format jsonl` (the capture
log's line format, so `replay`, `fields --probe` and `cases import` take a simulated day)."""

from __future__ import annotations

import json
from typing import Any

from generator.simulate.runner import Row, Run, Timeline, canonical
from generator.speclang.loader import LoadedSpec

CANCELLED = "cancelled by customization"


def compact(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reply_text(row: Row) -> str:
    if row.customization is None:
        return ""
    if row.problem and row.reply is None:
        return f"FAILED: {row.problem}"
    if not row.changed:
        return "(unchanged)" if not row.cancelled else "{}"
    return ", ".join(f"{k}: {compact(v, 160)}" for k, v in row.changed.items())


def outcome_text(row: Row) -> str:
    if row.cancelled:
        if row.customization == "need_registration":
            return "no finish (need_registration: false)"
        if row.customization in ("customize_entity", "customize_activity"):
            return CANCELLED + " (no field to change)"
        return CANCELLED
    if row.request is None:
        if row.customization == "need_registration" and row.changed.get("result") is False:
            return "not registered at this stage"
        return ""
    return f"{row.request['method']} {compact(row.request['params'])}"


def header(timeline: Timeline) -> str:
    sc = timeline.item.scenario
    trunk = " ".join(x for x in (sc.trunk.name, f"({sc.trunk.number})" if sc.trunk.number else None) if x)
    what = "missed in the IVR" if sc.ivr else ("answered" if sc.answered else "missed")
    return (
        f"== {sc.name} ({timeline.item.path})\n"
        f"   {sc.direction} call, {what}; client {sc.client}" + (f"; trunk {trunk}" if trunk else "") + f"; {sc.start}"
    )


def row_lines(row: Row) -> str:
    head = f"{row.t:%H:%M:%S}  {row.stage:<22}  {(row.customization or '-'):<28}"
    body = reply_text(row)
    result = outcome_text(row)
    line = (head + ("  " + body if body else "")).rstrip()
    if result:
        line += f"\n{'':<56}-> {result}"
    return line


def text(timelines: list[Timeline]) -> str:
    out: list[str] = []
    for timeline in timelines:
        out.append(header(timeline))
        for n, event in enumerate(timeline.events):
            out.append(f"{event.t:%H:%M:%S}  {'PBX':<22}  {event.text}")
            out.extend(row_lines(row) for row in timeline.rows if row.moment == n)
        if timeline.problems:
            out.append("   problems: " + "; ".join(timeline.problems))
        if timeline.item.scenario.expect is not None:
            if timeline.failures:
                out.append("   FAIL: " + "\n         ".join(timeline.failures))
            elif not timeline.problems:
                out.append("   pass: every expectation holds")
        out.append("")
    return "\n".join(out)


def as_json(timelines: list[Timeline]) -> dict[str, Any]:
    """One scenario: {"timeline": [...]} as the issue writes it; several: {"scenarios": [...]}, each
    with its name and timeline."""
    if len(timelines) == 1:
        return {"timeline": [row.as_json() for row in timelines[0].rows]}
    return {
        "scenarios": [
            {"name": t.item.scenario.name, "file": str(t.item.path), "timeline": [row.as_json() for row in t.rows]}
            for t in timelines
        ]
    }


def jsonl(loaded: LoadedSpec, run: Run) -> str:
    """Each customization call as a capture log line, in the order the calls ran."""
    lines: list[str] = []
    for timeline in run.timelines:
        for row in timeline.rows:
            if row.customization is None or row.answer is None:
                continue
            at = row.t.isoformat(timespec="seconds")
            decided = run.decided.get((row.customization, at, canonical(row.input)), "simulated")
            entry = {
                "v": 1,
                "at": at,
                "customization": row.customization,
                "spec": loaded.spec.name,
                "input": row.input,
                "reply": row.answer,
                "decided_by": decided,
            }
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    return "".join(lines)
