"""The one small interface between the executor and an assistant CLI (claude, codex, ...).

An :class:`AssistantCli` says how to run one prompt (argv, environment, what goes to stdin) for a node's
capability, model and session, and makes a :class:`StreamParser` per run that turns the CLI's machine-readable
output, line by line, into :mod:`~archon.workflows.node_events` and, at the end, an :class:`AssistantOutcome`:
the answer, the session, tokens and cost, what was denied, and a classified failure if any. The executor knows
nothing else about a CLI; a third CLI is one more module implementing these two protocols.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from archon.workflows.capability import Capability
from archon.workflows.classify import Classification
from archon.workflows.node_events import Denial, NodeEvent, Usage

__all__ = ["AssistantCli", "AssistantFailure", "AssistantOutcome", "AssistantRequest", "CliCommand", "StreamParser"]


@dataclass(frozen=True)
class AssistantRequest:
    binary: str
    prompt: str
    capability: Capability
    model: str | None = None
    resume_session: str | None = None
    """Start from a copy of this earlier session (the node's ``resume:``); None for a fresh session."""
    temp_dir: str | None = None
    """The node's private directory for temporary files (:mod:`archon.workflows.temp_dirs`), to be the CLI's
    ``TMPDIR``; None: no temporary directory is the CLI's to write."""


@dataclass(frozen=True)
class CliCommand:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    """Set on top of archon's environment for this run only."""
    stdin: str = ""
    """Written to the CLI's stdin, which is then closed: the prompt (never on the command line, so it can be any
    size and can never be taken for an option)."""


@dataclass(frozen=True)
class AssistantFailure:
    classification: Classification
    reason: str
    """Archon's short words for the class, e.g. ``HTTP 429`` or ``rate limited``."""
    message: str
    """The CLI's own error message, shown to the user as it is; empty when the CLI said nothing."""
    status: int | None = None
    """The model API's HTTP status, when the CLI reported one."""


@dataclass(frozen=True)
class AssistantOutcome:
    answer: str
    """The assistant's final answer: what ``$node.output`` stands for."""
    session_id: str | None = None
    usage: Usage | None = None
    denials: tuple[Denial, ...] = ()
    failure: AssistantFailure | None = None
    tools_used: int = 0
    """How many tool calls the assistant started (a failure after none may be retried safely)."""


class StreamParser(Protocol):
    """Reads one run of the CLI. Lines come without their line ending; call order is the order they arrived."""

    def stdout_line(self, line: str) -> Sequence[NodeEvent]: ...

    def stderr_line(self, line: str) -> Sequence[NodeEvent]: ...

    def finish(self, returncode: int) -> AssistantOutcome:
        """After the process exited with ``returncode`` (negative: killed by that signal)."""
        ...


class AssistantCli(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def default_binary(self) -> str: ...

    @property
    def env_override(self) -> str:
        """The environment variable naming another binary (``ARCHON_CLAUDE_BIN``)."""
        ...

    @property
    def install_hint(self) -> str: ...

    def command(self, request: AssistantRequest, *, env: Mapping[str, str]) -> CliCommand:
        """How to run ``request``; ``env`` is archon's environment (to respect what the user set already)."""
        ...

    def parser(self, request: AssistantRequest) -> StreamParser:
        """A parser for one run of ``request`` (what it may do tells the parser what counts as denied)."""
        ...
