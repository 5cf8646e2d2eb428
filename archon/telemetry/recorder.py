"""The recorder: one archon run's telemetry, and the failure boundary of the command's process.

The CLI creates a :class:`Recorder` only when this run may record
(:func:`~archon.telemetry.consent.may_record`: consent on or local-only, and a key embedded, or the
``ARCHON_TELEMETRY_DEBUG`` preview); otherwise commands get a sink that drops everything and no
event is even built. :meth:`Recorder.record` is the sink the commands report to. It turns an event of the schema
into its stored form (:func:`stored_event`: the event's properties, the common ones, the privacy flags, a uuid
and a timestamp fixed now) and either hands it to ``show`` (the debug preview; nothing is recorded), keeps it in
the local-only store (:mod:`~archon.telemetry.outbox.local_events`; never sent), or appends it to the outbox.
:meth:`Recorder.finish` starts the detached flusher if anything was appended to the outbox. Neither ever raises
nor waits for the network.

While consent comes from ``config.yaml``, only what the consent record allows is recorded
(:mod:`~archon.telemetry.consented_policy`): the event is filtered before it is stored, so ``inspect`` shows
exactly what will go, and without a record nothing is recorded. When this build would send more than the record
allows, ``notify`` is told once (per change of either policy; ``policy-notice`` remembers which) and the CLI prints
the notice. Consent from ``ARCHON_TELEMETRY=on`` covers this build's policy, for this process: no record is read.

While consent comes from ``config.yaml``, a change to that file (``archon telemetry off`` in another terminal) is
noticed before the next event, and so is a change to ``telemetry-id`` (``archon telemetry clear``) or to
``consent.json`` (``archon telemetry on``): the next event then gets the new id, or the new consent, never the
cached old one. Each check is one ``stat``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from archon.buildinfo import BuildInfo
from archon.config_cache import read_telemetry_config
from archon.paths import ArchonPaths
from archon.private_files import untrusted_home, write_atomic
from archon.runtime import Runtime
from archon.telemetry.consent import Consent, ConsentSource, resolve_consent
from archon.telemetry.identity import ensure_identity, read_identity
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.local_events import LOCAL_DISTINCT_ID, LocalEvents
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.schema import PRIVACY_PROPERTIES, CommonProperties, Event, PropertyValue
from archon.telemetry.upload.launch import start_flusher
from archon.telemetry.vocabulary import cpu_architecture, operating_system, python_version
from archon.timestamps import format_utc

if TYPE_CHECKING:  # only a run whose consent comes from config.yaml loads these
    from archon.telemetry.consent_record import RecordState
    from archon.telemetry.consented_policy import Addition, ConsentedPolicy

__all__ = ["DEBUG_DISTINCT_ID", "PolicyNotice", "Recorder", "common_properties", "stored_event"]

DEBUG_DISTINCT_ID = "debug-preview"
"""The distinct_id a debug preview shows when no identity exists (debug mode never creates one)."""

_FileSignature = tuple[int, int, int] | None


class PolicyNotice(NamedTuple):
    """Why some of what this build would send is not recorded (the CLI words it, once, on stderr)."""

    additions: tuple[Addition, ...]
    """What this build would add beyond the consent record (empty when there is no usable record)."""
    record: RecordState
    """The consent record, or why there is none that counts."""


def _no_notice(notice: PolicyNotice) -> None:
    return


def _log_failure(message: str, *args: object) -> None:
    """Log the exception being handled, at debug level (never shown unless logging is configured)."""
    import logging  # startup time: ~5 ms, and only a failure logs

    logging.getLogger(__name__).debug(message, *args, exc_info=True)


def common_properties(build: BuildInfo) -> dict[str, PropertyValue]:
    return CommonProperties(
        archon_version=build.version,
        archon_git_commit=build.git_commit,
        archon_is_binary=build.is_binary,
        platform=operating_system(build.platform),
        arch=cpu_architecture(build.arch),
        python_version=python_version(build.python_version),
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
        notify: Callable[[PolicyNotice], None] = _no_notice,
    ) -> None:
        self._runtime = runtime
        self._notify = notify
        self._paths = paths
        self._build = build
        self._show = show
        self._consent = consent
        self._config_signature = _signature(paths.config)
        self._common = common_properties(build)
        self._distinct_id: str | None = None
        self._identity_signature: _FileSignature = None
        self._outbox = Outbox(paths)
        self._local: LocalEvents | None = None
        self._scope: tuple[_FileSignature, ConsentedPolicy | None] | None = None
        self._noticed = False
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
            preview = self._stored(event, identity.distinct_id if identity else DEBUG_DISTINCT_ID)
            consent = self._current_consent()
            scope = self._consented(consent) if consent.enabled else None
            shown = preview if scope is None else scope.apply(preview)  # as it would be sent: within the consent
            if shown is not None:
                self._show(shown)
            return
        if not self._build.key_embedded:
            return
        consent = self._current_consent()
        if consent.local_only:
            if self._local is None:
                self._local = LocalEvents(self._paths)
            self._local.append(self._stored(event, LOCAL_DISTINCT_ID))
            return
        if not consent.enabled:
            return
        scope = self._consented(consent)
        if scope is not None and not scope.covers(event.NAME):
            return
        stored = self._stored(event, self._identity())
        if scope is not None:
            stored = scope.apply(stored) or stored  # covered, so never None
        self._outbox.append(stored)
        self._recorded += 1

    def _current_consent(self) -> Consent:
        """The decision, resolved again if it came from config.yaml and that file changed since."""
        if self._consent.config is not None and (self._consent.enabled or self._consent.local_only):
            signature = _signature(self._paths.config)
            if signature != self._config_signature:
                self._config_signature = signature
                self._consent = resolve_consent(
                    self._runtime.env,
                    lambda: read_telemetry_config(self._paths),
                    home_trust=lambda: untrusted_home(self._paths),
                )
        return self._consent

    def _consented(self, consent: Consent) -> ConsentedPolicy | None:
        """What the consent record allows of this build's policy; None when it allows everything, or when the
        consent is ``ARCHON_TELEMETRY=on`` (this build's policy, for this process). Read again if the record
        changed since."""
        if consent.source is not ConsentSource.CONFIG:
            return None
        signature = _signature(self._paths.consent_record)
        if self._scope is None or self._scope[0] != signature:
            from archon.telemetry.consent_record import read_consent_record
            from archon.telemetry.policy import build_policy

            state = read_consent_record(self._paths)
            build = build_policy()
            if state.record is not None and state.record.policy == build:  # the usual case: nothing to filter
                self._scope = (signature, None)
                return None
            from archon.telemetry.consented_policy import ConsentedPolicy

            scope = ConsentedPolicy(build=build, consented=state.record.policy if state.record else None)
            if scope.blocked or scope.additions:
                self._notice(PolicyNotice(tuple(scope.additions), state), build)
            self._scope = (signature, None if scope.full else scope)
        return self._scope[1]

    def _notice(self, notice: PolicyNotice, build: Mapping[str, object]) -> None:
        """Hand ``notice`` to the CLI unless it was shown already for this pair of policies. Never raises."""
        if self._noticed:
            return
        self._noticed = True
        try:
            from archon.telemetry.policy import policy_hash

            record = notice.record.record
            seen = f"{policy_hash(build)} {record.policy_hash if record else '-'}\n".encode("ascii")
            try:
                if self._paths.policy_notice.read_bytes() == seen:
                    return
            except OSError:
                pass
            self._notify(notice)
            write_atomic(self._paths.policy_notice, seen)
        except Exception:  # the notice is a courtesy; what is recorded does not depend on it
            _log_failure("telemetry: could not show the policy notice")

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
