"""Process supervision: every process a node starts is stopped when the node times out, when the run is
interrupted (Ctrl-C, SIGTERM), or when the run ends; nothing outlives archon.

How a node's processes are stopped (:meth:`Supervisor.stop`):

1. SIGTERM to each of them at once: the node's own process, everything below it, and every process carrying the
   node's mark (:mod:`archon.workflows.proc_tree`), so processes that left the tree (claude's Bash tool commands
   run in a session of their own) are reached too, and a bash node's ``trap ... TERM`` runs;
2. up to :data:`GRACE_SECONDS` for them to exit (claude and codex use it to stop their own tools);
3. SIGKILL to whatever is left, found again (so a process started during the grace period is not missed).

Each node runs in a new session (POSIX) or process group (Windows), so the terminal's Ctrl-C reaches archon only,
and archon decides. Without ``/proc`` (macOS, the BSDs) the same steps go to the node's process group while its
leader has not been reaped: processes that left the group are not found. On Windows the node's process gets
CTRL_BREAK_EVENT, then is killed; what it started is not found. Why not ``PR_SET_CHILD_SUBREAPER``: it would make
archon the parent of every orphan of its nodes, which archon would then have to reap, and it could still not tell
which node an orphan came from when nodes run at the same time; the mark tells, whoever the parent is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archon.workflows.proc_tree import MARK_ENV, Process, find_processes, is_alive, send_signal

__all__ = ["GRACE_SECONDS", "Child", "Supervisor"]

GRACE_SECONDS = 5.0
"""Between SIGTERM and SIGKILL."""
_POLL_SECONDS = 0.05
_REAP_SECONDS = 5.0
_LINUX = sys.platform.startswith("linux")


@dataclass(eq=False)
class Child:
    """One process a node started, and the mark everything it starts inherits."""

    proc: subprocess.Popen[bytes]
    mark: str = field(default_factory=lambda: uuid.uuid4().hex)


def _new_session() -> dict[str, Any]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


class Supervisor:
    """Starts and stops the processes of one run. Thread-safe: node threads start and stop their own processes,
    the main thread stops them all on an interrupt."""

    def __init__(self, *, grace_seconds: float = GRACE_SECONDS) -> None:
        self.grace_seconds = grace_seconds
        self.stopping = threading.Event()
        """Set once the run is being interrupted: no new process starts, and waits end early."""
        self._lock = threading.Lock()
        self._running: set[Child] = set()
        self._marks: list[str] = []

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, stdin: bool) -> Child:
        """Start ``argv`` with piped stdout and stderr (and stdin if asked). Raises ``OSError``/``ValueError`` if it
        cannot start, and ``InterruptedError`` once the run is stopping."""
        if self.stopping.is_set():
            raise InterruptedError("the run is stopping")
        mark = uuid.uuid4().hex
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**env, MARK_ENV: mark},
            cwd=cwd,
            **_new_session(),
        )
        child = Child(proc, mark)
        with self._lock:
            self._running.add(child)
            self._marks.append(mark)
            late = self.stopping.is_set()
        if late:  # stop_all ran while this process was starting, and did not see it: stop it here
            self.stop(child)
        return child

    def finished(self, child: Child) -> None:
        with self._lock:
            self._running.discard(child)

    def stop(self, *children: Child) -> None:
        """Stop ``children`` and everything they started: SIGTERM, the grace period, SIGKILL."""
        self._terminate(children, [c.mark for c in children])

    def stop_all(self) -> None:
        """The run is interrupted: stop every running node at once, with one grace period for all. A process still
        being started is stopped by :meth:`spawn` itself, which looks at ``stopping`` after registering it."""
        self.stopping.set()
        with self._lock:
            running = list(self._running)
        self.stop(*running)

    def kill_all(self) -> None:
        """Interrupted again while stopping: SIGKILL at once."""
        self.stopping.set()
        with self._lock:
            running = list(self._running)
            marks = list(self._marks)
        self._signal(running, marks, _SIGKILL)

    def sweep(self) -> None:
        """The run is over: stop what its nodes left running in the background (found by their marks)."""
        with self._lock:
            marks = list(self._marks)
        if marks:
            self._terminate((), marks)

    def leftovers(self) -> int | None:
        """How many processes of the run (found by their marks) are alive now; None where they cannot be looked for
        (no ``/proc``)."""
        if not _LINUX:
            return None
        with self._lock:
            marks = list(self._marks)
        return len(find_processes((), marks)) if marks else 0

    def _terminate(self, children: Sequence[Child], marks: Sequence[str]) -> None:
        found = self._signal(children, marks, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        while self._alive(children, found):
            if time.monotonic() >= deadline:
                self._signal(children, marks, _SIGKILL)
                break
            time.sleep(_POLL_SECONDS)
        else:  # all gone within the grace period; kill anything started meanwhile
            if found or children:
                self._signal(children, marks, _SIGKILL)
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=_REAP_SECONDS)

    @staticmethod
    def _signal(children: Sequence[Child], marks: Sequence[str], signum: signal.Signals) -> set[Process]:
        if _LINUX:
            roots = [c.proc.pid for c in children if c.proc.returncode is None]
            found = find_processes(roots, marks)
            for process in found:
                send_signal(process, signum)
            return found
        for child in children:
            _signal_group(child.proc, signum)
        return set()

    @staticmethod
    def _alive(children: Sequence[Child], found: set[Process]) -> bool:
        return any(c.proc.poll() is None for c in children) or any(is_alive(p) for p in found)


_SIGKILL: signal.Signals = getattr(signal, "SIGKILL", signal.SIGTERM)


def _signal_group(proc: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """Where there is no ``/proc``: the node's process group, while its leader is not reaped (so the group id
    cannot have been reused); on Windows, CTRL_BREAK_EVENT to the group, then kill."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            if signum == signal.SIGTERM:
                os.kill(proc.pid, signal.CTRL_BREAK_EVENT)
            else:
                proc.kill()
            return
        os.killpg(proc.pid, signum)
