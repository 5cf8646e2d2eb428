"""Finding every process a node started, on Linux, by reading ``/proc``.

Two ways, because either alone misses some:

* the **tree**: the node's own process and, through each process's parent id, everything below it;
* the **mark**: every process the node starts inherits an environment variable with a value unique to the node
  (:data:`MARK_ENV`). A process that left the tree (claude runs each Bash tool command with ``setsid``; a
  daemon forks twice and its parent exits, so it is re-parented to init) still carries it. Jenkins finds what a
  build left behind the same way (its ``BUILD_ID`` cookie).

Only processes of this user are looked at (another user's ``environ`` cannot be read, nor their processes
signalled), and a process is signalled through a pidfd once its start time shows it is still the process that
was found, so a process id reused in the meantime is never hit. Elsewhere (macOS, Windows) there is no
``/proc``: every function here finds nothing, and :mod:`archon.workflows.supervision` falls back to process
groups.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MARK_ENV", "PROC", "Process", "find_processes", "is_alive", "send_signal"]

MARK_ENV = "ARCHON_NODE_RUN"
"""Set by archon in every node's environment. Not a secret: only a name to find the node's processes by. (Its name
avoids ``KEY``/``TOKEN``/``SECRET``, which codex leaves out of the environment of the commands it runs.)"""

PROC = Path("/proc")


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    start: int
    """When it started (clock ticks after boot): with ``pid``, names this process and no later one."""
    marks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Stat:
    state: str
    ppid: int
    start: int


def _stat(pid_dir: Path) -> _Stat | None:
    """From ``/proc/PID/stat``; the command name in parentheses may hold any character, so fields count after it."""
    try:
        raw = (pid_dir / "stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    if len(fields) < 20:
        return None
    return _Stat(fields[0].decode("ascii", "replace"), int(fields[1]), int(fields[19]))


def _marks(pid_dir: Path) -> frozenset[str]:
    try:
        environ = (pid_dir / "environ").read_bytes()
    except OSError:  # another user's process, or gone
        return frozenset()
    prefix = MARK_ENV.encode() + b"="
    return frozenset(
        item[len(prefix) :].decode("ascii", "replace") for item in environ.split(b"\0") if item.startswith(prefix)
    )


def _processes(proc: Path) -> Iterator[Process]:
    uid = os.getuid()
    try:
        entries = list(proc.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
        except OSError:
            continue
        stat = _stat(entry)
        if stat is None or stat.state in _DEAD:
            continue
        yield Process(int(entry.name), stat.ppid, stat.start, _marks(entry))


_DEAD = ("Z", "X")
"""Zombies are already dead (their parent reaps them); they cannot be signalled any further."""


def find_processes(roots: Iterable[int], marks: Iterable[str], *, proc: Path = PROC) -> set[Process]:
    """Every live process of this user that is one of ``roots``, carries one of ``marks``, or is below either."""
    if not sys.platform.startswith("linux"):
        return set()
    wanted = frozenset(marks)
    table = {p.pid: p for p in _processes(proc) if p.pid != os.getpid()}  # never archon itself
    children: dict[int, list[Process]] = {}
    for p in table.values():
        children.setdefault(p.ppid, []).append(p)
    # Below a root or a marked process (a child that dropped its environment is still below its parent).
    pending = [p for p in table.values() if p.marks & wanted] + [table[root] for root in roots if root in table]
    found: set[Process] = set()
    while pending:
        p = pending.pop()
        if p not in found:
            found.add(p)
            pending.extend(children.get(p.pid, []))
    return found


def is_alive(p: Process, *, proc: Path = PROC) -> bool:
    stat = _stat(proc / str(p.pid))
    return stat is not None and stat.start == p.start and stat.state not in _DEAD


def send_signal(p: Process, signum: signal.Signals, *, proc: Path = PROC) -> None:
    """Signal ``p`` if it is still the process that was found; never raises.

    The pidfd pins the process: once its start time still matches, the signal cannot reach a newer process that
    took the same id. Without pidfds (Linux before 5.3), ``kill`` right after the same check.
    """
    pidfd_open = getattr(os, "pidfd_open", None)
    send = getattr(signal, "pidfd_send_signal", None)
    with contextlib.suppress(OSError):
        if pidfd_open is None or send is None:
            if is_alive(p, proc=proc):
                os.kill(p.pid, signum)
            return
        fd = pidfd_open(p.pid)
        try:
            if is_alive(p, proc=proc):
                send(fd, signum)
        finally:
            os.close(fd)
