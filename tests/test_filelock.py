"""The flush/state lock: exclusive, bounded waits, and released by the kernel when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archon.filelock import FileLock, is_locked, locked

_HOLD = """
import sys, time
from pathlib import Path
from archon.filelock import FileLock
lock = FileLock(Path(sys.argv[1]))
assert lock.acquire()
lock.describe_holder("test holder")
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_holder_is_refused_until_the_first_releases(tmp_path: Path) -> None:
    path = tmp_path / "telemetry" / "flush.lock"
    first, second = FileLock(path), FileLock(path)

    assert first.acquire()
    assert first.held
    assert is_locked(path)
    assert not second.acquire(timeout=0.05)

    first.release()
    assert not is_locked(path)
    assert second.acquire()
    second.release()


def test_locked_context_reports_whether_it_got_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "state.lock"
    with locked(path, timeout=0) as outer:
        assert outer
        with locked(path, timeout=0.02) as inner:
            assert not inner
    assert not is_locked(path)


def test_is_locked_never_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "flush.lock"
    assert not is_locked(path)
    assert not path.parent.exists()


def test_acquiring_twice_on_one_instance_is_a_bug(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "x.lock")
    assert lock.acquire()
    with pytest.raises(RuntimeError, match="already held"):
        lock.acquire()
    lock.release()
    lock.release()  # releasing twice is harmless


def test_a_holder_killed_with_sigkill_cannot_keep_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "flush.lock"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert is_locked(path)
        assert path.read_text().startswith(f"{holder.pid} test holder")
        assert not FileLock(path).acquire(timeout=0.05)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()

    deadline = time.monotonic() + 5
    while is_locked(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    lock = FileLock(path)
    assert lock.acquire()
    lock.release()


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")
@pytest.mark.parametrize("kind", ["symlink-to-a-file", "dangling-symlink", "fifo"])
def test_the_lock_file_is_never_opened_through_a_symlink_or_as_a_fifo(tmp_path: Path, kind: str) -> None:
    """Someone who could plant a symlink at the lock's name must not make archon create, truncate or write a file
    of their choosing (the holder writes its pid into the lock file)."""
    victim = tmp_path / "victim"
    lock_path = tmp_path / "telemetry" / "flush.lock"
    lock_path.parent.mkdir()
    if kind == "symlink-to-a-file":
        victim.write_bytes(b"precious")
        lock_path.symlink_to(victim)
    elif kind == "dangling-symlink":
        lock_path.symlink_to(victim)
    else:
        os.mkfifo(lock_path)
    lock = FileLock(lock_path)
    with pytest.raises(OSError):  # noqa: PT011 - ELOOP, or "not a regular file": the kind does not matter
        lock.acquire()
    assert not lock.held
    assert not is_locked(lock_path)
    assert (victim.read_bytes() == b"precious") if kind == "symlink-to-a-file" else not victim.exists()
