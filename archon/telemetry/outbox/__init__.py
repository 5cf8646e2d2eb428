"""The outbox: where recorded events wait on disk until the server has them.

Read in this order: :mod:`~archon.telemetry.outbox.event_file` (one event, one file: the stored form and its
bytes), :mod:`~archon.telemetry.outbox.store` (the bounded, crash-safe store: append, claim, acknowledge),
:mod:`~archon.telemetry.outbox.counters` (what was sent, dropped or held, and when to try again) and
:mod:`~archon.telemetry.outbox.sent_log` (the last events the server accepted, exactly as posted).

Nothing here touches the network; :mod:`archon.telemetry.upload` does, and only from its own process.

The outbox's bound is declared here, below everything that appends (the store, and the prepared events, which
append without loading the store while the outbox is well within it).
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_EVENTS", "TRIM_FRACTION"]

DEFAULT_MAX_EVENTS = 1000
DEFAULT_MAX_BYTES = 1024 * 1024
TRIM_FRACTION = 10
"""A full outbox drops its oldest tenth at once (one listing and one state write per ~100 appends, not each); within
the last tenth of the bound every append looks at the outbox again."""
