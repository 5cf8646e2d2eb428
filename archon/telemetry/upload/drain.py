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
   which ``archon telemetry status`` shows (the limits and the schedule: :mod:`~archon.telemetry.upload.attempts`);
5. repeats until the outbox is empty, events are held, or the time limit nears; then, in the flusher process,
   lingers (``linger_seconds``, polling) for the next command's events, which that command, seeing the lock held,
   left to this run; then releases the lock and, if an event arrived meanwhile (its command saw the lock held and
   started no flusher), takes the lock again for it.

The process around it (:mod:`archon.telemetry.upload.process`) has a hard limit (a kernel timer) that kills it
whatever the network or the CPU scheduler does; the run's own deadline,
:attr:`~archon.telemetry.upload.attempts.FlushPolicy.deadline_seconds`, ends earlier, so that normally the run
puts back its batch and records its backoff itself before that.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from archon.buildinfo import BuildInfo
from archon.config_cache import read_telemetry_config
from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.private_files import file_signature, untrusted_home
from archon.telemetry.consent import resolve_consent
from archon.telemetry.outbox.claims import Claim, Claims
from archon.telemetry.outbox.counters import DeliveryCounters, read_counters, update_counters
from archon.telemetry.outbox.event_file import StoredEvent, measure
from archon.telemetry.outbox.sent_log import record_sent
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.schema import allowed_properties
from archon.telemetry.upload.attempts import Attempt, FlushPolicy, after_attempt
from archon.telemetry.upload.sender import Outcome, Sender, SendResult

__all__ = ["FlushReport", "flush_outbox", "within_allow_list"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(kw_only=True)
class FlushReport:
    """What a run did (for tests and benchmarks; the process itself reports nothing)."""

    outcome: str = "idle"
    sent: int = 0
    rejected: int = 0
    kept: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


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
        self.claims = Claims(self.paths)

    def remaining(self) -> float:
        return self.deadline - self.monotonic()

    def allowed(self) -> bool:
        return self.build.key_embedded and consent_is_on(env=self.env, paths=self.paths)

    def prepare(self) -> bool:
        """Housekeeping and the backoff wait; False when this run should send nothing."""
        self.claims.reclaim_orphans()
        self.claims.remove_stale_temp_files(
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

    def linger(self) -> bool:
        """Wait, holding the lock, for the next command's events: True once some are waiting and no more have come
        for ``linger_settle_seconds`` (so the sending does not run beside the command still recording); False when none
        came within ``linger_seconds``, or consent was withdrawn, the anonymous id changed (``telemetry clear``,
        whose reset waits for this lock) or the run's time is nearly up."""
        until = min(self.monotonic() + self.policy.linger_seconds, self.deadline - self.policy.min_request_seconds)
        identity = file_signature(self.paths.telemetry_id)
        waiting, settled_from = 0, self.monotonic()
        while self.monotonic() + self.policy.linger_poll_seconds <= until:
            self.sleep(self.policy.linger_poll_seconds)
            if not self.allowed() or file_signature(self.paths.telemetry_id) != identity:
                return False
            now_waiting = measure(self.paths.outbox)[0]
            if now_waiting != waiting:  # a command is recording: wait until it has (likely) finished
                waiting, settled_from = now_waiting, self.monotonic()
            if waiting and self.monotonic() - settled_from >= self.policy.linger_settle_seconds:
                return True
        return waiting > 0

    def drain(self) -> bool:
        """Send batches until the outbox is empty (True) or something stops the run (False)."""
        while self.remaining() >= self.policy.min_request_seconds:
            if not self.allowed():
                self.report.outcome = "consent off"
                return False
            claim = self.claims.claim(self.policy.batch_size)
            if claim.corrupt:
                self._count_corrupt(claim.corrupt)
            if not claim.items:
                self.report.outcome = "drained"
                return True
            kept = [(item, within_allow_list(item[1])) for item in claim.items]
            undeclared = Claim(items=tuple(item for item, event in kept if event is None))
            if undeclared.items:  # not in this build's schema: never sent
                self.claims.acknowledge(undeclared)
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
        attempt = Attempt()
        parts: deque[list[tuple[Path, StoredEvent]]] = deque([batch])
        while parts:
            part = parts.popleft()
            claim = Claim(items=tuple(part))
            unsent = Claim(items=tuple(item for rest in (part, *parts) for item in rest))
            if self.remaining() < self.policy.min_request_seconds:
                self.claims.unclaim(unsent)
                self.report.outcome = "deadline"
                self._settle(attempt)
                return False
            result = self._load_sender()
            if not isinstance(result, SendResult):
                # Last look before the network: `telemetry off` (which deletes claimed records too) or a changed
                # config while the library was loading means this batch must not leave.
                if not self._may_send(claim):
                    self.claims.unclaim(unsent)
                    self._settle(attempt)
                    return False
                result = self._post(result, [event for _, event in part])
            if result.outcome is Outcome.ACCEPTED:
                self.claims.acknowledge(claim)
                with contextlib.suppress(OSError):  # delivered; losing the log line must not cause a re-send
                    record_sent(self.paths, result.sent)
                attempt.accepted += len(part)
            elif result.outcome in (Outcome.INVALID, Outcome.TOO_LARGE) and len(part) > 1:
                middle = len(part) // 2  # capture stops at the first invalid event: find it by halves
                parts.extendleft([part[middle:], part[:middle]])
            elif result.outcome in (Outcome.INVALID, Outcome.TOO_LARGE):
                self.claims.acknowledge(claim)
                attempt.invalid += 1
                attempt.refusal = result.status
            else:
                self.claims.unclaim(unsent)
                attempt.held, attempt.held_events = result, len(unsent.items)
                break
        return self._settle(attempt)

    def _may_send(self, claim: Claim) -> bool:
        if self.allowed() and self.claims.still_claimed(claim):
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

    def _settle(self, attempt: Attempt) -> bool:
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
        self._update(lambda s: after_attempt(s, attempt, moment, self.policy))
        return held is None

    def _update(self, change: Callable[[DeliveryCounters], DeliveryCounters]) -> None:
        with contextlib.suppress(OSError):
            update_counters(self.paths, change)


def _sender_failed(exc: Exception) -> SendResult:
    return SendResult(Outcome.FAILED, error=f"sender error ({type(exc).__name__})"[:80])


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
                while run.linger():  # the next command's events, sent by this run: that command started none
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
