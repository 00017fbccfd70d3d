"""The errors a user can cause, as opposed to bugs of ours.

Every command turns a UserError into one line `error: ...` and exit code 2; anything else that
escapes a command is an internal error (one line too, and a traceback only with --debug)."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave us (a file, an argument, a binary): shown as one line."""
