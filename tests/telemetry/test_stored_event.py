"""``stored_event``: the stored form of an event is, field for field, the form that goes on the wire, so
``telemetry inspect`` shows the same uuid, timestamp and properties before and after an event is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archon.buildinfo import current_build
from archon.paths import ArchonPaths
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.recorder import common_properties, stored_event
from archon.telemetry.schema import CliCommandCompleted, SafeName
from archon.telemetry.status import recent_events
from archon.telemetry.upload.drain import flush_outbox
from archon.telemetry.upload.sender import Sender
from tests.support.delivery import keyed_build, opt_in
from tests.support.ingest import IngestServer

MOMENTS = [
    datetime(2026, 11, 25, 13, 31, 18, 123000, tzinfo=UTC),
    datetime(2026, 11, 25, 13, 31, 18, tzinfo=UTC),  # no fraction at all
    datetime(2026, 11, 25, 13, 31, 18, 1, tzinfo=UTC),
    datetime(2026, 11, 25, 19, 1, 18, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 11, 25, 8, 31, 18, 999999, tzinfo=timezone(timedelta(hours=-5))),
]


def _event(now: datetime) -> StoredEvent:
    return stored_event(
        CliCommandCompleted(command=SafeName("version"), subcommand=SafeName(""), exit_code=0, duration_ms=3),
        common=common_properties(current_build()),
        distinct_id="00000000-0000-4000-8000-000000000000",
        now=now,
    )


def test_the_timestamp_is_utc() -> None:
    assert _event(MOMENTS[0])["timestamp"] == "2026-11-25T13:31:18.123000+00:00"
    assert _event(MOMENTS[3])["timestamp"] == "2026-11-25T13:31:18.500000+00:00"


def test_queued_and_sent_forms_are_identical(ingest: IngestServer) -> None:
    queued = [_event(moment) for moment in MOMENTS]
    sender = Sender(build=keyed_build(ingest.url), env={})
    try:
        result = sender.post(queued, timeout=5)
    finally:
        sender.close()

    assert result.outcome == "accepted"
    (request,) = ingest.snapshot()
    for stored, received, reported in zip(queued, request.events, result.sent, strict=True):
        assert received == reported == stored  # nothing added, nothing changed on the way
        assert f'"timestamp": "{stored["timestamp"]}"'.encode() in request.raw_body


def test_inspect_shows_the_same_timestamp_before_and_after_sending(isolation: Path, ingest: IngestServer) -> None:
    paths = ArchonPaths(isolation)
    opt_in(paths)
    for moment in MOMENTS:
        Outbox(paths).append(_event(moment))
    before = recent_events(paths)

    report = flush_outbox(paths=paths, build=keyed_build(ingest.url), env={})
    after = recent_events(paths)

    assert report.sent == len(MOMENTS)
    assert Outbox(paths).pending_count() == 0
    assert after == before


@given(st.datetimes(timezones=st.timezones(), min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)))
def test_every_stored_timestamp_is_the_same_instant_in_utc(moment: datetime) -> None:
    stamp = _event(moment)["timestamp"]
    assert stamp.endswith("+00:00")
    # astimezone, not ==: Python never calls a time in a DST gap or fold equal to one in another zone
    assert datetime.fromisoformat(stamp) == moment.astimezone(UTC)


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_stored_timestamp_is_the_same_instant(moment: datetime) -> None:
    assert datetime.fromisoformat(_event(moment)["timestamp"]) == moment
