"""The event schema: the single allow-list of what archon's telemetry may send.

Every event is a frozen, keyword-only dataclass with a closed, typed set of properties, so passing a property
that is not declared here fails the type check (and raises ``TypeError`` at run time). Strings are either
``Literal`` vocabularies or :data:`SafeName`, which only ``archon.telemetry.sanitize`` produces, from closed
vocabularies (archon's own command names, bundled workflow names, archon's own and built-in exception names).

Sanitising, ``archon telemetry inspect``, ``docs/telemetry.md`` and the tests all derive from this module.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from archon.telemetry.sanitize import OTHER, USER_DEFINED, SafeName

__all__ = [
    "ALL_EVENTS",
    "OTHER",
    "PRIVACY_PROPERTIES",
    "SDK_PROPERTIES",
    "USER_DEFINED",
    "BinaryStartup",
    "CliCommandCompleted",
    "CliCommandInvoked",
    "CommonProperties",
    "ErrorClassification",
    "ErrorUncaught",
    "Event",
    "InstallMethod",
    "NodeType",
    "Provider",
    "SafeName",
    "SetupCompleted",
    "Vocabulary",
    "WorkflowNodeFailed",
    "WorkflowRunCompleted",
    "WorkflowRunFailed",
    "WorkflowRunStarted",
    "property_doc",
    "property_vocabulary",
]

Provider = Literal["claude", "codex", "none"]
NodeType = Literal["bash", "prompt", "command", "none"]
ErrorClassification = Literal["transient", "fatal", "credit_exhausted"]
InstallMethod = Literal["source", "pip", "binary", "homebrew", "curl"]
Assistant = Literal["claude", "codex", "none"]
Vocabulary = Literal["command", "workflow_name", "error_class", "where"]


def _prop(doc: str, *, vocabulary: Vocabulary | None = None) -> Any:
    """Declare a property: its plain-language reason (for docs/telemetry.md) and, for SafeNames, its vocabulary."""
    return dataclasses.field(metadata={"doc": doc, "vocabulary": vocabulary})


def property_doc(field: dataclasses.Field[Any]) -> str:
    return str(field.metadata["doc"])


def property_vocabulary(field: dataclasses.Field[Any]) -> Vocabulary | None:
    vocabulary: Vocabulary | None = field.metadata.get("vocabulary")
    return vocabulary


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """Base of every event. ``NAME`` is what PostHog sees; ``WHY`` is the reason we collect it."""

    NAME: ClassVar[str]
    WHY: ClassVar[str]

    def properties(self) -> dict[str, str | int | bool]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, kw_only=True, slots=True)
class BinaryStartup(Event):
    NAME: ClassVar[str] = "binary.startup"
    WHY: ClassVar[str] = (
        "Sent when a standalone archon binary starts, so we know which platforms the binaries are used on."
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class CliCommandInvoked(Event):
    NAME: ClassVar[str] = "cli.command_invoked"
    WHY: ClassVar[str] = "Sent when an archon command starts, so we know which commands people use."

    command: SafeName = _prop(
        "The archon command, e.g. `workflow`; `user-defined` for anything that is not archon's own.",
        vocabulary="command",
    )
    subcommand: SafeName = _prop(
        "The archon subcommand, e.g. `run`; empty when there is none, `user-defined` if not archon's own.",
        vocabulary="command",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class CliCommandCompleted(Event):
    NAME: ClassVar[str] = "cli.command_completed"
    WHY: ClassVar[str] = "Sent when an archon command ends, so we see which commands fail and how long they take."

    command: SafeName = _prop("As in `cli.command_invoked`.", vocabulary="command")
    subcommand: SafeName = _prop("As in `cli.command_invoked`.", vocabulary="command")
    exit_code: int = _prop("The process exit code (0 success, 1 error, 2 usage error, 130 Ctrl-C, 143 SIGTERM).")
    duration_ms: int = _prop("How long the command ran, in whole milliseconds.")


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowRunStarted(Event):
    NAME: ClassVar[str] = "workflow.run_started"
    WHY: ClassVar[str] = "Sent when a workflow starts, so we know which bundled workflows are used and at what size."

    workflow_name: SafeName = _prop(
        "The name of a workflow bundled with archon (`archon-*`); every other workflow is `user-defined`.",
        vocabulary="workflow_name",
    )
    node_count: int = _prop("How many nodes the workflow has.")
    provider: Provider = _prop("Which AI assistant CLI the workflow uses: `claude`, `codex`, or `none`.")
    is_cli_invoked: bool = _prop("True when started by `archon workflow run`, false when started by other code.")


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowRunCompleted(Event):
    NAME: ClassVar[str] = "workflow.run_completed"
    WHY: ClassVar[str] = "Sent when a workflow succeeds, so we know how long workflows take."

    workflow_name: SafeName = _prop("As in `workflow.run_started`.", vocabulary="workflow_name")
    duration_ms: int = _prop("How long the run took, in whole milliseconds.")
    node_count: int = _prop("How many nodes the workflow has.")
    nodes_completed: int = _prop("How many nodes finished successfully.")


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowRunFailed(Event):
    NAME: ClassVar[str] = "workflow.run_failed"
    WHY: ClassVar[str] = "Sent when a workflow fails, so we can find and fix the failures people hit most."

    workflow_name: SafeName = _prop("As in `workflow.run_started`.", vocabulary="workflow_name")
    error_class: SafeName = _prop(
        "The name of the error's class if it is archon's own or a Python built-in (e.g. `TimeoutError`), "
        "else `other`. Never the error message.",
        vocabulary="error_class",
    )
    failed_node_type: NodeType = _prop("The kind of node that failed: `bash`, `prompt`, `command`, or `none`.")
    duration_ms: int = _prop("How long the run took before failing, in whole milliseconds.")


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowNodeFailed(Event):
    NAME: ClassVar[str] = "workflow.node_failed"
    WHY: ClassVar[str] = "Sent when a workflow node fails, so we can tell flaky providers from real bugs."

    workflow_name: SafeName = _prop("As in `workflow.run_started`.", vocabulary="workflow_name")
    node_type: NodeType = _prop("The kind of node that failed: `bash`, `prompt` or `command`.")
    error_classification: ErrorClassification = _prop(
        "`transient` (timeout, rate limit, network), `credit_exhausted` (quota, billing) or `fatal`."
    )
    provider: Provider = _prop("The AI assistant CLI the node used: `claude`, `codex`, or `none` for bash nodes.")


@dataclass(frozen=True, kw_only=True, slots=True)
class ErrorUncaught(Event):
    NAME: ClassVar[str] = "error.uncaught"
    WHY: ClassVar[str] = "Sent when archon crashes with an error it did not expect, so we can fix the crash."

    error_class: SafeName = _prop(
        "The error's class name if archon's own or a Python built-in, else `other`. Never the message.",
        vocabulary="error_class",
    )
    where: SafeName = _prop(
        "The name of the archon function where the error surfaced (e.g. `run_workflow`); never a file path. "
        "`other` when it surfaced outside archon's own code.",
        vocabulary="where",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class SetupCompleted(Event):
    NAME: ClassVar[str] = "setup.completed"
    WHY: ClassVar[str] = "Sent when `archon setup` finishes, so we know how archon is installed and which assistant."

    install_method: InstallMethod = _prop("How this archon was installed: `pip`, `binary`, `source`, ...")
    default_assistant: Assistant = _prop("The assistant chosen in setup: `claude`, `codex`, or `none`.")


@dataclass(frozen=True, kw_only=True, slots=True)
class CommonProperties:
    """Added by archon to every event."""

    archon_version: str = _prop("The archon version, e.g. `0.1.0` (`dev` for a source checkout).")
    archon_git_commit: str = _prop("The first 8 characters of the archon commit this build was made from.")
    archon_is_binary: bool = _prop("True for the standalone binary, false for a pip/pipx/uv install.")
    platform: str = _prop("The operating system family: `linux`, `darwin` or `win32`.")
    arch: str = _prop("The CPU architecture, e.g. `x86_64` or `arm64`.")
    python_version: str = _prop("Python's major.minor version, e.g. `3.12`.")

    def properties(self) -> dict[str, str | int | bool]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


PRIVACY_PROPERTIES: dict[str, str | int | bool] = {
    "$process_person_profile": False,
    "$ip": "",
}
"""PostHog flags archon sets on every event: no person profile, no IP address."""

SDK_PROPERTIES: dict[str, str] = {
    "$lib": "The PostHog library's name, `posthog-python`, added by the library itself.",
    "$lib_version": "The PostHog library's version, added by the library itself.",
    "$geoip_disable": "Always `true`: tells PostHog not to look up a location (added because GeoIP is disabled).",
}
"""Properties the posthog library itself adds that archon lets through (everything else it adds is stripped)."""

ALL_EVENTS: tuple[type[Event], ...] = (
    BinaryStartup,
    CliCommandInvoked,
    CliCommandCompleted,
    WorkflowRunStarted,
    WorkflowRunCompleted,
    WorkflowRunFailed,
    WorkflowNodeFailed,
    ErrorUncaught,
    SetupCompleted,
)
