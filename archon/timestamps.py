"""The one timestamp format archon writes to disk and shows: ISO 8601 in UTC, as ``datetime.isoformat`` writes it.

``2026-11-25T13:31:18.123456+00:00`` (no fraction when the microseconds are 0). It is also the form the posthog
library itself sends event timestamps in, so an event's timestamp reads the same before and after it is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_utc", "parse_utc"]


def format_utc(moment: datetime) -> str:
    """``moment`` in UTC, ISO 8601. A naive ``moment`` is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def parse_utc(text: object) -> datetime | None:
    """The aware datetime ``text`` holds (any ISO 8601 offset, or ``Z``), or None if it is not one."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
