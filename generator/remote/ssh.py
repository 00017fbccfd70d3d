"""One OpenSSH connection per target, through the system's own `ssh`: the user's ~/.ssh/config,
agent, known_hosts and jump hosts work exactly as set up (no SSH implementation of our own).  A
master connection is opened once (ControlMaster) and every command of a deploy rides on it.

A connection ends with its run, whatever happens: every command has the connection's deadline
(`timeout`, from the first connect), a command past it is killed together with the master (a
mux client hands its pipes to the master, so only ending the master ends the wait), the master
lingers at most CONTROL_PERSIST seconds after its last command even when this process is killed
with SIGKILL, and `close_all()` (called on SIGTERM, SIGHUP and SIGINT) ends every open one.  Its
control socket lives in a folder of its own that is removed on every path.

`ITGRIX_GEN_SSH` replaces the `ssh` command (e.g. "ssh -F ./ssh_config"); `ITGRIX_GEN_REMOTE_SH`
names the server's shell for our script (default `sh`); `ITGRIX_GEN_CONTROL_DIR` the folder for
control sockets (default /tmp: a socket's path must fit in 104 bytes)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from generator.errors import UserError
from generator.target import SshTarget

SCRIPT = (Path(__file__).parent / "remote.sh").read_text(encoding="utf-8")
CONNECT_TIMEOUT = 15
CONTROL_PERSIST = 20  # seconds a master outlives its last command (a killed run's master too)
DEFAULT_TIMEOUT = 330.0

_LIVE: set[Connection] = set()
_LIVE_LOCK = threading.Lock()


class Unreachable(UserError):
    """The server could not be reached or logged into (ssh's own words follow)."""


@dataclass
class Output:
    code: int
    out: str
    err: str


def ssh_command() -> list[str]:
    return shlex.split(os.environ.get("ITGRIX_GEN_SSH", "ssh")) or ["ssh"]


def control_root() -> str | None:
    chosen = os.environ.get("ITGRIX_GEN_CONTROL_DIR")
    if chosen:
        return chosen
    return "/tmp" if os.path.isdir("/tmp") else None


def close_all() -> None:
    """End every open connection (a signal handler calls this before the process ends)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for conn in live:
        conn.close()


_STALE = re.compile(r"igg-(\d+)-[A-Za-z0-9_]+")
_SWEPT: set[str] = set()


def sweep_stale_control_dirs() -> None:
    """Remove the control folders of runs that were killed (SIGKILL leaves no chance to clean up):
    only our own user's folders (`igg-<pid>-…`, 0700, made by mkdtemp) whose process is gone, and
    only their plain entries (sockets, the errors file); never through a link.  Once per process
    and folder."""
    root = control_root() or tempfile.gettempdir()
    if root in _SWEPT:
        return
    _SWEPT.add(root)
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        match = _STALE.fullmatch(entry.name)
        if not match or int(match.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue
            os.kill(int(match.group(1)), 0)
            continue  # that run is alive
        except ProcessLookupError:
            pass
        except OSError:
            continue  # alive under another user, or unreadable: not ours to touch
        try:
            for inner in os.scandir(entry.path):
                if not inner.is_dir(follow_symlinks=False):
                    os.unlink(inner.path)
            os.rmdir(entry.path)
        except OSError:
            pass


class Connection:
    def __init__(self, target: SshTarget, timeout: float = DEFAULT_TIMEOUT):
        self.target = target
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        # A short folder: a control socket's path must fit in 104 bytes.  Its name carries our
        # process id, so that a later run can remove what a SIGKILLed one could not.
        sweep_stale_control_dirs()
        self.dir = tempfile.mkdtemp(prefix=f"igg-{os.getpid()}-", dir=control_root())
        self.options = [
            "-o", "BatchMode=yes",  # never a password prompt: CI has no one to answer it
            "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
            "-o", "ServerAliveInterval=10",
            "-o", "ServerAliveCountMax=3",
            "-o", f"ControlPath={self.dir}/%C",
        ]  # fmt: skip
        if target.port:
            self.options += ["-p", str(target.port)]
        if target.user:
            self.options += ["-l", target.user]
        self.open = False
        self.master_pid: int | None = None
        self.procs: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()
        with _LIVE_LOCK:
            _LIVE.add(self)

    def __enter__(self) -> Connection:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _late(self) -> Unreachable:
        return Unreachable(f"no answer within {self.timeout:g} s (--timeout); the connection was ended")

    def start(self) -> None:
        """Open the master connection, or raise Unreachable with ssh's reason."""
        errors = Path(self.dir) / "errors"
        try:
            with errors.open("wb") as handle:
                proc = subprocess.run(
                    [*ssh_command(), *self.options, "-o", "ControlMaster=yes",
                     "-o", f"ControlPersist={CONTROL_PERSIST}", "-f", "-N", "--", self.target.host],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=handle,
                    timeout=max(1.0, min(CONNECT_TIMEOUT * 3, self.remaining())),
                    check=False,
                )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise self._late() from None
        if proc.returncode != 0:
            words = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            why = next((w for w in reversed(words) if w.strip() and not w.startswith("Warning:")), "")
            raise Unreachable(why or f"ssh exited with {proc.returncode}")
        self.open = True
        self.master_pid = self._master_pid()

    def _control(self, command: str, timeout: float = 10) -> subprocess.CompletedProcess[bytes] | None:
        try:
            return subprocess.run(
                [*ssh_command(), *self.options, "-O", command, "--", self.target.host],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except (subprocess.TimeoutExpired, OSError):
            return None

    def _master_pid(self) -> int | None:
        answer = self._control("check")
        found = re.search(rb"pid=(\d+)", answer.stderr + answer.stdout) if answer else None
        return int(found.group(1)) if found else None

    def run(self, args: list[str], payload: bytes = b"", script: str = SCRIPT, out: IO[bytes] | None = None) -> Output:
        """Run remote.sh (or another `script`) with `args` (each quoted for the remote shell) and
        `payload` on its stdin, within what is left of the connection's time; with `out`, the
        command's output goes there (a large copy never sits in memory) and Output.out is ""."""
        left = self.remaining()
        if left <= 0 or not self.open:
            raise self._late()
        shell = os.environ.get("ITGRIX_GEN_REMOTE_SH", "sh")
        command = " ".join([shlex.quote(shell), "-c", shlex.quote(script), "itgrix-gen", *map(shlex.quote, args)])
        proc = subprocess.Popen(
            [*ssh_command(), *self.options, "-o", "ControlMaster=no", "--", self.target.host, command],
            stdin=subprocess.PIPE,
            stdout=out if out is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        with self.lock:
            self.procs.add(proc)
        try:
            answer, err = proc.communicate(payload, timeout=left)
        except subprocess.TimeoutExpired:
            self.close()  # the client and the master: the master holds the client's pipes
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            raise self._late() from None
        finally:
            with self.lock:
                self.procs.discard(proc)
        text = (answer or b"").decode("utf-8", "replace")
        if proc.returncode == 255 and not text:
            words = err.decode("utf-8", "replace").strip().splitlines()
            raise Unreachable(words[-1] if words else "the connection was lost")
        return Output(proc.returncode, text, err.decode("utf-8", "replace"))

    def close(self) -> None:
        """End the commands, then the master, then remove the control folder; safe to call twice
        and from a signal handler."""
        with self.lock:
            procs = list(self.procs)
            was_open, self.open = self.open, False
        for proc in procs:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        if was_open:
            self._control("exit", timeout=5)
            self._end_master()
        shutil.rmtree(self.dir, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def _end_master(self) -> None:
        """The master, by its own pid, when `-O exit` did not end it (it is ours when its command
        line names our control folder)."""
        pid = self.master_pid
        if pid is None:
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return
        if self.dir.encode() in cmdline:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
