"""Ctrl-C exits 130 and SIGTERM exits 143, and an interrupted run tells the truth: it ends as a failed run
(``workflow.run_failed``, the interrupt's class, the kind of node that was running), archon says on stderr which
nodes it stopped and that nothing is left running, and ``cli.command_completed`` is still recorded: a real archon
process, signalled while a workflow node runs (ARCHON_TELEMETRY_DEBUG shows the events it would send)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

pytestmark = [pytest.mark.skipif(os.name != "posix", reason="POSIX signals"), pytest.mark.needs_tool("bash")]

PREFIX = "archon telemetry (debug, not sent): "


def _read_until(stream: IO[str], marker: str, *, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not seen in time: {lines}")


def _sleepers() -> list[str]:
    """Processes running this test's ``sleep 31.7`` (Linux /proc; elsewhere nothing is checked)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().split(b"\0")[:2] == [b"sleep", b"31.7"]:
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found


SLEEPER = """\
name: sleeper
description: waits
nodes:
  - {id: wait, bash: sleep 31.7}
  - {id: after, bash: echo never, depends_on: [wait]}
"""


@contextlib.contextmanager
def _sleeper_running(tmp_path: Path, env: dict[str, str], *options: str) -> Iterator[subprocess.Popen[str]]:
    """``archon workflow run sleeper`` (stdout and stderr piped), once its node's ``sleep`` has started; killed if
    the test leaves it running."""
    workflows = tmp_path / "repo" / ".archon" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "sleeper.yaml").write_text(SLEEPER, encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "archon", "workflow", "run", "sleeper", *options],
        cwd=tmp_path / "repo",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stderr is not None
            _read_until(process.stderr, "[wait] started", timeout=60)
            deadline = time.monotonic() + 30
            while not _sleepers():  # the node's process has started
                assert time.monotonic() < deadline, "the node never started"
                time.sleep(0.05)
            yield process
        finally:
            if process.poll() is None:
                process.kill()


@pytest.mark.parametrize(
    ("signum", "exit_code", "error_class", "said"),
    [(signal.SIGTERM, 143, "Terminated", "SIGTERM"), (signal.SIGINT, 130, "KeyboardInterrupt", "SIGINT")],
)
def test_signal_exit_code_and_completion_event(
    tmp_path: Path, signum: int, exit_code: int, error_class: str, said: str
) -> None:
    env = {**os.environ, "ARCHON_TELEMETRY_DEBUG": "1", "ARCHON_HOME": str(tmp_path / "home")}
    with _sleeper_running(tmp_path, env) as process:
        process.send_signal(signum)
        _stdout, rest = process.communicate(timeout=30)
        assert process.returncode == exit_code
    assert _sleepers() == [], "the node's process outlived archon"
    events = [json.loads(line.removeprefix(PREFIX)) for line in rest.splitlines() if line.startswith(PREFIX)]
    completed = [e for e in events if e["event"] == "cli.command_completed"]
    assert len(completed) == 1, rest
    assert completed[0]["properties"]["exit_code"] == exit_code
    assert (completed[0]["properties"]["command"], completed[0]["properties"]["subcommand"]) == ("workflow", "run")
    (failed,) = [e["properties"] for e in events if e["event"] == "workflow.run_failed"]
    assert (failed["error_class"], failed["failed_node_type"]) == (error_class, "bash")
    assert not [e for e in events if e["event"] == "workflow.node_failed"]  # stopped, not failed by itself
    interrupted = [line for line in rest.splitlines() if line.startswith("archon: interrupted")]
    assert interrupted == [
        f"archon: interrupted ({said}): stopped node 'wait' and everything it started; nothing of this run is left "
        "running"
    ], rest
    assert "[wait] STOPPED" in rest
    assert "sleeper: 0/2 nodes succeeded, 1 stopped, 1 skipped" in rest


def test_an_interrupted_run_with_json_still_prints_one_json_object(tmp_path: Path) -> None:
    env = {**os.environ, "ARCHON_HOME": str(tmp_path / "home"), "DO_NOT_TRACK": "1"}
    with _sleeper_running(tmp_path, env, "--json") as process:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    data = json.loads(stdout)
    assert (data["ok"], data["interrupted"], data["left_running"]) == (False, "SIGINT", 0)
    assert [(n["id"], n["status"], n["failure_kind"]) for n in data["nodes"]] == [
        ("wait", "failed", "interrupted"),
        ("after", "skipped", None),
    ]
    assert "archon: interrupted (SIGINT): stopped node 'wait'" in stderr
