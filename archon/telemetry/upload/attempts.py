"""One delivery attempt: the limits a flusher run keeps to (:class:`FlushPolicy`), what a claimed batch came to
(:class:`Attempt`), and what that does to the counters (:func:`after_attempt`): the retry schedule, short after a
network error or a busy server, long after an answer that points at a misconfigured proxy, never shorter than the
server's ``Retry-After``.

Kept apart from :mod:`~archon.telemetry.upload.drain`, which moves the events, so the rules for *when* are read in
one place; nothing here touches the network or the outbox.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from archon.paths import ArchonPaths
from archon.private_files import untrusted_home
from archon.telemetry.outbox.counters import AttemptOutcome, DeliveryCounters, update_counters
from archon.telemetry.upload.process import FLUSH_DEADLINE_SECONDS, WIND_DOWN_SECONDS
from archon.telemetry.upload.sender import Outcome, SendResult

__all__ = ["Attempt", "FlushPolicy", "after_attempt", "backoff_delay", "record_failed_run"]


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
    linger_seconds: float = 0.0
    """After the outbox is drained, how long the run waits (holding the flush lock) for the next command's events,
    so that commands run back to back start no flusher of their own: 0 in the library, ``LINGER_SECONDS`` in the
    flusher process (:mod:`~archon.telemetry.upload.process`)."""
    linger_poll_seconds: float = 0.1
    """How often a lingering run looks for new events (so it adds at most this to their delivery)."""
    linger_settle_seconds: float = 0.0
    """A lingering run that sees new events sends them once no more have come for this long (or its wait is up):
    the command that is recording them is then most likely done, and the run's work does not take a CPU from it.
    0 in the library, ``LINGER_SETTLE_SECONDS`` in the flusher process."""

    @property
    def longest_wait_seconds(self) -> float:
        """No recorded backoff is waited out longer than this: a clock set back must not stop delivery for days."""
        return max(self.backoff_cap_seconds, self.hold_backoff_cap_seconds, self.retry_after_cap_seconds)


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


@dataclass
class Attempt:
    """One claimed batch on its way out: what was settled, and what stopped it, if anything."""

    accepted: int = 0
    invalid: int = 0
    refusal: int | None = None
    """The status that refused the invalid events (400 or 413)."""
    held: SendResult | None = None
    """The answer that made the rest wait (network, server, the sender itself); None when nothing is held."""
    held_events: int = 0


def after_attempt(state: DeliveryCounters, attempt: Attempt, moment: datetime, policy: FlushPolicy) -> DeliveryCounters:
    """The counters once ``attempt`` has settled: what was sent or dropped, how it ended, when to try again."""
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
    delay = backoff_delay(failures, held.retry_after, policy, hold=held.outcome is Outcome.HOLD)
    return replace(
        settled,
        consecutive_failures=failures,
        next_attempt_at=moment + timedelta(seconds=delay),
        last_outcome=_held(held),
        last_status=held.status,
        last_error=held.error,
    )


def _held(result: SendResult) -> AttemptOutcome:
    """How an attempt that held its events ended: the server answered, nothing did, or the sender failed."""
    if result.outcome is Outcome.FAILED:
        return AttemptOutcome.HELD_ERROR
    if result.status is None and result.outcome is Outcome.RETRY:
        return AttemptOutcome.HELD_NETWORK
    return AttemptOutcome.HELD_SERVER


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
