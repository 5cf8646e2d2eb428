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
the notice. A record found to hold exactly this build's policy is remembered with the prepared events
(:mod:`~archon.telemetry.prepared`), so the runs after it need no JSON to know it. Consent from
``ARCHON_TELEMETRY=on`` covers this build's policy, for this process: no record is read.

This is the long way. Having recorded with everything allowed, :meth:`Recorder.finish` serialises a command's own
events once more, with their varying values left open, for the runs after it (:mod:`~archon.telemetry.prepared`),
which then append them without loading any of this (docs/performance.md, "Recording").

While consent comes from ``config.yaml``, a change to that file (``archon telemetry off`` in another terminal) is
noticed before the next event, and so is a change to ``telemetry-id`` (``archon telemetry clear``) or to
``consent.json`` (``archon telemetry on``): the next event then gets the new id, or the new consent, never the
cached old one. Each check is one ``stat``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from archon.buildinfo import BuildInfo
from archon.paths import ArchonPaths
from archon.private_files import file_signature, write_atomic
from archon.runtime import Runtime
from archon.telemetry.consent import Consent, resolve_consent
from archon.telemetry.identity import ensure_identity, read_identity
from archon.telemetry.outbox.event_file import StoredEvent, encode_event
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.prepared import field_marker, load_prepared, write_prepared
from archon.telemetry.schema import (
    PRIVACY_PROPERTIES,
    BinaryStartup,
    CliCommandCompleted,
    CliCommandInvoked,
    CommonProperties,
    Event,
    PropertyValue,
    SafeName,
)
from archon.telemetry.vocabulary import cpu_architecture, operating_system, python_version
from archon.timestamps import format_utc
from archon.value import Value

# What every recording run loads is above; the rest only the runs that need it load (docs/performance.md,
# "Recording"): local-only mode, a consent record that may not cover this build, starting the flusher.
if TYPE_CHECKING:
    from archon.telemetry.consent_record import RecordState
    from archon.telemetry.consented_policy import Addition, ConsentedPolicy
    from archon.telemetry.outbox.local_events import LocalEvents

__all__ = ["DEBUG_DISTINCT_ID", "PolicyNotice", "Recorder", "common_properties", "stored_event"]

DEBUG_DISTINCT_ID = "debug-preview"
"""The distinct_id a debug preview shows when no identity exists (debug mode never creates one)."""

_FileSignature = str | None


class PolicyNotice(Value):
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
        self._config_signature = file_signature(paths.config)
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

    def record(self, event: Event, *, at: datetime | None = None) -> None:
        """Record ``event``, which happened ``at`` (default: now)."""
        try:
            self._record(event, at)
        except Exception:  # the failure boundary: telemetry never breaks a command
            _log_failure("telemetry: could not record %s", type(event).__name__)

    def finish(self) -> bool:
        """Prepare a command's own events for the runs after this one, and start the detached flusher if this run
        recorded anything and none is running. Returns at once; never raises."""
        if not self._recorded:
            return False
        try:
            self._prepare()
        except Exception:  # the failure boundary
            _log_failure("telemetry: could not prepare events")
        try:
            from archon.telemetry.upload.launch import start_flusher

            return start_flusher(runtime=self._runtime, paths=self._paths, known_pending=True)
        except Exception:  # the failure boundary
            _log_failure("telemetry: could not start the flusher")
            return False

    def _record(self, event: Event, at: datetime | None) -> None:
        if self._runtime.telemetry_debug:
            identity = read_identity(self._paths)
            preview = self._stored(event, identity.distinct_id if identity else DEBUG_DISTINCT_ID, at)
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
            from archon.telemetry.outbox.local_events import LOCAL_DISTINCT_ID, LocalEvents

            if self._local is None:
                self._local = LocalEvents(self._paths)
            self._local.append(self._stored(event, LOCAL_DISTINCT_ID, at))
            return
        if not consent.enabled:
            return
        scope = self._consented(consent)
        if scope is not None and not scope.covers(event.NAME):
            return
        stored = self._stored(event, self._identity(), at)
        if scope is not None:
            stored = scope.apply(stored) or stored  # covered, so never None
        self._outbox.append(stored)
        self._recorded += 1

    def _current_consent(self) -> Consent:
        """The decision, resolved again if it came from config.yaml and that file changed since."""
        if self._consent.config is not None and (self._consent.enabled or self._consent.local_only):
            signature = file_signature(self._paths.config)
            if signature != self._config_signature:
                self._config_signature = signature
                from archon.config_cache import read_telemetry_config
                from archon.private_files import untrusted_home

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
        if consent.source != "config":
            return None
        signature = file_signature(self._paths.consent_record)
        if self._scope is None or self._scope[0] != signature:
            kept = load_prepared(self._paths, self._build)
            if kept is not None and signature is not None and kept.consent_record == signature:
                self._scope = (signature, None)  # the usual case, known from a run before: nothing to filter
                return None
            from archon.telemetry.consent_record import read_consent_record
            from archon.telemetry.policy import build_policy

            state = read_consent_record(self._paths)
            build = build_policy()
            if state.record is not None and state.record.policy == build:  # nothing to filter
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
        signature = file_signature(self._paths.telemetry_id)
        if self._distinct_id is None or signature != self._identity_signature:
            # The signature taken before reading: if the file is replaced meanwhile, the next event reads it again.
            self._distinct_id = ensure_identity(self._paths).distinct_id
            self._identity_signature = signature
        return self._distinct_id

    def _stored(self, event: Event, distinct_id: str, at: datetime | None) -> StoredEvent:
        return stored_event(event, common=self._common, distinct_id=distinct_id, now=at or self._runtime.now())

    def _prepare(self) -> None:
        """Keep a command's own events, as this run would store them, for the runs after it (see
        :mod:`~archon.telemetry.prepared`): only while everything is allowed (no filter) and the anonymous id is
        the one read, and only when what is kept no longer holds."""
        consent = self._current_consent()
        if self._runtime.telemetry_debug or not consent.enabled or self._consented(consent) is not None:
            return
        from_config = consent.source == "config"
        identity = file_signature(self._paths.telemetry_id)
        current = read_identity(self._paths)
        if identity is None or current is None or file_signature(self._paths.telemetry_id) != identity:
            return
        kept = load_prepared(self._paths, self._build)
        if kept is not None and kept.hold(self._paths, consent_from_config=from_config):
            return
        templates = {}
        for event in (
            BinaryStartup(),
            CliCommandInvoked(command=SafeName(""), subcommand=SafeName("")),
            CliCommandCompleted(command=SafeName(""), subcommand=SafeName(""), exit_code=0, duration_ms=0),
        ):
            stored = self._stored(event, current.distinct_id, None)
            stored["uuid"], stored["timestamp"] = field_marker("uuid"), field_marker("timestamp")
            for name in event.PROPERTIES:  # the fields a run fills in: this build's schema says which
                stored["properties"][name] = field_marker(name)
            templates[event.NAME] = encode_event(stored).decode("utf-8")
        record = self._scope[0] if from_config and self._scope is not None else None
        write_prepared(self._paths, self._build, identity=identity, consent_record=record, templates=templates)
