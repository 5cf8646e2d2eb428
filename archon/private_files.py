"""Files only this user may read: private directories, and the one atomic writer.

Every file archon writes under its home goes through :func:`write_atomic`: the data goes to a new temp file in the
same directory (created exclusively, never through a symlink), is optionally synced, then renamed over the target
(or linked to it, when an existing file must win), so readers see the old content or the new, never a mix, and a
crash leaves at worst a ``.<name>.<token>.tmp`` file. It uses only ``os``: no ``tempfile``, whose import (and
``random``'s) would cost every recording run more than the write itself.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "TEMP_SUFFIX", "ensure_private_dir", "temp_name", "write_atomic"]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
TEMP_SUFFIX = ".tmp"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


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
        return _put_in_place(tmp, path, overwrite=overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):  # gone already when it was renamed into place
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
