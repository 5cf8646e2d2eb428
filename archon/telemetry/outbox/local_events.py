"""Events recorded in local-only mode (``archon telemetry local``): kept on this machine, never sent.

``~/.archon/telemetry/local/<time_ns>-<uuid>-<size>.json``, one file per event in the outbox's format
(:mod:`~archon.telemetry.outbox.event_file`), bounded like the outbox (the oldest go first). It is a directory of
its own, not the outbox: no flusher reads it, neither this archon's nor an older one's, so nothing recorded here is
ever uploaded, even after ``archon telemetry on`` (which, like ``off`` and ``clear --all``, deletes it).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from archon.paths import ArchonPaths
from archon.private_files import ensure_private_dir, write_atomic
from archon.telemetry.outbox import DEFAULT_MAX_BYTES, DEFAULT_MAX_EVENTS, TRIM_FRACTION
from archon.telemetry.outbox.event_file import StoredEvent, encode_event, event_file_name, list_entries, read_events
from archon.telemetry.outbox.store import drop_oldest

__all__ = ["LOCAL_DISTINCT_ID", "LocalEvents"]

LOCAL_DISTINCT_ID = "local-only"
"""The distinct_id of events recorded in local-only mode, which needs no anonymous id and creates none."""


class LocalEvents:
    """The local-only store. Appends from several processes at once are safe (unique names, atomic renames)."""

    def __init__(
        self,
        paths: ArchonPaths,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self._directory = paths.local_events
        self._parents = (paths.home, paths.telemetry_dir, paths.local_events)
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._clock_ns = clock_ns
        self._headroom: tuple[int, int] | None = None  # (events, bytes) left before the bound, once measured

    def append(self, event: StoredEvent) -> None:
        """Keep ``event``; raises ``OSError`` when the disk refuses."""
        data = encode_event(event)
        if self._headroom is None:
            for level in self._parents:
                ensure_private_dir(level)
            self._headroom = self._trim()
        name = event_file_name(time_ns=self._clock_ns(), event_uuid=event["uuid"], size=len(data))
        write_atomic(self._directory / name, data, durable=False, make_parents=False)
        events, size = self._headroom
        self._headroom = (events - 1, size - len(data))
        if events - 1 < self.max_events // TRIM_FRACTION or size - len(data) < self.max_bytes // TRIM_FRACTION:
            self._headroom = self._trim()  # near the bound: look again (see the outbox's store)

    def _trim(self) -> tuple[int, int]:
        """Delete the oldest events beyond nine tenths of the bound; the headroom left."""
        entries = list_entries(self._directory)
        count, size = len(entries), sum(entry.size for entry in entries)
        if count > self.max_events or size > self.max_bytes:
            _, count, size = drop_oldest(
                self._directory, entries, count=count, size=size, max_events=self.max_events, max_bytes=self.max_bytes
            )
        return self.max_events - count, self.max_bytes - size

    def events(self) -> list[StoredEvent]:
        """Every kept event, oldest first."""
        return list(read_events(self._directory / entry.name for entry in list_entries(self._directory)))

    def count(self) -> int:
        return len(list_entries(self._directory))

    def clear(self) -> int:
        """Delete every kept event; how many there were. The directory goes too, when nothing else is in it."""
        deleted = 0
        for entry in list_entries(self._directory):
            with contextlib.suppress(FileNotFoundError):
                (self._directory / entry.name).unlink()
                deleted += 1
        with contextlib.suppress(OSError):
            self._directory.rmdir()
        return deleted
