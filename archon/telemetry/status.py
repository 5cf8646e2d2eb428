"""What ``archon telemetry status`` and ``inspect`` show, as data: the decision and why, the mode, the consent
record and what this build would add beyond it, the identity, the build's key, the last events, the outbox counts.
``archon.cli`` words it. Reading it never creates anything (no identity, no directory) and never sends anything.
In a home that is not the user's own (:func:`~archon.private_files.untrusted_home`) nothing there is read but
``config.yaml``: no identity, no events, no counters someone else may have put there."""

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
from archon.telemetry.consent_record import RecordState, read_consent_record
from archon.telemetry.consented_policy import Addition, ConsentedPolicy
from archon.telemetry.identity import Identity, read_identity
from archon.telemetry.outbox.counters import DeliveryCounters, read_counters
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.local_events import LocalEvents
from archon.telemetry.outbox.sent_log import sent_events
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.policy import build_policy, policy_hash
from archon.timestamps import parse_utc

__all__ = ["Mode", "NotSending", "TelemetryStatus", "recent_events", "telemetry_status"]


class Mode(StrEnum):
    """What telemetry does (``status --json``'s ``mode``)."""

    OFF = "off"
    ON = "on"
    LOCAL = "local"
    """Local-only: events are recorded and kept on this machine, never sent."""


class NotSending(StrEnum):
    """Why nothing is being sent, when nothing is (values of ``status --json``'s ``not_sending_because``)."""

    OFF = "off"
    LOCAL_ONLY = "local-only"
    NO_KEY = "no-key"
    DEBUG_PREVIEW = "debug-preview"
    NO_CONSENT_RECORD = "no-consent-record"
    """On in config.yaml, but no usable consent record: nothing is recorded until ``archon telemetry on``."""


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
    record: RecordState
    """The consent record on disk, or why there is none that counts."""
    policy_hash: str
    """This build's policy hash (``archon telemetry policy``)."""
    additions: tuple[Addition, ...]
    """What this build would send beyond the consent in effect (only while consent comes from config.yaml)."""
    local_events: int

    @property
    def mode(self) -> Mode:
        if self.consent.local_only:
            return Mode.LOCAL
        return Mode.ON if self.consent.enabled else Mode.OFF

    @property
    def needs_record(self) -> bool:
        """Whether what is recorded depends on the consent record (consent from config.yaml)."""
        return self.consent.enabled and self.consent.source == "config"

    @property
    def not_sending_because(self) -> NotSending | None:
        if self.consent.local_only:
            return NotSending.LOCAL_ONLY
        if not self.consent.enabled:
            return NotSending.OFF
        if not self.build.key_embedded:
            return NotSending.NO_KEY
        if self.debug:
            return NotSending.DEBUG_PREVIEW
        if self.needs_record and self.record.record is None:
            return NotSending.NO_CONSENT_RECORD
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
    local = LocalEvents(paths).events()  # local-only mode's: never sent, and only while that mode lasts
    combined = sorted([*sent, *queued, *local], key=_when)  # stable: equal times keep their recorded order
    return combined[-limit:]


def telemetry_status(*, runtime: Runtime, paths: ArchonPaths, build: BuildInfo) -> TelemetryStatus:
    config = read_config(paths.config)
    untrusted = untrusted_home(paths)
    trusted = untrusted is None
    recent = recent_events(paths, limit=1) if trusted else []
    consent = resolve_consent(runtime.env, lambda: config, home_trust=lambda: untrusted)
    record = read_consent_record(paths) if trusted else RecordState(None)
    policy = build_policy()
    additions: tuple[Addition, ...] = ()
    if consent.enabled and consent.source == "config" and record.record is not None:
        additions = tuple(ConsentedPolicy(build=policy, consented=record.record.policy).additions)
    return TelemetryStatus(
        consent=consent,
        config=config,
        identity=read_identity(paths) if trusted else None,
        build=build,
        last_event=recent[-1] if recent else None,
        pending=Outbox(paths).pending_count() if trusted else 0,
        counters=read_counters(paths.telemetry_state) if trusted else DeliveryCounters(),
        debug=runtime.telemetry_debug,
        record=record,
        policy_hash=policy_hash(policy),
        additions=additions,
        local_events=LocalEvents(paths).count() if trusted else 0,
    )
