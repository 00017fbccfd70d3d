"""A spec's problems, each with its place: `file:line:col: field.path: message`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.errors import UserError

Pos = tuple[str, int, int]  # file, line (1-based), column (1-based)
KeyPath = tuple[Any, ...]  # a place in the spec's data: keys and list indexes ("<value>" for a value's own place)
Positions = dict[KeyPath, Pos]


@dataclass(frozen=True)
class SpecIssue:
    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(UserError):
    """Every problem found in one spec (all of them, so that one run shows them all)."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = issues
        first = issues[0] if issues else None
        super().__init__("\n".join(str(i) for i in issues))
        if first is not None:  # the place of the first problem, for code that wants one
            self.file, self.line, self.col = first.file, first.line, first.col

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


def fail(display: str, message: str, line: int = 1, col: int = 1, path: str = "") -> SpecError:
    return SpecError([SpecIssue(display, line, col, path, message)])
