"""The flusher's side of the outbox: a claim is taken by one process, and goes back unchanged or is deleted."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from pathlib import Path

from archon.paths import ArchonPaths
from archon.telemetry.outbox.claims import Claims
from archon.telemetry.outbox.event_file import encode_event, event_file_name, list_entries
from archon.telemetry.outbox.store import Outbox
from tests.support.delivery import make_event
from tests.telemetry.outbox.test_store import _append_many


def test_a_half_written_record_is_skipped_then_removed_and_counted(paths: ArchonPaths) -> None:
    good = make_event()
    outbox, claims = Outbox(paths), Claims(paths)
    outbox.append(good)
    torn = make_event()
    data = encode_event(torn)
    name = event_file_name(time_ns=1, event_uuid=torn["uuid"], size=len(data))
    (paths.outbox / name).write_bytes(data[: len(data) // 2])

    assert outbox.pending() == [good]
    assert outbox.pending_count() == 2

    claim = claims.claim(10)
    assert claim.events == [good]
    assert claim.corrupt == 1
    assert not (paths.outbox / name).exists()
    assert not (paths.outbox_inflight / name).exists()
    assert outbox.pending() == [good]


def test_temp_files_of_killed_appenders_are_ignored_then_cleaned(paths: ArchonPaths) -> None:
    outbox, claims = Outbox(paths), Claims(paths)
    outbox.append(make_event())
    leftover = paths.outbox / ".00000000000000000001-x.json.tmp"
    leftover.write_bytes(b'{"event": "cli.comm')
    os.utime(leftover, (1000, 1000))

    assert outbox.pending_count() == 1
    assert claims.remove_stale_temp_files(older_than_seconds=60, now=1030) == 0
    assert claims.remove_stale_temp_files(older_than_seconds=60, now=1061) == 1
    assert not leftover.exists()


def test_claim_unclaim_and_acknowledge_keep_names_and_uuids(paths: ArchonPaths) -> None:
    events = [make_event(exit_code=code) for code in range(5)]
    outbox, claims = Outbox(paths), Claims(paths)
    for event in events:
        outbox.append(event)
    names = [entry.name for entry in list_entries(paths.outbox)]

    first = claims.claim(2)
    assert first.events == events[:2]
    assert [e.name for e in list_entries(paths.outbox)] == names[2:]

    claims.unclaim(first)
    assert [e.name for e in list_entries(paths.outbox)] == names
    assert outbox.pending() == events

    second = claims.claim(3)
    claims.acknowledge(second)
    assert outbox.pending() == events[3:]
    assert list_entries(paths.outbox_inflight) == []


def test_a_dead_flushers_claim_is_reclaimed_in_order(paths: ArchonPaths) -> None:
    events = [make_event(exit_code=code) for code in range(4)]
    outbox, claims = Outbox(paths), Claims(paths)
    for event in events:
        outbox.append(event)
    claims.claim(3)  # ... and the flusher died here

    assert outbox.pending() == events  # still pending: nothing lost
    assert Claims(paths).reclaim_orphans() == 3
    assert list_entries(paths.outbox_inflight) == []
    assert claims.claim(10).events == events


def _claim_until(home: str, rounds: int) -> list[str]:
    claims = Claims(ArchonPaths(Path(home)))
    taken: list[str] = []
    for _ in range(rounds):
        claim = claims.claim(7)
        taken += [event["uuid"] for event in claim.events]
        claims.acknowledge(claim)
    return taken


def test_concurrent_appenders_and_a_claimer_see_every_event_exactly_once(paths: ArchonPaths) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(5) as pool:
        appended = [pool.apply_async(_append_many, (str(paths.home), 60, 100_000)) for _ in range(4)]
        claimed = pool.apply_async(_claim_until, (str(paths.home), 40))
        written = list(itertools.chain.from_iterable(result.get(timeout=120) for result in appended))
        taken = claimed.get(timeout=120)
    remaining = [event["uuid"] for event in Outbox(paths).pending()]

    assert len(written) == 240
    assert sorted(taken + remaining) == sorted(written)  # nothing lost, nothing twice
