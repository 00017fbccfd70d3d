"""A scenario's `expect:` against its timeline: each unmet expectation as one line."""

from __future__ import annotations

import json
from typing import Any

from generator.simulate.runner import Row, Timeline

REQUESTS = {
    "register": "telephony.externalcall.register",
    "finish": "telephony.externalcall.finish",
    "task": "tasks.task.add",
}


def same(expected: Any, actual: Any) -> bool:
    """Expected values hold in the actual ones: maps by the keys written (others may differ),
    lists whole, scalars equal or equal as text (USER_ID: 45 and "45" are one Bitrix24 user)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(map(same, expected, actual))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or expected == actual
    if expected is None or actual is None:
        return expected is actual
    return bool(expected == actual or str(expected) == str(actual))


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _requests(timeline: Timeline, what: str) -> list[Row]:
    if what in REQUESTS:
        return timeline.requests(REQUESTS[what])
    if what == "record":
        return [
            r
            for r in timeline.rows
            if r.request is not None
            and (
                r.request["method"] == "telephony.externalCall.attachRecord"
                or r.customization == "customize_attach_record_url"
            )
        ]
    if what == "entity":
        return [r for r in timeline.rows if r.customization == "customize_entity" and r.request is not None]
    if what == "activity":
        return [r for r in timeline.rows if r.customization == "customize_activity" and r.request is not None]
    return []


def _params(row: Row, what: str) -> Any:
    assert row.request is not None
    params = row.request["params"]
    if what in ("task", "entity", "activity") or (what == "record" and row.customization):
        return params.get("fields")
    return params


def check(timeline: Timeline) -> None:
    expect = timeline.item.scenario.expect
    if expect is None:
        return
    fails = timeline.failures
    for what in ("register", "finish", "record", "task", "entity", "activity"):
        wanted = getattr(expect, "register_" if what == "register" else what)
        if wanted is None:
            continue
        sent = _requests(timeline, what)
        if wanted is False:
            if sent:
                fails.append(f"{what}: expected none, but it was sent: {_show(_params(sent[0], what))}")
            continue
        if not sent:
            fails.append(f"{what}: expected it to be sent, but it was not")
            continue
        if isinstance(wanted, dict) and not same(wanted, _params(sent[0], what)):
            fails.append(f"{what}: expected {_show(wanted)}, got {_show(_params(sent[0], what))}")
    if expect.show is not None:
        shown: list[str] = []
        for row in timeline.requests("telephony.externalcall.show"):
            if row.extension is not None and row.extension not in shown:
                shown.append(row.extension)
        if shown != list(expect.show):
            fails.append(f"show: expected the card for {_show(expect.show)}, got {_show(shown)}")
    for what, customization in (
        ("autodistribution", "customize_autodistribution"),
        ("originate", "process_originate_params"),
    ):
        wanted = getattr(expect, what)
        if wanted is None:
            continue
        rows = [r for r in timeline.rows if r.customization == customization]
        got = rows[0].request["params"] if rows and rows[0].request else None
        if not same(wanted, got):
            fails.append(f"{what}: expected {_show(wanted)}, got {_show(got)}")
    if expect.cancelled is not None:
        cancelled = sorted({r.customization or "" for r in timeline.rows if r.cancelled})
        if cancelled != sorted(set(expect.cancelled)):
            fails.append(f"cancelled: expected {_show(sorted(set(expect.cancelled)))}, got {_show(cancelled)}")
