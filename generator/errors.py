"""The errors a user can cause, as opposed to bugs of ours.

Every command turns a UserError into one line (`file:line:col: message` when it has a place) and
exit code 2; anything else that escapes a command is an internal error (one line too, and a
traceback only with --debug).  SpecError, CaseError, DeployError, PhpMissing, MatrixUnavailable,
OutputTooLarge and UsageProblem are all UserErrors."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave us (a file, an argument, a binary), with its place if any."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.message, self.file, self.line, self.col = message, file, line, col

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return ":".join(str(part) for part in (self.file, self.line, self.col) if part is not None)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageProblem(UserError):
    """A wrong argument found by our own checks."""


class Exit(Exception):
    """A command ends with this exit code (0 ok, 1 a check found a difference, 2 a usage or spec
    error), having said why already."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code
