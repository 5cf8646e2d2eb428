"""The outbox: durable, ordered, bounded, crash-tolerant and safe with many processes at once."""

from __future__ import annotations

import itertools
import multiprocessing
import stat
from pathlib import Path

import pytest

from archon.paths import ArchonPaths
from archon.telemetry.outbox.claims import Claims
from archon.telemetry.outbox.counters import read_counters
from archon.telemetry.outbox.event_file import encode_event, list_entries
from archon.telemetry.outbox.store import Outbox
from tests.support.delivery import make_event


def test_append_then_pending_returns_the_exact_events_oldest_first(paths: ArchonPaths) -> None:
    events = [make_event(exit_code=code) for code in range(5)]
    outbox = Outbox(paths)
    for event in events:
        outbox.append(event)

    assert outbox.pending() == events
    assert outbox.pending_count() == 5
    assert Outbox(paths).pending() == events  # another process (instance) sees the same


def test_records_are_private_files(paths: ArchonPaths) -> None:
    Outbox(paths).append(make_event())

    (entry,) = list_entries(paths.outbox)
    assert stat.S_IMODE((paths.outbox / entry.name).stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.telemetry_dir.stat().st_mode) == 0o700


def test_the_oldest_events_are_dropped_at_the_event_bound_and_counted(paths: ArchonPaths) -> None:
    events = [make_event(exit_code=code) for code in range(40)]
    outbox = Outbox(paths, max_events=20)
    for number, event in enumerate(events, start=1):
        outbox.append(event)
        assert outbox.pending_count() <= 20
        assert outbox.pending_count() + outbox.dropped_count() == number

    kept = outbox.pending()
    assert kept == events[-len(kept) :]  # the newest survive, in order
    assert len(kept) >= 18  # a full outbox drops its oldest tenth at once, not more
    counters = read_counters(paths.telemetry_state)
    assert counters.dropped_overflow == counters.dropped == 40 - len(kept)


def test_the_byte_bound_holds_too(paths: ArchonPaths) -> None:
    size = len(encode_event(make_event()))
    outbox = Outbox(paths, max_bytes=10 * size + size // 2)
    for code in range(30):
        outbox.append(make_event(exit_code=code))
        assert sum(entry.size for entry in list_entries(paths.outbox)) <= outbox.max_bytes

    codes = [e["properties"]["exit_code"] for e in outbox.pending()]
    assert codes == list(range(30 - len(codes), 30))
    assert read_counters(paths.telemetry_state).dropped_overflow == 30 - len(codes)


def test_many_times_the_bound_stays_within_it(paths: ArchonPaths) -> None:
    outbox = Outbox(paths, max_events=100)
    for _ in range(1000):
        outbox.append(make_event())

    assert 90 <= outbox.pending_count() <= outbox.max_events == 100
    assert outbox.pending_count() + outbox.dropped_count() == 1000
    assert sum(entry.size for entry in list_entries(paths.outbox)) <= outbox.max_bytes


def test_claimed_records_count_toward_the_bound_but_are_never_dropped(paths: ArchonPaths) -> None:
    outbox = Outbox(paths, max_events=4)
    for code in range(3):
        outbox.append(make_event(exit_code=code))
    claim = Claims(paths).claim(3)
    for code in range(3, 6):
        outbox.append(make_event(exit_code=code))

    assert outbox.pending_count() == 4
    assert [p.name for p, _ in claim.items] == [e.name for e in list_entries(paths.outbox_inflight)]
    assert [e["properties"]["exit_code"] for e in outbox.pending()] == [0, 1, 2, 5]


def test_clear_deletes_waiting_and_claimed_events(paths: ArchonPaths) -> None:
    outbox = Outbox(paths)
    for _ in range(4):
        outbox.append(make_event())
    Claims(paths).claim(1)

    assert outbox.clear() == 4
    assert outbox.pending() == []
    assert outbox.pending_count() == 0


def test_reading_an_absent_outbox_creates_nothing(paths: ArchonPaths) -> None:
    outbox = Outbox(paths)
    assert outbox.pending() == []
    assert outbox.dropped_count() == 0
    assert outbox.clear() == 0
    assert not paths.home.exists()


def test_append_raises_oserror_when_the_home_cannot_hold_the_outbox(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the archon home should be")

    with pytest.raises(OSError):  # noqa: PT011 - any OSError is what the session catches
        Outbox(ArchonPaths(blocker)).append(make_event())


def test_bounds_must_be_positive(paths: ArchonPaths) -> None:
    with pytest.raises(ValueError, match="positive"):
        Outbox(paths, max_events=0)


# -- many processes at once ------------------------------------------------------------------------------------


def _append_many(home: str, count: int, max_events: int) -> list[str]:
    outbox = Outbox(ArchonPaths(Path(home)), max_events=max_events)
    uuids = []
    for _ in range(count):
        event = make_event()
        outbox.append(event)
        uuids.append(event["uuid"])
    return uuids


def test_concurrent_appenders_respect_the_bound(paths: ArchonPaths) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = [pool.apply_async(_append_many, (str(paths.home), 50, 30)) for _ in range(4)]
        written = list(itertools.chain.from_iterable(result.get(timeout=120) for result in results))
    outbox = Outbox(paths, max_events=30)

    assert outbox.pending_count() <= 30
    assert outbox.pending_count() + outbox.dropped_count() == len(written) == 200
    assert {event["uuid"] for event in outbox.pending()} <= set(written)
