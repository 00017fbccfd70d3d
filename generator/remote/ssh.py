"""One OpenSSH connection per target, through the system's own `ssh`: the user's ~/.ssh/config,
agent, known_hosts and jump hosts work exactly as set up (no SSH implementation of our own).  A
master connection is opened once (ControlMaster) and every command of a deploy rides on it.

`ITGRIX_GEN_SSH` replaces the `ssh` command (e.g. "ssh -F ./ssh_config"); `ITGRIX_GEN_REMOTE_SH`
names the server's shell for our script (default `sh`)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UserError
from generator.remote.target import SshTarget

SCRIPT = (Path(__file__).parent / "remote.sh").read_text(encoding="utf-8")
CONNECT_TIMEOUT = 15


class Unreachable(UserError):
    """The server could not be reached or logged into (ssh's own words follow)."""


@dataclass
class Output:
    code: int
    out: str
    err: str


def ssh_command() -> list[str]:
    return shlex.split(os.environ.get("ITGRIX_GEN_SSH", "ssh")) or ["ssh"]


class Connection:
    def __init__(self, target: SshTarget):
        self.target = target
        # A short folder: a control socket's path must fit in 104 bytes.
        self.dir = tempfile.mkdtemp(prefix="igg-", dir="/tmp" if os.path.isdir("/tmp") else None)
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

    def __enter__(self) -> Connection:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Open the master connection, or raise Unreachable with ssh's reason."""
        errors = Path(self.dir) / "errors"
        with errors.open("wb") as handle:
            proc = subprocess.run(
                [*ssh_command(), *self.options, "-o", "ControlMaster=yes", "-o", "ControlPersist=yes", "-f", "-N",
                 "--", self.target.host],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=handle,
                timeout=CONNECT_TIMEOUT * 3,
                check=False,
            )  # fmt: skip
        if proc.returncode != 0:
            words = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            why = next((w for w in reversed(words) if w.strip() and not w.startswith("Warning:")), "")
            raise Unreachable(why or f"ssh exited with {proc.returncode}")
        self.open = True

    def run(self, args: list[str], payload: bytes = b"", timeout: float = 300) -> Output:
        """Run remote.sh with `args` (each quoted for the remote shell) and `payload` on its stdin."""
        shell = os.environ.get("ITGRIX_GEN_REMOTE_SH", "sh")
        command = " ".join([shlex.quote(shell), "-c", shlex.quote(SCRIPT), "itgrix-gen", *map(shlex.quote, args)])
        proc = subprocess.Popen(
            [*ssh_command(), *self.options, "-o", "ControlMaster=no", "--", self.target.host, command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise Unreachable(f"no answer within {timeout:g} s") from None
        text = out.decode("utf-8", "replace")
        if proc.returncode == 255 and not text:
            words = err.decode("utf-8", "replace").strip().splitlines()
            raise Unreachable(words[-1] if words else "the connection was lost")
        return Output(proc.returncode, text, err.decode("utf-8", "replace"))

    def close(self) -> None:
        if self.open:
            subprocess.run(
                [*ssh_command(), *self.options, "-O", "exit", "--", self.target.host],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
                check=False,
            )
            self.open = False
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)
