"""The outbox: where recorded events wait on disk until the server has them.

Read in this order: :mod:`~archon.telemetry.outbox.event_file` (one event, one file: the stored form and its
bytes), :mod:`~archon.telemetry.outbox.store` (the bounded, crash-safe store: append, claim, acknowledge),
:mod:`~archon.telemetry.outbox.counters` (what was sent, dropped or held, and when to try again) and
:mod:`~archon.telemetry.outbox.sent_log` (the last events the server accepted, exactly as posted).

Nothing here touches the network; :mod:`archon.telemetry.upload` does, and only from its own process.
"""
