"""The recorder: one archon run's telemetry, and the failure boundary of the command's process.

The CLI creates a :class:`Recorder` only when this run may record
(:func:`~archon.telemetry.consent.may_record`: consent on and a key embedded, or the ``ARCHON_TELEMETRY_DEBUG``
preview); otherwise commands get a sink that drops everything and no
event is even built. :meth:`Recorder.record` is the sink the commands report to. It turns an event of the schema
into its stored form (:func:`stored_event`: the event's properties, the common ones, the privacy flags, a uuid
and a timestamp fixed now) and either hands it to ``show`` (the debug preview; nothing is recorded) or appends it
to the outbox. :meth:`Recorder.finish` starts the detached flusher if anything was recorded. Neither ever raises
nor waits for the network.

While consent comes from ``config.yaml``, a change to that file (``archon telemetry off`` in another terminal) is
noticed before the next event, and so is a change to ``telemetry-id`` (``archon telemetry clear``): the next
event then gets the new id, never the cached old one. Each check is one ``stat``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from archon.buildinfo import BuildInfo
from archon.config import read_config
from archon.paths import ArchonPaths
from archon.private_files import untrusted_home
from archon.runtime import Runtime
from archon.telemetry.consent import Consent, resolve_consent
from archon.telemetry.identity import ensure_identity, read_identity
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.schema import PRIVACY_PROPERTIES, CommonProperties, Event, PropertyValue
from archon.telemetry.upload.launch import start_flusher
from archon.timestamps import format_utc

__all__ = ["DEBUG_DISTINCT_ID", "Recorder", "common_properties", "stored_event"]

DEBUG_DISTINCT_ID = "debug-preview"
"""The distinct_id a debug preview shows when no identity exists (debug mode never creates one)."""

_FileSignature = tuple[int, int, int] | None


def _log_failure(message: str, *args: object) -> None:
    """Log the exception being handled, at debug level (never shown unless logging is configured)."""
    import logging  # startup time: ~5 ms, and only a failure logs

    logging.getLogger(__name__).debug(message, *args, exc_info=True)


def common_properties(build: BuildInfo) -> dict[str, PropertyValue]:
    return CommonProperties(
        archon_version=build.version,
        archon_git_commit=build.git_commit,
        archon_is_binary=build.is_binary,
        platform=build.platform,
        arch=build.arch,
        python_version=build.python_version,
    ).properties()


def stored_event(
    event: Event,
    *,
    common: Mapping[str, PropertyValue],
    distinct_id: str,
    now: datetime,
    new_uuid: Callable[[], uuid.UUID] = uuid.uuid4,
) -> StoredEvent:
    """The stored form of ``event``: its declared properties, the common ones and the privacy flags.

    The uuid and the timestamp are fixed here, when the event happens, and kept across retries so that the
    server can de-duplicate a re-sent batch.
    """
    return StoredEvent(
        event=event.NAME,
        distinct_id=distinct_id,
        uuid=str(new_uuid()),
        timestamp=format_utc(now),
        properties={**event.properties(), **common, **PRIVACY_PROPERTIES},
    )


def _signature(path: os.PathLike[str]) -> _FileSignature:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class Recorder:
    """Records this run's events (see the module docstring)."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        paths: ArchonPaths,
        build: BuildInfo,
        consent: Consent,
        show: Callable[[StoredEvent], None],
    ) -> None:
        self._runtime = runtime
        self._paths = paths
        self._build = build
        self._show = show
        self._consent = consent
        self._config_signature = _signature(paths.config)
        self._common = common_properties(build)
        self._distinct_id: str | None = None
        self._identity_signature: _FileSignature = None
        self._outbox = Outbox(paths)
        self._recorded = 0

    @property
    def recorded(self) -> int:
        """How many events this run appended to the outbox."""
        return self._recorded

    def record(self, event: Event) -> None:
        try:
            self._record(event)
        except Exception:  # the failure boundary: telemetry never breaks a command
            _log_failure("telemetry: could not record %s", type(event).__name__)

    def finish(self) -> bool:
        """Start the detached flusher if this run recorded anything. Returns at once; never raises."""
        if not self._recorded:
            return False
        try:
            return start_flusher(runtime=self._runtime, paths=self._paths)
        except Exception:  # the failure boundary
            _log_failure("telemetry: could not start the flusher")
            return False

    def _record(self, event: Event) -> None:
        if self._runtime.telemetry_debug:
            identity = read_identity(self._paths)
            self._show(self._stored(event, identity.distinct_id if identity else DEBUG_DISTINCT_ID))
            return
        if not self._build.key_embedded or not self._current_consent().enabled:
            return
        self._outbox.append(self._stored(event, self._identity()))
        self._recorded += 1

    def _current_consent(self) -> Consent:
        """The decision, resolved again if it came from config.yaml and that file changed since."""
        if self._consent.config is not None and self._consent.enabled:
            signature = _signature(self._paths.config)
            if signature != self._config_signature:
                self._config_signature = signature
                self._consent = resolve_consent(
                    self._runtime.env,
                    lambda: read_config(self._paths.config),
                    home_trust=lambda: untrusted_home(self._paths),
                )
        return self._consent

    def _identity(self) -> str:
        """The anonymous id, read again (or created) only if ``telemetry-id`` changed since it was last read."""
        signature = _signature(self._paths.telemetry_id)
        if self._distinct_id is None or signature != self._identity_signature:
            # The signature taken before reading: if the file is replaced meanwhile, the next event reads it again.
            self._distinct_id = ensure_identity(self._paths).distinct_id
            self._identity_signature = signature
        return self._distinct_id

    def _stored(self, event: Event, distinct_id: str) -> StoredEvent:
        return stored_event(event, common=self._common, distinct_id=distinct_id, now=self._runtime.now())
