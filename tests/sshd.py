"""A real OpenSSH server for the deploy tests: started on a free local port with throwaway host
and client keys, logging in as the user running the tests.  The client side is the system's own
`ssh`, pointed at a generated config file through ITGRIX_GEN_SSH, exactly as a user's
~/.ssh/config would point it."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

SSHD_PATHS = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")


def find_sshd() -> str | None:
    found = shutil.which("sshd")
    if found:
        return found
    return next((p for p in SSHD_PATHS if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sshd:
    def __init__(self, folder: Path, aliases: tuple[str, ...] = ("pbx1", "pbx2", "pbx3"), prefix: tuple[str, ...] = ()):
        """`aliases`: the host names the client config gives this server; `prefix`: a command the
        sshd runs under (a mount namespace that makes it another machine's file system)."""
        self.folder = folder
        self.aliases = aliases
        self.prefix = prefix
        self.port = free_port()
        self.dead_port = free_port()  # nothing listens there: an unreachable server
        self.proc: subprocess.Popen[bytes] | None = None
        self.config = folder / "ssh_config"

    def start(self) -> None:
        sshd = find_sshd()
        assert sshd, "sshd is not installed: run scripts/install.sh (it installs openssh-server)"
        f = self.folder
        for key in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(f / key)], check=True)
        (f / "authorized_keys").write_text((f / "client_key.pub").read_text())
        os.chmod(f / "authorized_keys", 0o600)
        (f / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {f / 'host_key'}\nPidFile {f / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {f / 'authorized_keys'}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin yes\nLogLevel ERROR\n"
            "MaxSessions 100\nMaxStartups 100\n"
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
        user = getpass.getuser()
        common = (
            f"  HostName 127.0.0.1\n  User {user}\n  IdentityFile {f / 'client_key'}\n  IdentitiesOnly yes\n"
            "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
        )
        self.config.write_text(
            f"Host {' '.join(self.aliases)}\n  Port {self.port}\n{common}Host dead\n  Port {self.dead_port}\n"
            f"  ConnectTimeout 3\n{common}"
        )
        self.proc = subprocess.Popen(
            [*self.prefix, sshd, "-D", "-e", "-f", str(f / "sshd_config")], stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60  # sshd starts in well under a second; a loaded machine may be slow
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sshd died: " + (self.proc.stderr.read().decode() if self.proc.stderr else ""))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    @property
    def ssh(self) -> str:
        return f"ssh -F {self.config}"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@contextlib.contextmanager
def running(folder: Path, aliases: tuple[str, ...]) -> Iterator[Sshd]:
    """A started server the client config knows by `aliases`, stopped at the end."""
    server = Sshd(folder, aliases=aliases)
    server.start()
    try:
        yield server
    finally:
        server.stop()
