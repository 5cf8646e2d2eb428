"""Which files in a directory were opened, seen by the kernel (Linux inotify), for tests that must prove a file was
never opened at all: a ``stat`` is not an open, and a non-blocking open of a FIFO does not hang, so neither can be
seen any other way from outside the process."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["OpenWatch", "inotify_available"]

_IN_OPEN = 0x00000020
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then len bytes of name


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


def inotify_available() -> bool:
    libc = _libc()
    return libc is not None and hasattr(libc, "inotify_init1")


class OpenWatch:
    """``with OpenWatch(directory) as watch: ...; watch.opened()`` names every file opened in ``directory``."""

    def __init__(self, directory: Path) -> None:
        libc = _libc()
        if libc is None:
            raise OSError("inotify needs Linux")
        self._fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if libc.inotify_add_watch(self._fd, os.fsencode(directory), _IN_OPEN) < 0:
            error = ctypes.get_errno()
            os.close(self._fd)
            raise OSError(error, f"inotify_add_watch failed for {directory}")
        self._names: list[str] = []

    def opened(self) -> list[str]:
        """Every name opened so far (a name appears once per open), in order."""
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return list(self._names)
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                offset += _HEADER.size
                name = data[offset : offset + length].rstrip(b"\0")
                offset += length
                if mask & _IN_OPEN and name:
                    self._names.append(os.fsdecode(name))

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
