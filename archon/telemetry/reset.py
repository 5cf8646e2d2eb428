"""The full reset (``archon telemetry clear --all``): every telemetry file archon keeps goes, but ``config.yaml``.

That is the anonymous id, the consent record, the outbox (waiting and in flight), the local-only events, the
sent log, the delivery counters, the policy notice's marker, the consent cache, the locks and any temp file a
killed writer left, then the empty ``telemetry/`` directory. ``config.yaml`` (with ``.config-cache``, its
telemetry section cached, and the first-run marker, which holds nothing) stays: turning telemetry off is
``archon telemetry off``. With the record gone, consent from ``config.yaml`` records
nothing until ``archon telemetry on`` is run again.

The id goes first and the record next, so a command still running records nothing more under the old id (it
checks both files before each event). Then the reset waits (bounded) for a running flusher to finish, so that
it does not write the sent log again behind the reset.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.private_files import TEMP_SUFFIX
from archon.telemetry.consent_record import delete_consent_record
from archon.telemetry.identity import delete_identity, read_identity
from archon.telemetry.outbox.local_events import LocalEvents
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.upload.process import FLUSH_DEADLINE_SECONDS

__all__ = ["ResetReport", "reset_telemetry"]


@dataclass(frozen=True, kw_only=True)
class ResetReport:
    distinct_id: str | None
    """The anonymous id that was removed, if there was one (the one to name in a deletion request)."""
    pending: int
    """Events not yet sent, deleted."""
    local: int
    """Local-only events, deleted."""
    had_record: bool
    sender_was_running: bool
    """A flusher kept the lock past the wait: it may still write a file after the reset."""


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _remove_temp_files(directory: Path, *, prefix: str = ".") -> None:
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
                _remove(directory / name)


def reset_telemetry(paths: ArchonPaths, *, wait_seconds: float = FLUSH_DEADLINE_SECONDS + 1.0) -> ResetReport:
    """Remove every telemetry file (see the module docstring). Raises ``OSError`` if one cannot be removed."""
    identity = read_identity(paths)
    had_identity = delete_identity(paths)
    had_record = delete_consent_record(paths)
    lock = FileLock(paths.flush_lock)
    held = paths.telemetry_dir.is_dir() and lock.acquire(timeout=wait_seconds)
    busy = paths.telemetry_dir.is_dir() and not held
    try:
        pending = Outbox(paths).clear()
        local = LocalEvents(paths).clear()
        for path in (
            paths.sent_log,
            paths.telemetry_state,
            paths.policy_notice,
            paths.prepared_events,
            paths.state_lock,
        ):
            _remove(path)
        for directory in (paths.outbox, paths.outbox_inflight, paths.local_events, paths.telemetry_dir):
            _remove_temp_files(directory)
        _remove_temp_files(paths.home, prefix=f".{paths.telemetry_id.name}.")  # never config.yaml's, if mid-write
        for directory in (paths.outbox, paths.outbox_inflight, paths.local_events):
            with contextlib.suppress(FileNotFoundError):
                directory.rmdir()
        _remove(paths.flush_lock)  # while holding it: a flusher starting now makes a new one, and finds nothing
    finally:
        if held:
            lock.release()
    with contextlib.suppress(FileNotFoundError):
        paths.telemetry_dir.rmdir()
    return ResetReport(
        distinct_id=identity.distinct_id if identity and had_identity else None,
        pending=pending,
        local=local,
        had_record=had_record,
        sender_was_running=busy,
    )
