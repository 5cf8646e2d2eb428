"""The drain: send what the outbox holds, in batches, within a time limit. One run of the flusher process.

One flusher runs at a time (``flush.lock``, an OS lock the kernel drops when its holder dies). A run:

1. takes the lock, or exits at once if another flusher has it;
2. re-checks that consent is still on and that this build has a key (nothing is sent otherwise);
3. moves records a dead flusher left in ``inflight/`` back to the outbox (same names, same uuids), removes temp
   files of killed appenders, and enforces the outbox bound;
4. waits out the backoff if one is recorded and it ends within the time limit, else exits;
5. claims the oldest batch (rename into ``inflight/``), keeps only what the running build's schema allows
   (:func:`~archon.telemetry.schema.allowed_properties`: an undeclared event is dropped and counted, an
   undeclared property removed), sends it with :class:`~archon.telemetry.upload.sender.Sender`, and settles it:
   accepted -> deleted and remembered in the sent log; rejected (4xx) -> deleted and counted;
   network error, timeout, 5xx, 408, 429, a redirect (never followed) -> put back, and the next attempt is
   delayed (exponential backoff capped at ``backoff_cap_seconds``, so events arrive soon after the server is
   back);
6. repeats until the outbox is empty, a batch fails, or the time limit nears; then releases the lock and, if an
   event arrived meanwhile (its command saw the lock held and started no flusher), takes the lock again for it.

The process around it (:mod:`archon.telemetry.upload.process`) has a hard limit (a kernel timer) that kills it
whatever the network or the CPU scheduler does; the run's own deadline, :attr:`FlushPolicy.deadline_seconds`,
ends earlier, so that normally the run puts back its batch and records its backoff itself before that.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from archon.buildinfo import BuildInfo
from archon.config_cache import read_telemetry_config
from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.telemetry.consent import resolve_consent
from archon.telemetry.outbox.counters import DeliveryCounters, read_counters, update_counters
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.sent_log import record_sent
from archon.telemetry.outbox.store import Claim, Outbox
from archon.telemetry.schema import allowed_properties
from archon.telemetry.upload.process import FLUSH_DEADLINE_SECONDS, WIND_DOWN_SECONDS
from archon.telemetry.upload.sender import Sender, SendResult

__all__ = ["FlushPolicy", "FlushReport", "backoff_delay", "flush_outbox", "within_allow_list"]


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
    stale_temp_seconds: float = 60.0


@dataclass(kw_only=True)
class FlushReport:
    """What a run did (for tests and benchmarks; the process itself reports nothing)."""

    outcome: str = "idle"
    sent: int = 0
    rejected: int = 0
    kept: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def backoff_delay(failures: int, retry_after: float | None, policy: FlushPolicy) -> float:
    """Seconds to wait after ``failures`` failed attempts in a row; honours Retry-After up to the cap."""
    exponential = policy.backoff_base_seconds * float(2 ** max(0, failures - 1))
    wanted = max(exponential, retry_after or 0.0)
    return min(wanted, policy.backoff_cap_seconds)


def consent_is_on(*, env: Mapping[str, str], paths: ArchonPaths) -> bool:
    return resolve_consent(env, lambda: read_telemetry_config(paths)).enabled


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
        next_attempt = read_counters(self.paths.telemetry_state).next_attempt_at
        wait = 0.0 if next_attempt is None else (next_attempt - self.now()).total_seconds()
        wait = min(wait, self.policy.backoff_cap_seconds)  # a clock set back must not stop delivery for hours
        if wait > 0:
            if wait + self.policy.min_request_seconds > self.remaining():
                self.report.outcome = "backoff"
                return False
            self.sleep(wait)
        return True

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
            if self.sender is None:
                self.sender = Sender(build=self.build)
            batch = [kept for kept in map(within_allow_list, claim.events) if kept is not None]
            # Last look before the network: `telemetry off` (which deletes claimed records too) or a changed
            # config while the library was loading means this batch must not leave.
            if not self.allowed() or not self.outbox.still_claimed(claim):
                self.outbox.unclaim(claim)
                self.report.outcome = "consent off"
                return False
            if not batch:
                self._settle(claim, SendResult("rejected", error="not in this build's schema"))
                continue
            timeout = min(self.policy.request_timeout_seconds, self.remaining())
            result = self.sender.post(batch, timeout=timeout)
            self.report.requests += 1
            if not self._settle(claim, result, undeclared=len(claim.items) - len(batch)):
                return False
        self.report.outcome = "deadline"
        return False

    def _count_corrupt(self, count: int) -> None:
        self._update(lambda s: replace(s, dropped_corrupt=s.dropped_corrupt + count))

    def _settle(self, claim: Claim, result: SendResult, *, undeclared: int = 0) -> bool:
        moment = self.now()
        if result.outcome == "retry":
            self.outbox.unclaim(claim)
            self.report.kept += len(claim.items)
            self.report.errors.append(result.error or "error")
            self._update(lambda s: self._failed(s, result, moment))
            self.report.outcome = "retry later"
            return False
        self.outbox.acknowledge(claim)
        if result.outcome == "accepted":
            with contextlib.suppress(OSError):  # delivered; losing the history line must not cause a re-send
                record_sent(self.paths, result.sent)
            sent, refused = len(result.sent), undeclared
            self.report.sent += sent
        else:
            sent, refused = 0, len(claim.items)
            self.report.errors.append(result.error or "rejected")
        self.report.rejected += refused
        self._update(
            lambda s: replace(
                s,
                sent=s.sent + sent,
                dropped_rejected=s.dropped_rejected + refused,
                consecutive_failures=0,
                next_attempt_at=None,
                last_attempt_at=moment,
                last_sent_at=moment if sent else s.last_sent_at,
                last_error=result.error if refused else None,
            )
        )
        return True

    def _failed(self, state: DeliveryCounters, result: SendResult, moment: datetime) -> DeliveryCounters:
        failures = state.consecutive_failures + 1
        delay = backoff_delay(failures, result.retry_after, self.policy)
        return replace(
            state,
            consecutive_failures=failures,
            next_attempt_at=moment + timedelta(seconds=delay),
            last_attempt_at=moment,
            last_error=result.error,
        )

    def _update(self, change: Callable[[DeliveryCounters], DeliveryCounters]) -> None:
        with contextlib.suppress(OSError):
            update_counters(self.paths, change)


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
            lock = FileLock(paths.flush_lock)
            if not lock.acquire(timeout=0):
                if first:
                    run.report.outcome = "busy"
                return run.report
            try:
                lock.describe_holder(f"since {now().isoformat()}")
                if not run.allowed():
                    run.report.outcome = "not allowed"
                    return run.report
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
