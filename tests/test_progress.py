"""The one progress display: on a terminal only, never on a pipe or in a log."""

from __future__ import annotations

import io
import sys

import pytest

from generator import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_drawn_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    assert list(progress.each(["a", "b", "c"], "testing")) == ["a", "b", "c"]
    with progress.bar(None, "reading calls", after=0) as tick:
        for _ in range(5000):
            tick()
    assert stream.getvalue() == ""


def test_a_terminal_sees_the_label_once_the_work_is_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)

    class Reading:
        done = 0

    reading = Reading()
    with progress.bar(1_000_000, "replaying", of=reading, after=0) as tick:
        reading.done = 500_000
        tick()
    assert "replaying" in stream.getvalue()


def test_quick_work_draws_nothing_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    with progress.bar(3, "rendering", after=3600) as advance:
        advance(3)
    assert stream.getvalue() == ""
