"""How one event is stored on disk: its bytes, and the file name that orders and sizes it.

A record file is named ``<time_ns>-<uuid>-<size>.json``: sorting names sorts by recording time, and the size in
the name lets the outbox enforce its byte bound from a directory listing alone.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archon.telemetry.queued import QueuedEvent

__all__ = ["Entry", "decode_event", "encode_event", "list_entries", "read_events", "record_name"]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_NAME = re.compile(rf"(?P<ns>\d{{20}})-(?P<uuid>{_UUID})-(?P<size>\d{{1,9}})\.json")


def record_name(*, time_ns: int, event_uuid: str, size: int) -> str:
    """The file name of a record. Raises ``ValueError`` if ``event_uuid`` is not a UUID."""
    return f"{time_ns:020d}-{uuid.UUID(event_uuid)}-{size}.json"


def encode_event(event: QueuedEvent) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_event(raw: bytes) -> QueuedEvent | None:
    """A stored event, or None if ``raw`` is not one (truncated, garbage, wrong shape)."""
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
    return QueuedEvent(
        event=data["event"],
        distinct_id=data["distinct_id"],
        uuid=data["uuid"],
        timestamp=data["timestamp"],
        properties=properties,
    )


@dataclass(frozen=True, order=True)
class Entry:
    """One record's file name, parsed. Ordered by recording time."""

    name: str
    size: int


def _by_name(entry: Entry) -> str:
    return entry.name


def list_entries(directory: Path) -> list[Entry]:
    """The records in ``directory``, oldest first; a missing directory is empty. Ignores every other file."""
    try:
        names = os.listdir(directory)
    except OSError:  # missing or unreadable: nothing we can send
        return []
    entries = []
    for name in names:
        match = _NAME.fullmatch(name)
        if match is not None:
            entries.append(Entry(name, int(match["size"])))
    entries.sort(key=_by_name)  # zero-padded time first: name order is recording order
    return entries


def read_events(files: Iterable[Path]) -> Iterator[QueuedEvent]:
    """The events in ``files``; files that vanished or are unreadable are skipped."""
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError:  # claimed, sent or dropped since the listing
            continue
        event = decode_event(raw)
        if event is not None:
            yield event
