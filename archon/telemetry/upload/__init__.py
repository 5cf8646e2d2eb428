"""Getting events out: the detached flusher process and everything only it does.

Read in this order: :mod:`~archon.telemetry.upload.launch` (the command's side: start the flusher and return at
once), :mod:`~archon.telemetry.upload.process` (the flusher's one entry point and set-up: time limit, priority,
working directory), :mod:`~archon.telemetry.upload.drain` (claim a batch from the outbox, keep what this build's
allow-list allows, send, settle, and wait a little for the next command's events),
:mod:`~archon.telemetry.upload.attempts` (the run's limits, and what an attempt does to the counters: when to try
again) and :mod:`~archon.telemetry.upload.sender` (the only module that imports ``posthog``, and only in the
flusher's process).

What both sides share is here, below both (a command loads this package and ``launch``; the flusher this package
and ``process`` before anything else): the hidden argument that makes ``archon`` the flusher, and how it is moved
to the lowest CPU priority.
"""

from __future__ import annotations

import contextlib
import os
from typing import Final

__all__ = ["BACKGROUND_NICENESS", "FLUSH_ARGUMENT", "lower_priority"]

FLUSH_ARGUMENT: Final = "__archon-telemetry-flush__"
"""The hidden argument that makes ``archon`` (or ``python -m archon``) the flusher."""

BACKGROUND_NICENESS: Final = 10


def lower_priority(pid: int = 0) -> None:
    """Move process ``pid`` (0: this one) to Linux's idle scheduling class, elsewhere to nice 10. Never raises.

    The command calls it for the flusher it has just started, so that the flusher's start-up (Python, archon, the
    posthog library) uses only CPU nothing else wants from its first instructions on, never racing the command's
    own exit (``posix_spawn`` cannot do it: glibc rejects the idle policy with EINVAL); the flusher calls it for
    itself too (it may have been started by another archon). Lowering the priority of a process of one's own needs
    no privilege. On Windows the flusher is started below normal priority instead.
    """
    with contextlib.suppress(OSError, AttributeError, ValueError):
        if hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
        elif os.getpriority(os.PRIO_PROCESS, pid) < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, pid, BACKGROUND_NICENESS)
