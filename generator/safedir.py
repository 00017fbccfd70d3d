"""A folder that root works in although another user can write it: the connector's
customization folder belongs to the connector's user (e.g. `asterisk`), who can put anything
there, including a symbolic link to a root-only file (`need_registration.php -> /etc/shadow`).

Root's deploy trusts nothing it finds there.  The folder is opened once and every operation is
made relative to that open folder (openat and friends), so renaming things in it meanwhile
changes nothing; no link found inside is ever followed (O_NOFOLLOW, lstat); a file is read only
when it is a regular file with one link whose owner is one expected there, else `Untrusted` says
why and nothing of it is read; a new file is made under a fresh name (O_EXCL), given its mode and
owner through its own descriptor (fchmod/fchown: never a path someone can swap), then renamed into
place.  A sub-folder (our state folder, .itgrix-gen/) must be a real folder owned by the user who
deploys and writable by no one else: only then is what is inside it ours.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from pathlib import Path

from generator.errors import UserError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class Untrusted(UserError):
    """Something in the folder that root's deploy will not use (a link, a FIFO, a foreign owner)."""


def kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


class Dir:
    """An open folder; `owners` are the user ids a file found in it may belong to."""

    def __init__(self, fd: int, path: Path, owners: frozenset[int]):
        self.fd = fd
        self.path = path  # for messages only: every operation goes through fd
        self.owners = owners

    @classmethod
    def open(cls, path: Path) -> Dir:
        """The folder the user named (the path itself may be a link the administrator made);
        files in it may belong to root, to whoever deploys, or to the folder's owner."""
        fd = os.open(path, _DIR_FLAGS)
        uid = os.fstat(fd).st_uid
        return cls(fd, path, frozenset({0, os.geteuid(), uid}))

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Dir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def owner(self) -> tuple[int, int]:
        st = os.fstat(self.fd)
        return st.st_uid, st.st_gid

    # --- looking -----------------------------------------------------------------------------

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def problem(self, st: os.stat_result) -> str:
        """Why a file with this (l)stat is not one root may read or replace; '' when it is."""
        if not stat.S_ISREG(st.st_mode):
            return kind(st.st_mode)
        if st.st_nlink != 1:
            return f"a file with {st.st_nlink} hard links"
        if st.st_uid not in self.owners:
            return f"owned by uid {st.st_uid} (expected one of {', '.join(map(str, sorted(self.owners)))})"
        return ""

    def refuse(self, name: str, why: str) -> Untrusted:
        return Untrusted(
            f"{self.path / name} is {why}: root's deploy never follows a link or uses a file it cannot "
            "trust in this folder; remove it or replace it with a regular file"
        )

    def names(self) -> list[str]:
        with os.scandir(self.fd) as entries:
            return sorted(e.name for e in entries)

    # --- reading -----------------------------------------------------------------------------

    def read(self, name: str) -> bytes | None:
        """The bytes of a trusted regular file; None when there is none; Untrusted otherwise (its
        content is never read: it may be someone else's file reached through a link)."""
        found = self.read_stat(name)
        return None if found is None else found[0]

    def read_stat(self, name: str) -> tuple[bytes, os.stat_result] | None:
        """read(), with the file's own stat (mode and owner) taken from the same descriptor."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise self.refuse(name, "a symbolic link") from None
            raise
        try:
            st = os.fstat(fd)
            why = self.problem(st)
            if why:
                raise self.refuse(name, why)
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks), st
        finally:
            os.close(fd)

    # --- sub-folders ---------------------------------------------------------------------------

    def sub(self, name: str, create: bool = False) -> Dir | None:
        """A sub-folder that only the deploying user can have written: a real folder (never a
        link), owned by that user and writable by no one else.  None when absent and not created."""
        if create:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o755, dir_fd=self.fd)
        try:
            fd = os.open(name, _DIR_FLAGS | _NOFOLLOW, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                st = self.lstat(name)
                raise self.refuse(name, kind(st.st_mode) if st else "not a folder") from None
            raise
        st = os.fstat(fd)
        me = os.geteuid()
        why = ""
        if st.st_uid != me:
            why = f"owned by uid {st.st_uid}, not by the user deploying (uid {me})"
        elif st.st_mode & 0o022:
            why = "writable by other users"
        if why:
            os.close(fd)
            raise Untrusted(
                f"{self.path / name} is {why}: a deploy trusts only a state folder that no one else can "
                f"have written (remove it, or make it the deploying user's with mode 0755)"
            )
        return Dir(fd, self.path / name, frozenset({me}))

    # --- writing -----------------------------------------------------------------------------

    def write(self, name: str, data: bytes, mode: int = 0o644, owner: tuple[int, int] | None = None) -> None:
        """Atomically put `data` at `name`: a fresh temporary file (O_EXCL, never through a link),
        fsynced, its mode and owner set through its descriptor, then renamed over the old one."""
        tmp = f".{name}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=self.fd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                if owner is not None and os.geteuid() == 0:
                    os.fchown(fd, *owner)
                os.fchmod(fd, mode & 0o7777)
            finally:
                os.close(fd)
            os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self.fd)
            raise

    def unlink(self, name: str) -> bool:
        """Remove `name` (a link is removed, never what it points to); False when there was none."""
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            return False
        return True

    def rename(self, old: str, new: str) -> None:
        os.rename(old, new, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def mkdir(self, name: str) -> Dir:
        """A new, empty sub-folder of ours (fails when the name is taken)."""
        os.mkdir(name, 0o755, dir_fd=self.fd)
        made = self.sub(name)
        assert made is not None
        return made

    def remove_tree(self, name: str) -> None:
        """Remove a sub-folder and everything in it without following links (shutil's fd-based walk)."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(name, dir_fd=self.fd)

    def sync(self) -> None:
        os.fsync(self.fd)
