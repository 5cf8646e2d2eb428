"""One archon run's telemetry: decides whether each event is recorded, and records it.

``record`` is the :class:`~archon.cli.context.EventSink` the commands report to. It never raises and never
waits for the network: with ``ARCHON_TELEMETRY_DEBUG=1`` it hands the event, exactly as it would be stored, to
``show`` (the CLI prints it to stderr) and records nothing; otherwise, only when consent is on and this build has
a key, it appends the event to the outbox. ``finish`` starts the detached flusher if anything was recorded.

Everything that records (identity, outbox, the flusher's start) is imported only when an event is recorded: a
run with telemetry off, the default, loads none of it (``tests/test_startup_imports.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from archon.buildinfo import BuildInfo
from archon.config import read_config
from archon.paths import ArchonPaths
from archon.runtime import ENV_ARCHON_TELEMETRY_DEBUG, Runtime
from archon.telemetry.consent import Consent, resolve_consent

if TYPE_CHECKING:
    from archon.telemetry.events import Event
    from archon.telemetry.outbox import Outbox
    from archon.telemetry.queued import QueuedEvent

__all__ = ["DEBUG_DISTINCT_ID", "TelemetrySession", "debug_enabled"]

DEBUG_DISTINCT_ID = "debug-preview"
"""The distinct_id a debug preview shows when no identity exists (debug mode never creates one)."""

_FileSignature = tuple[int, int, int] | None


def _log_failure(message: str, *args: object) -> None:
    """Log the exception being handled, at debug level."""
    import logging  # startup time: ~10 ms, and only a failure logs

    logging.getLogger(__name__).debug(message, *args, exc_info=True)


def debug_enabled(runtime: Runtime) -> bool:
    return runtime.env.get(ENV_ARCHON_TELEMETRY_DEBUG, "").strip().lower() not in ("", "0", "false", "no", "off")


def _signature(path: os.PathLike[str]) -> _FileSignature:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class TelemetrySession:
    """Records this run's events. Consent is resolved at the first event; while it is on, a change to
    ``config.yaml`` (e.g. ``archon telemetry off`` in another terminal) is noticed before the next event, and so
    is a change to ``telemetry-id`` (``archon telemetry clear``): the next event then gets the new id, never the
    cached old one. Each check is one ``stat``."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        paths: ArchonPaths,
        build: BuildInfo,
        show: Callable[[QueuedEvent], None],
    ) -> None:
        self._runtime = runtime
        self._paths = paths
        self._build = build
        self._show = show
        self._debug = debug_enabled(runtime)
        self._consent: Consent | None = None
        self._config_signature: _FileSignature = None
        self._distinct_id: str | None = None
        self._identity_signature: _FileSignature = None
        self._outbox: Outbox | None = None
        self._recorded = 0

    @property
    def recorded(self) -> int:
        """How many events this session appended to the outbox."""
        return self._recorded

    def consent(self) -> Consent:
        """The current decision (re-read only if config.yaml changed since consent was last found on)."""
        if self._consent is None or (
            self._consent.enabled and _signature(self._paths.config) != self._config_signature
        ):
            self._config_signature = _signature(self._paths.config)
            self._consent = resolve_consent(self._runtime.env, read_config(self._paths.config))
        return self._consent

    def record(self, event: Event) -> None:
        try:
            self._record(event)
        except Exception:  # the failure boundary: telemetry never breaks a command
            _log_failure("telemetry: could not record %s", type(event).__name__)

    def may_record(self) -> bool:
        """Whether this run can record (or, in debug mode, preview) anything at all: in debug mode, or with a key
        and consent on. Resolves consent as the first event would; the CLI gives commands a
        :class:`~archon.cli.context.NullSink` (and builds no events) when this is False. Never raises."""
        try:
            return self._debug or (self._build.key_embedded and self.consent().enabled)
        except Exception:  # the failure boundary: undecidable means off
            _log_failure("telemetry: could not decide whether to record")
            return False

    def _record(self, event: Event) -> None:
        if self._debug:
            from archon.telemetry.identity import read_identity  # startup time: only a debug preview needs it here

            identity = read_identity(self._paths)
            self._show(self._queued(event, identity.distinct_id if identity else DEBUG_DISTINCT_ID))
            return
        if not self._build.key_embedded or not self.consent().enabled:
            return
        if self._outbox is None:
            from archon.telemetry.outbox import Outbox  # startup time: only a recording run writes the outbox

            self._outbox = Outbox(self._paths)
        self._outbox.append(self._queued(event, self._identity()))
        self._recorded += 1

    def _identity(self) -> str:
        """The anonymous id, read again (or created) only if ``telemetry-id`` changed since it was last read."""
        signature = _signature(self._paths.telemetry_id)
        if self._distinct_id is None or signature != self._identity_signature:
            from archon.telemetry.identity import ensure_identity  # startup time: only a recording run needs it

            # The signature taken before reading: if the file is replaced meanwhile, the next event reads it again.
            self._distinct_id = ensure_identity(self._paths).distinct_id
            self._identity_signature = signature
        return self._distinct_id

    def _queued(self, event: Event, distinct_id: str) -> QueuedEvent:
        from archon.telemetry.queued import common_properties, make_queued  # startup time: uuid, only to record

        return make_queued(
            event, common=common_properties(self._build), distinct_id=distinct_id, now=self._runtime.now()
        )

    def finish(self) -> bool:
        """Start the detached flusher if this run recorded anything. Returns at once; never raises."""
        if not self._recorded:
            return False
        try:
            from archon.telemetry.spawn import spawn_flusher  # startup time: only a run that recorded starts it

            return spawn_flusher(runtime=self._runtime, paths=self._paths)
        except Exception:
            _log_failure("telemetry: could not start the flusher")
            return False
