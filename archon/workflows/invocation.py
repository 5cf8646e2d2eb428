"""What exactly runs for a node, after substitution: a bash node's argv and environment, or a prompt or command
node's request to its assistant CLI. Shared by the executor and ``--dry-run`` so the plan shows what would run.

Bash nodes run as ``bash -o pipefail -c SCRIPT`` with references rewritten to environment variables (see
:mod:`archon.workflows.template`): a pipeline fails when any command in it fails, not only the last. Prompt and
command nodes get the rendered prompt, which their CLI reads on stdin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from archon.workflows.capability import Capability, capped
from archon.workflows.clis.contract import AssistantRequest
from archon.workflows.errors import NodeSpawnError
from archon.workflows.model import Node, Workflow
from archon.workflows.template import (
    bash_environment,
    input_env_name,
    output_env_name,
    render_bash,
    render_prompt,
)

__all__ = ["BASH_OPTIONS", "Invocation", "Invoker"]

BASH_OPTIONS = ("-o", "pipefail")


@dataclass(frozen=True)
class Invocation:
    argv: list[str]
    extra_env: dict[str, str] = field(default_factory=dict)


class Invoker:
    """Builds what each node of one run gets."""

    def __init__(
        self,
        workflow: Workflow,
        *,
        arguments: Sequence[str],
        inputs: Mapping[str, str],
        provider_binary: str | None,
        bash_binary: str | None,
        max_capability: Capability | None = None,
    ) -> None:
        self._workflow = workflow
        self._arguments = " ".join(arguments)
        self._inputs = dict(inputs)
        self._provider_binary = provider_binary
        self._bash = bash_binary
        self._max_capability = max_capability
        self._node_env = {node.id: output_env_name(index) for index, node in enumerate(workflow.nodes)}

    def capability(self, node: Node) -> Capability | None:
        """What the node may do in this run: what it declares, capped by ``--max-capability``; None for bash."""
        return None if node.capability is None else capped(node.capability, self._max_capability)

    def model(self, node: Node) -> str | None:
        return self._workflow.model_of(node)

    def request(self, node: Node, outputs: Mapping[str, str], *, resume_session: str | None) -> AssistantRequest:
        """``outputs`` holds the output of every node that has succeeded so far, by node id."""
        capability = self.capability(node)
        if self._provider_binary is None or capability is None:
            raise NodeSpawnError(f"node {node.id!r} needs an assistant CLI and none was resolved")
        return AssistantRequest(
            binary=self._provider_binary,
            prompt=render_prompt(node.text, arguments=self._arguments, inputs=self._inputs, outputs=outputs),
            capability=capability,
            model=self._workflow.model_of(node),
            resume_session=resume_session,
        )

    def bash(self, node: Node, outputs: Mapping[str, str]) -> Invocation:
        if self._bash is None:
            raise NodeSpawnError(f"node {node.id!r} is a bash node, and bash was not found on PATH")
        input_names = {name: input_env_name(name) for name in self._inputs}
        script = render_bash(node.text, input_names=input_names, node_env=self._node_env)
        env = bash_environment(arguments=self._arguments, inputs=self._inputs, outputs=outputs, node_env=self._node_env)
        return Invocation([self._bash, *BASH_OPTIONS, "-c", script], env)
