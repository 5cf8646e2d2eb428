"""Opt-in, anonymous usage telemetry. See docs/telemetry.md for what is sent and how to turn it off.

Three rooms, each one idea (the shape of golang/telemetry's ``counter`` / ``upload`` / ``internal``):

- this package: **what may be recorded, and whether**. :mod:`~archon.telemetry.consent` (the decision and the rule
  that made it, as values), :mod:`~archon.telemetry.identity` (the random id), :mod:`~archon.telemetry.vocabulary`
  and :mod:`~archon.telemetry.schema` (the closed vocabularies, and every event with its typed properties: the
  allow-list), :mod:`~archon.telemetry.recorder` (one run's events, and the failure boundary of the command's
  process), :mod:`~archon.telemetry.status` (what ``status`` and ``inspect`` show) and
  :mod:`~archon.telemetry.first_run`.
- :mod:`archon.telemetry.outbox`: **the store on disk**. One file per event, bounded and crash-safe, its counters
  and the log of what was sent. No network.
- :mod:`archon.telemetry.upload`: **getting it out**, from a process of its own: starting that process, the
  process itself, the drain loop, and the sender, the only module that imports ``posthog``.

One event, read in order (no module is visited twice): ``archon version`` -> :mod:`archon.cli.app` names the
command (:mod:`~archon.telemetry.vocabulary`), resolves consent (:mod:`~archon.telemetry.consent`) and builds a
``CliCommandInvoked`` (:mod:`~archon.telemetry.schema`) -> :mod:`~archon.telemetry.recorder` adds the common
properties, a uuid and a timestamp, and appends it (:mod:`~archon.telemetry.outbox.event_file`,
:mod:`~archon.telemetry.outbox.store`), then starts the flusher (:mod:`~archon.telemetry.upload.launch`) and the
command exits. In the flusher: :mod:`~archon.telemetry.upload.process` sets the process up,
:mod:`~archon.telemetry.upload.drain` claims a batch and checks it against this build's allow-list,
:mod:`~archon.telemetry.upload.sender` posts it, and the drain settles it
(:mod:`~archon.telemetry.outbox.counters`, :mod:`~archon.telemetry.outbox.sent_log`).

Nothing in this package prints or words anything: it returns values, and ``archon.cli`` says what they mean.
"""
