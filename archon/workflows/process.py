"""Run one node's process: its own process group, no stdin, output captured, killed as a group on timeout.

A node's process may start children (a test runner, a language server, the provider CLI's helpers). Each node
runs in a new session (POSIX) so that on timeout or Ctrl-C the *whole group* gets SIGTERM, then SIGKILL after a
short grace period, and nothing it started is left running.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ProcessOutcome", "ProcessRegistry", "run_process"]

KILL_GRACE_SECONDS = 2.0
"""How long a timed-out process group gets between SIGTERM and SIGKILL."""
DRAIN_SECONDS = 5.0
"""How long to wait for the output pipes after a kill (a process that escaped the group may hold them)."""


@dataclass(frozen=True)
class ProcessOutcome:
    started: bool
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    start_error: str | None = None


class ProcessRegistry:
    """The processes running right now, so an interrupted run can kill them all. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.add(proc)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(proc)

    def kill_all(self) -> None:
        with self._lock:
            running = list(self._running)
        for proc in running:
            _signal_group(proc, kill=True)


def _signal_group(proc: subprocess.Popen[bytes], *, kill: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)


def _stop(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """SIGTERM the group, SIGKILL it after the grace period, and collect what the pipes still hold."""
    _signal_group(proc, kill=False)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=KILL_GRACE_SECONDS)
    _signal_group(proc, kill=True)  # also reaches children that ignored SIGTERM after the leader exited
    try:
        return proc.communicate(timeout=DRAIN_SECONDS)
    except subprocess.TimeoutExpired:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()
        return b"", b""


def _new_process_group() -> dict[str, Any]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    registry: ProcessRegistry,
) -> ProcessOutcome:
    """Run ``argv`` to completion or until ``timeout`` seconds have passed. Never raises for the process's sake."""
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            **_new_process_group(),
        )
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument or the environment
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, OSError) and exc.errno == errno.E2BIG:
            message += " (the prompt, an argument or a substituted output is too large to pass; trim it)"
        return ProcessOutcome(started=False, returncode=None, stdout="", stderr="", start_error=message)
    registry.add(proc)
    try:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stdout, stderr = _stop(proc)
            return ProcessOutcome(
                started=True, returncode=proc.returncode, stdout=_decode(stdout), stderr=_decode(stderr), timed_out=True
            )
        except BaseException:  # interrupted: never leave the group running
            _stop(proc)
            raise
        return ProcessOutcome(started=True, returncode=proc.returncode, stdout=_decode(stdout), stderr=_decode(stderr))
    finally:
        registry.discard(proc)
