"""Find the detached flushers an archon home started, so tests can wait for them and prove none is left."""

from __future__ import annotations

import os
import time
from pathlib import Path

from archon.telemetry.upload.process import FLUSH_ARGUMENT

__all__ = ["flusher_pids", "wait_for_no_flusher"]

_PROC = Path("/proc")


def flusher_pids(*directories: Path) -> list[int]:
    """Running flushers of one of ``directories``: the archon home (which archon passes to each flusher it starts
    as an absolute ``ARCHON_HOME``), or the directory archon ran in (where a flusher starts, before it moves to
    ``/``). Linux only."""
    found = []
    targets = {os.path.realpath(directory) for directory in directories}
    homes = {f"ARCHON_HOME={target}".encode() for target in targets}
    for entry in _PROC.glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if FLUSH_ARGUMENT.encode() not in argv:
                continue
            cwd = os.readlink(entry / "cwd")
            environ = set((entry / "environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if os.path.realpath(cwd) in targets or environ & homes:
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
