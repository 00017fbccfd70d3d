"""Deploy targets: a local folder, or `ssh://[user@]host[:port]/path` (host may be an alias from
the user's ~/.ssh/config; the path is absolute on the server, %20 or a plain space for spaces)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.errors import UsageProblem


@dataclass(frozen=True)
class SshTarget:
    host: str
    path: str
    user: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        who = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"ssh://{who}{self.host}{port}{self.path}"


@dataclass(frozen=True)
class LocalTarget:
    path: Path

    def __str__(self) -> str:
        return str(self.path)


Target = SshTarget | LocalTarget

_HOST = re.compile(r"^[A-Za-z0-9._-]+$|^\[[0-9A-Fa-f:.]+\]$")


def parse(text: str) -> Target:
    """A target as written on the command line or in `deploy.to`; UsageProblem when it is not one."""
    if "\x00" in text or "\n" in text:
        raise UsageProblem(f"{text!r}: a target may not contain a NUL or a line break")
    if not text.startswith("ssh://"):
        if "://" in text:
            raise UsageProblem(f"{text}: a target is a folder or ssh://[user@]host[:port]/path")
        return LocalTarget(Path(text))
    parts = urlsplit(text)
    host = parts.hostname
    netloc_host = parts.netloc.rsplit("@", 1)[-1]
    if netloc_host.startswith("["):
        netloc_host = netloc_host[: netloc_host.index("]") + 1]
    else:
        netloc_host = netloc_host.split(":")[0]
    if not host or not _HOST.match(netloc_host) or netloc_host.startswith("-"):
        raise UsageProblem(f"{text}: no usable host (write ssh://[user@]host[:port]/path)")
    try:
        port = parts.port
    except ValueError:
        raise UsageProblem(f"{text}: the port is not a number from 1 to 65535") from None
    user = unquote(parts.username) if parts.username else None
    if user is not None and (not re.fullmatch(r"[A-Za-z0-9._-]+", user) or user.startswith("-")):
        raise UsageProblem(f"{text}: {user!r} is not a user name")
    path = unquote(parts.path)
    if not path.startswith("/") or path == "/":
        raise UsageProblem(
            f"{text}: give the connector's folder as an absolute path, e.g. ssh://pbx1/opt/itgrix_bx/customizer/actions"
        )
    if parts.query or parts.fragment:
        raise UsageProblem(f"{text}: '?' and '#' are not part of a target (write %3F / %23 in a path)")
    return SshTarget(
        host=host if not netloc_host.startswith("[") else netloc_host[1:-1],
        path=path.rstrip("/") or "/",
        user=user,
        port=port,
    )
