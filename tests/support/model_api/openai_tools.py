"""Which codex tool a scripted action becomes, for the tools *this* request offers.

codex offers tools in two ways, depending on the model:

- *flat*: top-level ``tools`` (``exec_command`` or ``shell`` as function tools, ``apply_patch`` as a free-form custom
  tool), as for ``-m gpt-5.5``;
- *code mode*: an ``additional_tools`` input item whose ``functions`` namespace holds one free-form custom tool,
  ``exec``, that runs JavaScript; the real tools are called from that script as ``tools.exec_command({...})`` and
  ``tools.apply_patch("...")``, and are declared (TypeScript) in ``exec``'s description. codex 0.171's default
  model (gpt-6.2-sol) is served this way.

The fake calls a nested tool only when the ``exec`` description declares it, with argument names it declares.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tests.support.model_api.offered import OfferedTool, misfit
from tests.support.model_api.script import CallTool, EditFile, ReadFile, RunCommand, Step, WriteFile

__all__ = ["ToolCall", "offered_tools", "patch_text", "plan_call"]


@dataclass(frozen=True)
class ToolCall:
    name: str
    kind: str
    """``function`` (JSON ``arguments``) or ``custom`` (free-form ``input``)."""
    payload: object
    namespace: str | None = None


def _flatten(tools: object, namespace: str | None = None) -> Iterator[tuple[str | None, dict[str, Any]]]:
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, dict):
            continue
        if tool.get("type") == "namespace":
            yield from _flatten(tool.get("tools"), str(tool.get("name")))
        elif isinstance(tool.get("name"), str):
            yield namespace, tool


def offered_tools(body: Mapping[str, Any]) -> dict[str, tuple[str | None, OfferedTool, str]]:
    """Every offered tool by name: (namespace, tool, description), top-level and ``additional_tools`` alike."""
    groups: list[object] = [body.get("tools")]
    for item in body.get("input") or ():
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            groups.append(item.get("tools"))
    offered: dict[str, tuple[str | None, OfferedTool, str]] = {}
    for group in groups:
        for namespace, tool in _flatten(group):
            kind: Literal["function", "custom"] = "custom" if tool.get("type") == "custom" else "function"
            schema = tool.get("parameters") or tool.get("format") or {}
            offered[tool["name"]] = (namespace, OfferedTool(tool["name"], kind, schema), str(tool.get("description")))
    return offered


def patch_text(step: EditFile | WriteFile) -> str:
    """The apply_patch envelope codex's grammar accepts for an edit (one hunk) or a new file."""
    if isinstance(step, WriteFile):
        lines = [f"*** Add File: {step.path}", *(f"+{line}" for line in step.content.splitlines())]
    else:
        lines = [f"*** Update File: {step.path}", "@@"]
        lines += [f"-{line}" for line in step.old.splitlines()] + [f"+{line}" for line in step.new.splitlines()]
    return "\n".join(["*** Begin Patch", *lines, "*** End Patch"]) + "\n"


def _wanted(step: Step, shell: str) -> tuple[str, object] | None:
    """(tool name, arguments or free-form input) in codex's own terms, before knowing how tools are offered."""
    if isinstance(step, ReadFile | RunCommand):
        command = f"cat {shlex.quote(step.path)}" if isinstance(step, ReadFile) else step.command
        if shell == "exec_command":
            return "exec_command", {"cmd": command}
        if shell == "shell_command":
            return "shell_command", {"command": command}
        return "shell", {"command": ["bash", "-lc", command]}
    if isinstance(step, EditFile | WriteFile):
        return "apply_patch", patch_text(step)
    if isinstance(step, CallTool):
        return step.name, dict(step.arguments)
    return None


def _declared(description: str, name: str) -> str | None:
    """The TypeScript declaration of nested tool ``name`` in a code-mode ``exec`` description."""
    match = re.search(r"declare const tools: \{ " + re.escape(name) + r"\((.*?)\): Promise", description, re.S)
    return match.group(1) if match else None


def _code_mode(wanted: tuple[str, object], description: str) -> ToolCall | str:
    name, payload = wanted
    declaration = _declared(description, name)
    if declaration is None:
        return f"code-mode exec does not declare tools.{name}"
    if isinstance(payload, dict):
        undeclared = [key for key in payload if not re.search(rf"\b{re.escape(key)}\??:", declaration)]
        if undeclared:
            return f"tools.{name} declares no {undeclared}: {declaration[:200]}"
    source = f"text(await tools.{name}({json.dumps(payload)}));\n"
    return ToolCall("exec", "custom", source, "functions")


def plan_call(step: Step, body: Mapping[str, Any]) -> ToolCall | str | None:
    """The tool call for ``step`` as this request offers it; a reason string when it cannot be made; None for
    actions that are not tool calls."""
    offered = offered_tools(body)
    shells = [name for name in ("exec_command", "shell_command", "shell") if name in offered]
    flat = _wanted(step, shells[0] if shells else "exec_command")
    if flat is None:
        return None
    name, payload = flat
    if name not in offered and "exec" in offered and offered["exec"][1].kind == "custom":
        return _code_mode(flat, offered["exec"][2])
    if name not in offered:
        return f"tool {name!r} is not offered (offered: {sorted(offered)})"
    namespace, tool, _ = offered[name]
    if tool.kind == "custom":
        if not isinstance(payload, str):
            return f"tool {name!r} takes free-form input, not JSON"
        return ToolCall(name, "custom", payload, namespace)
    if isinstance(payload, str):
        payload = {"input": payload}
    assert isinstance(payload, dict)
    problem = misfit(tool, payload)
    return problem if problem is not None else ToolCall(name, "function", payload, namespace)
