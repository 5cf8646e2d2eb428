"""Private files: the careful reader refuses what could hang or flood it, and a directory someone else controls
is never taken for this user's own. (The atomic writer is tested by its users: config, identity, the outbox.)"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from archon.paths import ArchonPaths
from archon.private_files import (
    Distrust,
    FileRefusal,
    RefusedFile,
    Untrusted,
    ensure_private_dir,
    read_regular_file,
    untrusted_directory,
    untrusted_home,
    write_atomic,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="owners and mode bits are POSIX's")


def test_a_small_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_regular_file(path, limit=10) == b"x" * 10


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing", limit=10)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("symlink", FileRefusal.SYMLINK),
        ("symlink-to-dev-zero", FileRefusal.SYMLINK),
        ("fifo", FileRefusal.NOT_REGULAR),
        ("device", FileRefusal.NOT_REGULAR),
        ("directory", FileRefusal.NOT_REGULAR),
        ("too-large", FileRefusal.TOO_LARGE),
    ],
)
@posix_only
def test_anything_but_a_small_regular_file_is_refused_unread(tmp_path: Path, kind: str, reason: FileRefusal) -> None:
    """A FIFO opens at once (non-blocking) and is refused: nothing waits for a writer that never comes."""
    target = tmp_path / "target"
    target.write_bytes(b"fine")
    path = tmp_path / "f"
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"x" * 11)
    with pytest.raises(RefusedFile) as refused:
        read_regular_file(path, limit=10)
    assert refused.value.reason is reason
    assert target.read_bytes() == b"fine"


@posix_only
def test_ones_own_private_directory_is_trusted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert untrusted_directory(home, follow_symlink=True) is None  # missing: archon creates it 0700
    ensure_private_dir(home)
    assert untrusted_directory(home, follow_symlink=True) is None
    home.chmod(0o755)  # others may look, not write
    assert untrusted_directory(home, follow_symlink=False) is None


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777, 0o720])
@posix_only
def test_a_directory_group_or_others_may_write_is_not(tmp_path: Path, mode: int) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(mode)
    assert untrusted_directory(home, follow_symlink=True) == Untrusted(home, Distrust.WRITABLE_BY_OTHERS)


@posix_only
def test_a_symlink_is_followed_only_where_the_user_names_the_directory(tmp_path: Path) -> None:
    real = tmp_path / "real"
    ensure_private_dir(real)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert untrusted_directory(link, follow_symlink=True) is None  # ARCHON_HOME -> a directory of one's own
    assert untrusted_directory(link, follow_symlink=False) == Untrusted(link, Distrust.SYMLINK)


@posix_only
def test_a_file_where_a_directory_belongs_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"")
    assert untrusted_directory(path, follow_symlink=True) == Untrusted(path, Distrust.NOT_A_DIRECTORY)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a directory away needs root")
def test_a_directory_of_another_user_is_not_trusted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ensure_private_dir(home)
    os.chown(home, 65534, 65534)  # nobody
    assert untrusted_directory(home, follow_symlink=True) == Untrusted(home, Distrust.NOT_OWNED)
    assert "is owned by another user" in Untrusted(home, Distrust.NOT_OWNED).describe()


@pytest.mark.parametrize("inside", ["telemetry_dir", "outbox", "outbox_inflight"])
@posix_only
def test_every_telemetry_directory_must_be_archons_own(tmp_path: Path, inside: str) -> None:
    paths = ArchonPaths(tmp_path / "home")
    for directory in (paths.home, paths.telemetry_dir):
        ensure_private_dir(directory)
    assert untrusted_home(paths) is None
    elsewhere = tmp_path / "elsewhere"
    ensure_private_dir(elsewhere)
    target: Path = getattr(paths, inside)
    if target.exists():
        target.rmdir()
    target.symlink_to(elsewhere, target_is_directory=True)
    found = untrusted_home(paths)
    assert found == Untrusted(target, Distrust.SYMLINK)


@posix_only
def test_a_home_others_may_write_is_reported_before_its_contents(tmp_path: Path) -> None:
    paths = ArchonPaths(tmp_path / "home")
    ensure_private_dir(paths.telemetry_dir)
    paths.home.chmod(0o777)
    paths.telemetry_dir.chmod(0o777)
    assert untrusted_home(paths) == Untrusted(paths.home, Distrust.WRITABLE_BY_OTHERS)


@posix_only
def test_the_atomic_writer_replaces_a_symlink_never_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    victim.chmod(0o644)
    home = tmp_path / "home"
    ensure_private_dir(home)
    (home / "state.json").symlink_to(victim)
    write_atomic(home / "state.json", b"{}")
    assert victim.read_bytes() == b"precious"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not (home / "state.json").is_symlink()


@pytest.mark.skipif(sys.platform == "win32", reason="umask")
def test_private_directories_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        ensure_private_dir(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old)
    for directory in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
