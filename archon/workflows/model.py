"""A workflow as data: nodes (bash, prompt or command) and the dependencies between them. Built by the loader,
which has already checked everything (one node kind per node, known dependencies, no cycle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from archon.workflows.capability import Capability
from archon.workflows.providers import ProviderName

__all__ = ["DEFAULT_TIMEOUTS", "NODE_KINDS", "Node", "NodeKind", "Origin", "Workflow"]

NodeKind = Literal["bash", "prompt", "command"]
NODE_KINDS: tuple[NodeKind, ...] = get_args(NodeKind)

Origin = Literal["bundled", "user", "repo", "file"]
"""Where a workflow came from: shipped with archon, ``~/.archon/workflows``, ``<repo>/.archon/workflows``, or a
file named on the command line (``archon workflow validate PATH``)."""

DEFAULT_TIMEOUTS: dict[NodeKind, float] = {"bash": 600.0, "prompt": 1800.0, "command": 1800.0}
"""Seconds a node may run when it has no ``timeout:`` of its own."""


@dataclass(frozen=True, kw_only=True)
class Node:
    id: str
    kind: NodeKind
    text: str
    """The bash script, the prompt, or (for ``command``) the Markdown prompt of the named command."""
    command: str | None = None
    """The command's name, for ``command`` nodes."""
    depends_on: tuple[str, ...] = ()
    timeout: float | None = None
    capability: Capability | None = None
    """What a prompt or command node may do (the loader sets the default, ``read``); None for bash nodes."""
    model: str | None = None
    """The model for this node's assistant CLI; None: the workflow's ``model``, else the CLI's own default."""
    resume: str | None = None
    """The id of an earlier assistant node whose session this node continues (from a copy of it)."""

    @property
    def effective_timeout(self) -> float:
        return self.timeout if self.timeout is not None else DEFAULT_TIMEOUTS[self.kind]

    @property
    def uses_provider(self) -> bool:
        return self.kind != "bash"


@dataclass(frozen=True, kw_only=True)
class Workflow:
    name: str
    description: str
    provider: ProviderName | None
    nodes: tuple[Node, ...]
    """In the order of the file; the executor follows the dependencies, not this order."""
    source: str
    """Where it was read from, for messages: a path, or ``<bundled>/name.yaml``."""
    origin: Origin
    model: str | None = None
    """The model of every assistant node that does not name its own."""

    def model_of(self, node: Node) -> str | None:
        return (node.model or self.model) if node.uses_provider else None

    @property
    def uses_provider(self) -> bool:
        return any(node.uses_provider for node in self.nodes)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def levels(self) -> list[list[Node]]:
        """The nodes in dependency order, grouped: every node of a level depends only on earlier levels, so the
        nodes of one level can run at the same time."""
        level_of: dict[str, int] = {}
        remaining = list(self.nodes)
        while remaining:
            progressed = [n for n in remaining if all(d in level_of for d in n.depends_on)]
            if not progressed:  # the loader refuses cycles; this only guards against hand-built models
                raise ValueError(f"workflow {self.name!r} has a dependency cycle")
            for node in progressed:
                level_of[node.id] = 1 + max((level_of[d] for d in node.depends_on), default=-1)
            remaining = [n for n in remaining if n.id not in level_of]
        grouped: list[list[Node]] = [[] for _ in range(1 + max(level_of.values(), default=-1))]
        for node in self.nodes:
            grouped[level_of[node.id]].append(node)
        return grouped
