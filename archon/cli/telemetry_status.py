"""What ``archon telemetry status`` prints: the status (:mod:`archon.telemetry.status`) as lines, or as the
``--json`` document. Loaded only by ``status``."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from archon.cli import telemetry_consent
from archon.cli.status_words import last_attempt_outcome, likely_cause
from archon.cli.telemetry_words import (
    DISABLE_HINT,
    INSPECT_HINT,
    KEY_EMBEDDED,
    KEY_NONE,
    NOT_SENDING,
    addition_text,
    consent_explanation,
    consent_problem,
)
from archon.telemetry.first_run import POLICY_URL
from archon.timestamps import format_utc, parse_utc

if TYPE_CHECKING:
    from archon.telemetry.outbox.event_file import StoredEvent
    from archon.telemetry.status import TelemetryStatus

__all__ = ["status_json", "status_lines"]


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "unknown"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return f"{seconds} second{'s' if seconds != 1 else ''} ago"


def _age_seconds(event: StoredEvent, now: datetime) -> int | None:
    moment = parse_utc(event["timestamp"])
    return None if moment is None else max(0, math.floor((now - moment).total_seconds()))


def _last_event_line(status: TelemetryStatus, now: datetime) -> str:
    last = status.last_event
    if last is None:
        return "none"
    return f"{last['event']} at {last['timestamp']} ({_age(_age_seconds(last, now))})"


def _when(moment: datetime, now: datetime) -> str:
    seconds = math.floor((now - moment).total_seconds())
    later = f"in {_age(-seconds).removesuffix(' ago')}" if seconds < 0 else _age(seconds)
    return f"{format_utc(moment)} ({later})"


def _delivery_lines(status: TelemetryStatus, now: datetime) -> list[str]:
    """The last delivery attempt: when, how it ended, what most likely caused a hold, and when the next may be."""
    counters = status.counters
    outcome = last_attempt_outcome(counters)
    if counters.last_attempt_at is None or outcome is None:
        return ["Last attempt: none yet"]
    lines = [f"Last attempt: {_when(counters.last_attempt_at, now)}: {outcome}"]
    cause = likely_cause(counters)
    if cause is not None:
        lines.append(f"Likely cause: {cause}")
    if counters.next_attempt_at is not None and counters.next_attempt_at > now and status.pending:
        lines.append(f"Next attempt: not before {_when(counters.next_attempt_at, now)}")
    return lines


def _delivery_json(status: TelemetryStatus) -> dict[str, object]:
    counters = status.counters
    at, next_at = counters.last_attempt_at, counters.next_attempt_at
    return {
        "at": None if at is None else format_utc(at),
        "outcome": None if counters.last_outcome is None else str(counters.last_outcome),
        "http_status": counters.last_status,
        "error": counters.last_error,
        "dropped_invalid": counters.last_invalid,
        "described": last_attempt_outcome(counters),
        "likely_cause": likely_cause(counters),
        "next_attempt_at": None if next_at is None else format_utc(next_at),
    }


def status_lines(status: TelemetryStatus, now: datetime) -> list[str]:
    key = f"{status.build.key_prefix}... ({KEY_EMBEDDED})" if status.build.key_embedded else KEY_NONE
    identity = status.identity
    not_sending = status.not_sending_because
    lines = [
        f"Telemetry:    {consent_explanation(status.consent, status.config)}",
        f"Mode:         {status.mode}",
        f"Decided by:   {status.consent.source}",
    ]
    problem = consent_problem(status.consent)
    if problem:
        lines.append(f"Problem:      {problem}")
    lines += [
        f"Sending:      {'yes' if not_sending is None else f'no ({NOT_SENDING[not_sending]})'}",
        *telemetry_consent.consent_lines(status),
        "Anonymous id: "
        + (f"{identity.distinct_id} (created {identity.created.date().isoformat()})" if identity else "none"),
        f"Host:         {status.build.posthog_host}",
        f"Key:          {key}",
        f"Last event:   {_last_event_line(status, now)}",
        *_delivery_lines(status, now),
        f"Pending:      {status.pending} event(s) held, not yet sent",
        *([f"Local-only:   {status.local_events} event(s) kept here, never sent"] if status.local_events else []),
        f"Dropped:      {status.counters.dropped} event(s) (outbox full, or refused by the server as invalid)",
        f"Turn off:     {DISABLE_HINT}",
        f"Inspect:      {INSPECT_HINT}",
        f"Policy:       {POLICY_URL}",
    ]
    return lines


def status_json(status: TelemetryStatus, now: datetime) -> dict[str, object]:
    """The ``--json`` shape (a contract test pins its keys)."""
    last = status.last_event
    not_sending = status.not_sending_because
    return {
        "enabled": status.consent.enabled,
        "mode": str(status.mode),
        "sending": status.sending,
        "source": str(status.consent.source),
        "explanation": consent_explanation(status.consent, status.config),
        "problem": consent_problem(status.consent),
        "not_sending_because": None if not_sending is None else NOT_SENDING[not_sending],
        "anonymous_id": status.identity.distinct_id if status.identity else None,
        "anonymous_id_created": status.identity.created.isoformat(timespec="seconds") if status.identity else None,
        "host": status.build.posthog_host,
        "key": status.build.key_prefix or None,
        "key_status": KEY_EMBEDDED if status.build.key_embedded else KEY_NONE,
        "last_event": (
            {"event": last["event"], "timestamp": last["timestamp"], "age_seconds": _age_seconds(last, now)}
            if last
            else None
        ),
        "last_attempt": _delivery_json(status),
        "consent_record": telemetry_consent.record_json(status),
        "consent_record_problem": None if status.record.problem is None else str(status.record.problem),
        "policy_hash": status.policy_hash,
        "not_consented": [addition_text(addition) for addition in status.additions],
        "pending_events": status.pending,
        "local_events": status.local_events,
        "dropped_events": status.counters.dropped,
        "debug_preview": status.debug,
        "disable": DISABLE_HINT,
        "inspect": INSPECT_HINT,
        "policy": POLICY_URL,
    }
