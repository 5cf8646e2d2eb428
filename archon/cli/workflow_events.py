"""Turn what the workflow engine reports into telemetry events: the only bridge between the two.

Every string goes through :mod:`archon.telemetry.vocabulary` (a workflow's name is kept only if it is a bundled
one read from the bundled defaults, never a user or repo workflow that replaces it; an error's class only if it
is archon's own or a built-in); node types, providers and classifications are closed vocabularies already.
Nothing else about a run (node ids, commands, prompts, output, arguments, inputs, paths, messages) has a property
to go into.
"""

from __future__ import annotations

from archon.cli.context import EventSink
from archon.telemetry import vocabulary
from archon.telemetry.schema import (
    OTHER,
    SafeName,
    WorkflowNodeFailed,
    WorkflowRunCompleted,
    WorkflowRunFailed,
    WorkflowRunStarted,
)
from archon.workflows.model import Node, Workflow
from archon.workflows.node_events import NodeEvent
from archon.workflows.providers import ProviderName
from archon.workflows.results import NodeResult, RunResult

__all__ = ["WorkflowTelemetry"]


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


class WorkflowTelemetry:
    """A :class:`~archon.workflows.observer.RunObserver` that records the workflow events to ``sink``."""

    def __init__(self, sink: EventSink, *, is_cli_invoked: bool) -> None:
        self._sink = sink
        self._is_cli_invoked = is_cli_invoked
        self._name = SafeName("")

    def run_started(self, workflow: Workflow, provider: ProviderName | None) -> None:
        self._name = vocabulary.workflow_name(workflow.name, bundled=workflow.origin == "bundled")
        self._sink.record(
            WorkflowRunStarted(
                workflow_name=self._name,
                node_count=len(workflow.nodes),
                provider=provider or "none",
                is_cli_invoked=self._is_cli_invoked,
            )
        )

    def node_started(self, node: Node) -> None:
        return None

    def node_event(self, node: Node, event: NodeEvent) -> None:
        return None  # what happens inside a node (text, tools, output) never reaches telemetry

    def node_finished(self, result: NodeResult) -> None:
        kind = result.failure_kind or "exit_status"
        if result.status != "failed" or result.failure is None or kind == "interrupted":
            return  # a node an interrupt stopped did not fail by itself: the run's event says what happened
        self._sink.record(
            WorkflowNodeFailed(
                workflow_name=self._name,
                node_type=result.node.kind,
                error_classification=result.failure.classification,
                failure_kind=kind,
                provider=result.provider or "none",
            )
        )

    def run_finished(self, result: RunResult) -> None:
        if result.ok:
            self._sink.record(
                WorkflowRunCompleted(
                    workflow_name=self._name,
                    duration_ms=_ms(result.duration_seconds),
                    node_count=len(result.nodes),
                    nodes_completed=result.nodes_completed,
                )
            )
            return
        cause = result.interrupted_by or result.error  # an interrupted run: KeyboardInterrupt, Terminated
        self._sink.record(
            WorkflowRunFailed(
                workflow_name=self._name,
                error_class=vocabulary.error_class(cause) if cause is not None else SafeName(OTHER),
                failed_node_type=result.failed_node.kind if result.failed_node is not None else "none",
                duration_ms=_ms(result.duration_seconds),
            )
        )
