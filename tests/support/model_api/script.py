"""What the scripted fake model does, turn by turn, independent of which API it is served through.

A test writes a :class:`ModelScript`: a list of :class:`Exchange` values, each keyed by a *marker*, a string the
test puts in its prompt. The model's first reply to a prompt holding the marker is the exchange's first action;
after the CLI sends the result of that action's tool call back, the next request is answered with the second
action, and so on. Which action answers a request is decided from the request alone (stateless, so a CLI's retry
of the same request gets the same answer): find the latest user message that holds a marker, count the tool
results after it; that count is the step. Only :class:`Fail` keeps state (``times``), so "fail once, then answer"
can be scripted.

A request that holds no marker (a CLI's side request: a title, a quota probe) gets ``side_answer`` and does not
consume anything. A request past an exchange's last action, or that asks for a tool the request does not offer, is
a :class:`ScriptProblem`: it is recorded (the harness fails the test with it) and answered with a plain text reply so
the CLI ends quickly.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from tests.support.model_api.failures import Failure

__all__ = [
    "Action",
    "CallTool",
    "Chunk",
    "EditFile",
    "Exchange",
    "Fail",
    "FailMidStream",
    "ModelScript",
    "ReadFile",
    "RunCommand",
    "Say",
    "ScriptProblem",
    "Step",
    "UserTurn",
    "WriteFile",
]


@dataclass(frozen=True)
class Chunk:
    """One streamed piece of text, sent ``delay`` seconds after the previous event (simulated model latency)."""

    text: str
    delay: float = 0.0


@dataclass(frozen=True)
class Say:
    """Answer with text and end the turn. ``chunks`` (when given) is how the text is streamed."""

    text: str = ""
    chunks: tuple[Chunk, ...] = ()
    input_tokens: int = 120
    output_tokens: int = 12

    def pieces(self) -> tuple[Chunk, ...]:
        if self.chunks:
            return self.chunks
        half = len(self.text) // 2
        return tuple(Chunk(part) for part in (self.text[:half], self.text[half:]) if part)

    @property
    def full_text(self) -> str:
        return "".join(chunk.text for chunk in self.chunks) if self.chunks else self.text


@dataclass(frozen=True)
class ReadFile:
    """Call the CLI's file-reading tool (claude: Read; codex: a ``cat`` through its command tool)."""

    path: str
    preface: str = ""


@dataclass(frozen=True)
class EditFile:
    """Call the CLI's file-edit tool to replace ``old`` with ``new`` in ``path`` (claude: Edit; codex: apply_patch)."""

    path: str
    old: str
    new: str
    preface: str = ""


@dataclass(frozen=True)
class WriteFile:
    """Call the CLI's file-creating tool (claude: Write; codex: apply_patch ``Add File``)."""

    path: str
    content: str
    preface: str = ""


@dataclass(frozen=True)
class RunCommand:
    """Call the CLI's shell tool with ``command`` (claude: Bash; codex: exec_command or shell)."""

    command: str
    preface: str = ""


@dataclass(frozen=True)
class CallTool:
    """Call the tool named ``name`` with ``arguments`` exactly (checked against the tool's schema in the request)."""

    name: str
    arguments: dict[str, object]
    preface: str = ""


@dataclass
class Fail:
    """Answer with an HTTP error, as the real API does; ``times`` (when set) fails only that many requests and
    then goes on to ``then``. ``served`` counts the failures answered so far."""

    failure: Failure
    times: int | None = None
    then: Step | None = None
    served: int = 0


@dataclass(frozen=True)
class FailMidStream:
    """Start a 200 stream, send ``text`` as deltas, then the API's in-stream error event for ``failure``."""

    failure: Failure
    text: str = "Partial answer"


Step: TypeAlias = Say | ReadFile | EditFile | WriteFile | RunCommand | CallTool | Fail | FailMidStream
Action: TypeAlias = Step


@dataclass(frozen=True)
class Exchange:
    """The model's replies to one prompt: ``steps[n]`` answers the request that carries ``n`` tool results."""

    marker: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.marker.strip():
            raise ValueError("an exchange needs a non-blank marker")
        if not self.steps:
            raise ValueError(f"exchange {self.marker!r} has no steps")


@dataclass(frozen=True)
class UserTurn:
    """A user message as a request carries it: its text (tool results excluded) and how many tool results follow
    it before the next user message (or the end)."""

    text: str
    tool_results_after: int


@dataclass(frozen=True)
class ScriptProblem:
    """Something the script could not answer as written; the harness fails the test with these."""

    api: str
    message: str


@dataclass
class ModelScript:
    exchanges: Sequence[Exchange] = ()
    side_answer: Say = field(default_factory=lambda: Say("ok"))
    _problems: list[ScriptProblem] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        markers = [exchange.marker for exchange in self.exchanges]
        if len(set(markers)) != len(markers):
            raise ValueError("two exchanges share a marker")

    def choose(self, turns: Sequence[UserTurn]) -> tuple[Exchange | None, int]:
        """The exchange and step that answer a request with these user turns; (None, 0) for a side request."""
        for turn in reversed(turns):
            for exchange in self.exchanges:
                if exchange.marker in turn.text:
                    return exchange, turn.tool_results_after
        return None, 0

    def step(self, api: str, turns: Sequence[UserTurn]) -> tuple[Step, str]:
        """The action for a request, resolving ``Fail.times``, and a label for the request log."""
        exchange, index = self.choose(turns)
        if exchange is None:
            return self.side_answer, "side"
        if index >= len(exchange.steps):
            self.report(api, f"exchange {exchange.marker!r} has {len(exchange.steps)} steps; step {index} was asked")
            return Say("(script exhausted)"), f"{exchange.marker}#{index}:exhausted"
        action = exchange.steps[index]
        with self._lock:
            while isinstance(action, Fail) and action.times is not None and action.served >= action.times:
                if action.then is None:
                    self.report(api, f"exchange {exchange.marker!r} step {index}: failures used up, nothing after")
                    return Say("(script exhausted)"), f"{exchange.marker}#{index}:exhausted"
                action = action.then
            if isinstance(action, Fail):
                action.served += 1
        return action, f"{exchange.marker}#{index}"

    def report(self, api: str, message: str) -> None:
        with self._lock:
            self._problems.append(ScriptProblem(api, message))

    def problems(self) -> list[ScriptProblem]:
        with self._lock:
            return list(self._problems)
