"""One event, one file: the stored form of an event, its bytes, and the file name that orders and sizes it.

:class:`StoredEvent` is the shape an event has from the moment it is recorded: exactly what the outbox keeps, what
``archon telemetry inspect`` prints and what the flusher posts, field for field (its uuid and timestamp are fixed
when it is recorded and kept across retries, so the server can de-duplicate a re-sent batch).

An event file is named ``<time_ns>-<uuid>-<size>.json``: sorting names sorts by recording time, and the size in
the name lets the outbox enforce its byte bound from a directory listing alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archon.private_files import read_regular_file
from archon.value import Value

if TYPE_CHECKING:
    from typing import TypedDict

    from archon.telemetry.schema import PropertyValue

__all__ = [
    "Entry",
    "StoredEvent",
    "decode_event",
    "encode_event",
    "event_file_name",
    "json_value",
    "list_entries",
    "measure",
    "read_event_file",
    "read_events",
]

EVENT_FILE_SIZE_LIMIT = 64 * 1024
"""An event file larger than this is not read (events take a few hundred bytes)."""


if TYPE_CHECKING:

    class StoredEvent(TypedDict):
        """One event as stored, shown by ``inspect`` and sent, in PostHog's capture format."""

        event: str
        distinct_id: str
        uuid: str
        timestamp: str
        properties: dict[str, PropertyValue]

else:  # at run time a TypedDict is a plain dict; making the class would cost every recording run ~0.1 ms
    StoredEvent = dict


_HEX = frozenset("0123456789abcdef")
_TIME_DIGITS = 20
_SUFFIX = ".json"


def _is_canonical_uuid(text: str) -> bool:
    """``8-4-4-4-12`` lowercase hex groups (what ``str(uuid.UUID(...))`` gives). Plain string checks, each one call
    into C: this runs for every event file a listing sees (a regular expression costs more to compile than the rest
    of it, and a loop over the groups three times as much as this; tests/telemetry/outbox/test_event_file.py
    holds it to the pattern)."""
    return (
        len(text) == 36
        and text[8] == text[13] == text[18] == text[23] == "-"
        and text.count("-") == 4
        and _HEX.issuperset(text.replace("-", ""))
    )


def event_file_name(*, time_ns: int, event_uuid: str, size: int) -> str:
    """The file name of an event file. Raises ``ValueError`` if ``event_uuid`` is not a canonical UUID."""
    if not _is_canonical_uuid(event_uuid):
        raise ValueError(f"not a canonical uuid: {event_uuid!r}")
    return f"{time_ns:0{_TIME_DIGITS}d}-{event_uuid}-{size}{_SUFFIX}"


def _size_of(name: str) -> int | None:
    """The size an event file's name records, or None if ``name`` is not an event file's name."""
    if not name.endswith(_SUFFIX):
        return None
    time_ns, sep, rest = name[: -len(_SUFFIX)].partition("-")
    event_uuid, sep2, size = rest.rpartition("-")
    if not (sep and sep2 and len(time_ns) == _TIME_DIGITS and time_ns.isascii() and time_ns.isdigit()):
        return None
    if not (0 < len(size) < 10 and size.isascii() and size.isdigit() and _is_canonical_uuid(event_uuid)):
        return None
    return int(size)


_JSON_ESCAPES = str.maketrans(
    {
        **{chr(code): f"\\u{code:04x}" for code in range(0x20)},
        "\\": "\\\\",
        '"': '\\"',
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
    }
)


def json_value(value: object) -> str:
    """``value`` (text, a number, a boolean, or a flat mapping of them) as ``json.dumps`` writes it here."""
    if isinstance(value, str):
        return f'"{value.translate(_JSON_ESCAPES)}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json_value(key)}:{json_value(item)}" for key, item in value.items()) + "}"
    raise TypeError(f"not an event's value: {type(value).__name__}")


def encode_event(event: StoredEvent) -> bytes:
    """The bytes of an event file: exactly ``json.dumps(event, separators=(",", ":"), ensure_ascii=False)`` in
    UTF-8 (tests/telemetry/outbox/test_event_file.py holds it to that), written without the ``json`` package, which
    would cost every recording run more than the rest of recording (docs/performance.md, "Recording")."""
    return json_value(event).encode("utf-8")


def decode_event(raw: bytes) -> StoredEvent | None:
    """A stored event, or None if ``raw`` is not one (truncated, garbage, wrong shape)."""
    import json  # startup time: only what reads events (inspect, status, the flusher) needs the parser

    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if not all(isinstance(data.get(key), str) for key in ("event", "distinct_id", "uuid", "timestamp")):
        return None
    properties = data.get("properties")
    if not isinstance(properties, dict) or not all(
        isinstance(key, str) and isinstance(value, str | int | bool) for key, value in properties.items()
    ):
        return None
    return StoredEvent(
        event=data["event"],
        distinct_id=data["distinct_id"],
        uuid=data["uuid"],
        timestamp=data["timestamp"],
        properties=properties,
    )


class Entry(Value):
    """One event file's name, parsed. Its ``name`` orders entries by recording time (the name starts with it)."""

    name: str
    size: int


def _by_name(entry: Entry) -> str:
    return entry.name


def list_entries(directory: Path) -> list[Entry]:
    """The event files in ``directory``, oldest first; a missing directory is empty. Ignores every other file."""
    try:
        names = os.listdir(directory)
    except OSError:  # missing or unreadable: nothing we can send
        return []
    entries = []
    for name in names:
        size = _size_of(name)
        if size is not None:
            entries.append(Entry(name, size))
    entries.sort(key=_by_name)  # zero-padded time first: name order is recording order
    return entries


def measure(directory: Path) -> tuple[int, int]:
    """How many event files ``directory`` holds, and their bytes (from their names; a missing directory is
    empty). What :func:`list_entries` sees, without building a list of them."""
    try:
        names = os.listdir(directory)
    except OSError:
        return 0, 0
    count = size = 0
    for name in names:
        found = _size_of(name)
        if found is not None:
            count += 1
            size += found
    return count, size


def read_event_file(path: Path) -> bytes:
    """The bytes of one event file: a regular file of at most :data:`EVENT_FILE_SIZE_LIMIT` bytes, never read
    through a symlink or from a FIFO (``OSError`` otherwise)."""
    return read_regular_file(path, limit=EVENT_FILE_SIZE_LIMIT)


def read_events(files: Iterable[Path]) -> Iterator[StoredEvent]:
    """The events in ``files``; files that vanished or are unreadable are skipped."""
    for path in files:
        try:
            raw = read_event_file(path)
        except OSError:  # claimed, sent or dropped since the listing
            continue
        event = decode_event(raw)
        if event is not None:
            yield event
