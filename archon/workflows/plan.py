"""What a run would do, without doing it (``archon workflow run --dry-run``).

Each node with what it may do (capability) and its model, the exact argv, the extra environment, and what it would
read on stdin (an assistant node's prompt), in dependency levels (nodes of one level may run at the same time).
Outputs and sessions of earlier nodes are not known yet: prompts show ``<output of NODE>`` in their place, bash
scripts show the variable that will carry them, a resumed session shows ``<session of NODE>``, and the private
temporary directory each assistant node gets (its ``TMPDIR``) ``<temp dir of NODE>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from archon.workflows.capability import Capability
from archon.workflows.clis import assistant_cli
from archon.workflows.errors import NodeSpawnError
from archon.workflows.invocation import Invoker
from archon.workflows.model import Node, Workflow
from archon.workflows.providers import ProviderName, default_binary, find_on_path, find_provider_binary

__all__ = ["PlannedNode", "RunPlan", "plan_run"]


@dataclass(frozen=True)
class PlannedNode:
    node: Node
    level: int
    argv: list[str]
    extra_env: dict[str, str]
    stdin: str | None = None
    """What the process would read on stdin (the prompt); None for bash nodes, which read nothing."""
    capability: Capability | None = None
    """What it may do in this run (its declaration, capped by ``--max-capability``); None for bash nodes."""
    model: str | None = None
    problem: str | None = None
    """Why it could not run as things are (e.g. bash not found); None when it can."""


@dataclass(frozen=True)
class RunPlan:
    workflow: Workflow
    provider: ProviderName | None
    provider_binary: str | None
    """Where the provider CLI was found; None if it was not (the run would stop before any node)."""
    nodes: list[PlannedNode]
    max_capability: Capability | None = None


def plan_run(
    workflow: Workflow,
    *,
    arguments: Sequence[str],
    inputs: Mapping[str, str],
    provider: ProviderName,
    env: Mapping[str, str],
    max_capability: Capability | None = None,
) -> RunPlan:
    run_provider = provider if workflow.uses_provider else None
    binary = find_provider_binary(provider, env=env) if run_provider is not None else None
    shown_binary = binary or (default_binary(provider) if run_provider is not None else None)
    invoker = Invoker(
        workflow,
        arguments=arguments,
        inputs=inputs,
        provider_binary=shown_binary,
        bash_binary=find_on_path("bash", env=env),
        max_capability=max_capability,
    )
    placeholders = {node.id: f"<output of {node.id}>" for node in workflow.nodes}
    planned: list[PlannedNode] = []
    for level, nodes in enumerate(workflow.levels()):
        for node in nodes:
            capability, model = invoker.capability(node), invoker.model(node)
            try:
                if node.uses_provider:
                    session = f"<session of {node.resume}>" if node.resume else None
                    request = invoker.request(node, placeholders, resume_session=session)
                    request = replace(request, temp_dir=f"<temp dir of {node.id}>")
                    command = assistant_cli(provider).command(request, env=env)
                    planned.append(
                        PlannedNode(node, level, command.argv, command.env, command.stdin, capability, model)
                    )
                else:
                    invocation = invoker.bash(node, {})
                    planned.append(PlannedNode(node, level, invocation.argv, invocation.extra_env))
            except NodeSpawnError as exc:
                planned.append(PlannedNode(node, level, [], {}, None, capability, model, exc.message))
    return RunPlan(workflow, run_provider, binary, planned, max_capability)
