"""What ``archon telemetry status`` and ``inspect`` show, as data: the decision and why, the identity, the build's
key, the last events, the outbox counts. ``archon.cli`` words it. Reading it never creates anything (no identity,
no directory) and never sends anything. In a home that is not the user's own
(:func:`~archon.private_files.untrusted_home`) nothing there is read but ``config.yaml``: no identity, no events,
no counters someone else may have put there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from archon.buildinfo import BuildInfo
from archon.config import ConfigState, read_config
from archon.paths import ArchonPaths
from archon.private_files import untrusted_home
from archon.runtime import Runtime
from archon.telemetry.consent import Consent, resolve_consent
from archon.telemetry.identity import Identity, read_identity
from archon.telemetry.outbox.counters import DeliveryCounters, read_counters
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.sent_log import sent_events
from archon.telemetry.outbox.store import Outbox
from archon.timestamps import parse_utc

__all__ = ["NotSending", "TelemetryStatus", "recent_events", "telemetry_status"]


class NotSending(StrEnum):
    """Why nothing is being sent, when nothing is (values of ``status --json``'s ``not_sending_because``)."""

    OFF = "off"
    NO_KEY = "no-key"
    DEBUG_PREVIEW = "debug-preview"


@dataclass(frozen=True, kw_only=True)
class TelemetryStatus:
    consent: Consent
    config: ConfigState
    """``config.yaml`` as read now (also when the environment decided, so the CLI can say what it overrides)."""
    identity: Identity | None
    build: BuildInfo
    last_event: StoredEvent | None
    pending: int
    counters: DeliveryCounters
    debug: bool

    @property
    def not_sending_because(self) -> NotSending | None:
        if not self.consent.enabled:
            return NotSending.OFF
        if not self.build.key_embedded:
            return NotSending.NO_KEY
        if self.debug:
            return NotSending.DEBUG_PREVIEW
        return None

    @property
    def sending(self) -> bool:
        return self.not_sending_because is None


def _when(event: StoredEvent) -> datetime:
    return parse_utc(event["timestamp"]) or datetime.min.replace(tzinfo=UTC)


def recent_events(paths: ArchonPaths, limit: int = 10) -> list[StoredEvent]:
    """The last ``limit`` events, sent or still queued, oldest first, exactly as they were or will be posted.

    An event found both sent and queued (a flusher is finishing with it right now) appears once, as sent.
    """
    if limit <= 0 or untrusted_home(paths) is not None:
        return []
    sent = sent_events(paths)
    seen = {event["uuid"] for event in sent}
    queued = [event for event in Outbox(paths).pending() if event["uuid"] not in seen]
    combined = sorted([*sent, *queued], key=_when)  # stable: equal times keep their recorded order
    return combined[-limit:]


def telemetry_status(*, runtime: Runtime, paths: ArchonPaths, build: BuildInfo) -> TelemetryStatus:
    config = read_config(paths.config)
    untrusted = untrusted_home(paths)
    trusted = untrusted is None
    recent = recent_events(paths, limit=1)
    return TelemetryStatus(
        consent=resolve_consent(runtime.env, lambda: config, home_trust=lambda: untrusted),
        config=config,
        identity=read_identity(paths) if trusted else None,
        build=build,
        last_event=recent[-1] if recent else None,
        pending=Outbox(paths).pending_count() if trusted else 0,
        counters=read_counters(paths.telemetry_state) if trusted else DeliveryCounters(),
        debug=runtime.telemetry_debug,
    )
