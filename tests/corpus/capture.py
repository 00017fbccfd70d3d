"""Capture-log lines of a busy client's month, in any number, from the call corpus (calls.py).

Each line is what the generated files append (docs/design/spec-language.md, "Capture log"): the
corpus's calls (every customization and connector shape, Russian/Kazakh/Uzbek/German names, numbers
of regions that share a calling code) with a capture time in the client's zone, in shadow and not,
old lines (format 1 without `spec_version`) and newer ones.  Replies are the pass-through's
(`{"state": "success", "data": <the input>}`), so a replay through a spec finds most of them
changed: the worst case for replay.  Deterministic for a seed.

    from tests.corpus.capture import capture_lines
    for line in capture_lines(1_000_000, seed=1): ...   # str, each ending in a newline
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.corpus.calls import generate_calls, to_json

ZONES = (timezone(timedelta(hours=3)), timezone(timedelta(hours=5)), timezone(timedelta(hours=6)))


def entries(count: int, seed: int = 1, spec: str = "example", shadow: float = 0.3) -> Iterator[dict[str, Any]]:
    """`count` capture-log entries (dicts) spread over a month."""
    rng = random.Random(seed)
    for call in generate_calls(seed, count, invalid_bytes=False):
        zone = rng.choice(ZONES)
        at = datetime.fromtimestamp(call["now"], zone).isoformat(timespec="seconds")
        params = call["input"]
        reply = {"state": "success", "data": params}
        entry: dict[str, Any] = {
            "v": 1,
            "at": at,
            "customization": call["customization"],
            "spec": spec,
            "input": params,
            "reply": reply,
            "decided_by": "default",
        }
        if rng.random() < 0.5:
            entry["spec_version"] = "sha256:0f3c9a1e"  # newer writers say which rendering decided
        if rng.random() < shadow:
            entry["would_reply"] = reply
        yield entry


def capture_lines(count: int, seed: int = 1, spec: str = "example", distinct: int = 5000) -> Iterator[str]:
    """`count` lines (JSON text, each ending in a newline).  The first `distinct` calls are drawn
    one by one; later lines repeat them at another time of the month (cheap to make in any number:
    a million lines in seconds, with the same mix of shapes)."""
    made: list[tuple[str, str]] = []
    rng = random.Random(seed + 1)
    start = datetime(2026, 11, 1)
    for entry in entries(min(count, distinct), seed, spec):
        line = to_json(entry) + "\n"
        made.append((line, entry["at"]))
        yield line
    for i in range(len(made), count):
        line, at = made[i % len(made)]
        moment = datetime.fromisoformat(at)
        when = start + timedelta(seconds=rng.randrange(30 * 86400))
        yield line.replace(at, when.replace(tzinfo=moment.tzinfo).isoformat(timespec="seconds"))
