"""The sent log: the last accepted events, exactly as posted, newest kept, re-sent uuids once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archon.paths import ArchonPaths
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.sent_log import record_sent, sent_events
from tests.support.delivery import make_event

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _events(count: int, *, offset: int = 0) -> list[StoredEvent]:
    return [make_event(exit_code=i, when=START + timedelta(seconds=offset + i)) for i in range(count)]


def test_record_sent_keeps_only_the_newest(paths: ArchonPaths) -> None:
    sent = _events(30)
    record_sent(paths, sent[:20], keep=25)
    record_sent(paths, sent[20:], keep=25)

    assert sent_events(paths) == sent[5:]


def test_a_resent_uuid_replaces_its_older_line(paths: ArchonPaths) -> None:
    sent = _events(3)
    record_sent(paths, sent)
    record_sent(paths, sent[1:2])

    assert [e["uuid"] for e in sent_events(paths)] == [sent[0]["uuid"], sent[2]["uuid"], sent[1]["uuid"]]


def test_unreadable_lines_are_skipped(paths: ArchonPaths) -> None:
    sent = _events(2)
    record_sent(paths, sent)
    with paths.sent_log.open("ab") as log:
        log.write(b'{"event": "cli.comm\n\xff\xfe\n[]\n')

    assert sent_events(paths) == sent
