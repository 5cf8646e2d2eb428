"""A flusher run in this process, against the loopback ingest server, for every way delivery can go."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from archon.buildinfo import current_build
from archon.config import set_config_value
from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.telemetry.identity import ensure_identity
from archon.telemetry.outbox.claims import Claims
from archon.telemetry.outbox.counters import AttemptOutcome, read_counters
from archon.telemetry.outbox.event_file import StoredEvent, encode_event, event_file_name
from archon.telemetry.outbox.sent_log import sent_events
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.upload import drain
from archon.telemetry.upload.attempts import FlushPolicy, backoff_delay, record_failed_run
from archon.telemetry.upload.drain import FlushReport, flush_outbox, within_allow_list
from archon.telemetry.upload.sender import Outcome, SendResult
from tests.support.delivery import TEST_KEY, keyed_build, make_event, opt_in
from tests.support.ingest import IngestServer

NOW = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _opted_in(paths: ArchonPaths) -> None:
    opt_in(paths)


class Clock:
    """The wall clock the flusher reads; ``sleep`` advances it (the flusher's only waiting is the backoff)."""

    def __init__(self) -> None:
        self.now = NOW
        self.slept: list[float] = []

    def time(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def _flush(paths: ArchonPaths, server: IngestServer, *, clock: Clock | None = None, **policy: float) -> FlushReport:
    clock = clock or Clock()
    return flush_outbox(
        paths=paths,
        build=keyed_build(server.url),
        env={},
        policy=FlushPolicy(**policy),  # type: ignore[arg-type]
        now=clock.time,
        sleep=clock.sleep,
    )


def _queue(paths: ArchonPaths, count: int) -> list[StoredEvent]:
    outbox = Outbox(paths)
    events = [make_event(exit_code=i % 256) for i in range(count)]
    for event in events:
        outbox.append(event)
    return events


def test_accepted_events_are_deleted_and_remembered_as_sent(paths: ArchonPaths, ingest: IngestServer) -> None:
    events = _queue(paths, 3)
    report = _flush(paths, ingest)

    assert (report.outcome, report.sent, report.requests) == ("drained", 3, 1)
    assert [e["uuid"] for e in ingest.events()] == [e["uuid"] for e in events]
    assert Outbox(paths).pending() == []
    assert sent_events(paths) == ingest.events()  # inspect shows what the server received
    state = read_counters(paths.telemetry_state)
    assert (state.sent, state.last_sent_at, state.consecutive_failures) == (3, NOW, 0)


def test_events_go_in_batches(paths: ArchonPaths, ingest: IngestServer) -> None:
    events = _queue(paths, 250)
    report = _flush(paths, ingest)

    assert [len(r.events) for r in ingest.snapshot()] == [100, 100, 50]
    assert (report.sent, report.requests) == (250, 3)
    assert sorted(e["uuid"] for e in ingest.events()) == sorted(e["uuid"] for e in events)


@pytest.mark.parametrize("mode", ["unavailable", "rate_limited"])
def test_5xx_and_429_keep_the_events_and_back_off(paths: ArchonPaths, ingest: IngestServer, mode: str) -> None:
    events = _queue(paths, 3)
    ingest.reset(mode)  # type: ignore[arg-type]
    report = _flush(paths, ingest)

    assert (report.outcome, report.kept, report.requests) == ("retry later", 3, 1)
    assert Outbox(paths).pending() == events
    state = read_counters(paths.telemetry_state)
    assert (state.consecutive_failures, state.next_attempt_at) == (1, NOW + timedelta(seconds=1))
    assert state.last_error in ("HTTP 503", "HTTP 429")


def test_a_redirect_keeps_the_events_and_sends_nothing_elsewhere(
    paths: ArchonPaths, ingest: IngestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _queue(paths, 4)
    with IngestServer() as elsewhere:
        monkeypatch.setattr(ingest, "redirect_to", f"{elsewhere.url}/elsewhere/")
        ingest.reset("redirect")
        report = _flush(paths, ingest)

        assert elsewhere.snapshot() == []  # neither the events nor the api_key went to the Location host
    assert (report.outcome, report.sent, report.kept, report.requests) == ("retry later", 0, 4, 1)
    assert Outbox(paths).pending() == events  # a misconfigured proxy loses nothing: kept, retried after a while
    assert sent_events(paths) == []
    state = read_counters(paths.telemetry_state)
    long_wait = timedelta(seconds=FlushPolicy().hold_backoff_base_seconds)
    assert (state.sent, state.consecutive_failures, state.next_attempt_at) == (0, 1, NOW + long_wait)
    assert (state.last_outcome, state.last_status) == (AttemptOutcome.HELD_SERVER, 307)
    assert state.last_error == "HTTP 307 (redirect not followed)"


def test_a_network_error_keeps_the_events(paths: ArchonPaths, ingest: IngestServer) -> None:
    events = _queue(paths, 2)
    closed = ingest.url.rsplit(":", 1)[0] + ":1"
    report = flush_outbox(paths=paths, build=keyed_build(closed), env={}, now=lambda: NOW)

    assert report.errors == ["connection error"]
    assert Outbox(paths).pending() == events
    assert read_counters(paths.telemetry_state).last_error == "connection error"


def test_the_same_uuids_arrive_once_the_server_is_back(paths: ArchonPaths, ingest: IngestServer) -> None:
    events = _queue(paths, 5)
    clock = Clock()
    ingest.reset("unavailable")
    _flush(paths, ingest, clock=clock)
    _flush(paths, ingest, clock=clock)  # still within the backoff: waits it out, tries once more

    assert clock.slept == [1.0]
    assert read_counters(paths.telemetry_state).next_attempt_at == clock.now + timedelta(seconds=2)  # 1 s, then 2 s
    failed_uuids = [e["uuid"] for e in ingest.events()]

    ingest.reset("ok")
    report = _flush(paths, ingest, clock=clock)

    assert clock.slept == [1.0, 2.0]
    assert report.sent == 5
    assert failed_uuids == [e["uuid"] for e in events] * 2
    assert [e["uuid"] for e in ingest.events()] == [e["uuid"] for e in events]
    state = read_counters(paths.telemetry_state)
    assert (state.consecutive_failures, state.next_attempt_at, state.last_error) == (0, None, None)


def test_a_backoff_longer_than_the_run_sends_nothing(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 1)
    ingest.reset("unavailable")
    clock = Clock()
    _flush(paths, ingest, clock=clock, backoff_base_seconds=60.0, backoff_cap_seconds=60.0)
    ingest.reset("ok")
    report = _flush(paths, ingest, clock=clock, backoff_base_seconds=60.0, backoff_cap_seconds=60.0)

    assert (report.outcome, report.requests, clock.slept) == ("backoff", 0, [])
    assert ingest.snapshot() == []
    assert Outbox(paths).pending_count() == 1


def test_a_batch_refused_whole_is_split_down_to_single_events_then_dropped(
    paths: ArchonPaths, ingest: IngestServer
) -> None:
    _queue(paths, 4)
    ingest.reset("rejected")  # 400 for every request, whatever it holds
    report = _flush(paths, ingest)

    assert [len(r.events) for r in ingest.snapshot()] == [4, 2, 1, 1, 2, 1, 1]
    assert (report.rejected, report.sent) == (4, 0)
    assert Outbox(paths).pending() == []
    state = read_counters(paths.telemetry_state)
    assert (state.dropped_rejected, state.last_error, state.next_attempt_at) == (4, "HTTP 400", None)
    assert (state.last_outcome, state.last_status, state.last_invalid) == (AttemptOutcome.DROPPED_INVALID, 400, 4)
    assert Outbox(paths).dropped_count() == 4
    assert sent_events(paths) == []


def test_a_400_drops_only_the_invalid_event_and_delivers_the_rest(paths: ArchonPaths, ingest: IngestServer) -> None:
    """What capture does: the whole batch is refused at its first invalid event. Halving finds it."""
    events = _queue(paths, 10)
    invalid = events[6]["uuid"]
    ingest.reset("validate", invalid_uuids={invalid})
    report = _flush(paths, ingest)

    delivered = [e["uuid"] for e in ingest.accepted_events()]
    assert delivered == [e["uuid"] for e in events if e["uuid"] != invalid]  # in order, each once
    assert (report.sent, report.rejected, report.outcome) == (9, 1, "drained")
    assert report.requests <= 2 * 4 + 1  # about two requests per halving, never one per event
    assert Outbox(paths).pending() == []
    state = read_counters(paths.telemetry_state)
    assert (state.sent, state.dropped_rejected) == (9, 1)
    assert (state.last_outcome, state.last_invalid, state.last_status) == (AttemptOutcome.ACCEPTED, 1, 400)
    assert (state.consecutive_failures, state.next_attempt_at) == (0, None)


def test_a_413_splits_the_batch_until_it_fits(paths: ArchonPaths, ingest: IngestServer) -> None:
    events = _queue(paths, 9)
    ingest.reset("max_batch", max_batch_events=2)
    report = _flush(paths, ingest)

    assert sorted(e["uuid"] for e in ingest.accepted_events()) == sorted(e["uuid"] for e in events)
    assert all(len(r.events) <= 2 for r in ingest.snapshot() if r.accepted)
    assert (report.sent, report.rejected) == (9, 0)
    assert read_counters(paths.telemetry_state).last_outcome is AttemptOutcome.ACCEPTED


def test_a_single_event_too_large_for_the_server_is_dropped(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 1)
    ingest.reset("max_batch", max_batch_events=0)
    report = _flush(paths, ingest)

    assert (report.sent, report.rejected, report.requests) == (0, 1, 1)
    state = read_counters(paths.telemetry_state)
    assert (state.last_outcome, state.last_status, state.dropped_rejected) == (AttemptOutcome.DROPPED_INVALID, 413, 1)


@pytest.mark.parametrize("status", [201, 202, 204])
def test_every_2xx_is_accepted(paths: ArchonPaths, ingest: IngestServer, status: int) -> None:
    events = _queue(paths, 3)
    ingest.reset("status", answer_status=status)
    report = _flush(paths, ingest)

    assert (report.outcome, report.sent, report.requests) == ("drained", 3, 1)
    assert Outbox(paths).pending() == []
    assert [e["uuid"] for e in sent_events(paths)] == [e["uuid"] for e in events]
    assert read_counters(paths.telemetry_state).last_outcome is AttemptOutcome.ACCEPTED


@pytest.mark.parametrize("status", [401, 403, 404, 405])
def test_an_answer_pointing_at_a_misconfigured_proxy_holds_the_events_for_long(
    paths: ArchonPaths, ingest: IngestServer, status: int
) -> None:
    events = _queue(paths, 3)
    clock = Clock()
    ingest.reset("status", answer_status=status)
    report = _flush(paths, ingest, clock=clock)

    assert (report.outcome, report.kept, report.rejected) == ("retry later", 3, 0)
    assert Outbox(paths).pending() == events
    state = read_counters(paths.telemetry_state)
    assert (state.last_outcome, state.last_status) == (AttemptOutcome.HELD_SERVER, status)
    assert state.next_attempt_at == NOW + timedelta(seconds=300)

    ingest.reset("ok")
    report = _flush(paths, ingest, clock=clock)  # the next command's flusher: still within the long backoff
    assert (report.outcome, report.requests, clock.slept) == ("backoff", 0, [])
    assert ingest.snapshot() == []


def test_retry_after_is_honoured_up_to_its_cap(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 1)
    ingest.reset("status", answer_status=429, retry_after="60")
    _flush(paths, ingest)
    assert read_counters(paths.telemetry_state).next_attempt_at == NOW + timedelta(seconds=60)

    later = Clock()
    later.now += timedelta(seconds=61)  # the minute is over
    ingest.reset("status", answer_status=503, retry_after="86400")
    _flush(paths, ingest, clock=later)  # a day is more than archon waits for anyone
    cap = FlushPolicy().retry_after_cap_seconds
    assert read_counters(paths.telemetry_state).next_attempt_at == later.now + timedelta(seconds=cap)


def test_a_network_error_is_recorded_as_such(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 1)
    ingest.reset("drop")
    _flush(paths, ingest)
    state = read_counters(paths.telemetry_state)
    assert (state.last_outcome, state.last_status, state.last_error) == (
        AttemptOutcome.HELD_NETWORK,
        None,
        "connection error",
    )


class BrokenSender:
    """A sender that cannot even be made, as with a broken install of the posthog library."""

    def __init__(self, **_: object) -> None:
        raise ImportError("posthog is broken")


def test_a_sender_that_fails_is_an_attempt_that_held_the_events(
    paths: ArchonPaths, ingest: IngestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _queue(paths, 2)
    monkeypatch.setattr(drain, "Sender", BrokenSender)
    report = _flush(paths, ingest)

    assert (report.outcome, report.kept, report.requests) == ("retry later", 2, 0)
    assert Outbox(paths).pending() == events
    state = read_counters(paths.telemetry_state)
    assert (state.last_outcome, state.last_error, state.last_attempt_at) == (
        AttemptOutcome.HELD_ERROR,
        "sender error (ImportError)",
        NOW,
    )
    assert state.next_attempt_at == NOW + timedelta(seconds=1)  # the short backoff: a fixed install sends soon


class ScriptedSender:
    """Answers each request with the next outcome of ``script``, and remembers what each carried."""

    script: ClassVar[list[Outcome]] = []
    carried: ClassVar[list[int]] = []

    def __init__(self, **_: object) -> None:
        pass

    def post(self, events: list[StoredEvent], *, timeout: float) -> SendResult:
        self.carried.append(len(events))
        outcome = self.script.pop(0)
        status = {Outcome.INVALID: 400, Outcome.RETRY: 503}.get(outcome, 200)
        return SendResult(outcome, tuple(events), status=status, error=None if status == 200 else f"HTTP {status}")

    def close(self) -> None:
        pass


def test_a_server_failing_in_the_middle_of_a_split_keeps_what_was_not_settled(
    paths: ArchonPaths, ingest: IngestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _queue(paths, 4)
    ScriptedSender.script = [Outcome.INVALID, Outcome.ACCEPTED, Outcome.RETRY]
    ScriptedSender.carried = []
    monkeypatch.setattr(drain, "Sender", ScriptedSender)
    report = _flush(paths, ingest)

    assert ScriptedSender.carried == [4, 2, 2]
    assert (report.sent, report.kept, report.outcome) == (2, 2, "retry later")
    assert Outbox(paths).pending() == events[2:]  # the first half went out; the second waits, unchanged
    state = read_counters(paths.telemetry_state)
    assert (state.sent, state.last_outcome, state.last_status) == (2, AttemptOutcome.HELD_SERVER, 503)
    assert [e["uuid"] for e in sent_events(paths)] == [e["uuid"] for e in events[:2]]


def test_a_home_others_may_write_is_never_touched(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 2)
    paths.telemetry_dir.chmod(0o777)
    before = sorted(p.name for p in paths.telemetry_dir.iterdir())
    report = _flush(paths, ingest)

    assert report.outcome == "not allowed"
    assert ingest.snapshot() == []
    assert sorted(p.name for p in paths.telemetry_dir.iterdir()) == before  # not even a lock file


def test_a_failed_run_is_recorded(paths: ArchonPaths) -> None:
    record_failed_run(paths=paths, error=KeyError("x"), now=NOW)
    state = read_counters(paths.telemetry_state)
    assert (state.last_outcome, state.last_error, state.last_attempt_at) == (
        AttemptOutcome.HELD_ERROR,
        "flusher error (KeyError)",
        NOW,
    )


def test_a_hanging_server_cannot_hold_the_run_past_its_deadline(
    paths: ArchonPaths, ingest: IngestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "hang_seconds", 5.0)
    events = _queue(paths, 2)
    ingest.reset("hang")
    report = flush_outbox(paths=paths, build=keyed_build(ingest.url), env={}, policy=FlushPolicy(deadline_seconds=1.5))

    assert (report.outcome, report.errors) == ("retry later", ["timeout"])
    assert Outbox(paths).pending() == events


_FLUSHER_PROCESS = """
import dataclasses, sys
from archon.telemetry.upload.process import main, run_in_background
run_in_background(deadline_seconds=3.0)  # armed first, with a shorter limit: main() never extends it
from archon.buildinfo import current_build
build = current_build()._replace(posthog_key=sys.argv[1], posthog_host=sys.argv[2])
sys.exit(main(build=build))
"""


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX interval timers")
def test_the_flusher_process_stops_itself_before_its_hard_limit(
    paths: ArchonPaths, ingest: IngestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's own deadline is the process's hard limit minus the wind-down, so a hung request ends in time
    for the flusher to put its batch back and record the failure, instead of being killed mid-request."""
    monkeypatch.setattr(ingest, "hang_seconds", 10.0)
    events = _queue(paths, 2)
    ingest.reset("hang")
    result = subprocess.run(
        [sys.executable, "-c", _FLUSHER_PROCESS, TEST_KEY, ingest.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr  # ended by itself, not by SIGALRM
    assert len(ingest.snapshot()) == 1
    assert Outbox(paths).pending() == events
    assert not any(paths.outbox_inflight.iterdir())  # the batch was put back, not left claimed
    assert read_counters(paths.telemetry_state).last_error == "timeout"


def test_only_one_flusher_runs_at_a_time(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 2)
    running = FileLock(paths.flush_lock)
    assert running.acquire()
    try:
        report = _flush(paths, ingest)
    finally:
        running.release()

    assert report.outcome == "busy"
    assert ingest.snapshot() == []
    assert Outbox(paths).pending_count() == 2


def test_nothing_is_sent_once_consent_is_withdrawn(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 2)
    set_config_value(paths.config, ("telemetry", "enabled"), False)

    assert _flush(paths, ingest).outcome == "not allowed"
    assert ingest.snapshot() == []
    assert Outbox(paths).pending_count() == 2  # `telemetry off` deletes them; the flusher only declines


def test_do_not_track_in_the_flushers_environment_wins(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 1)
    report = flush_outbox(paths=paths, build=keyed_build(ingest.url), env={"DO_NOT_TRACK": "1"})

    assert report.outcome == "not allowed"
    assert ingest.snapshot() == []


def test_a_build_without_a_key_sends_nothing(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 1)
    build = current_build()._replace(posthog_key="", posthog_host=ingest.url)
    report = flush_outbox(paths=paths, build=build, env={})

    assert report.outcome == "not allowed"
    assert ingest.snapshot() == []


def test_a_dead_flushers_claim_is_sent_once(paths: ArchonPaths, ingest: IngestServer) -> None:
    events = _queue(paths, 6)
    Claims(paths).claim(4)  # a flusher took these, then was killed before sending

    report = _flush(paths, ingest)

    assert report.sent == 6
    assert sorted(e["uuid"] for e in ingest.events()) == sorted(e["uuid"] for e in events)
    assert Outbox(paths).pending_count() == 0


def test_a_torn_record_is_skipped_and_counted(paths: ArchonPaths, ingest: IngestServer) -> None:
    (event,) = _queue(paths, 1)
    torn = encode_event(make_event())
    (paths.outbox / event_file_name(time_ns=1, event_uuid=make_event()["uuid"], size=len(torn))).write_bytes(torn[:9])

    report = _flush(paths, ingest)

    assert report.sent == 1
    assert [e["uuid"] for e in ingest.events()] == [event["uuid"]]
    assert read_counters(paths.telemetry_state).dropped_corrupt == 1


def test_backoff_doubles_up_to_the_cap_and_honours_retry_after() -> None:
    policy = FlushPolicy()
    assert [backoff_delay(n, None, policy) for n in range(1, 8)] == [1, 2, 4, 8, 15, 15, 15]
    assert [backoff_delay(n, None, policy, hold=True) for n in range(1, 6)] == [300, 600, 1200, 2400, 3600]
    assert backoff_delay(1, 7.0, policy) == 7.0
    assert backoff_delay(1, 60.0, policy) == 60.0  # Retry-After is honoured beyond the short backoff's cap
    assert backoff_delay(1, 86400.0, policy) == policy.retry_after_cap_seconds
    assert backoff_delay(5, 60.0, policy, hold=True) == 3600


def test_a_clock_set_back_cannot_stretch_the_backoff(paths: ArchonPaths, ingest: IngestServer) -> None:
    _queue(paths, 1)
    ingest.reset("unavailable")
    clock = Clock()
    _flush(paths, ingest, clock=clock)
    clock.now -= timedelta(hours=3)  # the wall clock jumps three hours back
    ingest.reset("ok")
    report = _flush(paths, ingest, clock=clock)

    assert clock.slept == [1.0]  # the delay intended when it was recorded, not three hours
    assert report.sent == 1


class OptOutOnceClaimed(Mapping[str, str]):
    """An environment in which DO_NOT_TRACK appears the moment the flusher has claimed a batch: the opt-out
    lands while the flusher is between taking the events and sending them."""

    def __init__(self, paths: ArchonPaths) -> None:
        self.paths = paths

    def _claimed(self) -> bool:
        return self.paths.outbox_inflight.is_dir() and any(self.paths.outbox_inflight.iterdir())

    def __getitem__(self, key: str) -> str:
        if key == "DO_NOT_TRACK" and self._claimed():
            return "1"
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(["DO_NOT_TRACK"] if self._claimed() else [])

    def __len__(self) -> int:
        return len(list(iter(self)))


def test_an_opt_out_between_claim_and_send_stops_the_batch(paths: ArchonPaths, ingest: IngestServer) -> None:
    events = _queue(paths, 3)
    report = flush_outbox(paths=paths, build=keyed_build(ingest.url), env=OptOutOnceClaimed(paths))

    assert report.outcome == "consent off"
    assert report.requests == 0
    assert ingest.snapshot() == []
    assert Outbox(paths).pending() == events  # put back; `telemetry off` is what deletes them


def test_a_cleared_claim_is_no_longer_claimed(paths: ArchonPaths) -> None:
    _queue(paths, 2)
    outbox, claims = Outbox(paths), Claims(paths)
    claim = claims.claim(2)
    assert claims.still_claimed(claim)
    outbox.clear()
    assert not claims.still_claimed(claim)


def test_an_undeclared_event_or_property_never_leaves(paths: ArchonPaths, ingest: IngestServer) -> None:
    """What another version of archon (or anything else) put in the outbox goes out only as far as this build's
    schema allows: an undeclared property is removed, an undeclared event dropped and counted."""
    good = make_event()
    extra = make_event()
    extra["properties"]["workflow_path"] = "/home/alice/secret-project"
    unknown = make_event()
    unknown["event"] = "cli.secret_event"
    outbox = Outbox(paths)
    for event in (good, extra, unknown):
        outbox.append(event)

    report = _flush(paths, ingest)

    assert (report.sent, report.rejected) == (2, 1)
    declared_only = {key: value for key, value in extra["properties"].items() if key != "workflow_path"}
    assert ingest.events() == [good, {**extra, "properties": declared_only}]
    assert b"secret" not in b"".join(r.raw_body for r in ingest.snapshot())
    assert read_counters(paths.telemetry_state).dropped_rejected == 1
    assert Outbox(paths).pending() == []


def test_within_allow_list_keeps_the_envelope_and_declared_properties_only() -> None:
    event = make_event()
    tampered = StoredEvent(**{**event, "properties": {**event["properties"], "$os": "Linux", "hostname": "db"}})
    assert within_allow_list(tampered) == event
    assert within_allow_list(StoredEvent(**{**event, "event": "made.up"})) is None


# -- lingering for the next command's events -------------------------------------------------------------------


class _Commands:
    """Stands in for commands run while a flusher lingers: each poll of the run (its ``sleep``) is a moment at
    which ``plan`` may append events or change the home, and the run's clock moves on by the poll."""

    def __init__(self, paths: ArchonPaths, plan: dict[int, Callable[[], object]]) -> None:
        self.paths = paths
        self.plan = plan
        self.polls = 0
        self.clock = 0.0

    def sleep(self, seconds: float) -> None:
        self.polls += 1
        self.clock += seconds
        self.plan.get(self.polls, lambda: None)()

    def monotonic(self) -> float:
        return self.clock


def _linger(paths: ArchonPaths, ingest: IngestServer, commands: _Commands, *, settle: float = 0.0) -> FlushReport:
    return flush_outbox(
        paths=paths,
        build=keyed_build(ingest.url),
        env={},
        # 16 looks per wait, exactly
        policy=FlushPolicy(linger_seconds=2.0, linger_poll_seconds=0.125, linger_settle_seconds=settle),
        sleep=commands.sleep,
        monotonic=commands.monotonic,
    )


def test_a_lingering_run_sends_the_next_commands_events_too(paths: ArchonPaths, ingest: IngestServer) -> None:
    first = _queue(paths, 2)
    later: list[StoredEvent] = []
    commands = _Commands(paths, {3: lambda: later.extend(_queue(paths, 2)), 12: lambda: later.extend(_queue(paths, 1))})
    report = _linger(paths, ingest, commands)

    assert [event["uuid"] for event in ingest.events()] == [event["uuid"] for event in first + later]
    assert (report.outcome, report.requests) == ("drained", 3)
    assert commands.polls == 12 + 16  # each arrival restarts the wait; 2 s of looking after the last, then it ends
    assert Outbox(paths).pending_count() == 0


def test_a_lingering_run_sends_a_commands_events_once_no_more_have_come_for_a_while(
    paths: ArchonPaths, ingest: IngestServer
) -> None:
    """The command that records them is then most likely done: the sending does not take a CPU from it."""
    _queue(paths, 1)
    later: list[StoredEvent] = []
    commands = _Commands(paths, {3: lambda: later.extend(_queue(paths, 1)), 4: lambda: later.extend(_queue(paths, 1))})
    report = _linger(paths, ingest, commands, settle=0.25)

    assert (report.outcome, report.requests) == ("drained", 2)  # the command's two events in one request
    assert [event["uuid"] for event in ingest.snapshot()[-1].events] == [event["uuid"] for event in later]
    assert commands.polls == 6 + 16  # sent two looks (0.25 s) after the last arrival, then 2 s of looking


@pytest.mark.parametrize("change", ["telemetry off", "telemetry clear"])
def test_a_lingering_run_stops_at_once_when_telemetry_is_turned_off_or_reset(
    paths: ArchonPaths, ingest: IngestServer, change: str
) -> None:
    ensure_identity(paths)
    _queue(paths, 1)

    def turn_off() -> None:
        set_config_value(paths.config, ("telemetry", "enabled"), False)

    commands = _Commands(paths, {2: turn_off if change == "telemetry off" else paths.telemetry_id.unlink})
    _linger(paths, ingest, commands)
    assert commands.polls == 2  # released the lock at the next look: `telemetry clear --all` waits for it
    assert not FileLock(paths.flush_lock).held
