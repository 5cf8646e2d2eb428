"""Find the detached flushers an archon home started, so tests can wait for them and prove none is left."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from archon.telemetry.upload.process import FLUSH_ARGUMENT

__all__ = [
    "flusher_pids",
    "kill_processes_with_home",
    "processes_with_home",
    "wait_for_no_flusher",
    "wait_for_no_process_with_home",
]

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


def processes_with_home(home: Path) -> list[int]:
    """Every running process whose environment says ``ARCHON_HOME=home``: an archon command, its background
    sender, and anything either of them started (children inherit the environment). A test that gives each run its
    own home finds exactly its own processes. Linux only."""
    needle = b"ARCHON_HOME=" + os.fsencode(os.path.realpath(home))
    found = []
    for entry in _PROC.glob("[0-9]*"):
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in environment and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def wait_for_no_process_with_home(home: Path, *, timeout: float) -> list[int]:
    """Poll (bounded) until no process carries ``home``; returns those still running at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        running = processes_with_home(home)
        if not running or time.monotonic() >= deadline:
            return running
        time.sleep(0.05)


def kill_processes_with_home(home: Path) -> list[int]:
    """Clean-up after a test: SIGKILL, one by one, what is still running with ``home`` (only processes the test
    started, directly or through archon). Returns their pids."""
    killed = processes_with_home(home)
    for pid in killed:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return killed
