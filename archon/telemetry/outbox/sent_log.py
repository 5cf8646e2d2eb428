"""The sent log: the last events the server accepted, exactly as they were posted.

``~/.archon/telemetry/sent.jsonl`` holds at most :data:`SENT_LOG_SIZE` events, one JSON object per line, each the
stored event the flusher posted (what is posted is what was stored, field for field). Only the flusher writes
it, while holding the flush lock, and always by atomic replace; readers skip any line they cannot parse. With
the outbox, it is what ``archon telemetry inspect`` and ``status`` show. Nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from archon.paths import ArchonPaths
from archon.private_files import read_regular_file, write_atomic
from archon.telemetry.outbox.event_file import StoredEvent, decode_event, encode_event

__all__ = ["SENT_LOG_SIZE", "record_sent", "sent_events"]

SENT_LOG_SIZE = 100
SENT_LOG_SIZE_LIMIT = 4 * 1024 * 1024
"""A sent log larger than this is not read (100 events take about 100 KB)."""


def sent_events(paths: ArchonPaths) -> list[StoredEvent]:
    """The accepted events remembered in the sent log, oldest first."""
    try:
        raw = read_regular_file(paths.sent_log, limit=SENT_LOG_SIZE_LIMIT)
    except OSError:
        return []
    events = (decode_event(line) for line in raw.splitlines() if line.strip())
    return [event for event in events if event is not None]


def record_sent(paths: ArchonPaths, events: Sequence[StoredEvent], *, keep: int = SENT_LOG_SIZE) -> None:
    """Remember ``events`` as sent, keeping the newest ``keep``. A re-sent uuid replaces its older line.

    Call only while holding the flush lock. Raises ``OSError`` when the file cannot be written.
    """
    if not events:
        return
    fresh = {event["uuid"] for event in events}
    older = sent_events(paths) if len(events) < keep else []  # a full batch replaces the whole log
    kept = [event for event in older if event["uuid"] not in fresh]
    kept.extend(events)
    payload = b"".join(encode_event(event) + b"\n" for event in kept[-keep:])
    write_atomic(paths.sent_log, payload)
