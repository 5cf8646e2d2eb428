"""The retry rules, with a stand-in CLI whose stream says what each attempt did (the process is real)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archon.workflows.clis.contract import AssistantFailure, AssistantOutcome, AssistantRequest, CliCommand
from archon.workflows.commands import CommandLibrary
from archon.workflows.errors import RunInterruptedError
from archon.workflows.invocation import Invoker
from archon.workflows.loader import parse_workflow
from archon.workflows.node_events import NodeEvent, Retrying
from archon.workflows.node_runner import MAX_ATTEMPTS, NodeContext, run_node
from archon.workflows.results import NodeResult
from archon.workflows.supervision import Supervisor


@dataclass
class Replies:
    """A parser that ignores the output and answers the next scripted outcome."""

    outcomes: list[AssistantOutcome]

    def stdout_line(self, line: str) -> Sequence[NodeEvent]:
        return []

    def stderr_line(self, line: str) -> Sequence[NodeEvent]:
        return []

    def finish(self, returncode: int) -> AssistantOutcome:
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]


@dataclass
class StubCli:
    replies: Replies
    name: str = "claude"
    default_binary: str = "claude"
    env_override: str = "ARCHON_CLAUDE_BIN"
    install_hint: str = ""
    started: list[str] = field(default_factory=list)

    def command(self, request: AssistantRequest, *, env: Mapping[str, str]) -> CliCommand:
        self.started.append(request.prompt)
        return CliCommand([sys.executable, "-c", "pass"], {}, request.prompt)

    def parser(self, request: AssistantRequest) -> Replies:
        return self.replies


OVERLOADED = AssistantFailure("transient", "HTTP 529", "API Error: 529 Overloaded", 529)
ANSWER = AssistantOutcome(answer="done", session_id="s")


def _run(
    *outcomes: AssistantOutcome,
    timeout: float = 60,
    supervisor: Supervisor | None = None,
    retry_delays: tuple[float, float] = (0.01, 0.02),
) -> tuple[StubCli, list[NodeEvent], NodeResult]:
    workflow = parse_workflow(
        f"name: w\ndescription: d\nnodes: [{{id: a, prompt: hi, timeout: {timeout}}}]\n",
        source="w.yaml",
        origin="file",
        commands=CommandLibrary(),
    )
    cli = StubCli(Replies(list(outcomes)))
    events: list[NodeEvent] = []
    context = NodeContext(
        invoker=Invoker(workflow, arguments=(), inputs={}, provider_binary="claude", bash_binary=None),
        provider="claude",
        cli=cli,
        env={},
        cwd=Path.cwd(),
        supervisor=supervisor or Supervisor(),
        emit=lambda node, event: events.append(event),
        monotonic=time.monotonic,
        retry_delays=retry_delays,
    )
    return cli, events, run_node(context, workflow.nodes[0], {}, {})


def test_a_transient_failure_before_any_tool_is_retried_until_it_succeeds() -> None:
    cli, events, result = _run(AssistantOutcome(answer="", failure=OVERLOADED), ANSWER)
    assert result.status == "succeeded"
    assert result.attempts == 2
    assert cli.started == ["hi", "hi"]
    assert events == [Retrying(2, 0.01, "HTTP 529")]


def test_retries_stop_after_the_last_attempt() -> None:
    _, events, result = _run(AssistantOutcome(answer="", failure=OVERLOADED))
    assert (result.status, result.attempts) == ("failed", MAX_ATTEMPTS)
    assert [e.attempt for e in events if isinstance(e, Retrying)] == [2, 3]


@pytest.mark.parametrize(
    "first",
    [
        AssistantOutcome(answer="", failure=OVERLOADED, tools_used=1),  # it may have changed files already
        AssistantOutcome(answer="", failure=AssistantFailure("fatal", "HTTP 401", "Invalid API key", 401)),
        AssistantOutcome(answer="", failure=AssistantFailure("credit_exhausted", "billing error", "Credit", 400)),
    ],
)
def test_what_is_not_retried(first: AssistantOutcome) -> None:
    cli, events, result = _run(first, ANSWER)
    assert (result.status, result.attempts) == ("failed", 1)
    assert len(cli.started) == 1
    assert events == []


def test_no_retry_that_would_run_past_the_nodes_timeout() -> None:
    cli, _, result = _run(AssistantOutcome(answer="", failure=OVERLOADED), ANSWER, timeout=0.005)
    assert len(cli.started) == 1
    assert result.status == "failed"


def test_an_interrupt_during_the_wait_before_a_retry_stops_the_node_there() -> None:
    supervisor = Supervisor()
    threading.Timer(0.3, supervisor.stop_all).start()
    first = AssistantOutcome(answer="", failure=OVERLOADED)
    cli, _, result = _run(first, ANSWER, supervisor=supervisor, retry_delays=(30.0, 30.0))
    assert (result.status, result.failure_kind, result.attempts) == ("failed", "interrupted", 1)
    assert isinstance(result.error, RunInterruptedError)
    assert len(cli.started) == 1


def test_a_node_the_stopping_run_never_started_says_it_was_interrupted() -> None:
    supervisor = Supervisor()
    supervisor.stop_all()
    _, _, result = _run(ANSWER, supervisor=supervisor)
    assert (result.status, result.failure_kind, result.attempts) == ("failed", "interrupted", 0)
