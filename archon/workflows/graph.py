"""Checks on the dependency graph of a workflow: unique ids, known dependencies, no cycle, and ``$x.output``
references and ``resume:`` only to nodes that are sure to have finished first (the node's own transitive
dependencies); ``resume:`` only to an assistant node (bash nodes have no session)."""

from __future__ import annotations

from collections.abc import Sequence

from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.model import Node
from archon.workflows.template import output_references

__all__ = ["ancestors", "check_graph"]


def ancestors(node_id: str, by_id: dict[str, Node]) -> set[str]:
    """Every node ``node_id`` depends on, directly or not."""
    seen: set[str] = set()
    stack = list(by_id[node_id].depends_on)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(by_id[current].depends_on)
    return seen


def _find_cycle(by_id: dict[str, Node]) -> list[str] | None:
    """One dependency cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        state[node_id] = 1
        path.append(node_id)
        for dep in by_id[node_id].depends_on:
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (found := visit(dep)) is not None:
                return found
        path.pop()
        state[node_id] = 2
        return None

    for node_id in by_id:
        if node_id not in state and (cycle := visit(node_id)) is not None:
            return cycle
    return None


def check_graph(nodes: Sequence[Node], source: str) -> None:
    by_id: dict[str, Node] = {}
    for node in nodes:
        if node.id in by_id:
            raise WorkflowDefinitionError(
                source, "is used by two nodes; node ids must be unique", node=node.id, field="id"
            )
        by_id[node.id] = node
    for node in nodes:
        for dep in node.depends_on:
            if dep not in by_id:
                raise WorkflowDefinitionError(source, f"unknown node {dep!r}", node=node.id, field="depends_on")
    cycle = _find_cycle(by_id)
    if cycle is not None:
        raise WorkflowDefinitionError(
            source, f"dependency cycle: {' -> '.join(cycle)}", node=cycle[0], field="depends_on"
        )
    for node in nodes:
        field = node.kind
        upstream = ancestors(node.id, by_id)
        _check_resume(node, by_id, upstream, source)
        for ref in output_references(node.text):
            if ref not in by_id:
                raise WorkflowDefinitionError(
                    source,
                    f"${ref}.output refers to an unknown node (for a shell variable, write ${{{ref}}}.output)",
                    node=node.id,
                    field=field,
                )
            if ref not in upstream:
                raise WorkflowDefinitionError(
                    source,
                    f"${ref}.output is used, but {ref!r} is not in depends_on (directly or through another node)",
                    node=node.id,
                    field=field,
                )


def _check_resume(node: Node, by_id: dict[str, Node], upstream: set[str], source: str) -> None:
    """A node continues the session of an assistant node among its own transitive dependencies (so that session
    exists when it starts). Every assistant node of a workflow goes through the same CLI, so the sessions match."""
    if node.resume is None:
        return
    earlier = by_id.get(node.resume)
    if earlier is None:
        raise WorkflowDefinitionError(source, f"unknown node {node.resume!r}", node=node.id, field="resume")
    if node.resume not in upstream:
        raise WorkflowDefinitionError(
            source,
            f"{node.resume!r} is not in depends_on (directly or through another node): its session may not exist yet",
            node=node.id,
            field="resume",
        )
    if not earlier.uses_provider:
        raise WorkflowDefinitionError(
            source,
            f"{node.resume!r} is a bash node; only prompt and command nodes have a session",
            node=node.id,
            field="resume",
        )
