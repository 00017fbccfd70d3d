"""Running an outside program (php, npm, node) with a deadline that really holds.

`subprocess.run(timeout=...)` kills only the direct child; a wrapper script's own children keep
the output pipes open and the call waits for them anyway.  Here the program runs in a session
of its own and the whole process group is killed at the deadline."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Any


class Timeout(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"did not finish within {seconds:g} s")
        self.seconds = seconds


def run(
    cmd: Sequence[str],
    timeout: float,
    input: str | None = None,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Like subprocess.run(capture_output=True, text=True), but a timeout kills the whole group
    and raises Timeout.  Text is decoded as UTF-8 with replacement (a program's stray bytes never
    raise here)."""
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise Timeout(timeout) from None
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
