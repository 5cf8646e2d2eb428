"""How the executor reports what happens during a run, without knowing who listens.

The CLI plugs in a progress display and the telemetry glue (``archon/cli``); this package never imports
telemetry. Callbacks are made from the thread that called ``run_workflow``, one at a time, in order: events of
one node in the order they happened, events of nodes running at the same time interleaved as they arrived.
"""

from __future__ import annotations

from typing import Protocol

from archon.workflows.model import Node, Workflow
from archon.workflows.node_events import NodeEvent
from archon.workflows.providers import ProviderName
from archon.workflows.results import NodeResult, RunResult

__all__ = ["Observers", "RunObserver"]


class RunObserver(Protocol):
    def run_started(self, workflow: Workflow, provider: ProviderName | None) -> None:
        """Before anything runs. ``provider`` is None when the workflow has no prompt or command node."""

    def node_started(self, node: Node) -> None:
        """A node's process is about to start."""

    def node_event(self, node: Node, event: NodeEvent) -> None:
        """Something happened inside a running node: assistant text, a tool call, a denial, a line of output..."""

    def node_finished(self, result: NodeResult) -> None:
        """A node succeeded, failed, or was skipped because a dependency did not succeed."""

    def run_finished(self, result: RunResult) -> None:
        """The run is over: ``result.ok`` tells success from failure."""


class Observers:
    """Several observers as one, called in the order given."""

    def __init__(self, *observers: RunObserver) -> None:
        self._observers = observers

    def run_started(self, workflow: Workflow, provider: ProviderName | None) -> None:
        for observer in self._observers:
            observer.run_started(workflow, provider)

    def node_started(self, node: Node) -> None:
        for observer in self._observers:
            observer.node_started(node)

    def node_event(self, node: Node, event: NodeEvent) -> None:
        for observer in self._observers:
            observer.node_event(node, event)

    def node_finished(self, result: NodeResult) -> None:
        for observer in self._observers:
            observer.node_finished(result)

    def run_finished(self, result: RunResult) -> None:
        for observer in self._observers:
            observer.run_finished(result)
