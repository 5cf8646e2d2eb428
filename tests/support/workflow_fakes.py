"""Stand-ins for the *outside* of the workflow engine, used by tests/workflows and tests/cli: fake ``claude`` and
``codex`` executables (real programs the engine really runs), and a sink that records the events a command
reports. The engine itself is always the real one.

A fake CLI replays what the real one printed: the transcripts in ``tests/workflows/transcripts/`` are runs of the
pinned real CLIs against the fake model APIs (:mod:`tests.support.transcripts`). It records its argv and the stdin
it was given, so tests see exactly what archon handed over. Behaviours:

* ``"claude/text"`` (``<cli>/<transcript>``): print that run's stdout and stderr, exit with its status;
* ``"echo"``: answer ``answer to: PROMPT`` (the prompt read on stdin) in the CLI's own stream format;
* ``"a,b,c"``: the n-th call behaves as the n-th item (the last one repeats): a failure, then a success;
* ``"hang"``: start a session, then sleep (for timeouts and interrupts); ``"crash"``: die of SIGSEGV.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from archon.telemetry.schema import Event
from archon.workflows.capability import Capability
from archon.workflows.clis import assistant_cli
from archon.workflows.clis.contract import AssistantOutcome, AssistantRequest
from archon.workflows.node_events import NodeEvent
from tests.support.transcripts import TRANSCRIPTS, Transcript, read

__all__ = [
    "RecordingSink",
    "fake_provider",
    "path_with",
    "recorded_argv",
    "recorded_stdin",
    "recorded_tmpdir",
    "replay",
    "transcript",
    "write_executable",
]

_FAKE = r"""
import json, os, signal, sys, time
here, name = os.path.dirname(os.path.abspath(__file__)), os.path.basename(__file__)
record = os.path.join(here, name)
prompt = sys.stdin.read() if not sys.stdin.isatty() else ""
with open(record + ".argv", "wb") as f:
    f.write(b"".join(a.encode("utf-8", "surrogateescape") + b"\0" for a in sys.argv[1:]))
with open(record + ".stdin", "w", encoding="utf-8") as f:
    f.write(prompt)
tmpdir = os.environ.get("TMPDIR", "")
with open(record + ".tmpdir", "w", encoding="utf-8") as f:
    f.write(tmpdir + "\n" + (oct(os.stat(tmpdir).st_mode & 0o777) if os.path.isdir(tmpdir) else "missing"))
behaviours = BEHAVIOUR.split(",")
counter = record + ".calls"
calls = int(open(counter).read()) if os.path.exists(counter) else 0
open(counter, "w").write(str(calls + 1))
behaviour = behaviours[min(calls, len(behaviours) - 1)]
codex = "exec" in sys.argv[1:2]

def out(line):
    sys.stdout.write(line + "\n"); sys.stdout.flush()

if behaviour == "crash":
    os.kill(os.getpid(), signal.SIGSEGV)
if behaviour in ("echo", "hang"):
    if codex:
        out(json.dumps({"type": "thread.started", "thread_id": "thread-" + str(calls)}))
    else:
        out(json.dumps({"type": "system", "subtype": "init", "session_id": "session-" + str(calls), "model": "m"}))
    if behaviour == "hang":
        time.sleep(60)
    answer = "answer to: " + prompt
    if codex:
        out(json.dumps({"type": "item.completed", "item": {"id": "i", "type": "agent_message", "text": answer}}))
        out(json.dumps({"type": "turn.completed", "usage": {"input_tokens": 10, "output_tokens": 2}}))
    else:
        out(json.dumps({"type": "result", "subtype": "success", "is_error": False, "result": answer,
                        "session_id": "session-" + str(calls), "total_cost_usd": 0.001,
                        "usage": {"input_tokens": 10, "output_tokens": 2}, "permission_denials": []}))
    sys.exit(0)
base = os.path.join(TRANSCRIPTS, behaviour)
with open(base + ".jsonl", encoding="utf-8") as f:
    for line in f:
        out(line.rstrip("\n"))
with open(base + ".stderr", encoding="utf-8") as f:
    sys.stderr.write(f.read())
sys.exit(RETURNCODES[behaviour])
"""


def transcript(key: str) -> Transcript:
    """The recorded run ``<cli>/<name>``."""
    cli, name = key.split("/")
    return read(TRANSCRIPTS / cli, name)


def replay(key: str, capability: Capability = "read") -> tuple[list[NodeEvent], AssistantOutcome]:
    """Feed a recorded run to its CLI's parser (stdout, then stderr, as recorded), as a node of ``capability``
    would: the events and the outcome."""
    recorded = transcript(key)
    parser = assistant_cli(key.split("/", maxsplit=1)[0]).parser(
        AssistantRequest(binary="cli", prompt="", capability=capability)
    )
    events: list[NodeEvent] = []
    for line in recorded.stdout.splitlines():
        events.extend(parser.stdout_line(line))
    for line in recorded.stderr.splitlines():
        events.extend(parser.stderr_line(line))
    return events, parser.finish(recorded.meta["exit_code"])


def write_executable(directory: Path, name: str, body: str) -> Path:
    """A ``#!/bin/sh`` script ``directory/name`` that records its argv (NUL-separated) in ``name.argv`` first."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    record = directory / f"{name}.argv"
    path.write_text(f"#!/bin/sh\nprintf '%s\\0' \"$@\" > '{record}'\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def fake_provider(directory: Path, name: str, behaviour: str) -> Path:
    """An executable ``directory/name`` that behaves as described in the module docstring."""
    directory.mkdir(parents=True, exist_ok=True)
    keys = [b for b in behaviour.split(",") if "/" in b]
    codes = {key: transcript(key).meta["exit_code"] for key in keys}
    path = directory / name
    header = (
        f"#!{sys.executable}\nBEHAVIOUR = {behaviour!r}\nTRANSCRIPTS = {str(TRANSCRIPTS)!r}\nRETURNCODES = {codes!r}\n"
    )
    path.write_text(header + _FAKE, encoding="utf-8")
    path.chmod(0o755)
    return path


def recorded_argv(executable: Path) -> list[str]:
    """The arguments the fake was last called with."""
    raw = executable.with_name(f"{executable.name}.argv").read_bytes()
    return raw.decode("utf-8").split("\0")[:-1]


def recorded_stdin(executable: Path) -> str:
    """What the fake last read on stdin (the prompt)."""
    return executable.with_name(f"{executable.name}.stdin").read_text(encoding="utf-8")


def recorded_tmpdir(executable: Path) -> tuple[str, str]:
    """The ``TMPDIR`` the fake last ran with, and that directory's mode then (``0o700``; ``missing``)."""
    path, mode = executable.with_name(f"{executable.name}.tmpdir").read_text(encoding="utf-8").split("\n")
    return path, mode


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
