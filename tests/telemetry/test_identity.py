"""The anonymous identity: a UUID4 in a 0600 file, never created by reading, corrupt files never trusted."""

from __future__ import annotations

import os
import stat
import uuid

import pytest

from archon.paths import ArchonPaths
from archon.telemetry.identity import delete_identity, ensure_identity, read_identity


def test_reading_never_creates(paths: ArchonPaths) -> None:
    assert read_identity(paths) is None
    assert not paths.telemetry_id.exists()
    assert not paths.home.exists()


def test_ensure_creates_a_private_uuid4(paths: ArchonPaths) -> None:
    identity = ensure_identity(paths)
    assert uuid.UUID(identity.distinct_id).version == 4
    assert paths.telemetry_id.read_text(encoding="ascii") == identity.distinct_id + "\n"
    if os.name == "posix":
        assert stat.S_IMODE(paths.telemetry_id.stat().st_mode) == 0o600
        assert stat.S_IMODE(paths.home.stat().st_mode) == 0o700
    assert list(paths.home.iterdir()) == [paths.telemetry_id]  # no temp file left behind


def test_ensure_keeps_an_existing_identity(paths: ArchonPaths) -> None:
    first = ensure_identity(paths)
    assert ensure_identity(paths) == first
    assert read_identity(paths) == first


def test_creation_date_is_readable(paths: ArchonPaths) -> None:
    identity = ensure_identity(paths)
    assert identity.created.tzinfo is not None
    assert identity.created.timestamp() == pytest.approx(paths.telemetry_id.stat().st_mtime)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not-a-uuid\n",
        b"../../etc/passwd",
        str(uuid.uuid1()).encode(),  # a MAC-address-bearing UUID1 is not accepted
        str(uuid.uuid4()).upper().encode(),  # not canonical
        (str(uuid.uuid4()) + "\nextra").encode(),
        b"\xff\xfe",
        b"a" * 10_000,
    ],
)
def test_corrupt_file_is_not_trusted_and_is_replaced(paths: ArchonPaths, content: bytes) -> None:
    paths.home.mkdir(parents=True)
    paths.telemetry_id.write_bytes(content)
    assert read_identity(paths) is None
    replaced = ensure_identity(paths)
    assert uuid.UUID(replaced.distinct_id).version == 4
    assert paths.telemetry_id.read_bytes() == (replaced.distinct_id + "\n").encode()


def test_a_concurrently_created_identity_wins(paths: ArchonPaths) -> None:
    """If another process links its id into place first, ours is discarded and theirs returned."""
    theirs = str(uuid.uuid4())

    def racing_uuid() -> uuid.UUID:
        paths.telemetry_id.write_text(theirs + "\n", encoding="ascii")
        return uuid.uuid4()

    assert ensure_identity(paths, new_uuid=racing_uuid).distinct_id == theirs


def test_delete(paths: ArchonPaths) -> None:
    assert delete_identity(paths) is False
    ensure_identity(paths)
    assert delete_identity(paths) is True
    assert not paths.telemetry_id.exists()
    assert read_identity(paths) is None


def test_after_delete_a_new_identity_differs(paths: ArchonPaths) -> None:
    first = ensure_identity(paths)
    delete_identity(paths)
    assert ensure_identity(paths).distinct_id != first.distinct_id


@pytest.mark.skipif(os.name != "posix", reason="symlinks and FIFOs")
@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_an_id_file_that_is_not_a_regular_file_is_never_read(paths: ArchonPaths, kind: str) -> None:
    """A symlink to an id someone else chose is not used; a FIFO would block whoever opens it for reading."""
    elsewhere = paths.home.parent / "planted-id"
    elsewhere.write_text(f"{uuid.uuid4()}\n", encoding="ascii")
    paths.home.mkdir(mode=0o700)
    if kind == "symlink":
        paths.telemetry_id.symlink_to(elsewhere)
    else:
        os.mkfifo(paths.telemetry_id)
    assert read_identity(paths) is None
