"""The flusher's hard limit is the kernel's: a process that never gives up the CPU or the GIL is still ended.

Each test runs the real ``run_in_background`` in a child process (it lowers the priority and arms a timer that
kills the process: never in the test process itself).
"""

from __future__ import annotations

import signal
import subprocess
import sys

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
