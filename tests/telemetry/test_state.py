"""state.json: never raises on read, and concurrent read-modify-writes never lose an update."""

from __future__ import annotations

import dataclasses
import multiprocessing
from pathlib import Path

import pytest

from archon.paths import ArchonPaths
from archon.telemetry.lock import FileLock
from archon.telemetry.state import DeliveryState, read_state, update_state


@pytest.fixture
def paths(isolation: Path) -> ArchonPaths:
    return ArchonPaths(isolation)


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"\xff\xfe garbage", b"[1, 2]", b'{"sent": "many", "dropped_overflow": -3}', b"{"],
)
def test_an_unusable_state_file_reads_as_empty(paths: ArchonPaths, content: bytes) -> None:
    paths.telemetry_dir.mkdir(parents=True)
    paths.telemetry_state.write_bytes(content)
    assert read_state(paths.telemetry_state) == DeliveryState()


def test_a_missing_state_file_reads_as_empty(paths: ArchonPaths) -> None:
    assert read_state(paths.telemetry_state) == DeliveryState()
    assert not paths.home.exists()


def test_update_round_trips_every_field(paths: ArchonPaths) -> None:
    wanted = DeliveryState(
        dropped_overflow=1,
        dropped_rejected=2,
        dropped_corrupt=3,
        sent=4,
        consecutive_failures=5,
        next_attempt_at=1.5,
        last_attempt_at=2.5,
        last_sent_at=3.5,
        last_error="HTTP 503",
    )
    assert update_state(paths, lambda _: wanted) == wanted
    assert read_state(paths.telemetry_state) == wanted
    assert wanted.dropped == 6


def test_update_gives_up_when_the_lock_stays_busy(paths: ArchonPaths) -> None:
    holder = FileLock(paths.state_lock)
    assert holder.acquire()
    try:
        assert update_state(paths, lambda s: dataclasses.replace(s, sent=1)) is None
    finally:
        holder.release()
    assert read_state(paths.telemetry_state).sent == 0


def _bump(home: str, times: int) -> None:
    paths = ArchonPaths(Path(home))
    for _ in range(times):
        while update_state(paths, lambda s: dataclasses.replace(s, dropped_overflow=s.dropped_overflow + 1)) is None:
            pass


def test_concurrent_updates_are_never_lost(paths: ArchonPaths) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_bump, args=(str(paths.home), 25)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert read_state(paths.telemetry_state).dropped_overflow == 100
