"""The full reset: no telemetry file is left but config.yaml, and the removed id is reported."""

from __future__ import annotations

from pathlib import Path

from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.telemetry.identity import ensure_identity
from archon.telemetry.outbox.counters import update_counters
from archon.telemetry.outbox.local_events import LocalEvents
from archon.telemetry.outbox.sent_log import record_sent
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.reset import reset_telemetry
from tests.support.consent import consent_on
from tests.support.delivery import make_event


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def _everything(paths: ArchonPaths) -> str:
    """Every kind of telemetry file archon writes, as a long-used install has them."""
    consent_on(paths)
    distinct_id = ensure_identity(paths).distinct_id
    Outbox(paths).append(make_event(distinct_id=distinct_id))
    LocalEvents(paths).append(make_event())
    record_sent(paths, [make_event(distinct_id=distinct_id)])
    assert update_counters(paths, lambda counters: counters) is not None  # state.json and state.lock
    lock = FileLock(paths.flush_lock)
    assert lock.acquire()
    lock.release()  # flush.lock stays behind, as every flusher run leaves it
    paths.policy_notice.write_text("x\n", encoding="ascii")
    (paths.telemetry_dir / ".consent.json.123-abcd.tmp").write_bytes(b"{")  # a killed writer's
    (paths.home / ".first-run-completed").write_bytes(b"")
    return distinct_id


def test_only_the_config_and_the_first_run_marker_stay(paths: ArchonPaths) -> None:
    distinct_id = _everything(paths)
    config = paths.config.read_bytes()
    assert len(_files(paths.telemetry_dir)) >= 8, _files(paths.telemetry_dir)
    report = reset_telemetry(paths, wait_seconds=0.5)
    assert _files(paths.home) == [".first-run-completed", "config.yaml"]
    assert not paths.telemetry_dir.exists()
    assert paths.config.read_bytes() == config
    assert report.distinct_id == distinct_id
    assert (report.pending, report.local, report.had_record, report.sender_was_running) == (1, 1, True, False)


def test_nothing_to_remove(paths: ArchonPaths) -> None:
    report = reset_telemetry(paths, wait_seconds=0.1)
    assert (report.distinct_id, report.pending, report.had_record, report.sender_was_running) == (None, 0, False, False)
    assert not paths.home.exists()


def test_a_sender_holding_the_lock_is_waited_for_then_reported(paths: ArchonPaths) -> None:
    consent_on(paths)
    lock = FileLock(paths.flush_lock)
    assert lock.acquire()
    try:
        report = reset_telemetry(paths, wait_seconds=0.2)
    finally:
        lock.release()
    assert report.sender_was_running
    assert not paths.consent_record.exists()
