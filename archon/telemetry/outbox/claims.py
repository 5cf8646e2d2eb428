"""What the flusher does with the outbox: claim a batch, then acknowledge it or put it back.

Only the flusher uses this, and only while it holds the flush lock (:mod:`~archon.telemetry.upload.drain`). It
*claims* the oldest records by renaming them into ``inflight/``: a rename succeeds for exactly one process, so each
event is sent by exactly one flusher; once the server has accepted them they are deleted, and if the attempt fails
they go back under the same names, with the same uuids. Before its first batch it puts back what a dead flusher
left claimed and removes the temp files of appenders killed mid-write. Appending and reading, what every command
does, is :mod:`~archon.telemetry.outbox.store`, which does not load this.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from archon.paths import ArchonPaths
from archon.private_files import TEMP_SUFFIX, RefusedFile, ensure_private_dir
from archon.telemetry.outbox.event_file import StoredEvent, decode_event, list_entries, read_event_file
from archon.value import Value

__all__ = ["Claim", "Claims"]


class Claim(Value):
    """Records a flusher took out of the outbox: their in-flight paths and the events they hold."""

    items: tuple[tuple[Path, StoredEvent], ...]
    corrupt: int = 0

    @property
    def events(self) -> list[StoredEvent]:
        return [event for _, event in self.items]


class Claims:
    """The flusher's operations on the outbox under ``paths`` (see the module docstring)."""

    def __init__(self, paths: ArchonPaths) -> None:
        self._paths = paths

    def claim(self, limit: int) -> Claim:
        """Move up to ``limit`` of the oldest waiting records into ``inflight/`` and read them.

        Only the flusher calls this, while it holds the flush lock. Unreadable records are deleted and counted.
        """
        ensure_private_dir(self._paths.outbox_inflight)
        items: list[tuple[Path, StoredEvent]] = []
        corrupt = 0
        for entry in list_entries(self._paths.outbox)[:limit]:
            target = self._paths.outbox_inflight / entry.name
            try:
                os.replace(self._paths.outbox / entry.name, target)
                raw = read_event_file(target)
            except RefusedFile:  # a FIFO, a symlink or a huge file under an event's name: never an event
                raw = b""
            except OSError:  # dropped for the bound or cleared meanwhile, or (Windows) open elsewhere: next time
                continue
            event = decode_event(raw)
            if event is None:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                corrupt += 1
            else:
                items.append((target, event))
        return Claim(items=tuple(items), corrupt=corrupt)

    def still_claimed(self, claim: Claim) -> bool:
        """Whether every record of ``claim`` is still in ``inflight/`` (``clear()`` deletes them)."""
        return all(path.exists() for path, _ in claim.items)

    def acknowledge(self, claim: Claim) -> None:
        """Delete claimed records: the server accepted them, or rejected them for good."""
        for path, _ in claim.items:
            with contextlib.suppress(OSError):  # at worst it is sent again, with the same uuid
                path.unlink()

    def unclaim(self, claim: Claim) -> None:
        """Put claimed records back, unchanged (same name, same uuid), for a later attempt."""
        for path, _ in claim.items:
            with contextlib.suppress(FileNotFoundError):  # cleared by `telemetry off` meanwhile
                os.replace(path, self._paths.outbox / path.name)

    def reclaim_orphans(self) -> int:
        """Move records a dead flusher had claimed back into the outbox. Call only while holding the flush lock."""
        moved = 0
        for entry in list_entries(self._paths.outbox_inflight):
            with contextlib.suppress(FileNotFoundError):
                ensure_private_dir(self._paths.outbox)
                os.replace(self._paths.outbox_inflight / entry.name, self._paths.outbox / entry.name)
                moved += 1
        return moved

    def remove_stale_temp_files(self, *, older_than_seconds: float, now: float) -> int:
        """Delete temp files left by appenders that were killed mid-write."""
        removed = 0
        try:
            names = os.listdir(self._paths.outbox)
        except OSError:
            return 0
        for name in names:
            if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
                continue
            path = self._paths.outbox / name
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > older_than_seconds:
                    path.unlink()
                    removed += 1
        return removed
