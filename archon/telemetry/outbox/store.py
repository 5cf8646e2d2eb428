"""The outbox: the durable, bounded store of events waiting to be sent, one small file per event.

Layout under ``~/.archon/telemetry/``::

    outbox/<time_ns>-<uuid>-<size>.json     recorded, waiting
    inflight/<same name>                    claimed by the running flusher (moved back if it dies)

Why one file per event:

- **Crash-safe.** A record is written to a temp file and renamed into place, so it is either whole or absent;
  a process killed at any point leaves at worst a ``.tmp`` file, which readers ignore and the flusher removes.
  A record that is unreadable anyway (e.g. cut short by a power loss) is skipped and counted, never fatal.
- **Concurrent without locks on the hot path.** Appenders only create new, uniquely named files. The one
  flusher (see :mod:`archon.telemetry.upload.drain`) *claims* a batch by renaming files into ``inflight/``; a rename
  succeeds for exactly one process, so each event is sent by exactly one flusher and deleted once accepted.
- **Bounded cheaply.** The name carries the record's size, so a directory listing (no ``stat``) gives both the
  count and the bytes. When the outbox holds more than ``max_events`` or ``max_bytes``, the oldest records are
  deleted (under ``state.lock``) down to nine tenths of the bound, and counted in ``state.json``
  (:mod:`~archon.telemetry.outbox.counters`), which ``telemetry status`` shows.

Appending costs one small write and one rename; the listing to enforce the bound happens on an instance's
first append and again only when that instance could be within the last tenth of the bound, where it happens on
every append, so that concurrent appenders, each of which knows only its own appends since it last looked, still
leave the outbox within its bound when the last of them is done.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archon.paths import ArchonPaths
from archon.private_files import ensure_private_dir, write_atomic
from archon.telemetry.outbox import DEFAULT_MAX_BYTES, DEFAULT_MAX_EVENTS, TRIM_FRACTION
from archon.telemetry.outbox.event_file import (
    Entry,
    StoredEvent,
    encode_event,
    event_file_name,
    list_entries,
    measure,
    read_events,
)

if TYPE_CHECKING:
    from archon.telemetry.outbox.counters import DeliveryCounters

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_EVENTS", "TRIM_FRACTION", "Outbox", "drop_oldest"]


def drop_oldest(
    directory: Path, entries: list[Entry], *, count: int, size: int, max_events: int, max_bytes: int
) -> tuple[int, int, int]:
    """Delete the oldest of ``entries`` (event files in ``directory``) until ``count`` events of ``size`` bytes are
    a tenth below the bounds, so the next appends have room and do not each pay for a trim.

    Returns how many were deleted, and the count and size left. A file already gone (claimed by the flusher, or
    trimmed by another process) is not counted as deleted, but no longer counts toward the bound either.
    """
    keep_events = max_events - max(1, max_events // TRIM_FRACTION)
    keep_bytes = max_bytes - max(1, max_bytes // TRIM_FRACTION)
    dropped = 0
    for entry in entries:
        if count <= keep_events and size <= keep_bytes:
            break
        with contextlib.suppress(FileNotFoundError):
            (directory / entry.name).unlink()
            dropped += 1
        count -= 1
        size -= entry.size
    return dropped, count, size


class Outbox:
    """Events recorded and not yet accepted by the server. Safe to use from many processes at once."""

    def __init__(
        self,
        paths: ArchonPaths,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        if max_events < 1 or max_bytes < 1:
            raise ValueError("the outbox bounds must be positive")
        self.paths = paths
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._clock_ns = clock_ns
        self._dir_ready = False
        self._headroom_events = 0
        self._headroom_bytes = 0
        # Within the last tenth of the bound, every append looks again: other processes may have appended since
        # this one last looked, and the last to append then trims what all of them added.
        self._slack_events = max_events // TRIM_FRACTION
        self._slack_bytes = max_bytes // TRIM_FRACTION

    # -- recording -------------------------------------------------------------------------------------------

    def append(self, event: StoredEvent) -> None:
        """Store ``event`` durably (temp file + rename). Raises ``OSError`` when the disk refuses; never blocks."""
        data = encode_event(event)
        name = event_file_name(time_ns=self._clock_ns(), event_uuid=event["uuid"], size=len(data))
        directory = self.paths.outbox
        if not self._dir_ready:
            for level in (self.paths.home, self.paths.telemetry_dir, directory):
                ensure_private_dir(level)
            self._dir_ready = True
        # Not synced: a rename is atomic without it, and a record a power loss cuts short is skipped and counted.
        write_atomic(directory / name, data, durable=False, make_parents=False)
        self._headroom_events -= 1
        self._headroom_bytes -= len(data)
        if self._headroom_events < self._slack_events or self._headroom_bytes < self._slack_bytes:
            self.enforce_bound()

    def enforce_bound(self) -> int:
        """Delete the oldest waiting records until the outbox is within its bounds; how many were dropped.

        Claimed (in-flight) records count toward the bound but are never dropped here.
        """
        count, size = self._count()
        dropped = 0
        if self._over(count, size):
            outcome = self._drop_excess()
            if outcome is None:  # state.lock stayed busy: try again on the next append
                self._headroom_events = self._headroom_bytes = 0
                return 0
            dropped, count, size = outcome
        self._headroom_events = self.max_events - count
        self._headroom_bytes = self.max_bytes - size
        return dropped

    def _count(self) -> tuple[int, int]:
        """Events and bytes, waiting and claimed."""
        waiting, waiting_size = measure(self.paths.outbox)
        claimed, claimed_size = measure(self.paths.outbox_inflight)
        return waiting + claimed, waiting_size + claimed_size

    def _measure(self) -> tuple[list[Entry], int, int]:
        waiting = list_entries(self.paths.outbox)
        claimed = list_entries(self.paths.outbox_inflight)
        count = len(waiting) + len(claimed)
        size = sum(entry.size for entry in waiting) + sum(entry.size for entry in claimed)
        return waiting, count, size

    def _over(self, count: int, size: int) -> bool:
        return count > self.max_events or size > self.max_bytes

    def _drop_excess(self) -> tuple[int, int, int] | None:
        """Under state.lock, list again and drop the oldest: concurrent trims never double-drop."""
        # Only a full outbox gets here: appending never loads the counters (a dataclass, json, the lock).
        from dataclasses import replace

        from archon.telemetry.outbox.counters import update_counters

        outcome = (0, 0, 0)

        def drop(state: DeliveryCounters) -> DeliveryCounters:
            nonlocal outcome
            waiting, count, size = self._measure()
            if not self._over(count, size):  # another process trimmed first
                outcome = (0, count, size)
                return state
            outcome = drop_oldest(
                self.paths.outbox, waiting, count=count, size=size, max_events=self.max_events, max_bytes=self.max_bytes
            )
            return replace(state, dropped_overflow=state.dropped_overflow + outcome[0])

        return None if update_counters(self.paths, drop) is None else outcome

    # -- reading ---------------------------------------------------------------------------------------------

    def _all_entries(self) -> list[tuple[Path, Entry]]:
        found = [(self.paths.outbox_inflight, e) for e in list_entries(self.paths.outbox_inflight)]
        found += [(self.paths.outbox, e) for e in list_entries(self.paths.outbox)]
        found.sort(key=lambda item: item[1].name)
        return found

    def pending(self) -> list[StoredEvent]:
        """Every event not yet accepted (waiting or being sent), oldest first. Unreadable records are skipped."""
        return list(read_events(directory / entry.name for directory, entry in self._all_entries()))

    def pending_count(self) -> int:
        return self._count()[0]

    def dropped_count(self) -> int:
        """Events that will never be sent: dropped for the bound, rejected by the server, or unreadable."""
        from archon.telemetry.outbox.counters import read_counters  # not on the appending path

        return read_counters(self.paths.telemetry_state).dropped

    # -- deleting --------------------------------------------------------------------------------------------

    def clear(self) -> int:
        """Delete every event not yet sent (``telemetry off``); how many were deleted."""
        deleted = 0
        for directory, entry in self._all_entries():
            with contextlib.suppress(FileNotFoundError):
                (directory / entry.name).unlink()
                deleted += 1
        return deleted
