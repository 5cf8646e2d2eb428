"""What exactly runs for a node: the argv and the extra environment, after substitution.

Bash nodes run as ``bash -c SCRIPT`` with references rewritten to environment variables (see
:mod:`archon.workflows.template`); prompt and command nodes run the provider CLI with the rendered prompt as one
argument. Shared by the executor and ``--dry-run`` so the plan shows what would really run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from archon.workflows.errors import NodeSpawnError
from archon.workflows.model import Node, Workflow
from archon.workflows.providers import ProviderName, provider_cli
from archon.workflows.template import (
    bash_environment,
    input_env_name,
    output_env_name,
    render_bash,
    render_prompt,
)

__all__ = ["Invocation", "Invoker"]


@dataclass(frozen=True)
class Invocation:
    argv: list[str]
    extra_env: dict[str, str] = field(default_factory=dict)


class Invoker:
    """Builds the :class:`Invocation` of each node of one run."""

    def __init__(
        self,
        workflow: Workflow,
        *,
        arguments: Sequence[str],
        inputs: Mapping[str, str],
        provider: ProviderName | None,
        provider_binary: str | None,
        bash_binary: str | None,
    ) -> None:
        self._arguments = " ".join(arguments)
        self._inputs = dict(inputs)
        self._provider = provider
        self._provider_binary = provider_binary
        self._bash = bash_binary
        self._node_env = {node.id: output_env_name(index) for index, node in enumerate(workflow.nodes)}

    def invocation(self, node: Node, outputs: Mapping[str, str]) -> Invocation:
        """``outputs`` holds the output of every node that has succeeded so far, by node id."""
        if node.kind == "bash":
            return self._bash_invocation(node, outputs)
        if self._provider is None or self._provider_binary is None:
            raise NodeSpawnError(f"node {node.id!r} needs an assistant CLI and none was resolved")
        prompt = render_prompt(node.text, arguments=self._arguments, inputs=self._inputs, outputs=outputs)
        return Invocation(provider_cli(self._provider).argv(self._provider_binary, prompt))

    def _bash_invocation(self, node: Node, outputs: Mapping[str, str]) -> Invocation:
        if self._bash is None:
            raise NodeSpawnError(f"node {node.id!r} is a bash node, and bash was not found on PATH")
        input_names = {name: input_env_name(name) for name in self._inputs}
        script = render_bash(node.text, input_names=input_names, node_env=self._node_env)
        env = bash_environment(arguments=self._arguments, inputs=self._inputs, outputs=outputs, node_env=self._node_env)
        return Invocation([self._bash, "-c", script], env)
