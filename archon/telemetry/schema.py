"""The event schema: the single allow-list of what archon's telemetry may send.

Every event is a class with a closed, typed set of properties. The base class is a ``dataclass_transform``, so the
type checker treats each event like a frozen, keyword-only dataclass: passing a property that is not declared
here fails the type check, and raises ``TypeError`` at run time. It is not a real dataclass because this module is
on the path of every run that records, and building a dozen dataclasses costs more than recording the events
(measured: ~5 ms; these classes cost ~0.2 ms). Strings are either ``Literal`` vocabularies or :data:`SafeName`,
which only :mod:`archon.telemetry.vocabulary` produces.

Everything derives from this module: the allow-list (:func:`allowed_properties`), ``archon telemetry inspect``,
``docs/telemetry.md`` (:func:`schema_fields` gives each property's type and reason) and the tests.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal, dataclass_transform

from archon.install_channel import InstallChannel
from archon.telemetry.vocabulary import OTHER, USER_DEFINED, Arch, OperatingSystem, PythonVersion, SafeName

__all__ = [
    "ALL_EVENTS",
    "EVENTS_BY_NAME",
    "OTHER",
    "PRIVACY_PROPERTIES",
    "USER_DEFINED",
    "Assistant",
    "BinaryStartup",
    "CliCommandCompleted",
    "CliCommandInvoked",
    "CommonProperties",
    "ErrorClassification",
    "ErrorUncaught",
    "Event",
    "FailureKind",
    "InstallMethod",
    "NodeType",
    "Prop",
    "Properties",
    "PropertyValue",
    "Provider",
    "SafeName",
    "SetupCompleted",
    "Vocabulary",
    "WorkflowNodeFailed",
    "WorkflowRunCompleted",
    "WorkflowRunFailed",
    "WorkflowRunStarted",
    "allowed_properties",
    "prop",
    "schema_fields",
]

PropertyValue = str | int | bool
Provider = Literal["claude", "codex", "none"]
NodeType = Literal["bash", "prompt", "command", "none"]
ErrorClassification = Literal["transient", "fatal", "credit_exhausted"]
FailureKind = Literal["timed_out", "not_started", "denied", "assistant_error", "exit_status"]
InstallMethod = InstallChannel  # one vocabulary, decided at run time by archon/install_channel.py
Assistant = Literal["claude", "codex", "none"]
Vocabulary = Literal["command", "workflow_name", "error_class", "where", "archon_version", "archon_commit"]
"""The closed set a text property's values come from (:mod:`archon.telemetry.policy` says what each admits)."""


class Prop:
    """One declared property: its reason (for docs/telemetry.md) and, for text that is not a ``Literal``, the
    vocabulary its values come from (every such property has one: the policy cannot describe free text).

    A read-only descriptor: ``event.command`` reads the value the event was made with.
    """

    __slots__ = ("doc", "name", "vocabulary")

    def __init__(self, doc: str, vocabulary: Vocabulary | None) -> None:
        self.doc = doc
        self.vocabulary = vocabulary
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Properties | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance._values[self.name]

    def __set__(self, instance: object, value: object) -> None:
        raise AttributeError(f"{self.name} is read-only: events are immutable")


def prop(doc: str, *, vocabulary: Vocabulary | None = None) -> Any:
    """Declare a property (the ``field()`` of this schema)."""
    return Prop(doc, vocabulary)


@dataclass_transform(kw_only_default=True, frozen_default=True, eq_default=True, field_specifiers=(prop,))
class Properties:
    """A closed set of typed properties, made with keyword arguments only."""

    PROPERTIES: ClassVar[tuple[str, ...]] = ()
    """The declared property names, in declaration order."""

    __slots__ = ("_values",)
    _values: dict[str, PropertyValue]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.PROPERTIES = tuple(name for name, value in vars(cls).items() if isinstance(value, Prop))

    def __init__(self, **values: PropertyValue) -> None:
        if values.keys() != set(self.PROPERTIES):
            unknown = sorted(values.keys() - set(self.PROPERTIES))
            missing = sorted(set(self.PROPERTIES) - values.keys())
            raise TypeError(f"{type(self).__name__}: undeclared {unknown}, missing {missing}")
        object.__setattr__(self, "_values", {name: values[name] for name in self.PROPERTIES})

    def properties(self) -> dict[str, PropertyValue]:
        return dict(self._values)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Properties) and type(other) is type(self) and other._values == self._values

    def __hash__(self) -> int:
        return hash((type(self), tuple(self._values.items())))

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self._values.items())
        return f"{type(self).__name__}({args})"


class Event(Properties):
    """Base of every event. ``NAME`` is what PostHog sees; ``WHY`` is the reason we collect it."""

    NAME: ClassVar[str]
    WHY: ClassVar[str]


class BinaryStartup(Event):
    NAME = "binary.startup"
    WHY = "Sent when a standalone archon binary starts, so we know which platforms the binaries are used on."


class CliCommandInvoked(Event):
    NAME = "cli.command_invoked"
    WHY = "Sent when an archon command starts, so we know which commands people use."

    command: SafeName = prop(
        "The archon command, e.g. `workflow`; `user-defined` for anything that is not archon's own.",
        vocabulary="command",
    )
    subcommand: SafeName = prop(
        "The archon subcommand, e.g. `run`; empty when there is none, `user-defined` if not archon's own.",
        vocabulary="command",
    )


class CliCommandCompleted(Event):
    NAME = "cli.command_completed"
    WHY = "Sent when an archon command ends, so we see which commands fail and how long they take."

    command: SafeName = prop("As in `cli.command_invoked`.", vocabulary="command")
    subcommand: SafeName = prop("As in `cli.command_invoked`.", vocabulary="command")
    exit_code: int = prop("The process exit code (0 success, 1 error, 2 usage error, 130 Ctrl-C, 143 SIGTERM).")
    duration_ms: int = prop("How long the command ran, in whole milliseconds.")


class WorkflowRunStarted(Event):
    NAME = "workflow.run_started"
    WHY = "Sent when a workflow starts, so we know which bundled workflows are used and at what size."

    workflow_name: SafeName = prop(
        "The name of a workflow bundled with archon (`archon-*`); every other workflow is `user-defined`.",
        vocabulary="workflow_name",
    )
    node_count: int = prop("How many nodes the workflow has.")
    provider: Provider = prop("Which AI assistant CLI the workflow uses: `claude`, `codex`, or `none`.")
    is_cli_invoked: bool = prop("True when started by `archon workflow run`, false when started by other code.")


class WorkflowRunCompleted(Event):
    NAME = "workflow.run_completed"
    WHY = "Sent when a workflow succeeds, so we know how long workflows take."

    workflow_name: SafeName = prop("As in `workflow.run_started`.", vocabulary="workflow_name")
    duration_ms: int = prop("How long the run took, in whole milliseconds.")
    node_count: int = prop("How many nodes the workflow has.")
    nodes_completed: int = prop("How many nodes finished successfully.")


class WorkflowRunFailed(Event):
    NAME = "workflow.run_failed"
    WHY = (
        "Sent when a workflow fails (a node failed, or the run was interrupted), so we can find and fix the "
        "failures people hit most."
    )

    workflow_name: SafeName = prop("As in `workflow.run_started`.", vocabulary="workflow_name")
    error_class: SafeName = prop(
        "The name of the error's class if it is archon's own or a Python built-in (e.g. `TimeoutError`), "
        "else `other`. Never the error message. A run stopped by Ctrl-C is `KeyboardInterrupt`, by SIGTERM "
        "`Terminated`.",
        vocabulary="error_class",
    )
    failed_node_type: NodeType = prop(
        "The kind of node that failed (in an interrupted run: the first one it stopped): `bash`, `prompt`, "
        "`command`, or `none`."
    )
    duration_ms: int = prop("How long the run took before failing, in whole milliseconds.")


class WorkflowNodeFailed(Event):
    NAME = "workflow.node_failed"
    WHY = (
        "Sent when a workflow node fails (not when an interrupt stopped it), so we can tell flaky providers from "
        "real bugs."
    )

    workflow_name: SafeName = prop("As in `workflow.run_started`.", vocabulary="workflow_name")
    node_type: NodeType = prop("The kind of node that failed: `bash`, `prompt` or `command`.")
    error_classification: ErrorClassification = prop(
        "`transient` (timeout, rate limit, network), `credit_exhausted` (quota, billing) or `fatal`."
    )
    failure_kind: FailureKind = prop(
        "What made it fail: `timed_out`, `not_started` (its program could not start), `denied` (the assistant "
        "CLI refused an action the node's capability does not allow), `assistant_error` (the assistant CLI "
        "reported an error, such as an API error) or `exit_status` (a bash node exited non-zero)."
    )
    provider: Provider = prop("The AI assistant CLI the node used: `claude`, `codex`, or `none` for bash nodes.")


class ErrorUncaught(Event):
    NAME = "error.uncaught"
    WHY = "Sent when archon crashes with an error it did not expect, so we can fix the crash."

    error_class: SafeName = prop(
        "The error's class name if archon's own or a Python built-in, else `other`. Never the message.",
        vocabulary="error_class",
    )
    where: SafeName = prop(
        "The name of the archon function where the error surfaced (e.g. `run_workflow`); never a file path. "
        "`other` when it surfaced outside archon's own code.",
        vocabulary="where",
    )


class SetupCompleted(Event):
    NAME = "setup.completed"
    WHY = "Sent when `archon setup` finishes, so we know how archon is installed and which assistant."

    install_method: InstallMethod = prop("How this archon was installed: `pip`, `binary`, `source`, ...")
    default_assistant: Assistant = prop("The assistant chosen in setup: `claude`, `codex`, or `none`.")


class CommonProperties(Properties):
    """Added by archon to every event."""

    archon_version: str = prop(
        "The archon version, e.g. `0.1.0` (`dev` for a source checkout).", vocabulary="archon_version"
    )
    archon_git_commit: str = prop(
        "The first 8 characters of the archon commit this build was made from.", vocabulary="archon_commit"
    )
    archon_is_binary: bool = prop("True for the standalone binary, false for a pip/pipx/uv install.")
    platform: OperatingSystem = prop(
        "The operating system family: `linux`, `darwin` or `win32`; `other` for any other."
    )
    arch: Arch = prop(
        "The CPU architecture, under one name whatever the system calls it (`AMD64` is `x86_64`, `aarch64` is "
        "`arm64`); `other` for one not listed, never the value the system reported."
    )
    python_version: PythonVersion = prop("Python's major.minor version (`3.11` to `3.15`); `other` for any other.")


PRIVACY_PROPERTIES: Mapping[str, PropertyValue] = {
    "$process_person_profile": False,
    "$ip": "",
    "$geoip_disable": True,
}
"""PostHog flags archon sets on every event: no person profile, no GeoIP lookup, and an empty ``$ip``, which on its
own keeps nothing out (PostHog's ingestion fills it from the request's address: docs/telemetry.md says what does)."""

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
EVENTS_BY_NAME: Mapping[str, type[Event]] = {event.NAME: event for event in ALL_EVENTS}

_SHARED = frozenset(CommonProperties.PROPERTIES) | frozenset(PRIVACY_PROPERTIES)


def allowed_properties(event_name: str) -> frozenset[str] | None:
    """Every property that may leave the machine with ``event_name``; None for an undeclared event."""
    event = EVENTS_BY_NAME.get(event_name)
    return None if event is None else frozenset(event.PROPERTIES) | _SHARED


def schema_fields(cls: type[Properties]) -> Iterator[tuple[Prop, Any]]:
    """Each declared property of ``cls`` with its resolved type (for the docs and the policy).

    The annotations here are plain names (``int``, ``SafeName``, ``Provider``), looked up directly: the recording
    path compares this build's policy with the consented one, and ``typing.get_type_hints`` (which compiles each
    annotation) would cost it ~0.6 ms. Anything else falls back to ``get_type_hints``.
    """
    # Not inspect.get_annotations: importing inspect costs more than everything else here. Own annotations only,
    # as PROPERTIES holds only the class's own; a missing or unusual one falls back to get_type_hints below.
    annotations: Mapping[str, object] = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    namespace = vars(sys.modules[cls.__module__])
    for name in cls.PROPERTIES:
        text = annotations.get(name)
        resolved = (namespace.get(text) or getattr(builtins, text, None)) if isinstance(text, str) else None
        if resolved is None:
            from typing import get_type_hints

            resolved = get_type_hints(cls)[name]
        yield vars(cls)[name], resolved
