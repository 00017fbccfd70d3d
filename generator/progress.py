"""The one progress display every command uses: on a terminal (stderr) only, and only for work
that has already taken a few seconds, so quick commands and pipes, logs and tests see nothing.

    with progress.bar(len(items), "testing") as advance:   # advance(n=1): n more done
    with progress.bar(reading.size, "replaying", of=reading) as tick:   # tick(): bytes read so far
    with progress.bar(None, "reading calls") as tick:       # unknown length: a live count
    for item in progress.each(items, "testing"):            # the same, around a loop
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# Work that ends sooner shows nothing: a bar that flashes for a moment only hides other output.
AFTER_SECONDS = 2.0


class Done(Protocol):
    """Something that counts its own progress, e.g. capture.log.Reading (bytes read so far)."""

    done: int


class _Display:
    def __init__(self, total: int | None, label: str, after: float):
        self.total, self.label, self.after = total, label, after
        self.started = time.monotonic()
        self.count = 0
        self.shown = 0
        self.live: Any = None
        self.task: Any = None
        self.terminal = sys.stderr.isatty()

    def advance(self, n: int = 1) -> None:
        self.count += n
        if not self.terminal:
            return
        if self.live is None:
            if time.monotonic() - self.started < self.after:
                return
            self._start()
        # A count of unknown length ticks once per line: redraw every thousand, not every line.
        if self.total is not None or self.count - self.shown >= 1000:
            self.live.update(self.task, completed=self.count)
            self.shown = self.count

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        columns: tuple[Any, ...]
        if self.total is None:
            columns = (SpinnerColumn(), TextColumn("{task.description} {task.completed}"))
        elif self.total > 10_000:  # bytes: a percentage and the time left, not the raw numbers
            columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
        else:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self.live = Progress(*columns, console=Console(stderr=True), transient=True)
        self.live.start()
        self.task = self.live.add_task(self.label, total=self.total, completed=self.count)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()


@contextlib.contextmanager
def bar(total: int | None, label: str, of: Done | None = None, after: float = AFTER_SECONDS) -> Iterator[Any]:
    """A display for `total` units of work (None: of unknown length).  Yields advance(n=1), or,
    with `of`, tick() that shows `of.done` (for readers that count their own bytes)."""
    display = _Display(total, label, after)
    try:
        if of is None:
            yield display.advance
        else:
            source = of

            def tick() -> None:
                display.advance(source.done - display.count)

            yield tick
    finally:
        display.stop()


def each(items: list[T], label: str) -> Iterator[T]:
    """The items, one by one, with a bar while they are worked on."""
    with bar(len(items), label) as advance:
        for item in items:
            yield item
            advance()
