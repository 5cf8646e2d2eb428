"""The local-only store: kept, bounded, listed, cleared; never in the outbox."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

from archon.paths import ArchonPaths
from archon.telemetry.outbox.local_events import LocalEvents
from archon.telemetry.outbox.store import Outbox
from tests.support.delivery import make_event

START = datetime(2026, 4, 1, tzinfo=UTC)


def test_kept_in_order_privately_and_never_in_the_outbox(paths: ArchonPaths) -> None:
    events = [make_event(exit_code=i, when=START + timedelta(seconds=i)) for i in range(3)]
    store = LocalEvents(paths)
    for event in events:
        store.append(event)
    assert store.events() == events
    assert store.count() == 3
    assert Outbox(paths).pending_count() == 0
    assert stat.S_IMODE(paths.local_events.stat().st_mode) == 0o700


def test_bounded_the_oldest_go_first(paths: ArchonPaths) -> None:
    ticks = iter(range(1, 1000))
    store = LocalEvents(paths, max_events=10, clock_ns=lambda: next(ticks))
    events = [make_event(exit_code=i) for i in range(25)]
    for event in events:
        store.append(event)
    kept = store.events()
    assert len(kept) <= 10
    assert kept == events[-len(kept) :]
    another = LocalEvents(paths, max_events=10, clock_ns=lambda: next(ticks))  # a later run, same bound
    another.append(make_event())
    assert another.count() <= 10


def test_clear_deletes_them_and_the_directory(paths: ArchonPaths) -> None:
    store = LocalEvents(paths)
    store.append(make_event())
    store.append(make_event())
    assert store.clear() == 2
    assert not paths.local_events.exists()
    assert store.clear() == 0
