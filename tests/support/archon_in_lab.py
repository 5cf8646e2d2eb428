"""Running archon itself in the lab, with the real CLIs: its home, a repository's files and workflow, the run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from tests.support.assistant_clis import CliName
from tests.support.assistant_lab import AssistantLab
from tests.support.cli_process import CliRun, RunningCli
from tests.support.proc import read_process

__all__ = [
    "SLEEPER",
    "archon_argv",
    "archon_env",
    "commit_files",
    "debug_events",
    "run_archon",
    "start_archon",
    "tool_pid",
]

SLEEPER = 'python3 -c "import time; time.sleep(300)"'
"""A tool command that runs until it is stopped (claude refuses a bare ``sleep 300``)."""


def archon_env(lab: AssistantLab, cli: CliName, *, workflow: str | None = None) -> dict[str, str]:
    """archon's home (with ``cli`` as the default assistant), an optional repo workflow; the environment. codex
    gets the configuration a user has, whatever the lab's own runs use, and no ``TMPDIR`` is set: what archon tells
    the CLIs must be enough to keep them out of /tmp."""
    lab.write_codex_config(lab.user_codex_config())
    home = lab.root / "archon-home"
    home.mkdir(exist_ok=True)
    (home / "config.yaml").write_text(f"defaultAssistant: {cli}\n", encoding="utf-8")
    if workflow is not None:
        flows = lab.work / ".archon" / "workflows"
        flows.mkdir(parents=True, exist_ok=True)
        (flows / "flow.yaml").write_text(workflow, encoding="utf-8")
    env = lab.assistant_env({"ARCHON_HOME": str(home), "DO_NOT_TRACK": "1"})
    del env["TMPDIR"]  # as most users have it: archon, not the environment, keeps the CLIs out of /tmp
    return env


def archon_argv(*args: str) -> list[str]:
    return [sys.executable, "-P", "-m", "archon", *args]


def run_archon(lab: AssistantLab, env: Mapping[str, str], *args: str, timeout: float = 300) -> CliRun:
    return lab.run(archon_argv(*args), env=env, timeout=timeout)


def start_archon(lab: AssistantLab, env: Mapping[str, str], *args: str) -> RunningCli:
    return lab.start(archon_argv(*args), env=env)


def commit_files(lab: AssistantLab, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = lab.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755 if name.endswith(".sh") else 0o644)
    git = ["git", "-c", "user.name=Lab", "-c", "user.email=lab@example.invalid"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(lab.home)}
    subprocess.run([*git, "add", "."], cwd=lab.work, env=env, check=True, capture_output=True)
    subprocess.run([*git, "commit", "-q", "-m", "files"], cwd=lab.work, env=env, check=True, capture_output=True)


def tool_pid(lab: AssistantLab) -> int | None:
    """The :data:`SLEEPER` the model started, if it is running."""
    for pid in lab.namespace.processes():
        info = read_process(pid)
        if info is not None and info.alive and "import time; time.sleep(300)" in info.argv:
            return pid
    return None


DEBUG_PREFIX = "archon telemetry (debug, not sent): "


def debug_events(stderr: str) -> list[dict[str, Any]]:
    """The events an archon run with ``ARCHON_TELEMETRY_DEBUG=1`` showed on stderr instead of recording them."""
    lines = [line for line in stderr.splitlines() if line.startswith(DEBUG_PREFIX)]
    return [json.loads(line.removeprefix(DEBUG_PREFIX)) for line in lines]
