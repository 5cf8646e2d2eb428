"""state.json: never raises on read, and concurrent read-modify-writes never lose an update."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.telemetry.outbox.counters import AttemptOutcome, DeliveryCounters, read_counters, update_counters


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"\xff\xfe garbage",
        b"[1, 2]",
        b'{"sent": "many", "dropped_overflow": -3}',
        b"{",
        b'{"last_outcome": ["accepted"], "last_status": 9000}',
        b'{"last_outcome": "exploded", "last_status": true}',
    ],
)
def test_an_unusable_state_file_reads_as_empty(paths: ArchonPaths, content: bytes) -> None:
    paths.telemetry_dir.mkdir(parents=True)
    paths.telemetry_state.write_bytes(content)
    assert read_counters(paths.telemetry_state) == DeliveryCounters()


def test_a_missing_state_file_reads_as_empty(paths: ArchonPaths) -> None:
    assert read_counters(paths.telemetry_state) == DeliveryCounters()
    assert not paths.home.exists()


def test_update_round_trips_every_field(paths: ArchonPaths) -> None:
    wanted = DeliveryCounters(
        dropped_overflow=1,
        dropped_rejected=2,
        dropped_corrupt=3,
        sent=4,
        consecutive_failures=5,
        next_attempt_at=datetime(2026, 3, 1, 12, 0, 1, 500000, tzinfo=UTC),
        last_attempt_at=datetime(2026, 3, 1, 12, 0, 2, tzinfo=UTC),
        last_sent_at=datetime(2026, 3, 1, 12, 0, 3, tzinfo=UTC),
        last_error="HTTP 503",
        last_outcome=AttemptOutcome.HELD_SERVER,
        last_status=503,
        last_invalid=7,
    )
    assert update_counters(paths, lambda _: wanted) == wanted
    assert read_counters(paths.telemetry_state) == wanted
    assert wanted.dropped == 6
    on_disk = json.loads(paths.telemetry_state.read_text(encoding="utf-8"))
    assert on_disk["last_sent_at"] == "2026-03-01T12:00:03+00:00"  # the one timestamp format (archon.timestamps)


def test_update_gives_up_when_the_lock_stays_busy(paths: ArchonPaths) -> None:
    holder = FileLock(paths.state_lock)
    assert holder.acquire()
    try:
        assert update_counters(paths, lambda s: dataclasses.replace(s, sent=1)) is None
    finally:
        holder.release()
    assert read_counters(paths.telemetry_state).sent == 0


def _bump(home: str, times: int) -> None:
    paths = ArchonPaths(Path(home))
    for _ in range(times):
        while update_counters(paths, lambda s: dataclasses.replace(s, dropped_overflow=s.dropped_overflow + 1)) is None:
            pass


def test_concurrent_updates_are_never_lost(paths: ArchonPaths) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_bump, args=(str(paths.home), 25)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert read_counters(paths.telemetry_state).dropped_overflow == 100


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_state_file_that_is_a_fifo_reads_as_empty_at_once(paths: ArchonPaths) -> None:
    """A blocking open would wait for a writer that never comes: status and the flusher would hang."""
    paths.telemetry_dir.mkdir(parents=True)
    os.mkfifo(paths.telemetry_state)
    assert read_counters(paths.telemetry_state) == DeliveryCounters()
