"""Deploy targets, as written on the command line and in a spec's `deploy.to`: a local folder, or
`ssh://[user@]host[:port]/path` (host may be an alias from the user's ~/.ssh/config; the path is
absolute on the server, %20 or a plain space for spaces).  Pure parsing, no I/O: the spec model
(speclang) checks deploy.to with it and must not depend on the remote layer."""

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

    def missing(self) -> str:
        """Why nothing can be done at this target ("" when it is there): the same words from
        deploy and capture pull (a pull would otherwise file this machine's capture log under a
        target that does not exist)."""
        return folder_problem(self.path)


def folder_problem(path: Path) -> str:
    """Why `path` cannot be the connector's actions folder ("" when it can): one wording for
    deploy, rollback, status and capture pull, telling a mistyped path from a file."""
    if path.is_dir():
        return ""
    what = "does not exist" if not path.exists() and not path.is_symlink() else "is not a folder"
    return f"{path} {what} (the connector's customizer/actions folder must exist)"


Target = SshTarget | LocalTarget

_HOST = re.compile(r"^[A-Za-z0-9._-]+$|^\[[0-9A-Fa-f:.]+\]$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
EXAMPLE = "ssh://pbx1/opt/itgrix_bx/customizer/actions"


def parse(text: str) -> Target:
    """A target as written on the command line or in `deploy.to`; UsageProblem when it is not one.
    Nothing is silently dropped or guessed: a control character, an empty or root path, a port 0
    and anything urlsplit would tidy away are refused, each with its reason."""
    if not text.strip():
        raise UsageProblem(
            "an empty target (an unset variable?): give the connector's folder or ssh://[user@]host[:port]/path"
        )
    if _CONTROL.search(text):
        raise UsageProblem(f"{text!r}: a target may not contain a control character (tab, CR, line break, NUL)")
    if not text.startswith("ssh://"):
        if "://" in text:
            raise UsageProblem(f"{text}: a target is a folder or ssh://[user@]host[:port]/path")
        return LocalTarget(Path(text))
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise UsageProblem(
            f"{text}: not a usable ssh:// target (host, or a port from 1 to 65535); write e.g. {EXAMPLE}"
        ) from None
    netloc_host = parts.netloc.rsplit("@", 1)[-1]
    if netloc_host.startswith("["):
        netloc_host = netloc_host[: netloc_host.index("]") + 1]
    else:
        netloc_host = netloc_host.split(":")[0]
    if not host or not _HOST.match(netloc_host) or netloc_host.startswith("-"):
        raise UsageProblem(f"{text}: no usable host (write ssh://[user@]host[:port]/path)")
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise UsageProblem(f"{text}: the port is not a number from 1 to 65535")
    user = unquote(parts.username) if parts.username else None
    if user is not None and (not re.fullmatch(r"[A-Za-z0-9._-]+", user) or user.startswith("-")):
        raise UsageProblem(f"{text}: {user!r} is not a user name")
    if parts.query or parts.fragment:
        raise UsageProblem(f"{text}: '?' and '#' are not part of a target (write %3F / %23 in a path)")
    if not _is_utf8(parts.path):
        raise UsageProblem(f"{text}: the path's %-escapes are not UTF-8")
    path = unquote(parts.path)
    if not path:
        raise UsageProblem(f"{text}: give the connector's folder as an absolute path, e.g. {EXAMPLE}")
    if _CONTROL.search(path):
        raise UsageProblem(f"{text}: the path may not contain a control character (%00, tab, CR, line break)")
    pieces = path.split("/")
    if not path.startswith("/") or any(p in (".", "..") for p in pieces):
        raise UsageProblem(f"{text}: give the connector's folder as an absolute path without . or .., e.g. {EXAMPLE}")
    clean = "/" + "/".join(p for p in pieces if p)
    if clean == "/":
        raise UsageProblem(f"{text}: the server's / is not the connector's folder; give it, e.g. {EXAMPLE}")
    return SshTarget(
        host=host if not netloc_host.startswith("[") else netloc_host[1:-1],
        path=clean,
        user=user,
        port=port,
    )


def _is_utf8(quoted: str) -> bool:
    try:
        unquote(quoted, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


# --- names for targets ------------------------------------------------------------------------
# `--to pbx-c` instead of the whole ssh://admin@pbx-c.example.com:2222/opt/... URL: a value that is
# neither a URL nor an existing folder is looked up among the targets of the specs' deploy.to.

_IP = re.compile(r"^[0-9.]+$|:")


def aliases(target: Target) -> list[str]:
    """The names a deploy.to target answers to on the command line: an ssh target's host as
    written (a DNS name, an address, or a Host of ~/.ssh/config) and, for a DNS name, its first
    label (`pbx-c` for pbx-c.example.com); a folder's own name.  The host (the folder's name) is
    also the target's folder under `capture pull`'s DIR/."""
    if isinstance(target, SshTarget):
        names = [target.host]
        label = target.host.split(".", 1)[0]
        if not _IP.search(target.host) and label != target.host:
            names.append(label)
        return names
    return [target.path.resolve().name] if target.path.resolve().name else []


def is_name(text: str) -> bool:
    """A --to value to look up among deploy.to's targets: no URL, no path, no existing folder."""
    return bool(text) and "://" not in text and "/" not in text and not Path(text).exists()


def resolve(text: str, known: list[Target]) -> Target:
    """A --to value as a target: a URL or a path as it is (see parse); a bare name (`pbx-c`) as
    the one target of `known` (the specs' deploy.to) it is an alias of; UsageProblem naming the
    choices when it names none or several."""
    if not is_name(text) or _CONTROL.search(text):
        return parse(text)
    unique = {str(t): t for t in known}
    matches = [t for t in unique.values() if text in aliases(t)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageProblem(
            f"--to {text}: names {len(matches)} targets of deploy.to ({', '.join(map(str, matches))}); "
            "give the one you mean as its ssh:// URL or folder"
        )
    if not unique:
        raise UsageProblem(
            f"--to {text}: no such folder, and no spec's deploy.to to look the name up in "
            "(give a folder, ssh://[user@]host[:port]/path, or a SPEC whose deploy.to names it)"
        )
    raise UsageProblem(
        f"--to {text}: no such folder, and no target of deploy.to is called that "
        f"(choices: {', '.join(short_names(list(unique.values())))})"
    )


def short_names(targets: list[Target]) -> list[str]:
    """Each target's shortest name that no other of `targets` shares (its URL when none is)."""
    taken: dict[str, int] = {}
    for t in targets:
        for name in set(aliases(t)):
            taken[name] = taken.get(name, 0) + 1
    names = []
    for t in targets:
        free = sorted((n for n in aliases(t) if taken[n] == 1), key=len)
        names.append(free[0] if free else str(t))
    return names
