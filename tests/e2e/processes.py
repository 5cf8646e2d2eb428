"""Find the detached flushers an archon home started, so tests can wait for them and prove none is left."""

from __future__ import annotations

import os
import time
from pathlib import Path

from archon.telemetry.spawn import FLUSH_ARGUMENT

__all__ = ["flusher_pids", "wait_for_no_flusher"]

_PROC = Path("/proc")


def flusher_pids(*directories: Path) -> list[int]:
    """Running flushers whose working directory is one of ``directories`` (the archon home, where a flusher
    moves at once, and the directory archon ran in, which it starts from). Linux only."""
    found = []
    targets = {os.path.realpath(directory) for directory in directories}
    for entry in _PROC.glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if FLUSH_ARGUMENT.encode() not in argv:
                continue
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if os.path.realpath(cwd) in targets:
            found.append(int(entry.name))
    return found


def wait_for_no_flusher(*directories: Path, timeout: float) -> list[int]:
    """Poll (bounded) until no such flusher runs; returns those still running at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        running = flusher_pids(*directories) if _PROC.is_dir() else []
        if not running or time.monotonic() >= deadline:
            return running
        time.sleep(0.05)
