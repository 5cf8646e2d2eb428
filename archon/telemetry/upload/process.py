"""The flusher process: its one entry point, :func:`main`, and its one set-up.

``archon/__main__.py`` (the entry of ``python -m archon``, of the ``archon`` console script and of the frozen
binary alike) sees the hidden :data:`FLUSH_ARGUMENT` before it imports anything else and calls :func:`main`. The
set-up comes first, before the rest of archon is imported, because those imports (and then the posthog library's)
are most of the flusher's CPU time, and should only use CPU that nothing else wants; and because the hard time
limit must cover them too. Only the standard library is imported at the top of this module. Then :func:`main`
runs one :func:`~archon.telemetry.upload.drain.flush_outbox` and exits 0, whatever happened.

The hard limit is the kernel's, not a thread's. In the idle scheduling class a flusher may wait a long time for
CPU on a busy machine, and a watchdog thread would have to be scheduled, then win the GIL from the thread it is
meant to stop, before it could end anything (measured: Python code still ran up to 2 s after such a limit). An
``ITIMER_REAL`` timer instead raises ``SIGALRM`` at the limit, from the kernel's timer interrupt; its default
action kills the whole process, which from that moment never runs another instruction of its own: no request
starts or continues after the limit, however starved the process is. Only the kernel's clean-up (closing the
socket, releasing the flush lock) waits for the process's next turn on a CPU (measured: 0.07 to 0.15 s median,
under 0.5 s at worst, with twice as many busy loops as CPUs; docs/performance.md). Records are renamed
atomically, so a killed flusher at worst leaves a claimed batch in ``inflight/``, which the next flusher sends
with the same uuids.

The flusher starts no process of its own (the sender never runs the posthog library's OS probe, which would run
``lsb_release`` and ``uname`` from PATH). Whatever else might start one inside it (a library, a ``sitecustomize``)
ends with it: the flusher is the leader of its own session (:mod:`~archon.telemetry.upload.launch` starts it so),
everything it starts is in its process group, and when its run ends (which its deadline bounds) it kills that
group, itself included. Only when the kernel's hard limit must end a flusher starved of CPU for longer than the
wind-down could such a process outlive it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import TYPE_CHECKING, Final

from archon.telemetry.upload import BACKGROUND_NICENESS, FLUSH_ARGUMENT, lower_priority

if TYPE_CHECKING:
    from archon.buildinfo import BuildInfo

__all__ = [
    "BACKGROUND_NICENESS",
    "EXIT_DEADLINE",
    "FLUSH_ARGUMENT",
    "FLUSH_DEADLINE_SECONDS",
    "LINGER_SECONDS",
    "LINGER_SETTLE_SECONDS",
    "WIND_DOWN_SECONDS",
    "end_process_group",
    "hard_limit_remaining",
    "main",
    "run_in_background",
]

FLUSH_DEADLINE_SECONDS: Final = 20.0
"""The flusher process's hard limit, counted from its start."""

LINGER_SECONDS: Final = 2.0
"""How long the flusher waits, once it has sent everything, for the next command's events (the outbox is looked at
10 times a second): commands run back to back then start no process of their own (docs/performance.md)."""

LINGER_SETTLE_SECONDS: Final = 0.3
"""A lingering flusher that sees a command's events sends them once none have come for this long: by then the
command is most likely done (``archon version`` records its two events within ~0.15 s), so the sending does not
take a CPU from it (docs/performance.md, "Recording")."""

WIND_DOWN_SECONDS: Final = 1.0
"""How long before the process's hard limit a run stops on its own, so that normally it puts back its batch and
records its backoff itself before the kernel ends the process."""

EXIT_DEADLINE: Final = 3
"""Exit status of a flusher ended by the fallback watchdog thread (platforms without ``setitimer``)."""

_WATCHDOG_NAME: Final = "archon-flusher-deadline"


def main(*, build: BuildInfo | None = None) -> int:
    """The whole flusher process. Always returns 0: nobody reads its exit status, and it has no terminal.

    ``build`` defaults to this artefact's build-time constants (tests pass a keyed one).

    Never call it in a process that must live on: it lowers this process's priority for good, arms the kernel
    timer that kills it and changes its working directory (tests run
    :func:`~archon.telemetry.upload.drain.flush_outbox`, the same run without the process set-up).
    """
    run_in_background()
    from dataclasses import replace

    from archon.buildinfo import current_build  # after the set-up above: see the module docstring
    from archon.paths import ArchonPaths
    from archon.runtime import Runtime
    from archon.telemetry.upload.attempts import FlushPolicy, record_failed_run
    from archon.telemetry.upload.drain import flush_outbox
    from archon.telemetry.upload.sender import silence_posthog_logging

    silence_posthog_logging()
    runtime = Runtime.from_os()  # before the chdir: a relative ARCHON_HOME means what it meant to the command
    with contextlib.suppress(OSError):
        os.chdir("/")  # never keep a directory busy, and never run anything relative to one
    left = hard_limit_remaining()
    policy = FlushPolicy(linger_seconds=LINGER_SECONDS, linger_settle_seconds=LINGER_SETTLE_SECONDS)
    if left is not None:
        policy = replace(policy, deadline_seconds=max(0.0, left - WIND_DOWN_SECONDS))
    paths = ArchonPaths(runtime.home)
    try:
        flush_outbox(
            paths=paths,
            build=build or current_build(),
            env=runtime.env,
            policy=policy,
            now=runtime.now,
            monotonic=runtime.monotonic,
        )
    except OSError:  # the disk refused: there is nowhere to record it either
        pass
    except Exception as exc:  # the failure boundary of the flusher process: status says a run failed
        record_failed_run(paths=paths, error=exc, now=runtime.now())
    finally:
        end_process_group()
    return 0


def end_process_group() -> None:
    """Kill this process's group, this process last, if this process leads its own session (as the flusher that
    archon starts does); otherwise do nothing. A process started inside the flusher cannot outlive it."""
    if not hasattr(os, "killpg") or os.getsid(0) != os.getpid():
        return
    with contextlib.suppress(OSError):
        os.killpg(os.getpgrp(), signal.SIGKILL)


def run_in_background(*, deadline_seconds: float = FLUSH_DEADLINE_SECONDS) -> None:
    """Make this process the harmless flusher: a hard time limit, then the lowest CPU priority. Never raises.

    The limit is armed once: a later call never extends it.
    """
    _arm_hard_limit(deadline_seconds)
    lower_priority()


def hard_limit_remaining() -> float | None:
    """Seconds until the kernel ends this process; None when no such limit is armed (e.g. on Windows)."""
    if not hasattr(signal, "setitimer"):
        return None
    remaining, _interval = signal.getitimer(signal.ITIMER_REAL)
    return remaining if remaining > 0 else None


def _arm_hard_limit(seconds: float) -> None:
    if hard_limit_remaining() is not None or any(t.name == _WATCHDOG_NAME for t in threading.enumerate()):
        return
    with contextlib.suppress(AttributeError, ValueError, OSError):  # no setitimer, or not the main thread
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the default action: the kernel kills the process
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})  # a blocked mask is inherited across exec
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return
    # Windows has no SIGALRM: a watchdog thread, which ends the process once it gets the CPU and the GIL.
    timer = threading.Timer(seconds, os._exit, args=(EXIT_DEADLINE,))
    timer.name = _WATCHDOG_NAME
    timer.daemon = True
    timer.start()
