"""How a use case speaks: what it has to say goes to a `Say`, which the command line prints (a
rich console: colours and tables on a terminal) and a test records (`Said`).  A use case never
prints itself, and never exits the process: it returns its exit code, or raises Exit/UserError."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Protocol


class Say(Protocol):
    def out(self, item: Any, markup: bool = False) -> None:
        """A line (or a rich renderable, e.g. a table) of the command's result, on stdout."""

    def err(self, item: Any, markup: bool = False) -> None:
        """A note, warning or error, on stderr."""

    def write(self, text: str) -> None:
        """Text as it is (JSON, Markdown, a diff) on stdout."""


@dataclass
class Said:
    """A Say that keeps what was said, as plain text: for tests and callers without a terminal."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def out(self, item: Any, markup: bool = False) -> None:
        self.stdout.append(_plain(item, markup))

    def err(self, item: Any, markup: bool = False) -> None:
        self.stderr.append(_plain(item, markup))

    def write(self, text: str) -> None:
        self.stdout.append(text)


def _plain(item: Any, markup: bool) -> str:
    from rich.console import Console

    console = Console(width=200, no_color=True, highlight=False, soft_wrap=True, record=True, file=io.StringIO())
    console.print(item, markup=markup)
    return console.export_text().rstrip("\n")
