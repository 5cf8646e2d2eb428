"""What a run produced: one :class:`NodeResult` per node and a :class:`RunResult` for the whole workflow.

Plain data, returned by the executor and handed to observers; the CLI renders it (text or ``--json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from archon.errors import ArchonError
from archon.workflows.classify import FailureClass
from archon.workflows.model import Node, Workflow
from archon.workflows.providers import ProviderName

__all__ = ["NodeResult", "NodeStatus", "RunResult"]

NodeStatus = Literal["succeeded", "failed", "skipped"]


@dataclass(frozen=True, kw_only=True)
class NodeResult:
    node: Node
    status: NodeStatus
    provider: ProviderName | None = None
    """The assistant CLI a prompt/command node ran through; None for bash nodes."""
    output: str = ""
    stderr: str = ""
    returncode: int | None = None
    duration_seconds: float = 0.0
    failure: FailureClass | None = None
    """Set when ``status == "failed"``: the classification and the rule that gave it."""
    error: ArchonError | None = None
    """Set when ``status == "failed"``: what went wrong, with a message for the user."""
    skipped_because: str | None = None
    """Set when ``status == "skipped"``: the dependency that failed (or was skipped itself)."""


@dataclass(frozen=True, kw_only=True)
class RunResult:
    workflow: Workflow
    provider: ProviderName | None
    """The assistant CLI of the run; None when the workflow has no prompt or command node."""
    nodes: tuple[NodeResult, ...]
    """In the order of the workflow file. Nodes that never ran (the run stopped before them) are skipped."""
    duration_seconds: float
    error: ArchonError | None = None
    """The first failure: a node's error, or one that stopped the run before any node (a missing CLI)."""
    failed_node: Node | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def nodes_completed(self) -> int:
        return sum(1 for result in self.nodes if result.status == "succeeded")
