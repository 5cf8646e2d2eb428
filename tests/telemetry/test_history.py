"""The history log and ``recent_events``: what inspect shows is what was sent, or what is still queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archon.paths import ArchonPaths
from archon.telemetry.history import last_sent_at, recent_events, record_sent, sent_events
from archon.telemetry.outbox import Outbox
from archon.telemetry.queued import QueuedEvent
from archon.telemetry.state import DeliveryState, update_state
from tests.support.delivery import make_event

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def paths(isolation: Path) -> ArchonPaths:
    return ArchonPaths(isolation)


def _as_sent(event: QueuedEvent) -> QueuedEvent:
    """What the library makes of a stored event: its three properties added, all else unchanged."""
    properties = {**event["properties"], "$lib": "posthog-python", "$lib_version": "7.91.1", "$geoip_disable": True}
    return QueuedEvent(
        event=event["event"],
        distinct_id=event["distinct_id"],
        uuid=event["uuid"],
        timestamp=event["timestamp"],
        properties=properties,
    )


def _events(count: int, *, offset: int = 0) -> list[QueuedEvent]:
    return [make_event(exit_code=i, when=START + timedelta(seconds=offset + i)) for i in range(count)]


def test_record_sent_keeps_only_the_newest(paths: ArchonPaths) -> None:
    sent = [_as_sent(e) for e in _events(30)]
    record_sent(paths, sent[:20], keep=25)
    record_sent(paths, sent[20:], keep=25)

    assert sent_events(paths) == sent[5:]


def test_a_resent_uuid_replaces_its_older_line(paths: ArchonPaths) -> None:
    sent = [_as_sent(e) for e in _events(3)]
    record_sent(paths, sent)
    record_sent(paths, sent[1:2])

    assert [e["uuid"] for e in sent_events(paths)] == [sent[0]["uuid"], sent[2]["uuid"], sent[1]["uuid"]]


def test_unreadable_lines_are_skipped(paths: ArchonPaths) -> None:
    sent = [_as_sent(e) for e in _events(2)]
    record_sent(paths, sent)
    with paths.sent_log.open("ab") as log:
        log.write(b'{"event": "cli.comm\n\xff\xfe\n[]\n')

    assert sent_events(paths) == sent


def test_recent_events_merge_sent_and_queued_oldest_first(paths: ArchonPaths) -> None:
    older = _events(4)
    newer = _events(3, offset=10)
    record_sent(paths, [_as_sent(e) for e in older])
    outbox = Outbox(paths)
    for event in newer:
        outbox.append(event)

    recent = recent_events(paths, limit=5)
    assert recent == [_as_sent(older[2]), _as_sent(older[3]), *newer]
    assert recent_events(paths) == [*map(_as_sent, older), *newer]
    assert recent_events(paths, limit=0) == []


def test_an_event_both_sent_and_queued_appears_once_as_sent(paths: ArchonPaths) -> None:
    (event,) = _events(1)
    Outbox(paths).append(event)
    record_sent(paths, [_as_sent(event)])  # a flusher is between "accepted" and deleting the record

    assert recent_events(paths) == [_as_sent(event)]


def test_reading_creates_nothing(paths: ArchonPaths) -> None:
    assert recent_events(paths) == []
    assert last_sent_at(paths) is None
    assert not paths.home.exists()


def test_last_sent_at_comes_from_the_state(paths: ArchonPaths) -> None:
    update_state(paths, lambda _: DeliveryState(last_sent_at=START.timestamp()))
    assert last_sent_at(paths) == START
