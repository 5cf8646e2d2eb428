"""The last events the server accepted, exactly as they were sent, so ``telemetry inspect`` shows the truth.

``~/.archon/telemetry/sent.jsonl`` holds at most :data:`HISTORY_SIZE` events, one JSON object per line, each the
final event the posthog library put on the wire (after its own additions and archon's allow-list filter). Only
the flusher writes it, while holding the flush lock, and always by atomic replace; readers skip any line they
cannot parse. Nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from archon.atomic import write_atomic
from archon.paths import ArchonPaths
from archon.telemetry.outbox import Outbox
from archon.telemetry.queued import QueuedEvent
from archon.telemetry.record import decode_event, encode_event
from archon.telemetry.state import read_state

__all__ = ["HISTORY_SIZE", "last_sent_at", "recent_events", "record_sent", "sent_events"]

HISTORY_SIZE = 100


def sent_events(paths: ArchonPaths) -> list[QueuedEvent]:
    """The accepted events remembered in the history log, oldest first."""
    try:
        raw = paths.sent_log.read_bytes()
    except OSError:
        return []
    events = (decode_event(line) for line in raw.splitlines() if line.strip())
    return [event for event in events if event is not None]


def record_sent(paths: ArchonPaths, events: Sequence[QueuedEvent], *, keep: int = HISTORY_SIZE) -> None:
    """Remember ``events`` as sent, keeping the newest ``keep``. A re-sent uuid replaces its older line.

    Call only while holding the flush lock. Raises ``OSError`` when the file cannot be written.
    """
    if not events:
        return
    fresh = {event["uuid"] for event in events}
    older = sent_events(paths) if len(events) < keep else []  # a full batch replaces the whole history
    kept = [event for event in older if event["uuid"] not in fresh]
    kept.extend(events)
    payload = b"".join(encode_event(event) + b"\n" for event in kept[-keep:])
    write_atomic(paths.sent_log, payload)


def _when(event: QueuedEvent) -> datetime:
    try:
        moment = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def recent_events(paths: ArchonPaths, limit: int = 10) -> list[QueuedEvent]:
    """The last ``limit`` events, sent or still queued, oldest first.

    A sent event appears exactly as the server received it; a queued one exactly as stored, which is the same
    uuid, timestamp and properties (the library only adds ``$lib``, ``$lib_version`` and ``$geoip_disable``).
    An event found both sent and queued (a flusher is finishing with it right now) appears once, as sent.
    """
    if limit <= 0:
        return []
    sent = sent_events(paths)
    seen = {event["uuid"] for event in sent}
    queued = [event for event in Outbox(paths).pending() if event["uuid"] not in seen]
    combined = sorted([*sent, *queued], key=_when)  # stable: equal times keep their recorded order
    return combined[-limit:]


def last_sent_at(paths: ArchonPaths) -> datetime | None:
    """When the server last accepted a batch, or None if it never has."""
    moment = read_state(paths.telemetry_state).last_sent_at
    return None if moment is None else datetime.fromtimestamp(moment, UTC)
