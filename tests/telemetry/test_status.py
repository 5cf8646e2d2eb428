"""``status`` and ``inspect`` as data: the last events, sent or queued, and what status reads (it creates nothing)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from archon.config import set_config_value
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.consent_record import write_consent_record
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.local_events import LocalEvents
from archon.telemetry.outbox.sent_log import record_sent
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.policy import build_policy, policy_hash
from archon.telemetry.status import Mode, NotSending, TelemetryStatus, recent_events, telemetry_status
from tests.support.consent import consent_on
from tests.support.delivery import keyed_build, make_event

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _events(count: int, *, offset: int = 0) -> list[StoredEvent]:
    return [make_event(exit_code=i, when=START + timedelta(seconds=offset + i)) for i in range(count)]


def test_recent_events_merge_sent_and_queued_oldest_first(paths: ArchonPaths) -> None:
    older = _events(4)
    newer = _events(3, offset=10)
    record_sent(paths, older)
    outbox = Outbox(paths)
    for event in newer:
        outbox.append(event)

    assert recent_events(paths, limit=5) == [older[2], older[3], *newer]
    assert recent_events(paths) == [*older, *newer]
    assert recent_events(paths, limit=0) == []


def test_an_event_both_sent_and_queued_appears_once(paths: ArchonPaths) -> None:
    (event,) = _events(1)
    Outbox(paths).append(event)
    record_sent(paths, [event])  # a flusher is between "accepted" and deleting the record

    assert recent_events(paths) == [event]


def test_reading_creates_nothing(paths: ArchonPaths) -> None:
    runtime = Runtime(env={}, home=paths.home, cwd=paths.home)
    status = telemetry_status(runtime=runtime, paths=paths, build=keyed_build("https://example.invalid"))
    assert recent_events(paths) == []
    assert (status.identity, status.last_event, status.pending, status.counters.dropped) == (None, None, 0, 0)
    assert status.not_sending_because is NotSending.OFF
    assert not paths.home.exists()


def test_status_reads_config_even_when_the_environment_decides(paths: ArchonPaths) -> None:
    paths.home.mkdir()
    paths.config.write_text("telemetry:\n  enabled: true\n", encoding="utf-8")
    runtime = Runtime(env={"DO_NOT_TRACK": "1"}, home=paths.home, cwd=paths.home)
    status = telemetry_status(runtime=runtime, paths=paths, build=keyed_build("https://example.invalid"))
    assert not status.consent.enabled
    assert status.config.get("telemetry", "enabled") is True


def _status(paths: ArchonPaths, env: dict[str, str] | None = None) -> TelemetryStatus:
    runtime = Runtime(env=env or {}, home=paths.home, cwd=paths.home)
    return telemetry_status(runtime=runtime, paths=paths, build=keyed_build("https://example.invalid"))


def test_the_consent_record_and_what_this_build_adds_beyond_it(paths: ArchonPaths) -> None:
    record = consent_on(paths)
    status = _status(paths)
    assert (status.mode, status.sending, status.record.record, status.additions) == (Mode.ON, True, record, ())
    assert status.policy_hash == record.policy_hash == policy_hash(build_policy())
    narrowed = json.loads(json.dumps(record.policy))
    del narrowed["events"]["error.uncaught"]
    write_consent_record(paths, record._replace(policy=narrowed, policy_hash=policy_hash(narrowed)))
    assert [(a.kind, a.event) for a in _status(paths).additions] == [("event", "error.uncaught")]
    assert _status(paths, {"ARCHON_TELEMETRY": "on"}).additions == ()  # env consent covers this build


def test_on_without_a_record_sends_nothing_and_says_why(paths: ArchonPaths) -> None:
    consent_on(paths)
    paths.consent_record.unlink()
    status = _status(paths)
    assert (status.mode, status.sending) == (Mode.ON, False)
    assert status.not_sending_because is NotSending.NO_CONSENT_RECORD
    assert _status(paths, {"ARCHON_TELEMETRY": "on"}).sending  # that consent needs no record


def test_local_only_mode_and_its_events(paths: ArchonPaths) -> None:
    set_config_value(paths.config, ("telemetry", "local_only"), True)
    (event,) = _events(1)
    LocalEvents(paths).append(event)
    status = _status(paths)
    assert (status.mode, status.not_sending_because, status.local_events) == (Mode.LOCAL, NotSending.LOCAL_ONLY, 1)
    assert recent_events(paths) == [event]


@pytest.mark.skipif(os.name != "posix", reason="owners and mode bits are POSIX's")
def test_nothing_but_config_is_read_in_a_home_others_may_write(paths: ArchonPaths) -> None:
    """Whatever is there may be someone else's: no id, no events, no counters are shown from it."""
    outbox = Outbox(paths)
    for event in _events(2):
        outbox.append(event)
    paths.telemetry_id.write_text("3b6e3c49-8a0b-4f7e-9a51-1c2d3e4f5a6b\n", encoding="ascii")
    paths.home.chmod(0o777)
    runtime = Runtime(env={"ARCHON_TELEMETRY": "on"}, home=paths.home, cwd=paths.home)
    status = telemetry_status(runtime=runtime, paths=paths, build=keyed_build("http://127.0.0.1:9"))

    assert (status.identity, status.last_event, status.pending) == (None, None, 0)
    assert status.consent.enabled is False
    assert status.consent.untrusted is not None
    assert recent_events(paths) == []
