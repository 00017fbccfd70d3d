"""`simulate --compare LOG`: a real connector's capture log against the flow table.  The way the open
points of call-flow.md get settled on the first live server: which customization ran at which
stage, in which order, how often per call.

A capture line's time has one-second resolution and each customization writes its own file, so
two calls within one second cannot be ordered: order is judged only between lines at different
seconds (said in the report)."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from generator.capture.log import Capture, Entry
from generator.simulate import flow

STAGE_RANK = {flow.AUTODISTRIBUTION: 0, flow.ORIGINATE: 0, flow.REQUESTED: 1, flow.ACCEPTED: 1, flow.ENDED: 1}
STAGE_RANK[flow.CALL_ENDED] = 2


# Asked before any conversation, with inputs of their own and no linkedid: counted, never ordered
# within a call (nothing in their input says which call they belong to).
BEFORE_CALL = {"customize_autodistribution": flow.AUTODISTRIBUTION, "process_originate_params": flow.ORIGINATE}


def call_of(entry: Entry) -> str | None:
    """The call's linkedid (call_full.channel.id; process_record_file_path's call_id)."""
    data = entry.input if isinstance(entry.input, dict) else {}
    call_full = data.get("call_full")
    if isinstance(call_full, dict):
        channel = call_full.get("channel")
        if isinstance(channel, dict) and channel.get("id"):
            return str(channel["id"])
    if entry.customization == "process_record_file_path" and data.get("call_id"):
        return str(data["call_id"])
    return None


def conversation_of(entry: Entry) -> str:
    """The conversation a line belongs to (call_full.active_conversation_id; "" for the call's own
    lines): rings of one call start at different seconds, so order is judged per conversation."""
    data = entry.input if isinstance(entry.input, dict) else {}
    call_full = data.get("call_full")
    active = call_full.get("active_conversation_id") if isinstance(call_full, dict) else None
    return str(active) if active not in (None, "") else ""


def stage_of(entry: Entry) -> str | None:
    """The input's call_stage, else the one stage the table gives the customization."""
    data = entry.input if isinstance(entry.input, dict) else {}
    stage = data.get("call_stage")
    if isinstance(stage, str) and stage:
        return stage
    if entry.customization in BEFORE_CALL:
        return BEFORE_CALL[entry.customization]
    if entry.customization in ("process_client_phone", "process_user_phone") and "phone" in data:
        # No stage: asked before a call exists.  Before ringing (autodistribution) the input has
        # the call; for click-to-call there is none yet.
        if entry.customization == "process_client_phone" and "call_full" in data:
            return flow.AUTODISTRIBUTION
        return flow.ORIGINATE
    stages = flow.stages_of(entry.customization)
    return stages[0] if len(stages) == 1 else None


def position(stage: str, customization: str) -> int | None:
    for i, step in enumerate(flow.FLOW):
        if step.stage == stage and step.customization == customization:
            return i
    return None


def _rank(stage: str, customization: str) -> int:
    found = position(stage, customization)
    return len(flow.FLOW) if found is None else found


@dataclass
class Difference:
    kind: str
    text: str
    calls: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "calls": len(self.calls), "examples": self.calls[:3]}


@dataclass
class Report:
    calls: int = 0
    lines: int = 0
    unplaced: int = 0  # lines without a call id or a stage
    before_call: int = 0  # autodistribution and originate lines (no call id to place them in)
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)  # (stage, customization) -> lines
    differences: list[Difference] = field(default_factory=list)
    unseen: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, text: str, call: str) -> None:
        for diff in self.differences:
            if diff.kind == kind and diff.text == text:
                if call not in diff.calls:
                    diff.calls.append(call)
                return
        self.differences.append(Difference(kind, text, [call]))

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "lines": self.lines,
            "unplaced": self.unplaced,
            "before_call": self.before_call,
            "seen": [{"stage": s, "customization": c, "lines": n} for (s, c), n in sorted(self.seen.items())],
            "differences": [d.as_json() for d in self.differences],
            "not_seen": [{"stage": s, "customization": c} for s, c in self.unseen],
        }

    def text(self) -> str:
        out = [f"{self.lines} captured lines of {self.calls} calls against the flow table (generator/simulate/flow.py)"]
        if self.before_call:
            out.append(f"  {self.before_call} lines asked before a call exists (autodistribution, click-to-call)")
        if self.unplaced:
            out.append(f"  {self.unplaced} lines name no call or no stage and were left out")
        out.append("seen (stage, customization: lines):")
        for (stage, name), n in sorted(self.seen.items(), key=lambda kv: (_rank(*kv[0]), kv[0])):
            mark = "" if position(stage, name) is not None else "   <- not in the table"
            out.append(f"  {stage:<24} {name:<30} {n}{mark}")
        if self.differences:
            out.append("where the real connector differs from the table:")
            for diff in self.differences:
                examples = ", ".join(diff.calls[:3])
                out.append(f"  [{diff.kind}] {diff.text} ({len(diff.calls)} calls, e.g. {examples})")
        else:
            out.append("no difference from the table")
        if self.unseen:
            out.append("in the table but not in this log (calls of that kind may just be missing):")
            out.extend(f"  {stage:<24} {name}" for stage, name in self.unseen)
        out.append("order is judged between lines at different seconds only (the capture's time has 1 s resolution)")
        return "\n".join(out) + "\n"


def compare(capture: Capture) -> Report:
    report = Report()
    calls: dict[str, list[tuple[int, Entry, str]]] = defaultdict(list)
    for n, entry in enumerate(capture.entries):
        report.lines += 1
        call, stage = call_of(entry), stage_of(entry)
        if stage in (flow.AUTODISTRIBUTION, flow.ORIGINATE):
            report.seen[(stage, entry.customization)] += 1
            if position(stage, entry.customization) is None:
                report.add("stage", f"{entry.customization} ran at {stage}, which the table does not list", "-")
            report.before_call += 1
            continue
        if call is None or stage is None:
            report.unplaced += 1
            continue
        report.seen[(stage, entry.customization)] += 1
        calls[call].append((n, entry, stage))
    report.calls = len(calls)
    for call, lines in sorted(calls.items()):
        lines.sort(key=lambda item: ((item[1].unix or 0), item[0]))
        registers = 0
        for _n, entry, stage in lines:
            if position(stage, entry.customization) is None:
                report.add("stage", f"{entry.customization} ran at {stage}, which the table does not list", call)
            if entry.customization == "process_registration_params":
                registers += 1
        if registers > 1:
            report.add("count", "process_registration_params ran more than once in one call", call)
        for (_a, first, s1), (_b, second, s2) in itertools.pairwise(lines):
            if first.unix is None or second.unix is None or first.unix >= second.unix:
                continue  # the same second: no order to judge
            if STAGE_RANK.get(s1, 1) > STAGE_RANK.get(s2, 1):
                report.add("order", f"{first.customization} at {s1} came before {second.customization} at {s2}", call)
        # Within a stage, only the lines of one conversation follow the table's order: another
        # extension's ring is another walk through the same rows, seconds later.
        groups: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for _n, entry, stage in lines:
            groups[(conversation_of(entry), stage)].append(entry)
        for (_conversation, stage), entries in groups.items():
            for first, second in itertools.pairwise(entries):
                if first.unix is None or second.unix is None or first.unix >= second.unix:
                    continue
                p1, p2 = position(stage, first.customization), position(stage, second.customization)
                if p1 is not None and p2 is not None and p1 > p2:
                    report.add(
                        "order",
                        f"at {stage}: {first.customization} ran before {second.customization}; the table has the reverse",
                        call,
                    )
    for step in flow.FLOW:
        if step.customization and (step.stage, step.customization) not in report.seen:
            pair = (step.stage, step.customization)
            if pair not in report.unseen:
                report.unseen.append(pair)
    return report
