"""Prepared events: a command's own events, serialised ahead, so that recording them costs the command two small
file writes, with nothing to load but this module and the outbox's.

Every recording run records the same few events of its own (``binary.startup`` in the binary,
``cli.command_invoked``, ``cli.command_completed``), and all of each but a handful of values is the same from one
run to the next: the anonymous id, the common properties, the privacy flags, the names of the event and of its
properties. So the full recorder (:mod:`archon.telemetry.recorder`), whenever it has recorded with everything
allowed, serialises them once more with those values left open, and keeps the result in
``telemetry/.prepared-events``: one template per event, made by the schema, :func:`~archon.telemetry.recorder.
stored_event` and the outbox's own encoder, so a filled template is byte for byte what the recorder would have
stored (tests/telemetry/test_prepared.py holds it to that). A later run (:class:`PreparedRun`) fills in the uuid, the
timestamp, the command's name, its exit code and duration, and appends the result to the outbox: no schema, no
recorder, no ``json``, no consent record. That is the whole of what recording costs a command, and why it is
cheap (docs/performance.md, "Recording").

The templates count only while what they were made from still holds, checked before every event (one ``lstat``
each): the same anonymous id (``telemetry-id``'s :func:`~archon.private_files.file_signature`), this build
(its version, commit, platform and :data:`POLICY_HASH`, the hash of the schema's policy), and, while consent comes
from ``config.yaml``, the same consent record, known to hold exactly this build's policy, and the same
``config.yaml`` as when the run decided. Anything else (``telemetry clear``, ``telemetry on`` again, an upgrade, a
policy the record does not cover, an event of another kind, an error archon did not expect) goes the long way,
through the full recorder, which prepares the templates again when it may.

:data:`POLICY_HASH` is this build's policy hash as a constant, so that checking needs neither the schema nor
``hashlib``; tests/telemetry/test_prepared.py fails, naming the new value, when the schema changes it.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Final

from archon.buildinfo import BuildInfo
from archon.paths import ArchonPaths
from archon.private_files import file_signature, read_regular_file, write_atomic
from archon.telemetry.outbox import DEFAULT_MAX_BYTES, DEFAULT_MAX_EVENTS, TRIM_FRACTION
from archon.telemetry.outbox.event_file import event_file_name, json_value, measure
from archon.timestamps import format_utc
from archon.value import Value

if TYPE_CHECKING:
    from archon.runtime import Runtime
    from archon.telemetry.command_events import CommandEvents
    from archon.telemetry.consent import Consent
    from archon.telemetry.schema import Event

__all__ = [
    "BINARY_STARTUP",
    "COMMAND_COMPLETED",
    "COMMAND_INVOKED",
    "POLICY_HASH",
    "PREPARED_VERSION",
    "PreparedEvents",
    "PreparedRun",
    "Template",
    "field_marker",
    "forget_prepared",
    "load_prepared",
    "write_prepared",
]

POLICY_HASH: Final = "4255c9eb044863454b7d7b6313a76e2630965354f84e75a690148ee7b720e432"
"""``policy_hash(build_policy())`` of this build (:mod:`archon.telemetry.policy`); also quoted in docs/telemetry.md."""

PREPARED_VERSION: Final = "archon-prepared-events 1"
BINARY_STARTUP: Final = "binary.startup"
COMMAND_INVOKED: Final = "cli.command_invoked"
COMMAND_COMPLETED: Final = "cli.command_completed"
"""The events prepared (the schema's names for them; tests/telemetry/test_prepared.py checks they are)."""

_MARK = "\x00"
_ENCODED_MARK = "\\u0000"  # how the encoder writes the mark inside a string
_OWN = frozenset({"uuid", "timestamp"})
"""Fields every stored event has; the others are the event's own properties."""
_FIELDS = _OWN | {"command", "subcommand", "exit_code", "duration_ms"}
_SEPARATOR = "\x1f"  # never in a template: the encoder writes control characters escaped
_MAX_BYTES = 16 * 1024
_NOT_CHECKED = "-"


def field_marker(name: str) -> str:
    """The value the recorder puts where the field ``name`` is left open (encoded, it is ``"\\u0000name\\u0000"``)."""
    return f"{_MARK}{name}{_MARK}"


class Template(Value):
    """One event's bytes with fields left open: literal, field name, literal, ..., literal."""

    parts: tuple[str, ...]

    @classmethod
    def of(cls, encoded: str) -> Template | None:
        """The template of an encoded event whose open fields hold :func:`field_marker` values; None if it is not
        one (a mark that is not a whole value, an unknown field)."""
        pieces = encoded.split(_ENCODED_MARK)
        if len(pieces) % 2 == 0:
            return None
        parts: list[str] = []
        for index, piece in enumerate(pieces):
            if index % 2:  # a field's name, between the marks of one string value
                if piece not in _FIELDS or not (parts[-1].endswith('"') and pieces[index + 1].startswith('"')):
                    return None
                parts[-1] = parts[-1][:-1]
                parts.append(piece)
            else:
                parts.append(piece[1:] if index else piece)
        return cls(tuple(parts))

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.parts[1::2])

    def fill(self, values: Mapping[str, str | int]) -> bytes:
        """The event's bytes; ``KeyError`` when a field has no value."""
        parts = list(self.parts)
        for index in range(1, len(parts), 2):
            parts[index] = json_value(values[parts[index]])
        return "".join(parts).encode("utf-8")

    def line(self) -> str:
        return _SEPARATOR.join(self.parts)


class PreparedEvents(Value):
    """The templates, and what they were made from."""

    identity: str
    """``telemetry-id``'s signature when they were made (the anonymous id is in them)."""
    consent_record: str
    """``consent.json``'s signature, when it was found to hold exactly this build's policy; else ``-``."""
    templates: Mapping[str, Template]

    def hold(self, paths: ArchonPaths, *, consent_from_config: bool) -> bool:
        """Whether the templates may still be used: the same anonymous id, and (for consent from config.yaml) the
        same consent record, known to cover this build."""
        if file_signature(paths.telemetry_id) != self.identity:
            return False
        return not consent_from_config or (
            self.consent_record != _NOT_CHECKED and file_signature(paths.consent_record) == self.consent_record
        )


def _build_line(build: BuildInfo) -> str:
    fields = (
        POLICY_HASH,
        build.version,
        build.git_commit,
        str(build.is_binary),
        build.platform,
        build.arch,
        build.python_version,
    )
    return _SEPARATOR.join(fields)


def write_prepared(
    paths: ArchonPaths, build: BuildInfo, *, identity: str, consent_record: str | None, templates: Mapping[str, str]
) -> bool:
    """Keep ``templates`` (event name -> the encoded event with its open fields marked) for later runs; False (never
    raises) when one is not a template or the file cannot be written."""
    lines = [PREPARED_VERSION, _build_line(build), identity, consent_record or _NOT_CHECKED]
    for name, encoded in templates.items():
        template = Template.of(encoded)
        if template is None or _SEPARATOR in name or "\n" in name:
            return False
        lines.append(f"{name}{_SEPARATOR}{template.line()}")
    try:
        write_atomic(paths.prepared_events, ("\n".join(lines) + "\n").encode("utf-8"), durable=False)
    except OSError:
        return False
    return True


def forget_prepared(paths: ArchonPaths) -> None:
    """Delete the prepared events: they hold the anonymous id (``telemetry clear``, ``off``, ``local``)."""
    with contextlib.suppress(FileNotFoundError):
        paths.prepared_events.unlink()


def load_prepared(paths: ArchonPaths, build: BuildInfo) -> PreparedEvents | None:
    """The templates kept for this build; None when there are none for it, or they cannot be read. Never raises."""
    try:
        text = read_regular_file(paths.prepared_events, limit=_MAX_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    if len(lines) < 5 or lines.pop() or lines[0] != PREPARED_VERSION or lines[1] != _build_line(build):
        return None  # not whole (it ends with a newline), not ours, or another build's
    identity, consent_record, *events = lines[2:]
    templates: dict[str, Template] = {}
    for line in events:
        name, _, rest = line.partition(_SEPARATOR)
        parts = tuple(rest.split(_SEPARATOR))
        if len(parts) % 2 == 0 or not _FIELDS.issuperset(parts[1::2]):
            return None
        templates[name] = Template(parts)
    return PreparedEvents(identity=identity, consent_record=consent_record, templates=templates)


class PreparedRun:
    """A run's own events from the prepared templates; everything else (and anything they no longer hold for)
    through ``full``, the full recorder, made when first needed. Never raises; every method returns at once."""

    def __init__(
        self,
        *,
        prepared: PreparedEvents,
        runtime: Runtime,
        paths: ArchonPaths,
        build: BuildInfo,
        consent: Consent,
        full: Callable[[], CommandEvents],
    ) -> None:
        self._prepared = prepared
        self._runtime = runtime
        self._paths = paths
        self._is_binary = build.is_binary
        self._from_config = consent.source == "config"
        self._config = file_signature(paths.config) if self._from_config else None
        self._full_factory = full
        self._full: CommandEvents | None = None
        self._room: tuple[int, int] | None = None
        self._appended = 0

    def started(self, command: str, subcommand: str, *, at: datetime | None = None) -> None:
        moment = at or self._runtime.now()
        names: dict[str, str | int] = {"command": command, "subcommand": subcommand}
        if self._is_binary:
            self._append(BINARY_STARTUP, {}, moment, lambda full: full.binary_started(at=moment))
        self._append(COMMAND_INVOKED, names, moment, lambda full: full.invoked(command, subcommand, at=moment))

    def record(self, event: Event) -> None:
        self._through_full(lambda full: full.record(event))

    def uncaught(self, error_class: str, where: str) -> None:
        self._through_full(lambda full: full.uncaught(error_class, where))

    def ended(self, command: str, subcommand: str, *, exit_code: int, duration_ms: int) -> None:
        moment = self._runtime.now()
        values: dict[str, str | int] = {
            "command": command,
            "subcommand": subcommand,
            "exit_code": exit_code,
            "duration_ms": duration_ms,
        }
        self._append(
            COMMAND_COMPLETED,
            values,
            moment,
            lambda full: full.completed(command, subcommand, exit_code=exit_code, duration_ms=duration_ms, at=moment),
        )
        try:
            self._finish()
        except Exception:  # the failure boundary: telemetry never breaks a command
            _log_failure()

    def _append(
        self,
        name: str,
        values: dict[str, str | int],
        moment: datetime,
        the_long_way: Callable[[CommandEvents], None],
    ) -> None:
        try:
            if self._appended_prepared(name, values, moment):
                self._appended += 1
                return
        except OSError:  # the outbox's directory is gone (`telemetry clear --all`), the disk refuses...
            pass
        except Exception:  # the failure boundary: telemetry never breaks a command
            _log_failure()
            return
        self._through_full(the_long_way)  # ... which the long way, making directories and trimming, deals with

    def _appended_prepared(self, name: str, values: dict[str, str | int], moment: datetime) -> bool:
        """Append the event from its template; False when it must go the long way: no template for it, one with
        fields this archon does not fill in (a newer schema's), what the templates hold for changed, or the outbox
        is near its bound. Raises ``OSError`` when it cannot be written."""
        template = self._prepared.templates.get(name)
        if template is None or not template.fields <= {*values, *_OWN} or not self._still_holds():
            return False
        event_uuid = str(uuid.uuid4())
        data = template.fill({**values, "uuid": event_uuid, "timestamp": format_utc(moment)})
        if not self._room_for(len(data)):
            return False
        file_name = event_file_name(time_ns=time.time_ns(), event_uuid=event_uuid, size=len(data))
        # As the store appends (one file, written and renamed), into the directory the long way made.
        write_atomic(self._paths.outbox / file_name, data, durable=False, make_parents=False)
        return True

    def _room_for(self, size: int) -> bool:
        """Whether the outbox stays outside the last tenth of its bound with one more event of ``size`` bytes
        (there the store looks again, and trims: :mod:`~archon.telemetry.outbox.store`). The outbox is listed at
        the run's first event only; a run appends two or three."""
        if self._room is None:
            waiting, waiting_bytes = measure(self._paths.outbox)
            claimed, claimed_bytes = measure(self._paths.outbox_inflight)
            self._room = (
                DEFAULT_MAX_EVENTS - DEFAULT_MAX_EVENTS // TRIM_FRACTION - waiting - claimed,
                DEFAULT_MAX_BYTES - DEFAULT_MAX_BYTES // TRIM_FRACTION - waiting_bytes - claimed_bytes,
            )
        events, free = self._room
        if events < 1 or free < size:
            return False
        self._room = (events - 1, free - size)
        return True

    def _still_holds(self) -> bool:
        return (not self._from_config or file_signature(self._paths.config) == self._config) and self._prepared.hold(
            self._paths, consent_from_config=self._from_config
        )

    def _through_full(self, record: Callable[[CommandEvents], None]) -> None:
        try:
            if self._full is None:
                self._full = self._full_factory()
            record(self._full)
        except Exception:  # the failure boundary
            _log_failure()

    def _finish(self) -> None:
        """Start the flusher if this run appended anything and none is running (the full recorder, if it
        recorded too, says so itself)."""
        if self._full is not None and self._full.finish():
            return
        if not self._appended:
            return
        from archon.filelock import is_locked

        if is_locked(self._paths.flush_lock):  # a flusher is sending or waiting for more: it takes these too
            return
        from archon.telemetry.upload.launch import start_flusher

        start_flusher(runtime=self._runtime, paths=self._paths, known_pending=True)


def _log_failure() -> None:
    import logging  # startup time: only a failure logs

    logging.getLogger(__name__).debug("telemetry: prepared events", exc_info=True)
