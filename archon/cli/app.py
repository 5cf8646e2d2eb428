"""The root ``archon`` command, the single place where errors become exit codes, and the telemetry around
every command (invoked, completed, uncaught errors). Telemetry never prints to stdout, never raises and never
changes an exit code."""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, ClassVar, NoReturn

import typer
import typer.main

from archon import exit_codes
from archon.buildinfo import BuildInfo, current_build
from archon.cli.context import Application, get_app
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
    from archon.cli.recording import Recording

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
    dispatched = get_app(ctx).dispatched
    if dispatched is not None:  # a run that may record names its command here (archon/cli/recording.py)
        dispatched(ctx)


app.command("version")(version)


def _report_error(message: str) -> None:
    typer.echo(f"archon: error: {message}", err=True)


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
    command: Callable[[], object], application: Application, recording: Recording | None = None
) -> int:
    """Run the command and map every outcome to an exit code. The only place errors become exit codes.

    ``recording`` is given only when this run may record: it is told of an error archon did not expect."""
    runtime = application.runtime
    try:
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
            recording.uncaught(exc)
        if runtime.debug:
            traceback.print_exc()
        else:
            _report_error(f"unexpected internal error ({type(exc).__name__}). Re-run with ARCHON_DEBUG=1 for details.")
        return exit_codes.FAILURE
    return result if isinstance(result, int) else exit_codes.OK


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
    recording = None
    if may_record(consent, key_embedded=application.build.key_embedded, debug_preview=runtime.telemetry_debug):
        from archon.cli.recording import Recording  # only a run that may record loads what recording takes

        recording = Recording(application, consent(), argv=argv, root=root_command)
        application.dispatched = recording.dispatched
    started = runtime.monotonic()
    with sigterm_raises():
        _print_first_run_notice(application, consent)
        exit_code = _invoke(
            lambda: root_command.main(args=argv, prog_name="archon", standalone_mode=False, obj=application),
            application,
            recording,
        )
        if recording is not None:
            duration_ms = max(0, round((runtime.monotonic() - started) * 1000))
            with contextlib.suppress(KeyboardInterrupt, Terminated):  # a second Ctrl-C while finishing: it stands
                recording.ended(exit_code=exit_code, duration_ms=duration_ms)
    return exit_code


def main() -> NoReturn:
    exit_code = run(sys.argv[1:], runtime=Runtime.from_os())
    # The command is done: spare the interpreter's exit the garbage collections over everything it loaded (8 %
    # of `archon version`'s instructions; docs/performance.md, "Exit"). Objects are still freed, files closed,
    # atexit handlers and threads waited for; only reference cycles left at this point are not collected.
    gc.freeze()
    sys.exit(exit_code)
