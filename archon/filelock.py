"""An advisory, inter-process file lock that a dead holder cannot keep.

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on Windows), held on an open file
descriptor, so the kernel releases it the moment the holder exits, however it exits (SIGKILL included). There
is no pid file to go stale and nothing to clean up. Waiting is always bounded: callers say how long they may
wait, and telemetry never blocks a command on a lock.

The holder writes its pid and start time into the file, for people debugging, never for correctness. The file is
opened without following a symlink, and must be a regular file: a symlink planted at the lock's name cannot make
archon create, truncate or write a file elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

from archon.private_files import ensure_private_dir

__all__ = ["FileLock", "is_locked", "locked"]

_POLL_SECONDS = 0.005
_OPEN_FLAGS = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_lock_file(path: Path, *, create: bool) -> int:
    """A descriptor of the lock file: never through a symlink, never anything but a regular file."""
    fd = os.open(path, _OPEN_FLAGS | (os.O_CREAT if create else 0), 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return fd


if sys.platform == "win32":  # pragma: no cover - exercised by the Windows release build only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """An exclusive lock on ``path``. Not re-entrant; one instance per holder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, timeout: float = 0.0, monotonic: Callable[[], float] = time.monotonic) -> bool:
        """Take the lock, waiting at most ``timeout`` seconds. False if someone else holds it.

        Raises ``OSError`` only when the lock file cannot be created or opened at all.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this FileLock")
        ensure_private_dir(self.path.parent)
        fd = _open_lock_file(self.path, create=True)
        give_up = monotonic() + max(0.0, timeout)
        try:
            while not _try_lock(fd):
                if monotonic() >= give_up:
                    os.close(fd)
                    return False
                time.sleep(_POLL_SECONDS)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def describe_holder(self, note: str) -> None:
        """Write ``pid note`` into the lock file (diagnostics only; errors ignored)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.write(self._fd, f"{os.getpid()} {note}\n".encode())

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


@contextlib.contextmanager
def locked(path: Path, *, timeout: float) -> Iterator[bool]:
    """``with locked(path, timeout=0.5) as ok:`` - ``ok`` says whether the lock is held inside the block."""
    lock = FileLock(path)
    ok = lock.acquire(timeout=timeout)
    try:
        yield ok
    finally:
        lock.release()


def is_locked(path: Path) -> bool:
    """Whether another holder has ``path`` locked right now. Never creates the file or its directory."""
    if not path.exists():
        return False
    try:
        fd = _open_lock_file(path, create=False)
    except OSError:
        return False
    try:
        if _try_lock(fd):
            with contextlib.suppress(OSError):
                _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)
