"""Starting the flusher: when a command ends with events pending, start the detached upload process and return.

The flusher is this same archon run again with one hidden argument, :data:`FLUSH_ARGUMENT`, which ``main()``
checks before anything else: ``python -m archon __archon-telemetry-flush__`` for an installed package, or the
frozen binary re-executing itself (PyInstaller has no ``python -m``). ``Runtime.executable`` says which. Both
reach :func:`archon.telemetry.upload.process.main` through ``archon/__main__.py``.

The child is fully detached: its own session (no terminal, no signals from the user's shell), stdin, stdout
and stderr on the null device (it can never write into the user's terminal or hold a pipe the caller waits
on), no inherited file descriptors, and the ``POSTHOG_*`` variables removed from its environment. The command
moves it to the lowest CPU priority the moment it exists (:func:`~archon.telemetry.upload.lower_priority`: Linux's
idle scheduling class, elsewhere a lower priority; the flusher does it for itself too), so its start-up (Python,
then archon, then the posthog library) only uses CPU nothing else wants and never slows the command that is still
exiting, or the user's next one. The parent never waits for it; the child ends itself.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from archon.filelock import is_locked
from archon.paths import ArchonPaths
from archon.runtime import ENV_ARCHON_HOME, Runtime
from archon.telemetry.upload import FLUSH_ARGUMENT, lower_priority

__all__ = ["flusher_command", "start_flusher"]


def flusher_command(runtime: Runtime) -> list[str]:
    """The argv that starts a flusher for this archon; empty when it cannot tell how to start itself."""
    if not runtime.executable:
        return []
    return [*runtime.executable, FLUSH_ARGUMENT]


def _child_env(env: Mapping[str, str], paths: ArchonPaths) -> dict[str, str]:
    """The command's environment without the posthog library's variables, and with this run's archon home made
    absolute: the flusher works in ``/``, and must find the same home whatever ``ARCHON_HOME`` said."""
    child = {key: value for key, value in env.items() if not key.upper().startswith("POSTHOG_")}
    child[ENV_ARCHON_HOME] = str(paths.home)
    return child


def start_flusher(*, runtime: Runtime, paths: ArchonPaths, known_pending: bool = False) -> bool:
    """Start a detached flusher if events are pending and none is running. Never raises, never waits.

    The caller decides consent (it only calls this when telemetry is on); the flusher checks it again.
    ``known_pending``: the caller has just recorded events, so the outbox is not listed again (if a flusher
    took them meanwhile, it holds the lock, or the one started here finds nothing and ends).
    """
    try:
        command = flusher_command(runtime)
        if not command or is_locked(paths.flush_lock) or not (known_pending or _pending(paths)):
            return False
        _start_detached(command, env=_child_env(runtime.env, paths))
    except Exception:  # telemetry never breaks a command
        return False
    return True


def _pending(paths: ArchonPaths) -> bool:
    from archon.telemetry.outbox.store import Outbox  # only a caller that did not just record asks

    return Outbox(paths).pending_count() > 0


def _popen_detached(command: Sequence[str], *, env: Mapping[str, str], **detach: Any) -> int:
    """``subprocess.Popen`` with no stdio and no inherited descriptors; ``detach`` says how, per platform. The
    child's pid."""
    return subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        env=dict(env),
        **detach,
    ).pid


if sys.platform == "win32":  # pragma: no cover - exercised by the Windows release build only

    def _start_detached(command: Sequence[str], *, env: Mapping[str, str]) -> None:
        flags = (
            subprocess.DETACHED_PROCESS
            | subprocess.CREATE_NEW_PROCESS_GROUP
            | subprocess.CREATE_NO_WINDOW
            | subprocess.BELOW_NORMAL_PRIORITY_CLASS
        )
        _popen_detached(command, env=env, creationflags=flags)

else:

    def _inherited_fds() -> list[int]:
        """Descriptors above stderr that a child would inherit (e.g. a pipe the caller's caller passed in)."""
        listing = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
        found = []
        with contextlib.suppress(OSError):
            for name in os.listdir(listing):
                if not name.isdigit() or int(name) <= 2:
                    continue
                with contextlib.suppress(OSError):  # the listing's own descriptor is closed by now
                    if os.get_inheritable(int(name)):
                        found.append(int(name))
        return found

    def _start_detached(command: Sequence[str], *, env: Mapping[str, str]) -> None:
        """``posix_spawn`` in a new session (no ``Popen`` object to reap or warn about, and cheaper than fork),
        then the child moved to the lowest priority at once."""
        actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ]
        actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited_fds()]
        try:
            pid = os.posix_spawn(command[0], list(command), dict(env), file_actions=actions, setsid=True)
        except NotImplementedError:  # a libc without POSIX_SPAWN_SETSID
            pid = _popen_detached(command, env=env, start_new_session=True)
        lower_priority(pid)
