"""A command's own events, from what the CLI tells about its run, recorded the long way.

The CLI tells telemetry four things about a run (:class:`RunTelemetry`): it started (and which command it is), a
command reported an event of its own (a workflow's, setup's), an error archon did not expect, it ended (exit code,
duration). Two classes listen: :class:`~archon.telemetry.prepared.PreparedRun`, which appends the run's own events
from the prepared templates (the usual way, and cheap), and :class:`CommandEvents`, which makes the schema's events
(``binary.startup`` in the binary and ``cli.command_invoked`` when the command starts, ``error.uncaught``,
``cli.command_completed``) and records them with a :class:`~archon.telemetry.recorder.Recorder`. The long way is
taken whenever there is more to do than append: the debug preview, local-only mode, a consent record to read and
perhaps to filter by (with its notice), a new anonymous id, the first run of a build, a workflow's events; and it
prepares the templates for the runs after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from archon.buildinfo import BuildInfo
from archon.telemetry.recorder import Recorder
from archon.telemetry.schema import (
    BinaryStartup,
    CliCommandCompleted,
    CliCommandInvoked,
    ErrorUncaught,
    Event,
    SafeName,
)

__all__ = ["CommandEvents", "RunTelemetry"]


class RunTelemetry(Protocol):
    """What the CLI tells telemetry about one run; commands report their own events through :meth:`record`."""

    def started(self, command: str, subcommand: str, *, at: datetime | None = None) -> None: ...

    def record(self, event: Event) -> None: ...

    def uncaught(self, error_class: str, where: str) -> None: ...

    def ended(self, command: str, subcommand: str, *, exit_code: int, duration_ms: int) -> None: ...


class CommandEvents:
    """A run's events through ``recorder`` (see the module docstring). Never raises (the recorder does not).

    ``finish_at_end``: when the run has ended, start the flusher if anything was recorded; False when the caller
    finishes the run itself.
    """

    def __init__(self, recorder: Recorder, *, build: BuildInfo, finish_at_end: bool = True) -> None:
        self.recorder = recorder
        self._build = build
        self._finish_at_end = finish_at_end

    def started(self, command: str, subcommand: str, *, at: datetime | None = None) -> None:
        if self._build.is_binary:
            self.binary_started(at=at)
        self.invoked(command, subcommand, at=at)

    def binary_started(self, *, at: datetime | None = None) -> None:
        self.recorder.record(BinaryStartup(), at=at)

    def invoked(self, command: str, subcommand: str, *, at: datetime | None = None) -> None:
        self.recorder.record(CliCommandInvoked(command=SafeName(command), subcommand=SafeName(subcommand)), at=at)

    def record(self, event: Event, *, at: datetime | None = None) -> None:
        self.recorder.record(event, at=at)

    def uncaught(self, error_class: str, where: str, *, at: datetime | None = None) -> None:
        self.recorder.record(ErrorUncaught(error_class=SafeName(error_class), where=SafeName(where)), at=at)

    def completed(
        self, command: str, subcommand: str, *, exit_code: int, duration_ms: int, at: datetime | None = None
    ) -> None:
        event = CliCommandCompleted(
            command=SafeName(command), subcommand=SafeName(subcommand), exit_code=exit_code, duration_ms=duration_ms
        )
        self.recorder.record(event, at=at)

    def ended(self, command: str, subcommand: str, *, exit_code: int, duration_ms: int) -> None:
        self.completed(command, subcommand, exit_code=exit_code, duration_ms=duration_ms)
        if self._finish_at_end:
            self.finish()

    def finish(self) -> bool:
        """Start the flusher if this run recorded anything and none runs; whether one was started."""
        return self.recorder.finish()
