"""The anonymous identity: a random UUID4 in ``telemetry-id`` (0600), and nothing else.

Only ``archon telemetry on`` creates it, and, after ``archon telemetry clear`` while consent is still on, the
next recorded event. Reading never creates it. A file that does not hold exactly one canonical UUID4 is not
trusted: it reads as no identity and is replaced when an identity is next needed. The creation date is the
file's modification time (the file is never rewritten in place).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from archon.paths import ArchonPaths
from archon.private_files import ensure_private_dir, read_regular_file, write_atomic
from archon.value import Value

__all__ = ["Identity", "delete_identity", "ensure_identity", "read_identity"]

_MAX_BYTES = 128


class Identity(Value):
    distinct_id: str
    created: datetime


def _parse(raw: bytes) -> str | None:
    """The UUID4 the file holds, if it holds exactly one in canonical form (a trailing newline allowed)."""
    try:
        text = raw.decode("ascii").strip()
        value = uuid.UUID(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if value.version != 4 or str(value) != text:
        return None
    return text


def read_identity(paths: ArchonPaths) -> Identity | None:
    """The stored identity, or None if there is none or the file is not a valid UUID4. Never creates it."""
    path = paths.telemetry_id
    try:
        raw = read_regular_file(path, limit=_MAX_BYTES)  # never a symlink, a FIFO or a device
        stat = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    distinct_id = _parse(raw)
    if distinct_id is None:
        return None
    return Identity(distinct_id=distinct_id, created=datetime.fromtimestamp(stat.st_mtime, UTC))


def ensure_identity(paths: ArchonPaths, *, new_uuid: Callable[[], uuid.UUID] = uuid.uuid4) -> Identity:
    """The stored identity, creating it (or replacing a corrupt file) if needed.

    Creation never overwrites a valid identity another process wrote at the same moment: the new file is linked
    into place only if none exists (``os.link`` fails on an existing name); a corrupt file is replaced atomically.
    """
    existing = read_identity(paths)
    if existing is not None:
        return existing
    path = paths.telemetry_id
    ensure_private_dir(path.parent)
    data = f"{new_uuid()}\n".encode("ascii")
    if not write_atomic(path, data, overwrite=False, make_parents=False):  # someone else created it first
        winner = read_identity(paths)
        if winner is not None:
            return winner
        write_atomic(path, data)  # the existing file is corrupt: replace it, never trust it
    created = read_identity(paths)
    if created is None:
        raise OSError(f"could not create {path}")
    return created


def delete_identity(paths: ArchonPaths) -> bool:
    """Delete the identity file. True if there was one."""
    try:
        paths.telemetry_id.unlink()
    except FileNotFoundError:
        return False
    return True
