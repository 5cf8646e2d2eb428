"""What happens inside a running node, as typed data: the executor hands each event to the run's observer
(``node_event(node, event)``) as it happens, and the CLI renders it live.

Assistant CLI modules turn their machine-readable stream into these events (:mod:`archon.workflows.clis`); bash
nodes produce :class:`OutputLine` events. Events carry the assistant's and the tools' own words for the user's
terminal: they never reach telemetry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AssistantText",
    "CliRetrying",
    "Denial",
    "NodeEvent",
    "Notice",
    "OutputLine",
    "Retrying",
    "SessionStarted",
    "ToolCall",
    "ToolResult",
    "Usage",
]


@dataclass(frozen=True)
class SessionStarted:
    """The assistant CLI opened its session (claude's session id, codex's thread id)."""

    session_id: str
    model: str | None = None


@dataclass(frozen=True)
class AssistantText:
    """Text the assistant wrote, in pieces as they arrive (not necessarily whole lines)."""

    text: str
    reasoning: bool = False
    """A summary of the assistant's reasoning rather than its answer."""


@dataclass(frozen=True)
class ToolCall:
    """The assistant started a tool: ``tool`` is the CLI's name for it (``Bash``, ``Edit``, ``command``...)."""

    tool: str
    detail: str
    """What it acts on: the command line, the file, the query (shortened)."""


@dataclass(frozen=True)
class ToolResult:
    """A tool the assistant called has finished."""

    tool: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Denial:
    """The CLI refused an action because the node's capability does not allow it."""

    tool: str
    detail: str
    """What was denied (a command, a path), and the CLI's reason when it gave one."""


@dataclass(frozen=True)
class Notice:
    """Something the CLI wrote that is neither answer nor failure (a warning, a line of its log), in its words."""

    text: str


@dataclass(frozen=True)
class CliRetrying:
    """The assistant CLI retries a model API request itself (claude's ``api_retry``), before archon's own retries."""

    cli: str
    attempt: int
    max_retries: int
    delay_seconds: float
    status: int | None = None
    """The API's HTTP status, when the CLI gave one."""
    error: str = ""
    """The CLI's own kind of error (claude: ``server_error``, ``rate_limit``...)."""


@dataclass(frozen=True)
class OutputLine:
    """One line a bash node printed."""

    text: str
    stream: Literal["stdout", "stderr"] = "stdout"


@dataclass(frozen=True)
class Retrying:
    """archon runs the node again after a transient failure (see :mod:`archon.workflows.node_runner`)."""

    attempt: int
    """The attempt about to start: 2 for the first retry."""
    delay_seconds: float
    reason: str


@dataclass(frozen=True)
class Usage:
    """Tokens (and cost, where the CLI reports it) of one node or, summed, of a run."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None
    """None when the CLI does not report a cost (codex)."""

    def __add__(self, other: Usage) -> Usage:
        cost = (
            None if self.cost_usd is None and other.cost_usd is None else (self.cost_usd or 0) + (other.cost_usd or 0)
        )
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=cost,
        )


NodeEvent = (
    SessionStarted | AssistantText | ToolCall | ToolResult | Denial | Notice | CliRetrying | OutputLine | Retrying
)
