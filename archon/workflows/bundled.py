"""The workflows shipped inside archon (``archon/workflows/defaults/*.yaml``).

Their names are the telemetry allow-list for ``workflow_name``: derived from the shipped files, never typed twice.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["bundled_workflow_files", "bundled_workflow_names"]

_PACKAGE = "archon.workflows.defaults"


def bundled_workflow_files() -> list[Traversable]:
    root = resources.files(_PACKAGE)
    return sorted((f for f in root.iterdir() if f.is_file() and f.name.endswith(".yaml")), key=lambda f: f.name)


@cache
def bundled_workflow_names() -> frozenset[str]:
    """The names of the bundled workflows: each file's stem (a test checks it equals the file's ``name:``)."""
    return frozenset(f.name.removesuffix(".yaml") for f in bundled_workflow_files())
