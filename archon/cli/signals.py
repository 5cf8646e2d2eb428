"""SIGTERM as an exception, so a terminated run unwinds like Ctrl-C: cleanup runs, the completion is recorded,
and archon exits ``exit_codes.TERMINATED`` (143) instead of dying mid-write."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from archon.errors import ArchonInterrupt

__all__ = ["Terminated", "sigterm_raises"]


class Terminated(ArchonInterrupt):
    """Raised in the main thread when SIGTERM arrives. A BaseException, so ``except Exception`` does not eat it."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM raises :class:`Terminated` in the main thread; the previous handler is restored after.

    Does nothing outside the main thread or where SIGTERM cannot be handled.
    """
    sigterm = getattr(signal, "SIGTERM", None)
    if sigterm is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(sigterm, _raise_terminated)
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(sigterm, previous)
