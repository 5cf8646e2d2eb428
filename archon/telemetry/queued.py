"""The exact shape of an event as archon stores it, shows it (``inspect``) and hands it to the sender.

This is the seam between the session (which decides *whether* to record) and delivery (outbox, flusher,
sender). ``make_queued`` is the only way an :class:`~archon.telemetry.events.Event` becomes data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypedDict

from archon.buildinfo import BuildInfo
from archon.telemetry.events import PRIVACY_PROPERTIES, CommonProperties, Event

__all__ = ["PropertyValue", "QueuedEvent", "common_properties", "make_queued"]

PropertyValue = str | int | bool


class QueuedEvent(TypedDict):
    """One event, exactly as ``archon telemetry inspect`` prints it and as the sender passes it to PostHog."""

    event: str
    distinct_id: str
    uuid: str
    timestamp: str
    properties: dict[str, PropertyValue]


def common_properties(build: BuildInfo) -> CommonProperties:
    return CommonProperties(
        archon_version=build.version,
        archon_git_commit=build.git_commit,
        archon_is_binary=build.is_binary,
        platform=build.platform,
        arch=build.arch,
        python_version=build.python_version,
    )


def make_queued(
    event: Event,
    *,
    common: CommonProperties,
    distinct_id: str,
    now: datetime,
    new_uuid: Callable[[], uuid.UUID] = uuid.uuid4,
) -> QueuedEvent:
    """The stored form of ``event``: its declared properties, the common ones and the privacy flags.

    The uuid and the timestamp are fixed here, when the event happens, and kept across retries so that the
    server can de-duplicate a re-sent batch. The timestamp is written the way the posthog library writes it when
    it sends it (``datetime.isoformat()`` in UTC: ``2026-11-25T13:31:18.123456+00:00``, no fraction when the
    microseconds are 0), so the queued and the sent event are the same text and ``telemetry inspect`` shows the
    same value before and after sending.
    """
    properties: dict[str, PropertyValue] = {}
    properties.update(event.properties())
    properties.update(common.properties())
    properties.update(PRIVACY_PROPERTIES)
    return QueuedEvent(
        event=event.NAME,
        distinct_id=distinct_id,
        uuid=str(new_uuid()),
        timestamp=now.astimezone(UTC).isoformat(),
        properties=properties,
    )
