"""What a run would do, without doing it (``archon workflow run --dry-run``).

Each node with the exact argv and extra environment it would get, in dependency levels (nodes of one level may
run at the same time). Outputs of earlier nodes are not known yet: prompts show ``<output of NODE>`` in their
place, and bash scripts show the variable that will carry them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archon.workflows.errors import NodeSpawnError
from archon.workflows.invocation import Invoker
from archon.workflows.model import Node, Workflow
from archon.workflows.providers import ProviderName, find_on_path, find_provider_binary, provider_cli

__all__ = ["PlannedNode", "RunPlan", "plan_run"]


@dataclass(frozen=True)
class PlannedNode:
    node: Node
    level: int
    argv: list[str]
    extra_env: dict[str, str]
    problem: str | None = None
    """Why it could not run as things are (e.g. bash not found); None when it can."""


@dataclass(frozen=True)
class RunPlan:
    workflow: Workflow
    provider: ProviderName | None
    provider_binary: str | None
    """Where the provider CLI was found; None if it was not (the run would stop before any node)."""
    nodes: list[PlannedNode]


def plan_run(
    workflow: Workflow,
    *,
    arguments: Sequence[str],
    inputs: Mapping[str, str],
    provider: ProviderName,
    env: Mapping[str, str],
) -> RunPlan:
    run_provider = provider if workflow.uses_provider else None
    binary = find_provider_binary(provider, env=env) if run_provider is not None else None
    shown_binary = binary or (provider_cli(provider).default_binary if run_provider is not None else None)
    invoker = Invoker(
        workflow,
        arguments=arguments,
        inputs=inputs,
        provider=run_provider,
        provider_binary=shown_binary,
        bash_binary=find_on_path("bash", env=env),
    )
    placeholders = {node.id: f"<output of {node.id}>" for node in workflow.nodes}
    planned: list[PlannedNode] = []
    for level, nodes in enumerate(workflow.levels()):
        for node in nodes:
            try:
                invocation = invoker.invocation(node, placeholders if node.uses_provider else {})
            except NodeSpawnError as exc:
                planned.append(PlannedNode(node, level, [], {}, exc.message))
                continue
            planned.append(PlannedNode(node, level, invocation.argv, invocation.extra_env))
    return RunPlan(workflow, run_provider, binary, planned)
