"""Stand-ins for the *outside* of the workflow engine, used by tests/workflows and tests/cli: fake ``claude`` and
``codex`` executables (real programs the engine really runs), and a sink that records the events a command
reports. The engine itself is always the real one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from archon.telemetry.schema import Event

__all__ = ["PROVIDER_BEHAVIOURS", "RecordingSink", "fake_provider", "path_with", "recorded_argv", "write_executable"]

# Read the command line as claude (commander) and codex (clap) do: after `--` every argument is an operand; before it,
# one that starts with `-` (other than `-` itself) is an option. The prompt is the last operand; with none, fail as
# `claude -p` does. So a prompt that reaches the CLI as an option shows up as a wrong or missing prompt.
_PARSE_PROMPT = """\
operands_only=0; have_prompt=0
for arg in "$@"; do
  if [ "$operands_only" = 0 ] && [ "$arg" = -- ]; then operands_only=1; continue; fi
  case "$operands_only:$arg" in 0:-?*) continue ;; esac
  prompt=$arg; have_prompt=1
done
if [ "$have_prompt" = 0 ]; then echo 'Error: Input must be provided as a prompt argument' >&2; exit 1; fi"""

PROVIDER_BEHAVIOURS: dict[str, str] = {
    # Echo the prompt (the last operand) back, so tests can see what the node was given.
    "success": _PARSE_PROMPT + '\nprintf "answer to: %s\\n" "$prompt"',
    "timeout": "sleep 30",
    # What the CLIs print when the API answers 429 / an exhausted quota (messages as the APIs word them).
    "rate_limit": (
        'echo \'API Error: 429 {"type":"error","error":{"type":"rate_limit_error",'
        '"message":"Number of request tokens has exceeded your per-minute rate limit"}}\' >&2\nexit 1'
    ),
    "quota": ("echo 'ERROR: You exceeded your current quota, please check your plan and billing details.' >&2\nexit 1"),
    "crash": "echo 'Segmentation fault' >&2\nkill -SEGV $$",
}


def write_executable(directory: Path, name: str, body: str) -> Path:
    """A ``#!/bin/sh`` script ``directory/name`` that records its argv (NUL-separated) in ``name.argv`` first."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    record = directory / f"{name}.argv"
    path.write_text(f"#!/bin/sh\nprintf '%s\\0' \"$@\" > '{record}'\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def fake_provider(directory: Path, name: str, behaviour: str) -> Path:
    return write_executable(directory, name, PROVIDER_BEHAVIOURS[behaviour])


def recorded_argv(executable: Path) -> list[str]:
    """The arguments the fake was last called with."""
    raw = executable.with_name(f"{executable.name}.argv").read_bytes()
    return raw.decode("utf-8").split("\0")[:-1]


def path_with(directory: Path) -> str:
    """``directory`` first on this process's PATH (so the fakes shadow any real CLI, and bash stays reachable)."""
    return f"{directory}{os.pathsep}{os.environ.get('PATH', os.defpath)}"


@dataclass
class RecordingSink:
    """An :class:`~archon.cli.context.EventSink` that keeps what it is given."""

    events: list[Event] = field(default_factory=list)

    def record(self, event: Event) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [event.NAME for event in self.events]
