"""How the detached flusher is recognised and made harmless, before anything else is imported.

Only the standard library here: ``archon/__main__.py`` reads :data:`FLUSH_ARGUMENT` and calls
:func:`run_in_background` before importing the rest of archon, because those imports (and then the posthog
library's) are most of the flusher's CPU time, and should only use CPU that nothing else wants.
"""

from __future__ import annotations

import contextlib
import os
from typing import Final

__all__ = ["BACKGROUND_NICENESS", "FLUSH_ARGUMENT", "run_in_background"]

FLUSH_ARGUMENT: Final = "__archon-telemetry-flush__"
"""The hidden first argument that makes ``archon`` (or ``python -m archon``) the flusher."""

BACKGROUND_NICENESS: Final = 10


def run_in_background() -> None:
    """Move this process to the lowest CPU priority: Linux's idle scheduling class, elsewhere nice 10.

    ``posix_spawn`` cannot do it for the child (glibc rejects the idle policy with EINVAL), hence the flusher does
    it itself, first thing. On Windows the flusher is started below normal priority instead. Never raises.
    """
    with contextlib.suppress(OSError, AttributeError, ValueError):
        if hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        elif os.getpriority(os.PRIO_PROCESS, 0) < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, BACKGROUND_NICENESS)
