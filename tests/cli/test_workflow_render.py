"""How a run's end is worded: the summary on stderr and, for an interrupted run, the one line that says what was
stopped and whether anything is left running (the process-level tests are in tests/cli/test_signals.py)."""

from __future__ import annotations

import pytest

from archon.cli.signals import Terminated
from archon.cli.workflow_render import interrupted_line, run_json, run_summary
from archon.workflows.classify import FailureClass
from archon.workflows.model import Node, Workflow
from archon.workflows.node_events import Usage
from archon.workflows.results import NodeResult, RunResult

A = Node(id="a", kind="prompt", text="x", capability="run")
B = Node(id="b", kind="bash", text="sleep 30")
C = Node(id="c", kind="bash", text="x", depends_on=("a",))
FLOW = Workflow(name="flow", description="d", provider=None, nodes=(A, B, C), source="flow.yaml", origin="repo")
STOPPED = FailureClass("transient", "interrupted")


def _stopped(node: Node) -> NodeResult:
    return NodeResult(node=node, status="failed", failure=STOPPED, failure_kind="interrupted")


def _run(*nodes: NodeResult, left: int | None = 0, interrupt: BaseException | None = None) -> RunResult:
    return RunResult(
        workflow=FLOW,
        provider="claude",
        nodes=nodes,
        duration_seconds=2.0,
        interrupted_by=interrupt or KeyboardInterrupt(),
        left_running=left,
    )


@pytest.mark.parametrize(
    ("stopped", "left", "said"),
    [
        ((A,), 0, "stopped node 'a' and everything it started; nothing of this run is left running"),
        ((A, B), 0, "stopped nodes 'a', 'b' and everything they started; nothing of this run is left running"),
        ((), 0, "no node was running; nothing of this run is left running"),
        ((A,), 2, "stopped node 'a' and everything it started; 2 process(es) of this run could not be stopped"),
        ((A,), None, "stopped node 'a' and everything it started; archon cannot look for leftover processes on this "
         "system"),
    ],
)  # fmt: skip
def test_the_interrupted_line_says_what_was_stopped_and_what_is_left(
    stopped: tuple[Node, ...], left: int | None, said: str
) -> None:
    result = _run(*(_stopped(n) for n in stopped), left=left)
    assert interrupted_line(result, KeyboardInterrupt()) == f"archon: interrupted (SIGINT): {said}"
    assert interrupted_line(result, Terminated()).startswith("archon: interrupted (SIGTERM): ")


def test_the_summary_counts_stopped_nodes_apart_and_leaves_their_naming_to_that_line() -> None:
    result = _run(_stopped(A), _stopped(B), NodeResult(node=C, status="skipped"))
    assert run_summary(result) == ["flow: 0/3 nodes succeeded, 2 stopped, 1 skipped in 2.0s"]
    data = run_json(_run(_stopped(A), interrupt=Terminated()))
    assert (data["ok"], data["interrupted"], data["left_running"]) == (False, "SIGTERM", 0)


def test_the_summary_gives_the_runs_tokens_and_cost_and_each_nodes_when_several_reported_some() -> None:
    one, two = Usage(1200, 30, cost_usd=0.01), Usage(800, 20, cache_read_tokens=5000, cost_usd=0.002)
    result = RunResult(
        workflow=FLOW,
        provider="claude",
        nodes=(
            NodeResult(node=A, status="succeeded", usage=one),
            NodeResult(node=B, status="succeeded"),
            NodeResult(node=C, status="succeeded", usage=two),
        ),
        duration_seconds=3.0,
    )
    assert run_summary(result) == [
        "flow: 3/3 nodes succeeded in 3.0s",
        "usage: 2,000 tokens in (+5,000 cached), 50 out, $0.0120",
        "  a: 1,200 tokens in, 30 out, $0.0100",
        "  c: 800 tokens in (+5,000 cached), 20 out, $0.0020",
    ]
    alone = RunResult(workflow=FLOW, provider="codex", nodes=(NodeResult(node=A, status="succeeded",
                      usage=Usage(10, 2)),), duration_seconds=1.0)  # fmt: skip
    assert run_summary(alone) == ["flow: 1/1 nodes succeeded in 1.0s", "usage: 10 tokens in, 2 out (no cost reported)"]
