"""Reading JSON Lines streams defensively: a CLI may print a line that is not JSON (a warning), a newer CLI may add
fields or change a type, and none of that may crash archon or be mistaken for data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["as_int", "as_mapping", "as_text", "json_object", "shorten"]

SHORT = 160
"""How much of a command line or a path a live tool line shows."""


def json_object(line: str) -> Mapping[str, Any] | None:
    """The JSON object on ``line``, or None if the line is not one (blank, text, an array, broken JSON)."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def as_text(value: object) -> str:
    return value if isinstance(value, str) else ""


def as_int(value: object) -> int:
    """A token count: an int (not a bool), else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def shorten(text: str, limit: int = SHORT) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"
