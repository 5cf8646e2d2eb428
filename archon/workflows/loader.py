"""Read one workflow file into a checked :class:`~archon.workflows.model.Workflow`, or say exactly what is wrong.

YAML is read with ruamel's *safe* loader (plain data only, duplicate keys refused), nested at most
:data:`MAX_YAML_DEPTH` levels (deeper, a file would exhaust Python's recursion before any check). Every problem is a
:class:`~archon.workflows.errors.WorkflowDefinitionError` naming the file and, where there is one, the node and
the field, raised before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from archon.workflows.bash_values import refuse_values_in_code
from archon.workflows.capability import CAPABILITIES, DEFAULT_CAPABILITY, Capability, parse_capability
from archon.workflows.commands import CommandLibrary
from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.graph import check_graph
from archon.workflows.model import NODE_KINDS, Node, NodeKind, Origin, Workflow
from archon.workflows.providers import PROVIDER_NAMES, ProviderName

__all__ = ["MAX_YAML_DEPTH", "MODEL_PATTERN", "NAME_PATTERN", "NODE_ID_PATTERN", "declared_name", "parse_workflow"]

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
NODE_ID_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]*"
MODEL_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:/@\[\]+-]*"
"""Model names and aliases as the CLIs take them (``opus``, ``claude-sonnet-4-5``, ``sonnet[1m]``, ``gpt-5.1``, a
Bedrock ARN); never starting with ``-``, never holding spaces."""
_TOP_FIELDS = ("name", "description", "provider", "model", "nodes")
_NODE_FIELDS = ("id", *NODE_KINDS, "depends_on", "timeout", "capability", "model", "resume")
_ASSISTANT_ONLY = ("capability", "model", "resume")


MAX_YAML_DEPTH = 64
"""Collections nested deeper than this are refused (a workflow needs 4: mapping, nodes, node, depends_on)."""


class _TooDeep(MarkedYAMLError):
    pass


class _BoundedComposer(Composer):
    """ruamel's composer, which recurses once per level of nesting, refusing to go deeper than MAX_YAML_DEPTH
    (ruamel 0.19.1 has ``YAML().max_depth``; archon supports 0.18 too)."""

    _levels = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._levels += 1
        try:
            if self._levels > MAX_YAML_DEPTH:
                mark = self.parser.peek_event().start_mark
                raise _TooDeep(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._levels -= 1


def _read_yaml(text: str, source: str) -> Any:
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _BoundedComposer
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise WorkflowDefinitionError(source, f"invalid YAML{where}: {exc.problem or exc.context}") from exc
    except YAMLError as exc:
        raise WorkflowDefinitionError(source, f"invalid YAML: {exc}") from exc


def declared_name(text: str) -> str | None:
    """The ``name:`` of a workflow file that does not load, if it can still be read (a broken file hides the
    workflow of that name, see :mod:`archon.workflows.catalog`)."""
    try:
        data = _read_yaml(text, "")
    except WorkflowDefinitionError:
        return None
    name = data.get("name") if isinstance(data, Mapping) else None
    return name if isinstance(name, str) and re.fullmatch(NAME_PATTERN, name) else None


def _string(value: Any, source: str, *, field: str, node: str | None = None, pattern: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WorkflowDefinitionError(source, "must be a non-empty string", node=node, field=field)
    if pattern is not None and re.fullmatch(pattern, value) is None:
        raise WorkflowDefinitionError(
            source, f"{value!r} must match {pattern} (letters, digits, '_', '-')", node=node, field=field
        )
    return value


def _unknown_fields(data: Mapping[Any, Any], allowed: tuple[str, ...], source: str, node: str | None) -> None:
    for key in data:
        if key not in allowed:
            raise WorkflowDefinitionError(
                source, f"unknown field (expected one of: {', '.join(allowed)})", node=node, field=str(key)
            )


def _provider(value: Any, source: str) -> ProviderName | None:
    if value is None:
        return None
    for name in PROVIDER_NAMES:
        if value == name:
            return name
    raise WorkflowDefinitionError(source, f"must be one of: {', '.join(PROVIDER_NAMES)}", field="provider")


def _timeout(value: Any, source: str, node: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise WorkflowDefinitionError(source, "must be a positive number of seconds", node=node, field="timeout")
    return float(value)


def _capability(value: Any, source: str, node: str) -> Capability:
    if value is None:
        return DEFAULT_CAPABILITY
    capability = parse_capability(value)
    if capability is None:
        raise WorkflowDefinitionError(
            source, f"must be one of: {', '.join(CAPABILITIES)}", node=node, field="capability"
        )
    return capability


def _model(value: Any, source: str, node: str | None) -> str | None:
    if value is None:
        return None
    return _string(value, source, field="model", node=node, pattern=MODEL_PATTERN)


def _depends_on(value: Any, source: str, node: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WorkflowDefinitionError(source, "must be a list of node ids", node=node, field="depends_on")
    return tuple(dict.fromkeys(value))


def _node(data: Any, index: int, source: str, commands: CommandLibrary) -> Node:
    if not isinstance(data, Mapping):
        raise WorkflowDefinitionError(source, f"node #{index + 1} must be a mapping with an 'id'", field="nodes")
    if "id" not in data:
        raise WorkflowDefinitionError(source, f"node #{index + 1} has no 'id'", field="id")
    node_id = _string(data["id"], source, field="id", node=f"#{index + 1}", pattern=NODE_ID_PATTERN)
    _unknown_fields(data, _NODE_FIELDS, source, node_id)
    kinds: list[NodeKind] = [kind for kind in NODE_KINDS if kind in data]
    if not kinds:
        raise WorkflowDefinitionError(
            source, "needs exactly one of: bash, prompt, command", node=node_id, field="bash|prompt|command"
        )
    if len(kinds) > 1:
        raise WorkflowDefinitionError(
            source, f"has both {kinds[0]!r} and {kinds[1]!r}; a node takes exactly one", node=node_id, field=kinds[1]
        )
    kind = kinds[0]
    body = _string(data[kind], source, field=kind, node=node_id)
    command: str | None = None
    if kind == "command":
        command = body.strip()
        text = commands.get(command)
        if text is None and command in commands.errors:
            raise WorkflowDefinitionError(
                source, f"command {command!r} cannot be used: {commands.errors[command]}", node=node_id, field="command"
            )
        if text is None:
            known = ", ".join(commands.names()) or "none"
            raise WorkflowDefinitionError(
                source, f"unknown command {command!r} (known commands: {known})", node=node_id, field="command"
            )
    else:
        text = body
    if kind == "bash":
        for field in _ASSISTANT_ONLY:
            if field in data:
                raise WorkflowDefinitionError(
                    source,
                    "is for prompt and command nodes; a bash node runs your own script",
                    node=node_id,
                    field=field,
                )
    resume = data.get("resume")
    return Node(
        id=node_id,
        kind=kind,
        text=text,
        command=command,
        depends_on=_depends_on(data.get("depends_on"), source, node_id),
        timeout=_timeout(data.get("timeout"), source, node_id),
        capability=None if kind == "bash" else _capability(data.get("capability"), source, node_id),
        model=_model(data.get("model"), source, node_id),
        resume=None if resume is None else _string(resume, source, field="resume", node=node_id),
    )


def parse_workflow(text: str, *, source: str, origin: Origin, commands: CommandLibrary) -> Workflow:
    """The checked workflow in ``text`` (read from ``source``, which only appears in messages)."""
    data = _read_yaml(text, source)
    if not isinstance(data, Mapping):
        raise WorkflowDefinitionError(source, "must be a YAML mapping with name, description and nodes")
    _unknown_fields(data, _TOP_FIELDS, source, None)
    for required in ("name", "description", "nodes"):
        if required not in data:
            raise WorkflowDefinitionError(source, "is required", field=required)
    name = _string(data["name"], source, field="name", pattern=NAME_PATTERN)
    description = _string(data["description"], source, field="description")
    raw_nodes = data["nodes"]
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise WorkflowDefinitionError(source, "must be a non-empty list of nodes", field="nodes")
    nodes = tuple(_node(item, index, source, commands) for index, item in enumerate(raw_nodes))
    check_graph(nodes, source)
    workflow = Workflow(
        name=name,
        description=description,
        provider=_provider(data.get("provider"), source),
        nodes=nodes,
        source=source,
        origin=origin,
        model=_model(data.get("model"), source, None),
    )
    refuse_values_in_code(workflow)  # --input names are checked when they are known: at run time
    return workflow
