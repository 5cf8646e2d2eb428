"""``~/.archon/telemetry/state.json``: the outbox's delivery counters and retry schedule, as one small value.

Written by appenders (events dropped because the outbox was full) and by the flusher (sent, rejected, backoff),
always as a read-modify-write under ``state.lock`` (a short, bounded wait) and an atomic replace, so two
processes never lose each other's counts and a crash never leaves half a file. Reading never raises: a missing
or unreadable file is the empty state.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from archon.filelock import locked
from archon.paths import ArchonPaths
from archon.private_files import read_regular_file, write_atomic
from archon.timestamps import format_utc, parse_utc

__all__ = ["AttemptOutcome", "DeliveryCounters", "read_counters", "update_counters"]

COUNTERS_LOCK_TIMEOUT_SECONDS = 0.5
COUNTERS_SIZE_LIMIT = 64 * 1024


class AttemptOutcome(StrEnum):
    """How the last delivery attempt (one batch, however many requests splitting it took) ended."""

    ACCEPTED = "accepted"
    """Every event it carried was accepted, or dropped as invalid (see ``last_invalid``)."""
    HELD_NETWORK = "held-network"
    """No answer: a network error or a timeout. The events are kept."""
    HELD_SERVER = "held-server"
    """The server answered ``last_status`` (a 5xx, 408, 429, 401, 403, 404, a redirect...). The events are kept."""
    HELD_ERROR = "held-error"
    """The sender itself failed (``last_error`` names it). The events are kept."""
    DROPPED_INVALID = "dropped-invalid"
    """Every event it carried was refused as invalid (400, or 413 for a single event) and dropped."""


@dataclass(frozen=True, kw_only=True)
class DeliveryCounters:
    """What ``telemetry status`` reports about delivery. Times are aware datetimes, stored in the one format
    of :mod:`archon.timestamps`."""

    dropped_overflow: int = 0
    """Events deleted unsent because the outbox reached its bound (oldest first)."""
    dropped_rejected: int = 0
    """Events the server refused as invalid (400, or 413 for an event alone), or that this build's schema does not
    declare; never retried."""
    dropped_corrupt: int = 0
    """Outbox records that could not be read (e.g. cut short by a power loss); skipped and removed."""
    sent: int = 0
    """Events the server accepted, in total."""
    consecutive_failures: int = 0
    """Delivery attempts that ended with events held, in a row; 0 after an attempt that settled them all."""
    next_attempt_at: datetime | None = None
    """No send is tried before this time (the backoff); None when there is no backoff."""
    last_attempt_at: datetime | None = None
    last_sent_at: datetime | None = None
    last_error: str | None = None
    """Why the last attempt failed, as a short fixed phrase (``HTTP 503``, ``timeout``, ``connection error``)."""
    last_outcome: AttemptOutcome | None = None
    last_status: int | None = None
    """The HTTP status that held the events, or refused the invalid ones, in the last attempt."""
    last_invalid: int = 0
    """Events the last attempt dropped as invalid."""

    @property
    def dropped(self) -> int:
        return self.dropped_overflow + self.dropped_rejected + self.dropped_corrupt


_INT_FIELDS = (
    "dropped_overflow",
    "dropped_rejected",
    "dropped_corrupt",
    "sent",
    "consecutive_failures",
    "last_invalid",
)
_TIME_FIELDS = ("next_attempt_at", "last_attempt_at", "last_sent_at")
_OUTCOMES = frozenset(outcome.value for outcome in AttemptOutcome)


def _from_mapping(data: Mapping[str, Any]) -> DeliveryCounters:
    values: dict[str, Any] = {}
    for name in _INT_FIELDS:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            values[name] = value
    for name in _TIME_FIELDS:
        moment = parse_utc(data.get(name))
        if moment is not None:
            values[name] = moment
    error = data.get("last_error")
    if isinstance(error, str) and len(error) <= 80:
        values["last_error"] = error
    outcome = data.get("last_outcome")
    if isinstance(outcome, str) and outcome in _OUTCOMES:
        values["last_outcome"] = AttemptOutcome(outcome)
    status = data.get("last_status")
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        values["last_status"] = status
    return DeliveryCounters(**values)


def _to_mapping(counters: DeliveryCounters) -> dict[str, Any]:
    data = dataclasses.asdict(counters)
    for name in _TIME_FIELDS:
        moment = data[name]
        data[name] = None if moment is None else format_utc(moment)
    return data


def read_counters(path: Path) -> DeliveryCounters:
    """The state in ``path``; the empty state when the file is missing, unreadable or malformed."""
    try:
        data = json.loads(read_regular_file(path, limit=COUNTERS_SIZE_LIMIT).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return DeliveryCounters()
    return _from_mapping(data) if isinstance(data, Mapping) else DeliveryCounters()


def update_counters(
    paths: ArchonPaths, change: Callable[[DeliveryCounters], DeliveryCounters]
) -> DeliveryCounters | None:
    """Apply ``change`` to the stored state under the state lock; the new state, or None if the lock stayed busy.

    Raises ``OSError`` when the telemetry directory cannot be written (read-only home, full disk).
    """
    with locked(paths.state_lock, timeout=COUNTERS_LOCK_TIMEOUT_SECONDS) as ok:
        if not ok:
            return None
        new = change(read_counters(paths.telemetry_state))
        payload = json.dumps(_to_mapping(new), indent=2, sort_keys=True) + "\n"
        write_atomic(paths.telemetry_state, payload.encode("utf-8"))
        return new
