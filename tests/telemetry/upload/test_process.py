"""The flusher's hard limit is the kernel's: a process that never gives up the CPU or the GIL is still ended. And
whatever a flusher started ends with its run.

Each test runs the real ``run_in_background`` in a child process (it lowers the priority and arms a timer that
kills the process: never in the test process itself).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX interval timers")

BUSY = """
import sys
from archon.telemetry.upload.process import run_in_background
run_in_background(deadline_seconds=float(sys.argv[1]))
while True:  # holds the GIL for good: no watchdog thread could ever run
    pass
"""

HOSTILE_PARENT = """
import os, signal, sys
signal.signal(signal.SIGALRM, signal.SIG_IGN)  # both survive exec
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
os.execv(sys.executable, [sys.executable, "-c", sys.argv[1], "0.5"])
"""

ARMED_ONCE = """
from archon.telemetry.upload.process import hard_limit_remaining, run_in_background
run_in_background(deadline_seconds=30)
run_in_background(deadline_seconds=600)
print(hard_limit_remaining())
"""


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=60, check=False)


def test_a_process_that_never_yields_is_killed_at_its_limit() -> None:
    result = _run("-c", BUSY, "0.5")
    assert result.returncode == -signal.SIGALRM, result.stderr


def test_an_ignored_or_blocked_alarm_inherited_from_the_parent_does_not_disarm_it() -> None:
    result = _run("-c", HOSTILE_PARENT, BUSY)
    assert result.returncode == -signal.SIGALRM, result.stderr


def test_the_limit_is_armed_once_and_never_extended() -> None:
    result = _run("-c", ARMED_ONCE)
    assert result.returncode == 0, result.stderr
    assert 0 < float(result.stdout) <= 30


_STARTS_A_CHILD = """
import subprocess, sys
from archon.telemetry.upload.process import end_process_group
child = subprocess.Popen(["sleep", "300"])
print(child.pid, flush=True)
end_process_group()
print("still here", flush=True)
child.kill()
"""


def _gone(pid: int, *, timeout: float) -> bool:
    """Whether ``pid`` has ended (a zombie waiting for its new parent to reap it has ended too). Linux only."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_flusher_that_leads_its_session_ends_whatever_it_started() -> None:
    """As archon starts it (``setsid``): its group is everything it started, and it goes with them."""
    result = subprocess.run(
        [sys.executable, "-c", _STARTS_A_CHILD],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    (child,) = result.stdout.split()
    assert _gone(int(child), timeout=10)


def test_a_process_that_does_not_lead_its_session_kills_nothing() -> None:
    """Run from a shell or a test (not as archon starts it), its group may hold the caller: nothing is killed."""
    result = _run("-c", _STARTS_A_CHILD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["still", "here"]
