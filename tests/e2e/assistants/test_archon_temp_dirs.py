"""The real claude and codex, run by archon, write their temporary files in the node's private directory and never
in the machine's shared /tmp, also when they are killed mid-turn; what the agent runs still has a TMPDIR."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.support.archon_in_lab import (
    SLEEPER,
    archon_env,
    commit_files,
    run_archon,
    start_archon,
    tool_pid,
)
from tests.support.assistant_clis import CliName
from tests.support.assistant_lab import AssistantLab
from tests.support.model_api import EditFile, Exchange, ModelScript, ReadFile, RunCommand, Say
from tests.support.shared_tmp import CODEX_DAEMON, SHARED_TMP, claude_state_dir, cli_traces, mount_points

pytestmark = pytest.mark.slow

PROBE = (
    'echo "$TMPDIR" > tmpdir.txt; echo kept > "$TMPDIR/probe" && cat "$TMPDIR/probe" > from-tmpdir.txt; '
    "mktemp > mktemp.txt"
)
"""What the agent runs: write to $TMPDIR, mktemp; the outcome of each lands in the work tree."""
SLASH_TMP_PROBE = "; (echo x > /tmp/archon-e2e-probe-{token}) 2> slash-tmp.txt; echo $? >> slash-tmp.txt"
"""And a write to /tmp (codex only: claude has no sandbox, and the write would succeed)."""


def _node_dirs(lab: AssistantLab) -> Path:
    return lab.root / "archon-home" / "tmp"


def _read(lab: AssistantLab, name: str) -> str:
    return (lab.work / name).read_text(encoding="utf-8").strip()


def _under_the_archon_home(lab: AssistantLab, path: str) -> bool:
    """``<archon home>/tmp/run-X/<node>-Y``, the node's private directory."""
    node = Path(path)
    return node.parent.parent == _node_dirs(lab) and node.name.startswith("do-")


@pytest.mark.parametrize("capability", ["edit", "run"])
def test_codex_edits_and_its_commands_use_the_nodes_temp_dir_and_cannot_write_slash_tmp(
    lab: AssistantLab, capability: str
) -> None:
    token = os.urandom(4).hex()
    greet = lab.work / "greet.py"
    commit_files(lab, {"greet.py": 'print("hello")\n'})
    lab.script = ModelScript(
        [
            Exchange(
                "TMP-MARK",
                (
                    RunCommand(PROBE + SLASH_TMP_PROBE.format(token=token)),
                    ReadFile(str(greet)),
                    EditFile(str(greet), 'print("hello")', 'print("goodbye")'),
                    Say("Done."),
                ),
            )
        ]
    )
    flow = f"name: flow\ndescription: d\nnodes:\n  - {{id: do, capability: {capability}, prompt: 'TMP-MARK: go'}}\n"
    before = cli_traces()
    run = run_archon(lab, archon_env(lab, "codex", workflow=flow), "workflow", "run", "flow")
    assert run.exit_code == 0, run.describe()
    assert greet.read_text(encoding="utf-8") == 'print("goodbye")\n'  # the edit still works
    assert _under_the_archon_home(lab, _read(lab, "tmpdir.txt")), _read(lab, "tmpdir.txt")
    assert _read(lab, "from-tmpdir.txt") == "kept"
    assert _read(lab, "mktemp.txt").startswith(_read(lab, "tmpdir.txt") + "/")
    refused = _read(lab, "slash-tmp.txt")
    assert "Read-only file system" in refused
    assert refused.endswith("1")
    assert not (SHARED_TMP / f"archon-e2e-probe-{token}").exists()
    assert cli_traces() - before == frozenset()
    assert list(_node_dirs(lab).iterdir()) == []  # removed after the run


def test_a_codex_killed_mid_turn_leaves_nothing_in_slash_tmp(lab: AssistantLab) -> None:
    """Every process of the run SIGKILLed at once, archon included (nothing gets to clean up): codex's mount points
    are in the node's private directory under the archon home, not in /tmp."""
    lab.script = ModelScript([Exchange("SLEEP-MARK", (RunCommand(SLEEPER), Say("finished")))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: do, capability: edit, prompt: 'SLEEP-MARK: run it'}\n"
    before = cli_traces()
    running = start_archon(lab, archon_env(lab, "codex", workflow=flow), "workflow", "run", "flow")
    deadline = time.monotonic() + 120
    while tool_pid(lab) is None:
        assert time.monotonic() < deadline, "the tool command never started"
        time.sleep(0.05)
    tool = tool_pid(lab)
    assert tool is not None
    mounts = mount_points(tool)  # inside codex's sandbox
    in_tmp = [m for m in mounts if m.parent == SHARED_TMP and not CODEX_DAEMON.fullmatch(m.name)]
    assert (SHARED_TMP not in mounts, in_tmp) == (True, [])  # /tmp is no writable root: no mount point made there
    assert [m.name for m in mounts if m.parent.parent.parent == _node_dirs(lab)] != []  # the node's dir is
    assert cli_traces() - before == frozenset()  # and nothing new in /tmp, not even while it runs
    lab.namespace.kill_all()
    running.wait(timeout=30)
    assert cli_traces() - before == frozenset()
    (run_dir,) = _node_dirs(lab).iterdir()  # what a SIGKILLed archon leaves: its own private directory
    (node_dir,) = run_dir.iterdir()
    assert {".git", ".codex"} <= {p.name for p in node_dir.iterdir()}


def test_a_claude_node_keeps_its_state_and_its_commands_temp_files_out_of_slash_tmp(lab: AssistantLab) -> None:
    lab.script = ModelScript([Exchange("TMP-MARK", (RunCommand(PROBE), Say("Done.")))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: do, capability: run, prompt: 'TMP-MARK: go'}\n"
    before = cli_traces()
    run = run_archon(lab, archon_env(lab, "claude", workflow=flow), "workflow", "run", "flow")
    assert run.exit_code == 0, run.describe()
    assert _under_the_archon_home(lab, _read(lab, "tmpdir.txt")), _read(lab, "tmpdir.txt")
    assert _read(lab, "from-tmpdir.txt") == "kept"
    assert _read(lab, "mktemp.txt").startswith(_read(lab, "tmpdir.txt") + "/")
    assert not claude_state_dir(lab.work).exists()  # /tmp/claude-UID/<work>: claude's state without a TMPDIR
    assert cli_traces() - before == frozenset()
    assert list(_node_dirs(lab).iterdir()) == []


CLIS: tuple[CliName, ...] = ("claude", "codex")


@pytest.mark.parametrize("cli", CLIS)
def test_an_interrupted_node_leaves_no_temp_dir(lab: AssistantLab, cli: CliName) -> None:
    lab.script = ModelScript([Exchange("SLEEP-MARK", (RunCommand(SLEEPER), Say("finished")))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: do, capability: run, prompt: 'SLEEP-MARK: run it'}\n"
    running = start_archon(lab, archon_env(lab, cli, workflow=flow), "workflow", "run", "flow")
    deadline = time.monotonic() + 120
    while tool_pid(lab) is None:
        assert time.monotonic() < deadline, "the tool command never started"
        time.sleep(0.05)
    os.kill(running.pid, signal.SIGINT)
    run = running.wait(timeout=60)
    assert run.exit_code == 130, run.describe()
    assert list(_node_dirs(lab).iterdir()) == []
