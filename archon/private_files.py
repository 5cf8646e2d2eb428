"""Files only this user may read: private directories, the one atomic writer, the one careful reader, and the
check that a directory is this user's own.

Every file archon writes under its home goes through :func:`write_atomic`: the data goes to a new temp file in the
same directory (created exclusively, never through a symlink), is optionally synced, then renamed over the target
(or linked to it, when an existing file must win), so readers see the old content or the new, never a mix, and a
crash leaves at worst a ``.<name>.<token>.tmp`` file. The rename replaces a symlink at the target's name, never
what it points to. It uses only ``os``: no ``tempfile``, whose import (and ``random``'s) would cost every recording
run more than the write itself.

Every file archon reads there goes through :func:`read_regular_file`: opened without following a symlink and
without blocking, and read only if it is a regular file within a size cap, so a FIFO, a device, a symlink to
``/dev/zero`` or a huge file is refused, never read.

:func:`untrusted_directory` says whether a directory may be used as this user's private one: a home or telemetry
directory that belongs to another user, or that group or others may write (so they could have put symlinks or
files of their choosing there, or could swap them later), is never used for telemetry and never written to. The
rule itself is :func:`archon.ownership.distrust`, which the workflow sources apply too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from archon.ownership import CHECKS_OWNERS, Distrust, Owner, distrust
from archon.value import Value

if TYPE_CHECKING:
    from archon.paths import ArchonPaths

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "TEMP_SUFFIX",
    "Distrust",
    "FileRefusal",
    "RefusedFile",
    "Untrusted",
    "ensure_private_dir",
    "file_signature",
    "read_regular_file",
    "temp_name",
    "untrusted_directory",
    "untrusted_home",
    "write_atomic",
]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
TEMP_SUFFIX = ".tmp"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY


class FileRefusal(StrEnum):
    """Why :func:`read_regular_file` refused a file without reading it."""

    SYMLINK = "symlink"
    NOT_REGULAR = "not-regular"
    """A FIFO, a socket, a device or a directory: opening or reading it could block or never end."""
    TOO_LARGE = "too-large"
    NOT_OWN = "not-own"
    """Not the given owner's own (see :func:`archon.ownership.distrust`; ``RefusedFile.distrust`` says why)."""


class RefusedFile(OSError):
    """A file that exists but was not read (see ``reason``)."""

    def __init__(self, path: Path, reason: FileRefusal, distrust: Distrust | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.distrust = distrust


_DISTRUST_TEXT = {
    Distrust.NOT_OWNED: "is owned by another user",
    Distrust.WRITABLE_BY_OTHERS: "is writable by other users",
    Distrust.SYMLINK: "is a symbolic link, not a directory of archon's own",
    Distrust.NOT_A_DIRECTORY: "is not a directory",
}


class Untrusted(Value):
    """A directory archon will not use, and why."""

    path: Path
    reason: Distrust

    def describe(self) -> str:
        """The path and the reason as a clause for messages (``/tmp/x is owned by another user``)."""
        return f"{self.path} {_DISTRUST_TEXT[self.reason]}"


def untrusted_directory(path: Path, *, follow_symlink: bool) -> Untrusted | None:
    """Why ``path`` must not be used as this user's private directory, or None when it may be.

    It may be when it does not exist (archon creates it, 0700) or is a directory owned by this user that neither
    group nor others may write. ``follow_symlink`` is for a directory the user named (``ARCHON_HOME``, which may
    well be a symlink to a directory of theirs); archon's own directories inside it must be real directories. A
    path that cannot be examined at all is not judged here: using it fails anyway.
    """
    if not CHECKS_OWNERS:
        return None
    try:
        info = os.stat(path) if follow_symlink else os.lstat(path)
    except OSError:
        return None
    reason = None
    if stat.S_ISLNK(info.st_mode):
        reason = Distrust.SYMLINK
    elif not stat.S_ISDIR(info.st_mode):
        reason = Distrust.NOT_A_DIRECTORY
    else:
        reason = distrust(info, Owner(os.geteuid()))  # group-writable never: archon made it 0700
    return None if reason is None else Untrusted(path, reason)


def untrusted_home(paths: ArchonPaths) -> Untrusted | None:
    """The first of the archon home and the directories archon keeps telemetry in that must not be used.

    The home may be a symlink the user made to a directory of their own; ``telemetry/``, ``telemetry/outbox/`` and
    ``telemetry/inflight/`` are archon's and must be real directories. Each check is one ``stat``.
    """
    found = untrusted_directory(paths.home, follow_symlink=True)
    for directory in (paths.telemetry_dir, paths.outbox, paths.outbox_inflight):
        found = found or untrusted_directory(directory, follow_symlink=False)
    return found


def read_regular_file(path: Path, *, limit: int, owner: Owner | None = None) -> bytes:
    """The content of ``path``, if it is a regular file of at most ``limit`` bytes (and, given an ``owner``, that
    owner's own: nobody else may change it).

    Opened without following a symlink and without blocking (a FIFO opens at once, and is then refused), and read
    no further than ``limit`` + 1 bytes. Raises ``FileNotFoundError`` when it is missing, :class:`RefusedFile`
    when it is not a small regular file, and ``OSError`` when it cannot be read.
    """
    if not _NOFOLLOW and os.path.islink(path):  # no O_NOFOLLOW (Windows): look first
        raise RefusedFile(path, FileRefusal.SYMLINK)
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise RefusedFile(path, FileRefusal.SYMLINK) from exc
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(path, FileRefusal.NOT_REGULAR)
        if info.st_size > limit:
            raise RefusedFile(path, FileRefusal.TOO_LARGE)
        why = distrust(info, owner) if owner is not None and CHECKS_OWNERS else None
        if why is not None:
            raise RefusedFile(path, FileRefusal.NOT_OWN, why)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 64 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    if left <= 0:  # it grew past the cap while being read
        raise RefusedFile(path, FileRefusal.TOO_LARGE)
    return b"".join(chunks)


def file_signature(path: Path) -> str | None:
    """What identifies this version of the file at ``path`` (not followed if a symlink): device, inode, size, and
    modification and change times in nanoseconds. Any write (archon's, which replaces the file, or an editor's)
    changes it. None when there is no such file. Caches of what a file says are keyed by it."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return f"{info.st_dev} {info.st_ino} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents as 0700, whatever the umask. An existing directory is left as is."""
    if path.is_dir():
        return
    missing: list[Path] = []
    level = path
    while not level.is_dir():
        missing.append(level)
        if level.parent == level:
            break
        level = level.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=PRIVATE_DIR_MODE)
            with contextlib.suppress(OSError):  # mkdir's mode is masked by the umask; chmod's is not
                directory.chmod(PRIVATE_DIR_MODE)


def temp_name(target: str) -> str:
    """A fresh temp file name beside ``target``: hidden, unique, and ending in :data:`TEMP_SUFFIX`."""
    return f".{target}.{os.getpid()}-{os.urandom(4).hex()}{TEMP_SUFFIX}"


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int = PRIVATE_FILE_MODE,
    durable: bool = True,
    overwrite: bool = True,
    make_parents: bool = True,
) -> bool:
    """Put ``data`` at ``path`` atomically; True if it was written.

    ``durable`` syncs the data before the rename (config, identity); the outbox, which must stay cheap and can
    lose nothing a reader has seen, skips it. With ``overwrite=False`` an existing ``path`` is kept and False is
    returned (the file is linked into place, which fails on an existing name). Raises ``OSError`` when the disk
    refuses; the temp file is removed on any error.
    """
    if make_parents:
        ensure_private_dir(path.parent)
    tmp = path.with_name(temp_name(path.name))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, PRIVATE_FILE_MODE)
    renamed = False
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if mode != PRIVATE_FILE_MODE:
                _set_mode(fd, tmp, mode)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        placed = _put_in_place(tmp, path, overwrite=overwrite)
        renamed = overwrite  # a rename leaves nothing behind; a link leaves the temp file
        return placed
    finally:
        if not renamed:
            with contextlib.suppress(FileNotFoundError):  # gone already when a fallback renamed it into place
                tmp.unlink()


def _set_mode(fd: int, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows, where only the read-only bit exists
        os.chmod(path, mode)


def _put_in_place(tmp: Path, path: Path, *, overwrite: bool) -> bool:
    if overwrite:
        os.replace(tmp, path)
        return True
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: a plain rename, unless the name is taken by now
        if path.exists():
            return False
        os.replace(tmp, path)
    return True
