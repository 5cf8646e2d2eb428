"""One archon run's telemetry: decides whether each event is recorded, and records it.

``record`` is the :class:`~archon.cli.context.EventSink` the commands report to. It never raises and never
waits for the network: with ``ARCHON_TELEMETRY_DEBUG=1`` it hands the event, exactly as it would be stored, to
``show`` (the CLI prints it to stderr) and records nothing; otherwise, only when consent is on and this build has
a key, it appends the event to the outbox. ``finish`` starts the detached flusher if anything was recorded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from archon.buildinfo import BuildInfo
from archon.config import read_config
from archon.paths import ArchonPaths
from archon.runtime import ENV_ARCHON_TELEMETRY_DEBUG, Runtime
from archon.telemetry.consent import Consent, resolve_consent
from archon.telemetry.events import Event
from archon.telemetry.identity import ensure_identity, read_identity
from archon.telemetry.outbox import Outbox
from archon.telemetry.queued import QueuedEvent, common_properties, make_queued
from archon.telemetry.spawn import spawn_flusher

__all__ = ["DEBUG_DISTINCT_ID", "TelemetrySession", "debug_enabled"]

DEBUG_DISTINCT_ID = "debug-preview"
"""The distinct_id a debug preview shows when no identity exists (debug mode never creates one)."""

_log = logging.getLogger(__name__)
_FileSignature = tuple[int, int, int] | None


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
            _log.debug("telemetry: could not record %s", type(event).__name__, exc_info=True)

    def _record(self, event: Event) -> None:
        if self._debug:
            identity = read_identity(self._paths)
            self._show(self._queued(event, identity.distinct_id if identity else DEBUG_DISTINCT_ID))
            return
        if not self._build.key_embedded or not self.consent().enabled:
            return
        if self._outbox is None:
            self._outbox = Outbox(self._paths)
        self._outbox.append(self._queued(event, self._identity()))
        self._recorded += 1

    def _identity(self) -> str:
        """The anonymous id, read again (or created) only if ``telemetry-id`` changed since it was last read."""
        signature = _signature(self._paths.telemetry_id)
        if self._distinct_id is None or signature != self._identity_signature:
            # The signature taken before reading: if the file is replaced meanwhile, the next event reads it again.
            self._distinct_id = ensure_identity(self._paths).distinct_id
            self._identity_signature = signature
        return self._distinct_id

    def _queued(self, event: Event, distinct_id: str) -> QueuedEvent:
        return make_queued(
            event, common=common_properties(self._build), distinct_id=distinct_id, now=self._runtime.now()
        )

    def finish(self) -> bool:
        """Start the detached flusher if this run recorded anything. Returns at once; never raises."""
        if not self._recorded:
            return False
        try:
            return spawn_flusher(runtime=self._runtime, paths=self._paths)
        except Exception:
            _log.debug("telemetry: could not start the flusher", exc_info=True)
            return False
