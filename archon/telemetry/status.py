"""What ``archon telemetry status`` reports, as data: the decision and why, the identity, the build's key, the
last event, the outbox counts. Reading it never creates anything (no identity, no directory)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from archon.buildinfo import BuildInfo
from archon.config import read_config
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.consent import Consent, resolve_consent
from archon.telemetry.history import recent_events
from archon.telemetry.identity import Identity, read_identity
from archon.telemetry.notice import POLICY_URL
from archon.telemetry.outbox import Outbox
from archon.telemetry.session import debug_enabled

__all__ = ["DISABLE_HINT", "INSPECT_HINT", "LastEvent", "TelemetryStatus", "telemetry_status"]

DISABLE_HINT = "archon telemetry off (or set DO_NOT_TRACK=1, which always wins)"
INSPECT_HINT = "archon telemetry inspect"
KEY_EMBEDDED = "embedded at build time"
KEY_NONE = "none: development build"


@dataclass(frozen=True)
class LastEvent:
    event: str
    timestamp: str
    age_seconds: int | None


@dataclass(frozen=True, kw_only=True)
class TelemetryStatus:
    consent: Consent
    identity: Identity | None
    build: BuildInfo
    last_event: LastEvent | None
    pending: int
    dropped: int
    debug: bool

    @property
    def sending(self) -> bool:
        return self.consent.enabled and self.build.key_embedded and not self.debug

    @property
    def not_sending_because(self) -> str | None:
        if not self.consent.enabled:
            return "telemetry is off"
        if not self.build.key_embedded:
            return "this is a development build with no telemetry key embedded, so nothing can be sent"
        if self.debug:
            return "ARCHON_TELEMETRY_DEBUG is set: events are printed to stderr instead of being sent"
        return None

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` shape (a contract test pins its keys)."""
        return {
            "enabled": self.consent.enabled,
            "sending": self.sending,
            "source": self.consent.source,
            "explanation": self.consent.explanation,
            "problem": self.consent.problem,
            "not_sending_because": self.not_sending_because,
            "anonymous_id": self.identity.distinct_id if self.identity else None,
            "anonymous_id_created": self.identity.created.isoformat(timespec="seconds") if self.identity else None,
            "host": self.build.posthog_host,
            "key": self.build.key_prefix or None,
            "key_status": KEY_EMBEDDED if self.build.key_embedded else KEY_NONE,
            "last_event": (
                {
                    "event": self.last_event.event,
                    "timestamp": self.last_event.timestamp,
                    "age_seconds": self.last_event.age_seconds,
                }
                if self.last_event
                else None
            ),
            "pending_events": self.pending,
            "dropped_events": self.dropped,
            "debug_preview": self.debug,
            "disable": DISABLE_HINT,
            "inspect": INSPECT_HINT,
            "policy": POLICY_URL,
        }


def _age_seconds(timestamp: str, now: datetime) -> int | None:
    try:
        age = (now - datetime.fromisoformat(timestamp)).total_seconds()
    except (ValueError, TypeError):
        return None
    return max(0, math.floor(age))


def telemetry_status(*, runtime: Runtime, paths: ArchonPaths, build: BuildInfo) -> TelemetryStatus:
    recent = recent_events(paths, limit=1)
    last = None
    if recent:
        newest = recent[-1]
        last = LastEvent(newest["event"], newest["timestamp"], _age_seconds(newest["timestamp"], runtime.now()))
    outbox = Outbox(paths)
    return TelemetryStatus(
        consent=resolve_consent(runtime.env, read_config(paths.config)),
        identity=read_identity(paths),
        build=build,
        last_event=last,
        pending=outbox.pending_count(),
        dropped=outbox.dropped_count(),
        debug=debug_enabled(runtime),
    )
