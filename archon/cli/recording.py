"""This run's telemetry, for a run that may record: how it records, and the name it records under.

Loaded only by such a run (:func:`archon.cli.app.run`). The command is named by the parser as it dispatches: the
root command's callback hands the resolved command to :meth:`Recording.dispatched`, before the command runs, so a
command needs no second parse to be named (``command_path`` parses the line again only for a group's subcommand,
and for a line that never reaches a command: ``--help``, ``--version``, no command, a usage error). The
``cli.command_invoked`` event carries the moment the run started all the same.

How it records (:func:`run_telemetry`): from the prepared events when they hold, the usual way, which loads
nothing but the outbox's format (archon/telemetry/prepared.py); else the long way, the full recorder, which also
prints what only it can (``ARCHON_TELEMETRY_DEBUG``'s preview, the consent record's notice) and prepares the events
for the runs after it. No ``archon telemetry ...`` command is ever recorded (see :func:`records`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from archon.cli.context import Application
from archon.telemetry.consent import Consent
from archon.telemetry.vocabulary import NO_NAME, command_name

if TYPE_CHECKING:
    from archon.telemetry.command_events import CommandEvents, RunTelemetry
    from archon.telemetry.outbox.event_file import StoredEvent
    from archon.telemetry.recorder import PolicyNotice

__all__ = ["Recording", "records", "run_telemetry"]


def records(command: str) -> bool:
    """No ``archon telemetry ...`` command is ever recorded. Looking at telemetry must not change what it shows
    or send anything: ``status`` would report its own start as the last event, ``inspect`` (which "never sends
    anything") would start a flusher that uploads whatever was held back, and either would create an anonymous
    id. Changing telemetry must not be tied to it: not the opt-in, not the opt-out (whose pending events it just
    deleted), not the identity reset (which must not be tied to the old id or create a new one)."""
    return command != "telemetry"


class Recording:
    """One run's telemetry: named once (the first of :meth:`dispatched` and :meth:`ended` to know the command),
    then told what happens. Never raises (what it tells does not)."""

    def __init__(self, application: Application, consent: Consent, *, argv: Sequence[str], root: Any) -> None:
        self._application = application
        self._consent = consent
        self._argv = list(argv)
        self._root = root
        self._started_at: datetime = application.runtime.now()
        self._path: tuple[str, str] | None = None
        self.named = False
        self.telemetry: RunTelemetry | None = None

    def dispatched(self, ctx: typer.Context) -> None:
        """The root command resolved ``ctx.invoked_subcommand``: name the run, and record that it started."""
        if self.named or ctx.invoked_subcommand is None:
            return
        command = ctx.command.get_command(ctx, ctx.invoked_subcommand)  # type: ignore[attr-defined]
        if callable(getattr(command, "list_commands", None)):  # a group: its subcommand is parsed from the line
            self._name_from_the_line()
        else:
            names = ctx.command.list_commands(ctx)  # type: ignore[attr-defined]
            self.name(command_name(ctx.invoked_subcommand, names), NO_NAME)

    def uncaught(self, exc: Exception) -> None:
        if self.telemetry is not None:
            from archon.telemetry.vocabulary import error_class, where

            self.telemetry.uncaught(error_class(exc), where(exc))

    def ended(self, *, exit_code: int, duration_ms: int) -> None:
        """The run ended with ``exit_code``: name it if nothing did yet, and record that."""
        if not self.named:
            self._name_from_the_line()
        if self.telemetry is not None and self._path is not None:
            command, subcommand = self._path
            self.telemetry.ended(command, subcommand, exit_code=exit_code, duration_ms=duration_ms)

    def _name_from_the_line(self) -> None:
        from archon.cli.invocation import command_path

        path = command_path(self._root, self._argv)
        self.name(path.command, path.subcommand)

    def name(self, command: str, subcommand: str) -> None:
        """The run is ``command subcommand`` (names of :mod:`~archon.telemetry.vocabulary`): record that it started,
        unless it is never recorded."""
        self.named = True
        if not records(command):
            return
        self._path = (command, subcommand)
        self.telemetry = run_telemetry(self._application, self._consent)
        self._application.telemetry = self.telemetry
        self.telemetry.started(command, subcommand, at=self._started_at)


def run_telemetry(application: Application, consent: Consent) -> RunTelemetry:
    """How this run records: from the prepared events when they hold (the usual way: two small files, nothing
    else to load), else the long way, which prepares them for the runs after it (archon/telemetry/prepared.py)."""
    if not application.runtime.telemetry_debug and consent.enabled:
        from archon.telemetry.prepared import PreparedRun, load_prepared

        prepared = load_prepared(application.paths, application.build)
        if prepared is not None and prepared.hold(application.paths, consent_from_config=consent.source == "config"):
            return PreparedRun(
                prepared=prepared,
                runtime=application.runtime,
                paths=application.paths,
                build=application.build,
                consent=consent,
                full=lambda: command_events(application, consent, finish_at_end=False),
            )
    return command_events(application, consent, finish_at_end=True)


def command_events(application: Application, consent: Consent, *, finish_at_end: bool) -> CommandEvents:
    """The long way: the full recorder, which prints the debug preview and the consent record's notice here."""
    from archon.telemetry.command_events import CommandEvents  # the long way loads the recording code
    from archon.telemetry.recorder import Recorder

    recorder = Recorder(
        runtime=application.runtime,
        paths=application.paths,
        build=application.build,
        consent=consent,
        show=_show_debug_event,
        notify=_policy_notice(application),
    )
    return CommandEvents(recorder, build=application.build, finish_at_end=finish_at_end)


def _show_debug_event(event: StoredEvent) -> None:
    import json  # the debug preview prints JSON

    typer.echo(f"archon telemetry (debug, not sent): {json.dumps(event, sort_keys=True)}", err=True)


def _policy_notice(application: Application) -> Callable[[PolicyNotice], None]:
    def show(notice: PolicyNotice) -> None:
        from archon.cli.telemetry_words import policy_notice

        typer.echo(policy_notice(notice, application.paths.consent_record), err=True)

    return show
