"""What can go wrong with a workflow, as :class:`~archon.errors.ArchonError` subclasses.

The class names are part of telemetry's closed ``error_class`` vocabulary (archon's own exception names), so
they say *what kind* of thing failed; the messages (which may name files, nodes and fields) never leave the
machine.
"""

from __future__ import annotations

from archon import exit_codes
from archon.errors import ArchonError, UsageError

__all__ = [
    "AssistantFailedError",
    "NodeCommandError",
    "NodeDeniedError",
    "NodeSpawnError",
    "NodeTimeoutError",
    "ProviderNotFoundError",
    "RunInterruptedError",
    "WorkflowDefinitionError",
    "WorkflowFailedError",
    "WorkflowNotFoundError",
]


class WorkflowDefinitionError(ArchonError):
    """A workflow file is not valid: bad YAML, a missing or wrong field, a cycle, an unknown dependency.

    Raised before anything runs. The message names the file, and the node and field where there is one.
    """

    exit_code = exit_codes.USAGE

    def __init__(self, source: str, problem: str, *, node: str | None = None, field: str | None = None) -> None:
        where = source
        if node is not None:
            where += f": node {node!r}"
        if field is not None:
            where += f": field {field!r}"
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.node = node
        self.field = field
        self.problem = problem


class WorkflowNotFoundError(UsageError):
    """No workflow of that name in any source."""


class ProviderNotFoundError(ArchonError):
    """The assistant CLI (``claude``/``codex``) a workflow needs is not installed or not on ``PATH``."""


class NodeTimeoutError(ArchonError, TimeoutError):
    """A node ran longer than its ``timeout``; it and everything it started were stopped."""


class NodeCommandError(ArchonError):
    """A node's process exited with a non-zero status (or was killed by a signal)."""

    def __init__(self, message: str, *, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


class NodeDeniedError(ArchonError):
    """The assistant CLI denied an action the node's capability does not allow: the work was not done as asked."""


class AssistantFailedError(ArchonError):
    """The assistant CLI reported a failure: an API error (bad key, rate limit, exhausted credit...) or another
    error of its own. The message carries the CLI's own words."""


class NodeSpawnError(ArchonError):
    """A node's process could not be started at all (missing interpreter, arguments too long, ...)."""


class RunInterruptedError(ArchonError):
    """The run was interrupted (Ctrl-C, SIGTERM): the node this is the error of was stopped with everything it
    started, and no further node ran."""


class WorkflowFailedError(ArchonError):
    """A run ended with a failed node; the message names it and its classification."""
