"""What each CLI does with SIGTERM, SIGINT and SIGKILL while a tool command it started is running, and what happens
to that command: the facts archon's process supervision is built on (issue 17, item 5)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from tests.support.assistant_clis import CliName
from tests.support.assistant_lab import AssistantLab
from tests.support.cli_process import RunningCli
from tests.support.model_api import Exchange, ModelScript, RunCommand, Say
from tests.support.proc import ProcessInfo, read_process
from tests.support.scenarios.claude import STREAM_JSON
from tests.support.scenarios.codex import FLAT_TOOLS_MODEL

pytestmark = pytest.mark.slow

SLEEPER = 'python3 -c "import time; time.sleep(300)"'
"""The tool command (claude refuses a bare ``sleep 300``: "Blocked: sleep 300 ... use Monitor")."""


def _wait_until(check: Callable[[], ProcessInfo | bool | None], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout}s")
        time.sleep(0.05)


def _tool(lab: AssistantLab) -> ProcessInfo | None:
    for pid in lab.namespace.processes():
        info = read_process(pid)
        if info is not None and info.alive and "import time; time.sleep(300)" in info.argv:
            return info
    return None


def _gone(pid: int) -> bool:
    info = read_process(pid)
    return info is None or not info.alive


def _reparented(pid: int, old_parent: int) -> bool:
    info = read_process(pid)
    return info is not None and info.ppid != old_parent


def _start(lab: AssistantLab, cli: CliName) -> tuple[RunningCli, ProcessInfo]:
    """The CLI, permitted to run commands, with the model's command running."""
    lab.script = ModelScript([Exchange("SIGNAL", (RunCommand(SLEEPER), Say("finished")))])
    if cli == "claude":
        argv = lab.claude(*STREAM_JSON, "--allowedTools", "Bash", "--", "SIGNAL: run it")
    else:
        argv = lab.codex(
            "exec", "--json", "--sandbox", "workspace-write", "-m", FLAT_TOOLS_MODEL, "--", "SIGNAL: run it"
        )
    running = lab.start(argv, env=lab.env(cli))
    _wait_until(lambda: _tool(lab), "the tool command started")
    tool = _tool(lab)
    assert tool is not None
    return running, tool


def test_claude_runs_its_tool_commands_in_a_session_of_their_own(lab: AssistantLab) -> None:
    running, tool = _start(lab, "claude")
    assert tool.sid != running.pid
    assert tool.pgrp != running.pid
    os.kill(running.pid, signal.SIGTERM)
    running.wait(timeout=30)


def test_claude_on_sigterm_kills_its_tool_and_exits_143(lab: AssistantLab) -> None:
    running, tool = _start(lab, "claude")
    os.kill(running.pid, signal.SIGTERM)
    run = running.wait(timeout=30)
    assert run.exit_code == 143, run.describe()
    assert run.seconds < 60
    _wait_until(lambda: _gone(tool.pid), "the tool command ended", timeout=5)
    last = run.events[-1]
    assert last["type"] == "user"
    assert last["message"]["content"][0]["content"] == "Exit code 137"  # claude SIGKILLed its command
    assert not run.of_type("result")


def test_claude_on_sigint_cancels_its_tool_and_exits_0(lab: AssistantLab) -> None:
    running, tool = _start(lab, "claude")
    os.kill(running.pid, signal.SIGINT)
    run = running.wait(timeout=30)
    assert run.exit_code == 0, run.describe()  # an interrupted run looks like success to the exit code
    _wait_until(lambda: _gone(tool.pid), "the tool command ended", timeout=5)
    (result,) = run.of_type("result")
    assert result["stop_reason"] == "tool_use"
    said = [block for e in run.of_type("user") for block in e["message"]["content"]]
    assert {"type": "text", "text": "[Request interrupted by user for tool use]"} in said


def test_a_killed_claude_leaves_its_tool_command_running(lab: AssistantLab) -> None:
    running, tool = _start(lab, "claude")
    os.kill(running.pid, signal.SIGKILL)
    run = running.wait(timeout=30)
    assert run.exit_code == -signal.SIGKILL
    after = read_process(tool.pid)
    assert after is not None
    assert after.alive  # orphaned in its own session: only a tree walk or the namespace finds it now
    assert after.sid == tool.sid


def test_codex_on_sigterm_to_its_group_ends_everything(lab: AssistantLab) -> None:
    running, tool = _start(lab, "codex")
    running.signal_group(signal.SIGTERM)
    run = running.wait(timeout=30)
    assert run.exit_code == -signal.SIGTERM, run.describe()  # the node launcher dies of the signal
    _wait_until(lambda: _gone(tool.pid), "the tool command ended", timeout=5)
    _wait_until(lambda: not lab.namespace.processes(), "every codex process ended", timeout=5)


def test_codex_on_sigint_exits_1_and_ends_its_tool(lab: AssistantLab) -> None:
    running, tool = _start(lab, "codex")
    os.kill(running.pid, signal.SIGINT)
    run = running.wait(timeout=30)
    assert run.exit_code == 1, run.describe()
    _wait_until(lambda: _gone(tool.pid), "the tool command ended", timeout=5)
    assert not run.of_type("turn.completed")
    assert not run.of_type("turn.failed")


def test_killing_the_codex_launcher_alone_leaves_codex_running(lab: AssistantLab) -> None:
    running, tool = _start(lab, "codex")
    native = [
        info
        for pid in lab.namespace.processes()
        if (info := read_process(pid)) is not None and info.ppid == running.pid and info.name == "codex"
    ]
    assert len(native) == 1
    assert native[0].pgrp == running.pid  # same process group as the launcher: signal the group
    os.kill(running.pid, signal.SIGKILL)
    _wait_until(lambda: _gone(running.pid), "the launcher died", timeout=5)
    # The kernel reparents the launcher's children as it finishes exiting, which /proc may show a moment after the
    # launcher itself looks gone: wait for it (bounded) rather than read it once.
    _wait_until(lambda: _reparented(native[0].pid, running.pid), "codex was reparented", timeout=5)
    orphan = read_process(native[0].pid)
    assert orphan is not None
    assert orphan.alive  # still working on the turn
    assert not _gone(tool.pid)
