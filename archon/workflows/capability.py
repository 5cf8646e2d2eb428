"""What a prompt or command node may do, as a ladder of three capabilities, each including the one before:

``read``
    read files and run the assistant's read-only look-ups (``ls``, ``git log``, ``grep``); change nothing.
``edit``
    also create and change files inside the working tree.
``run``
    also run commands (tests, builds, formatters), which may change anything those commands change.

A node declares one with ``capability:``; without it a prompt or command node gets ``read``, the least. The user
can cap every node of one run (``workflow run --max-capability read``): a node then gets the lower of the two,
never more than it declared. Each assistant CLI module maps a capability to that CLI's own controls
(:mod:`archon.workflows.clis`). Bash nodes run the user's own script and have no capability.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["CAPABILITIES", "DEFAULT_CAPABILITY", "Capability", "capped", "parse_capability"]

Capability = Literal["read", "edit", "run"]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)
"""From the least to the most: each includes the ones before it."""

DEFAULT_CAPABILITY: Capability = "read"


def capped(declared: Capability, maximum: Capability | None) -> Capability:
    """What a node declaring ``declared`` gets in a run capped at ``maximum`` (None: not capped)."""
    if maximum is None:
        return declared
    return min(declared, maximum, key=CAPABILITIES.index)


def parse_capability(value: object) -> Capability | None:
    """``value`` as a capability, or None if it is not one of :data:`CAPABILITIES`."""
    for capability in CAPABILITIES:
        if value == capability:
            return capability
    return None
