"""Reading /proc: a synthetic one for the parsing (odd command names, zombies, marks), the real one for signals."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from archon.workflows.proc_tree import MARK_ENV, Process, find_processes, is_alive, send_signal

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


def _process(proc: Path, pid: int, ppid: int, *, name: str = "sh", state: str = "S", env: str = "") -> None:
    directory = proc / str(pid)
    directory.mkdir()
    rest = " ".join(["0"] * 17) + " 4242 0 0"  # field 22 (start time) is the 20th after the state
    (directory / "stat").write_text(f"{pid} ({name}) {state} {ppid} {rest}")
    (directory / "environ").write_bytes(b"PATH=/bin\0" + env.encode() + b"\0")


def test_the_tree_and_the_marked_are_found_whatever_their_names(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    _process(proc, 10, 1, name="claude")  # the node's own process
    _process(proc, 11, 10, name="a) b (c")  # below it, with a name built to confuse a parser
    _process(proc, 12, 11, name="sleep", state="Z")  # a zombie: already dead
    _process(proc, 20, 1, name="setsid'd tool", env=f"{MARK_ENV}=mine")  # left the tree, kept the mark
    _process(proc, 21, 20, name="env -i child")  # below a marked one, without the mark
    _process(proc, 30, 1, name="other run", env=f"{MARK_ENV}=theirs")
    _process(proc, 40, 1, name="unrelated")
    (proc / "self").mkdir()
    found = find_processes([10], ["mine"], proc=proc)
    assert {p.pid for p in found} == {10, 11, 20, 21}
    assert next(p for p in found if p.pid == 20).marks == frozenset({"mine"})
    assert find_processes([], [], proc=proc) == set()


def test_a_signal_reaches_the_process_that_was_found_and_no_other() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        (found,) = [p for p in find_processes([child.pid], []) if p.pid == child.pid]
        reused = Process(found.pid, found.ppid, found.start + 1)  # same id, another start time: another process
        send_signal(reused, signal.SIGTERM)
        assert child.poll() is None
        assert is_alive(found)
        send_signal(found, signal.SIGTERM)
        assert child.wait(timeout=10) == -signal.SIGTERM
        assert not is_alive(found)
    finally:
        child.kill()
        child.wait()
