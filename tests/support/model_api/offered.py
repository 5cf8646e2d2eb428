"""The tools a request offers the model, and whether a scripted call fits one of them.

The fake model only calls a tool the CLI offered in *this* request, with arguments that fit the tool's JSON schema
as offered (required properties present; no unknown property where the schema forbids them). So a CLI upgrade that
renames a tool or changes its arguments makes the test fail with a clear message instead of passing on our guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["OfferedTool", "misfit"]


@dataclass(frozen=True)
class OfferedTool:
    name: str
    kind: Literal["function", "custom"]
    """``function``: JSON arguments (Anthropic tools, OpenAI function tools); ``custom``: OpenAI free-form input."""
    schema: Mapping[str, Any]


def misfit(tool: OfferedTool, arguments: Mapping[str, object]) -> str | None:
    """Why ``arguments`` do not fit ``tool``'s schema, or None when they do."""
    properties = tool.schema.get("properties") or {}
    missing = [name for name in tool.schema.get("required") or () if name not in arguments]
    if missing:
        return f"tool {tool.name!r} requires {missing}, the script gave {sorted(arguments)}"
    if tool.schema.get("additionalProperties") is False:
        unknown = sorted(set(arguments) - set(properties))
        if unknown:
            return f"tool {tool.name!r} has no properties {unknown} (it has {sorted(properties)})"
    for name, value in arguments.items():
        declared = properties.get(name, {}).get("type") if isinstance(properties.get(name), dict) else None
        if declared == "string" and not isinstance(value, str):
            return f"tool {tool.name!r} property {name!r} is a string, the script gave {type(value).__name__}"
    return None
