"""What a run produced: one :class:`NodeResult` per node and a :class:`RunResult` for the whole workflow.

Plain data, returned by the executor and handed to observers; the CLI renders it (text or ``--json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from archon.errors import ArchonError
from archon.workflows.capability import Capability
from archon.workflows.classify import FailureClass
from archon.workflows.model import Node, Workflow
from archon.workflows.node_events import Denial, Usage
from archon.workflows.providers import ProviderName

__all__ = ["FAILURE_KINDS", "FailureKind", "NodeResult", "NodeStatus", "RunResult"]

NodeStatus = Literal["succeeded", "failed", "skipped"]

FailureKind = Literal["timed_out", "not_started", "denied", "assistant_error", "exit_status", "interrupted"]
"""What made a node fail: it ran past its timeout; its process could not start; the assistant CLI denied an action
its capability does not allow; the assistant CLI reported a failure (an API error...); a bash node (or a CLI
that reported nothing) exited non-zero; the run was interrupted (Ctrl-C, SIGTERM) and the node stopped."""
FAILURE_KINDS: tuple[FailureKind, ...] = get_args(FailureKind)


@dataclass(frozen=True, kw_only=True)
class NodeResult:
    node: Node
    status: NodeStatus
    provider: ProviderName | None = None
    """The assistant CLI a prompt/command node ran through; None for bash nodes."""
    capability: Capability | None = None
    """What the node was allowed to do in this run (its declaration, capped by the run); None for bash nodes."""
    model: str | None = None
    output: str = ""
    stderr: str = ""
    returncode: int | None = None
    duration_seconds: float = 0.0
    attempts: int = 0
    """How many times the node ran (more than 1 after a retry); 0 if it never started."""
    session_id: str | None = None
    usage: Usage | None = None
    """Tokens and cost, summed over the attempts, where the CLI reports them."""
    denials: tuple[Denial, ...] = ()
    failure: FailureClass | None = None
    """Set when ``status == "failed"``: the classification and the rule that gave it."""
    failure_kind: FailureKind | None = None
    message: str | None = None
    """The assistant CLI's own error message, when it gave one."""
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
    max_capability: Capability | None = None
    error: ArchonError | None = None
    """The first failure: a node's error, or one that stopped the run before any node (a missing CLI); for an
    interrupted run, the first stopped node's (or a :class:`~archon.workflows.errors.RunInterruptedError` when
    none was running)."""
    failed_node: Node | None = None
    """The node of ``error``; for an interrupted run, the first node it stopped (None when none was running)."""
    interrupted_by: BaseException | None = None
    """What interrupted the run (``KeyboardInterrupt`` for Ctrl-C, or what the caller raises for SIGTERM); None when
    it ran to its end."""
    left_running: int | None = None
    """After an interrupt: how many of the run's processes were still alive once everything was stopped (0: none);
    None where archon cannot look (no ``/proc``) or when the run was not interrupted."""

    @property
    def ok(self) -> bool:
        """Every node succeeded (none failed, none was stopped, none skipped)."""
        return self.error is None and self.interrupted_by is None

    @property
    def stopped(self) -> tuple[NodeResult, ...]:
        """The nodes an interrupt stopped while they ran."""
        return tuple(result for result in self.nodes if result.failure_kind == "interrupted")

    @property
    def nodes_completed(self) -> int:
        return sum(1 for result in self.nodes if result.status == "succeeded")

    @property
    def usage(self) -> Usage | None:
        """The run's tokens and cost: the sum over its nodes; None when no node reported any."""
        reported = [r.usage for r in self.nodes if r.usage is not None]
        if not reported:
            return None
        total = reported[0]
        for usage in reported[1:]:
            total = total + usage
        return total
