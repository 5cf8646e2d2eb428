"""Getting events out: the detached flusher process and everything only it does.

Read in this order: :mod:`~archon.telemetry.upload.launch` (the command's side: start the flusher and return at
once), :mod:`~archon.telemetry.upload.process` (the flusher's one entry point and set-up: time limit, priority,
working directory), :mod:`~archon.telemetry.upload.drain` (claim a batch from the outbox, keep what this build's
allow-list allows, send, settle), :mod:`~archon.telemetry.upload.attempts` (the run's limits, and what an attempt
does to the counters: when to try again) and :mod:`~archon.telemetry.upload.sender` (the only module that imports
``posthog``, and only in the flusher's process).
"""
