"""The live display: whole lines, each with its node, as soon as they are complete."""

from __future__ import annotations

from archon.cli.workflow_live import LiveDisplay
from archon.workflows.classify import FailureClass
from archon.workflows.model import Node
from archon.workflows.node_events import (
    AssistantText,
    CliRetrying,
    Denial,
    Notice,
    OutputLine,
    Retrying,
    SessionStarted,
    ToolCall,
    ToolResult,
    Usage,
)
from archon.workflows.results import NodeResult

PLAN = Node(id="plan", kind="prompt", text="x", capability="read")
TEST = Node(id="test", kind="bash", text="x")


def _display() -> tuple[LiveDisplay, list[str]]:
    lines: list[str] = []
    return LiveDisplay(bold=False, write=lines.append), lines


def test_text_is_shown_by_whole_lines_and_nodes_do_not_mix_within_a_line() -> None:
    display, lines = _display()
    display.node_event(PLAN, AssistantText("Reading the "))
    display.node_event(TEST, OutputLine("collected 3 items"))
    display.node_event(PLAN, AssistantText("code.\nThe bug is"))
    assert lines == ["[test] | collected 3 items", "[plan] Reading the code."]
    display.node_event(PLAN, ToolCall("Read", "archon/x.py"))  # other activity ends the partial line
    assert lines[-2:] == ["[plan] The bug is", "[plan] > Read: archon/x.py"]


def test_each_kind_of_event_has_its_line() -> None:
    display, lines = _display()
    display.node_event(PLAN, SessionStarted("s-1"))
    display.node_event(PLAN, ToolResult("Bash", ok=True, detail="ls"))
    display.node_event(PLAN, ToolResult("Bash", ok=False, detail="make test"))
    display.node_event(PLAN, Denial("Write", "/etc/passwd"))
    display.node_event(PLAN, CliRetrying("claude", 1, 2, 0.509, 529, "overloaded_error"))
    display.node_event(PLAN, CliRetrying("claude", 2, 2, 1.2, None, "server_error"))
    display.node_event(PLAN, Notice("Warning: a setting could not be read"))
    display.node_event(PLAN, Retrying(2, 5.0, "HTTP 529"))
    display.node_event(PLAN, AssistantText("weighing options\n", reasoning=True))
    assert lines == [
        "[plan] ! Bash failed: make test",
        "[plan] DENIED Write: /etc/passwd",
        "[plan] note: API HTTP 529; claude retries (1/2) in 0.5s",
        "[plan] note: API server_error; claude retries (2/2) in 1.2s",
        "[plan] note: Warning: a setting could not be read",
        "[plan] retrying in 5s (attempt 2): HTTP 529",
        "[plan] (thinking) weighing options",
    ]


def test_the_end_of_a_node_flushes_its_text_and_gives_time_tokens_and_cost() -> None:
    display, lines = _display()
    display.node_event(PLAN, AssistantText("no newline at the end"))
    usage = Usage(input_tokens=1200, output_tokens=34, cache_read_tokens=5000, cost_usd=0.0123)
    display.node_finished(NodeResult(node=PLAN, status="succeeded", duration_seconds=2.04, usage=usage))
    display.node_finished(
        NodeResult(node=TEST, status="failed", duration_seconds=1, failure=FailureClass("fatal", "exit status 1"))
    )
    display.node_finished(NodeResult(node=PLAN, status="skipped", skipped_because="prep"))
    stopped = FailureClass("transient", "interrupted")
    display.node_finished(
        NodeResult(node=TEST, status="failed", duration_seconds=3, failure=stopped, failure_kind="interrupted")
    )
    assert lines == [
        "[plan] no newline at the end",
        "[plan] ok (2.0s; 1,200 tokens in (+5,000 cached), 34 out, $0.0123)",
        "[test] FAILED (fatal: exit status 1; 1.0s)",
        "[plan] skipped: 'prep' did not succeed",
        "[test] STOPPED (the run was interrupted; 3.0s)",
    ]
