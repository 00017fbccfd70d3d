"""Where the command line meets the terminal: the Say the use cases speak through (rich consoles:
colours and tables on a terminal), the one line and exit code an error ends a command with (never
a traceback, unless --debug), and the signals that end this run's SSH connections first."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any

from rich.console import Console

from generator.errors import Exit, UserError

# Wide when not on a terminal (CI logs), so table cells are never cut to "…".
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Terminal:
    """What the use cases say, on the consoles: colours and tables on a terminal."""

    def out(self, item: Any, markup: bool = False) -> None:
        out.print(item, markup=markup)

    def err(self, item: Any, markup: bool = False) -> None:
        err.print(item, markup=markup)

    def write(self, text: str) -> None:
        sys.stdout.write(text)


def exit_code(exc: BaseException, debug: bool) -> int | None:
    """The exit code a command that raised `exc` ends with, its one line said on stderr (per
    docs/design/cli.md: 2 a usage, spec or environment error, 130 interrupted); None when the
    exception should go on up as it is (--debug, or a SystemExit)."""
    if isinstance(exc, Exit):
        return exc.code
    if isinstance(exc, SystemExit):
        return None
    if isinstance(exc, KeyboardInterrupt):
        err.print("interrupted")
        return 130
    if not isinstance(exc, Exception):
        return None
    if _is_usage_error(exc):
        exc.show()  # type: ignore[attr-defined]
        return 2
    if type(exc).__name__ == "Abort":
        err.print("aborted")
        return 1
    if isinstance(exc, UserError):
        err.print(f"error: {exc}", markup=False)
        return 2
    if isinstance(exc, OSError) and exc.strerror and not debug:
        # A file or folder that cannot be read or written: the environment, not a bug.
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"error: {exc.strerror}{where}", markup=False)
        return 2
    if debug:
        return None
    text = " ".join(str(exc).split())
    text = text[:300] + ("..." if len(text) > 300 else "")
    err.print(f"internal error: {type(exc).__name__}: {text} (run with --debug for the traceback)", markup=False)
    return 2


def _is_usage_error(exc: BaseException) -> bool:
    """Typer bundles its own copy of click (typer._click) in newer releases and used the `click`
    package before: recognise their exceptions by class name, so either works without importing
    a module that may not be installed."""
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__) and hasattr(exc, "show")


def end_connections_on_signals() -> None:
    """SIGTERM, SIGHUP, SIGINT end every SSH connection this run opened before the process goes."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        with contextlib.suppress(ValueError, OSError):  # not the main thread (embedded use)
            signal.signal(signum, _end_connections)


def _end_connections(signum: int, frame: object) -> None:
    """SIGTERM, SIGHUP, SIGINT: end every SSH connection this run opened (its commands and its
    master) before the process goes, so nothing of it lingers on this machine."""
    ssh = sys.modules.get("generator.remote.ssh")
    if ssh is not None:
        ssh.close_all()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
