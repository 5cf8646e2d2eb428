"""The root ``archon`` command, the single place where errors become exit codes, and the telemetry around
every command (invoked, completed, uncaught errors). Telemetry never prints to stdout, never raises and never
changes an exit code."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, ClassVar, NoReturn

import typer
import typer.main

from archon import exit_codes
from archon.buildinfo import BuildInfo, current_build
from archon.cli.context import Application, NullSink, get_app
from archon.cli.lazy_group import LazyGroup
from archon.cli.signals import Terminated, sigterm_raises
from archon.cli.version import render_version, version
from archon.errors import ArchonError
from archon.runtime import ENV_ARCHON_COMPLETE, Runtime
from archon.telemetry.consent import Consent, may_record, resolve_consent
from archon.telemetry.first_run import needs_first_run_notice

# Only a run that needs them loads these (docs/performance.md, "Start-up"): the command path and the event
# vocabularies only a run that records, the notice's words only the first run, config.yaml's reader only a run
# that asks for consent.
if TYPE_CHECKING:
    from archon.cli.invocation import CommandPath
    from archon.telemetry.command_events import CommandEvents, RunTelemetry
    from archon.telemetry.outbox.event_file import StoredEvent
    from archon.telemetry.recorder import PolicyNotice

__all__ = ["app", "main", "run"]


class ArchonGroup(LazyGroup):
    """The root command. Its groups are imported only when named (see :mod:`archon.cli.lazy_group`), in the
    order ``archon --help`` lists them."""

    lazy_subcommands: ClassVar[Mapping[str, str]] = {
        "setup": "archon.cli.setup:app",
        "workflow": "archon.cli.workflow:app",
        "telemetry": "archon.cli.telemetry:app",
        "completion": "archon.cli.completion:app",
    }


app = typer.Typer(
    name="archon",
    cls=ArchonGroup,
    help="Run AI coding workflows. Telemetry is opt-in: see `archon telemetry --help`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:  # resilient parsing: only finding which command a line runs
        typer.echo(render_version(get_app(ctx).build))
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Show the version and exit.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """archon: run AI coding workflows from the command line."""
    get_app(ctx)


app.command("version")(version)


def _report_error(message: str) -> None:
    typer.echo(f"archon: error: {message}", err=True)


def _show_debug_event(event: StoredEvent) -> None:
    import json  # startup time: only the debug preview prints JSON here

    typer.echo(f"archon telemetry (debug, not sent): {json.dumps(event, sort_keys=True)}", err=True)


def _policy_notice(application: Application) -> Callable[[PolicyNotice], None]:
    def show(notice: PolicyNotice) -> None:
        from archon.cli.telemetry_words import policy_notice

        typer.echo(policy_notice(notice, application.paths.consent_record), err=True)

    return show


def _records(path: CommandPath) -> bool:
    """No ``archon telemetry ...`` command is ever recorded. Looking at telemetry must not change what it shows
    or send anything: ``status`` would report its own start as the last event, ``inspect`` (which "never sends
    anything") would start a flusher that uploads whatever was held back, and either would create an anonymous
    id. Changing telemetry must not be tied to it: not the opt-in, not the opt-out (whose pending events it just
    deleted), not the identity reset (which must not be tied to the old id or create a new one)."""
    return not path.is_("telemetry")


def _print_first_run_notice(application: Application, consent: Callable[[], Consent]) -> None:
    try:
        if needs_first_run_notice(application.paths):
            from archon.cli.telemetry_words import first_run_notice
            from archon.config_cache import read_telemetry_config
            from archon.telemetry.first_run import mark_first_run_done

            decided = consent()
            config = decided.config
            paths = application.paths
            notice = first_run_notice(
                consent=decided, config=lambda: config or read_telemetry_config(paths), build=application.build
            )
            typer.echo(notice, err=True)
            mark_first_run_done(application.paths)
    except Exception:  # the notice is a courtesy; it never stops a command
        return


def _invoke(  # noqa: PLR0911 - one return per outcome: this is where every error becomes an exit code
    command: Callable[[], object],
    application: Application,
    recording: tuple[RunTelemetry, CommandPath] | None = None,
) -> int:
    """Run the command and map every outcome to an exit code. The only place errors become exit codes.

    ``recording`` is given only when this run records: what it tells about the run, and the command's name."""
    runtime = application.runtime
    try:
        if recording is not None:
            telemetry, path = recording
            telemetry.started(path.command, path.subcommand)
        result = command()
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors, bad parameters, "no command given" help
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _report_error(str(exc))
        return int(getattr(exc, "exit_code", exit_codes.USAGE))
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("Interrupted.", err=True)
        return exit_codes.INTERRUPTED
    except Terminated:
        typer.echo("Terminated.", err=True)
        return exit_codes.TERMINATED
    except ArchonError as exc:
        _report_error(exc.message)
        return exc.exit_code
    except Exception as exc:
        if recording is not None:
            from archon.telemetry.vocabulary import error_class, where

            recording[0].uncaught(error_class(exc), where(exc))
        if runtime.debug:
            traceback.print_exc()
        else:
            _report_error(f"unexpected internal error ({type(exc).__name__}). Re-run with ARCHON_DEBUG=1 for details.")
        return exit_codes.FAILURE
    return result if isinstance(result, int) else exit_codes.OK


def _run_telemetry(application: Application, consent: Consent) -> RunTelemetry:
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
                full=lambda: _command_events(application, consent, finish_at_end=False),
            )
    return _command_events(application, consent, finish_at_end=True)


def _command_events(application: Application, consent: Consent, *, finish_at_end: bool) -> CommandEvents:
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


def _resolve_consent(application: Application) -> Consent:
    """The consent decision for this run. Asked at most once, and only if something needs it: the environment
    decides without reading config.yaml, and a build without a key reads it only for the first-run notice."""
    from archon.config_cache import read_telemetry_config
    from archon.private_files import untrusted_home

    paths = application.paths
    return resolve_consent(
        application.runtime.env, lambda: read_telemetry_config(paths), home_trust=lambda: untrusted_home(paths)
    )


def run(args: Sequence[str], *, runtime: Runtime, build: BuildInfo | None = None) -> int:
    """Run archon with ``args`` and return the exit code. Every exception ends here.

    ``build`` defaults to this artefact's build-time constants; tests pass others (e.g. a keyed build).
    """
    argv = list(args)
    if runtime.env.get(ENV_ARCHON_COMPLETE):  # a shell's TAB press: no notice, no telemetry
        from archon.cli.completion import answer

        return answer(app, runtime.env)
    application = Application(runtime=runtime, build=build or current_build())
    consent = functools.cache(lambda: _resolve_consent(application))
    root_command = typer.main.get_command(app)
    # Whether this run may record is asked first: it is the environment and, for a keyed build, one small cached
    # file; only a run that may record has its command line parsed a second time to name the command.
    path = None
    if may_record(consent, key_embedded=application.build.key_embedded, debug_preview=runtime.telemetry_debug):
        from archon.cli.invocation import command_path

        path = command_path(root_command, argv)
    recording = (_run_telemetry(application, consent()), path) if path is not None and _records(path) else None
    application.telemetry = recording[0] if recording is not None else NullSink()
    started = runtime.monotonic()
    with sigterm_raises():
        _print_first_run_notice(application, consent)
        exit_code = _invoke(
            lambda: root_command.main(args=argv, prog_name="archon", standalone_mode=False, obj=application),
            application,
            recording,
        )
        if recording is not None:
            telemetry, path = recording
            try:
                duration_ms = max(0, round((runtime.monotonic() - started) * 1000))
                telemetry.ended(path.command, path.subcommand, exit_code=exit_code, duration_ms=duration_ms)
            except (KeyboardInterrupt, Terminated):  # a second Ctrl-C while finishing: the exit code stands
                pass
    return exit_code


def main() -> NoReturn:
    sys.exit(run(sys.argv[1:], runtime=Runtime.from_os()))
