"""The drain: send what the outbox holds, in batches, within a time limit. One run of the flusher process.

One flusher runs at a time (``flush.lock``, an OS lock the kernel drops when its holder dies). A run:

1. checks that consent is still on, that this build has a key and that the archon home is the user's own
   (nothing is sent, and nothing there is touched, otherwise), then takes the lock, or exits at once if another
   flusher has it;
2. moves records a dead flusher left in ``inflight/`` back to the outbox (same names, same uuids), removes temp
   files of killed appenders, and enforces the outbox bound;
3. waits out the backoff if one is recorded and it ends within the time limit, else exits;
4. claims the oldest batch (rename into ``inflight/``), keeps only what the running build's schema allows
   (:func:`~archon.telemetry.schema.allowed_properties`: an undeclared event is dropped and counted, an
   undeclared property removed), sends it with :class:`~archon.telemetry.upload.sender.Sender`, and settles it
   by what the answer means (:class:`~archon.telemetry.upload.sender.Outcome`):

   - accepted (any 2xx) -> deleted and remembered in the sent log;
   - invalid (400) or too large (413) -> split in halves, each sent again, down to single events: capture
     refuses a whole batch at its first invalid event, so only the events it refuses alone are dropped (and
     counted); the others are delivered;
   - network error, timeout, 5xx, 408, 429, or a failure of the sender itself -> put back, next attempt after a
     short exponential backoff (``backoff_cap_seconds``, so events arrive soon after the server is back);
   - 401, 403, 404, a redirect (never followed) or another 4xx -> put back, next attempt after a long backoff
     (``hold_backoff_*``): a misconfigured proxy or host, which someone will fix, and then the events go;
   - a ``Retry-After`` header is honoured up to ``retry_after_cap_seconds``;

   and records the attempt (when, how it ended, the status, how many were dropped as invalid) in the counters,
   which ``archon telemetry status`` shows;
5. repeats until the outbox is empty, events are held, or the time limit nears; then releases the lock and, if
   an event arrived meanwhile (its command saw the lock held and started no flusher), takes the lock again for
   it.

The process around it (:mod:`archon.telemetry.upload.process`) has a hard limit (a kernel timer) that kills it
whatever the network or the CPU scheduler does; the run's own deadline, :attr:`FlushPolicy.deadline_seconds`,
ends earlier, so that normally the run puts back its batch and records its backoff itself before that.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archon.buildinfo import BuildInfo
from archon.config_cache import read_telemetry_config
from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.private_files import untrusted_home
from archon.telemetry.consent import resolve_consent
from archon.telemetry.outbox.counters import AttemptOutcome, DeliveryCounters, read_counters, update_counters
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.sent_log import record_sent
from archon.telemetry.outbox.store import Claim, Outbox
from archon.telemetry.schema import allowed_properties
from archon.telemetry.upload.process import FLUSH_DEADLINE_SECONDS, WIND_DOWN_SECONDS
from archon.telemetry.upload.sender import Outcome, Sender, SendResult

__all__ = ["FlushPolicy", "FlushReport", "backoff_delay", "flush_outbox", "record_failed_run", "within_allow_list"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class FlushPolicy:
    deadline_seconds: float = FLUSH_DEADLINE_SECONDS - WIND_DOWN_SECONDS
    """Limit on a whole run: no request starts or lasts beyond it. The process's hard limit is the backstop."""
    batch_size: int = 100
    request_timeout_seconds: float = 10.0
    min_request_seconds: float = 1.0
    """No new request starts with less time than this left."""
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 15.0
    """The short backoff, after a network error, a timeout, 5xx, 408 or 429: doubles per failure up to this."""
    hold_backoff_base_seconds: float = 300.0
    hold_backoff_cap_seconds: float = 3600.0
    """The long backoff, after 401, 403, 404, a redirect or another 4xx: doubles per failure up to this."""
    retry_after_cap_seconds: float = 600.0
    """A server's ``Retry-After`` is honoured up to this (posthog-python itself stops at 30 s)."""
    stale_temp_seconds: float = 60.0

    @property
    def longest_wait_seconds(self) -> float:
        """No recorded backoff is waited out longer than this: a clock set back must not stop delivery for days."""
        return max(self.backoff_cap_seconds, self.hold_backoff_cap_seconds, self.retry_after_cap_seconds)


@dataclass(kw_only=True)
class FlushReport:
    """What a run did (for tests and benchmarks; the process itself reports nothing)."""

    outcome: str = "idle"
    sent: int = 0
    rejected: int = 0
    kept: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def backoff_delay(failures: int, retry_after: float | None, policy: FlushPolicy, *, hold: bool = False) -> float:
    """Seconds to wait after ``failures`` held attempts in a row: the short backoff, or the long one (``hold``),
    and never less than the server's ``Retry-After`` (up to ``retry_after_cap_seconds``)."""
    base, cap = (
        (policy.hold_backoff_base_seconds, policy.hold_backoff_cap_seconds)
        if hold
        else (policy.backoff_base_seconds, policy.backoff_cap_seconds)
    )
    exponential = min(base * float(2 ** max(0, failures - 1)), cap)
    return max(exponential, min(retry_after or 0.0, policy.retry_after_cap_seconds))


def consent_is_on(*, env: Mapping[str, str], paths: ArchonPaths) -> bool:
    return resolve_consent(env, lambda: read_telemetry_config(paths), home_trust=lambda: untrusted_home(paths)).enabled


def within_allow_list(event: StoredEvent) -> StoredEvent | None:
    """``event`` with only the properties this build's schema allows for it; None for an undeclared event.

    What the recorder stored already conforms; this is the last gate before the network, for events another
    version of archon stored (an upgrade, a downgrade) or that anything else put in the outbox.
    """
    allowed = allowed_properties(event["event"])
    if allowed is None:
        return None
    return StoredEvent(
        event=event["event"],
        distinct_id=event["distinct_id"],
        uuid=event["uuid"],
        timestamp=event["timestamp"],
        properties={key: value for key, value in event["properties"].items() if key in allowed},
    )


@dataclass
class _Attempt:
    """One claimed batch on its way out: what was settled, and what stopped it, if anything."""

    accepted: int = 0
    invalid: int = 0
    refusal: int | None = None
    """The status that refused the invalid events (400 or 413)."""
    held: SendResult | None = None
    """The answer that made the rest wait (network, server, the sender itself); None when nothing is held."""
    held_events: int = 0


@dataclass(kw_only=True)
class _Run:
    paths: ArchonPaths
    build: BuildInfo
    env: Mapping[str, str]
    policy: FlushPolicy
    now: Callable[[], datetime]
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]
    report: FlushReport = field(default_factory=FlushReport)
    sender: Sender | None = None

    def __post_init__(self) -> None:
        self.deadline = self.monotonic() + self.policy.deadline_seconds
        self.outbox = Outbox(self.paths)

    def remaining(self) -> float:
        return self.deadline - self.monotonic()

    def allowed(self) -> bool:
        return self.build.key_embedded and consent_is_on(env=self.env, paths=self.paths)

    def prepare(self) -> bool:
        """Housekeeping and the backoff wait; False when this run should send nothing."""
        self.outbox.reclaim_orphans()
        self.outbox.remove_stale_temp_files(
            older_than_seconds=self.policy.stale_temp_seconds, now=self.now().timestamp()
        )
        self.outbox.enforce_bound()
        wait = self._backoff_left(read_counters(self.paths.telemetry_state))
        if wait > 0:
            if wait + self.policy.min_request_seconds > self.remaining():
                self.report.outcome = "backoff"
                return False
            self.sleep(wait)
        return True

    def _backoff_left(self, state: DeliveryCounters) -> float:
        """Seconds until the recorded next attempt, never more than the delay intended when it was recorded (a clock
        set back must not stop delivery for hours), nor than the longest backoff there is."""
        if state.next_attempt_at is None:
            return 0.0
        wait = (state.next_attempt_at - self.now()).total_seconds()
        intended = self.policy.longest_wait_seconds
        if state.last_attempt_at is not None:
            intended = min(intended, (state.next_attempt_at - state.last_attempt_at).total_seconds())
        return min(wait, intended)

    def drain(self) -> bool:
        """Send batches until the outbox is empty (True) or something stops the run (False)."""
        while self.remaining() >= self.policy.min_request_seconds:
            if not self.allowed():
                self.report.outcome = "consent off"
                return False
            claim = self.outbox.claim(self.policy.batch_size)
            if claim.corrupt:
                self._count_corrupt(claim.corrupt)
            if not claim.items:
                self.report.outcome = "drained"
                return True
            kept = [(item, within_allow_list(item[1])) for item in claim.items]
            undeclared = Claim(items=tuple(item for item, event in kept if event is None))
            if undeclared.items:  # not in this build's schema: never sent
                self.outbox.acknowledge(undeclared)
                self._count_refused(len(undeclared.items))
            batch = [(item[0], event) for item, event in kept if event is not None]
            if batch and not self._deliver(batch):
                return False
        self.report.outcome = "deadline"
        return False

    def _deliver(self, batch: list[tuple[Path, StoredEvent]]) -> bool:
        """Send ``batch``, splitting it while capture refuses it as invalid or too large; settle every part.

        True when every event was settled (accepted, or dropped as invalid); False when the run must stop: events
        are held, consent was withdrawn meanwhile, or the time is up (the unsent parts are put back, unchanged).
        """
        attempt = _Attempt()
        parts: deque[list[tuple[Path, StoredEvent]]] = deque([batch])
        while parts:
            part = parts.popleft()
            claim = Claim(items=tuple(part))
            unsent = Claim(items=tuple(item for rest in (part, *parts) for item in rest))
            if self.remaining() < self.policy.min_request_seconds:
                self.outbox.unclaim(unsent)
                self.report.outcome = "deadline"
                self._settle(attempt)
                return False
            result = self._load_sender()
            if not isinstance(result, SendResult):
                # Last look before the network: `telemetry off` (which deletes claimed records too) or a changed
                # config while the library was loading means this batch must not leave.
                if not self._may_send(claim):
                    self.outbox.unclaim(unsent)
                    self._settle(attempt)
                    return False
                result = self._post(result, [event for _, event in part])
            if result.outcome is Outcome.ACCEPTED:
                self.outbox.acknowledge(claim)
                with contextlib.suppress(OSError):  # delivered; losing the log line must not cause a re-send
                    record_sent(self.paths, result.sent)
                attempt.accepted += len(part)
            elif result.outcome in (Outcome.INVALID, Outcome.TOO_LARGE) and len(part) > 1:
                middle = len(part) // 2  # capture stops at the first invalid event: find it by halves
                parts.extendleft([part[middle:], part[:middle]])
            elif result.outcome in (Outcome.INVALID, Outcome.TOO_LARGE):
                self.outbox.acknowledge(claim)
                attempt.invalid += 1
                attempt.refusal = result.status
            else:
                self.outbox.unclaim(unsent)
                attempt.held, attempt.held_events = result, len(unsent.items)
                break
        return self._settle(attempt)

    def _may_send(self, claim: Claim) -> bool:
        if self.allowed() and self.outbox.still_claimed(claim):
            return True
        self.report.outcome = "consent off"
        return False

    def _load_sender(self) -> Sender | SendResult:
        """The sender, made once per run (it imports the posthog library); if that fails, the failure as an answer.

        A failure of the sender itself (a broken install, a bug) is an attempt that failed: the events are kept and
        status says so, rather than nothing being recorded at all.
        """
        if self.sender is None:
            try:
                self.sender = Sender(build=self.build, env=self.env)
            except Exception as exc:  # the sender's failure boundary
                return _sender_failed(exc)
        return self.sender

    def _post(self, sender: Sender, events: list[StoredEvent]) -> SendResult:
        """One request (the sender never raises; anything that does is its failure, as above)."""
        self.report.requests += 1
        timeout = min(self.policy.request_timeout_seconds, self.remaining())
        try:
            return sender.post(events, timeout=timeout)
        except Exception as exc:  # the sender's failure boundary
            return _sender_failed(exc)

    def _count_corrupt(self, count: int) -> None:
        self._update(lambda s: replace(s, dropped_corrupt=s.dropped_corrupt + count))

    def _count_refused(self, count: int) -> None:
        self.report.rejected += count
        self.report.errors.append("not in this build's schema")
        self._update(lambda s: replace(s, dropped_rejected=s.dropped_rejected + count))

    def _settle(self, attempt: _Attempt) -> bool:
        """Record how the attempt ended; True unless it held events."""
        moment = self.now()
        self.report.sent += attempt.accepted
        self.report.rejected += attempt.invalid
        held = attempt.held
        if held is None and attempt.accepted == 0 and attempt.invalid == 0:
            return True  # nothing was sent (time ran out, or consent went off before the first request)
        if held is not None:
            self.report.kept += attempt.held_events
            self.report.errors.append(held.error or "error")
            self.report.outcome = "retry later"
        if attempt.invalid:
            self.report.errors.append(f"HTTP {attempt.refusal}")
        self._update(lambda s: self._counted(s, attempt, moment))
        return held is None

    def _counted(self, state: DeliveryCounters, attempt: _Attempt, moment: datetime) -> DeliveryCounters:
        held = attempt.held
        settled = replace(
            state,
            sent=state.sent + attempt.accepted,
            dropped_rejected=state.dropped_rejected + attempt.invalid,
            last_attempt_at=moment,
            last_sent_at=moment if attempt.accepted else state.last_sent_at,
            last_invalid=attempt.invalid,
        )
        if held is None:
            return replace(
                settled,
                consecutive_failures=0,
                next_attempt_at=None,
                last_outcome=AttemptOutcome.ACCEPTED if attempt.accepted else AttemptOutcome.DROPPED_INVALID,
                last_status=attempt.refusal,
                last_error=f"HTTP {attempt.refusal}" if attempt.invalid else None,
            )
        failures = state.consecutive_failures + 1
        delay = backoff_delay(failures, held.retry_after, self.policy, hold=held.outcome is Outcome.HOLD)
        return replace(
            settled,
            consecutive_failures=failures,
            next_attempt_at=moment + timedelta(seconds=delay),
            last_outcome=_held(held),
            last_status=held.status,
            last_error=held.error,
        )

    def _update(self, change: Callable[[DeliveryCounters], DeliveryCounters]) -> None:
        with contextlib.suppress(OSError):
            update_counters(self.paths, change)


def _sender_failed(exc: Exception) -> SendResult:
    return SendResult(Outcome.FAILED, error=f"sender error ({type(exc).__name__})"[:80])


def _held(result: SendResult) -> AttemptOutcome:
    """How an attempt that held its events ended: the server answered, nothing did, or the sender failed."""
    if result.outcome is Outcome.FAILED:
        return AttemptOutcome.HELD_ERROR
    if result.status is None and result.outcome is Outcome.RETRY:
        return AttemptOutcome.HELD_NETWORK
    return AttemptOutcome.HELD_SERVER


def flush_outbox(
    *,
    paths: ArchonPaths,
    build: BuildInfo,
    env: Mapping[str, str],
    policy: FlushPolicy | None = None,
    now: Callable[[], datetime] = _utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FlushReport:
    """One flusher run in this process (see the module docstring). Raises only ``OSError`` from the disk."""
    run = _Run(
        paths=paths, build=build, env=env, policy=policy or FlushPolicy(), now=now, monotonic=monotonic, sleep=sleep
    )
    try:
        first = True
        while True:
            if not run.allowed():  # before the lock: an untrusted home is not even written a lock file
                run.report.outcome = "not allowed"
                return run.report
            lock = FileLock(paths.flush_lock)
            if not lock.acquire(timeout=0):
                if first:
                    run.report.outcome = "busy"
                return run.report
            try:
                lock.describe_holder(f"since {now().isoformat()}")
                if first and not run.prepare():
                    return run.report
                first = False
                if not run.drain():
                    return run.report
            finally:
                lock.release()
            # An event recorded while we held the lock found it busy and started no flusher: take it too.
            if run.outbox.pending_count() == 0 or run.remaining() < run.policy.min_request_seconds:
                return run.report
    finally:
        if run.sender is not None:
            run.sender.close()


def record_failed_run(*, paths: ArchonPaths, error: Exception, now: datetime) -> None:
    """Record that a run failed in a way the drain did not foresee (a bug), so that status says so rather than
    nothing. Best effort, never raises, and never writes in a home that is not the user's own."""
    phrase = f"flusher error ({type(error).__name__})"[:80]
    with contextlib.suppress(Exception):
        if untrusted_home(paths) is None:
            update_counters(
                paths,
                lambda s: replace(
                    s,
                    last_attempt_at=now,
                    last_outcome=AttemptOutcome.HELD_ERROR,
                    last_status=None,
                    last_invalid=0,
                    last_error=phrase,
                ),
            )
