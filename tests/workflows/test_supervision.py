"""Stopping a node stops everything it started: its tree, and what left the tree (as claude's Bash tool commands
do, with setsid) or outlived its parent, found by the node's mark. Real processes, read back through /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archon.workflows.process import ProcessOutcome, run_streaming
from archon.workflows.supervision import Supervisor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see the processes")

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie waiting for a parent that is not us is dead all the same


def _wait_for(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def _pids(path: Path) -> list[int]:
    return [int(word) for word in path.read_text().split()] if path.exists() else []


class Node:
    """A bash script run as a node on a thread, as the executor does."""

    def __init__(self, script: str, cwd: Path, supervisor: Supervisor, timeout: float = 60) -> None:
        self.lines: list[str] = []
        self.outcome: ProcessOutcome | None = None
        self._thread = threading.Thread(target=self._run, args=(script, cwd, supervisor, timeout))
        self._thread.start()

    def _run(self, script: str, cwd: Path, supervisor: Supervisor, timeout: float) -> None:
        self.outcome = run_streaming(
            ["bash", "-c", script],
            env=ENV,
            cwd=cwd,
            stdin=None,
            timeout=timeout,
            supervisor=supervisor,
            on_stdout=self.lines.append,
            on_stderr=self.lines.append,
        )

    def join(self) -> ProcessOutcome:
        self._thread.join(timeout=60)
        assert self.outcome is not None
        return self.outcome


def test_an_interrupt_reaches_a_process_in_a_session_of_its_own_and_traps_run(tmp_path: Path) -> None:
    supervisor = Supervisor(grace_seconds=5)
    script = (
        "trap 'echo trapped; exit 3' TERM\n"
        "setsid sleep 60 & echo $! >> pids\n"  # like claude's Bash tool: a new session, out of the node's group
        "sleep 60 & echo $! >> pids\n"
        "wait"
    )
    node = Node(script, tmp_path, supervisor)
    assert _wait_for(lambda: len(_pids(tmp_path / "pids")) == 2)
    pids = _pids(tmp_path / "pids")
    assert all(_alive(pid) for pid in pids)
    supervisor.stop_all()
    outcome = node.join()
    assert (outcome.returncode, outcome.interrupted) == (3, True)
    assert node.lines == ["trapped"]
    assert _wait_for(lambda: not any(_alive(pid) for pid in pids))


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    supervisor = Supervisor(grace_seconds=0.5)
    node = Node("trap '' TERM; echo $$ > pid; while :; do sleep 0.05; done", tmp_path, supervisor)
    assert _wait_for(lambda: bool(_pids(tmp_path / "pid")))
    started = time.monotonic()
    supervisor.stop_all()
    outcome = node.join()
    assert time.monotonic() - started >= 0.5  # it had its grace period
    assert outcome.returncode == -9
    assert not _alive(_pids(tmp_path / "pid")[0])


def test_a_timeout_stops_the_node_and_what_left_its_tree(tmp_path: Path) -> None:
    supervisor = Supervisor(grace_seconds=2)
    script = "(setsid sleep 60 & echo $! > pid) ; sleep 60"  # the subshell exits: sleep is re-parented to init
    node = Node(script, tmp_path, supervisor, timeout=1)
    outcome = node.join()
    assert outcome.timed_out
    assert not outcome.interrupted
    (pid,) = _pids(tmp_path / "pid")
    assert _wait_for(lambda: not _alive(pid))


def test_a_process_that_drops_its_environment_is_still_found_in_the_tree(tmp_path: Path) -> None:
    supervisor = Supervisor(grace_seconds=2)
    node = Node("env -i sleep 60 & echo $! > pid; wait", tmp_path, supervisor, timeout=1)
    assert node.join().timed_out
    (pid,) = _pids(tmp_path / "pid")
    assert _wait_for(lambda: not _alive(pid))


def test_a_background_job_holding_the_output_is_stopped_when_the_node_ends(tmp_path: Path) -> None:
    supervisor = Supervisor(grace_seconds=2)
    node = Node("sleep 60 & echo $! > pid; echo done", tmp_path, supervisor)
    outcome = node.join()
    assert (outcome.returncode, outcome.timed_out, node.lines) == (0, False, ["done"])
    (pid,) = _pids(tmp_path / "pid")
    assert _wait_for(lambda: not _alive(pid))


def test_what_a_node_left_running_in_the_background_is_swept_when_the_run_ends(tmp_path: Path) -> None:
    supervisor = Supervisor(grace_seconds=2)
    node = Node("nohup sleep 60 >/dev/null 2>&1 & echo $! > pid", tmp_path, supervisor)
    assert node.join().returncode == 0
    (pid,) = _pids(tmp_path / "pid")
    assert _alive(pid)  # it let go of the output: the node ended, its daemon runs on until the run ends
    supervisor.sweep()
    assert _wait_for(lambda: not _alive(pid))


def test_processes_of_other_runs_are_left_alone(tmp_path: Path) -> None:
    mine, other = Supervisor(grace_seconds=1), Supervisor(grace_seconds=1)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    node_a = Node("nohup sleep 60 >/dev/null 2>&1 & echo $! > pid", tmp_path / "a", mine)
    node_b = Node("nohup sleep 60 >/dev/null 2>&1 & echo $! > pid", tmp_path / "b", other)
    node_a.join()
    node_b.join()
    mine.sweep()
    (a,), (b,) = _pids(tmp_path / "a" / "pid"), _pids(tmp_path / "b" / "pid")
    assert _wait_for(lambda: not _alive(a))
    assert _alive(b)
    other.sweep()
    assert _wait_for(lambda: not _alive(b))


def test_nothing_starts_once_the_run_is_stopping(tmp_path: Path) -> None:
    supervisor = Supervisor()
    supervisor.stop_all()
    node = Node("touch ran", tmp_path, supervisor)
    outcome = node.join()
    assert (outcome.started, outcome.interrupted) == (False, True)
    assert not (tmp_path / "ran").exists()


def test_a_process_that_was_starting_when_the_run_was_stopped_is_stopped_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interrupt lands while a node's process is being started: past the ``stopping`` check, not yet
    registered, so ``stop_all`` does not see it. It must not run on to its end."""
    supervisor = Supervisor(grace_seconds=2)
    real_popen = subprocess.Popen

    def popen_then_interrupt(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = real_popen(*args, **kwargs)
        supervisor.stop_all()  # the main thread, between the process's start and its registration
        return proc

    monkeypatch.setattr(subprocess, "Popen", popen_then_interrupt)
    started = time.monotonic()
    node = Node("sleep 30; touch finished", tmp_path, supervisor)
    outcome = node.join()
    assert (outcome.started, outcome.interrupted) == (True, True)
    assert time.monotonic() - started < 20
    assert not (tmp_path / "finished").exists()
