"""The root ``archon`` command and the single place where errors become exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, NoReturn

import typer

from archon.cli import setup as setup_cmd
from archon.cli import telemetry as telemetry_cmd
from archon.cli import workflow as workflow_cmd
from archon.cli.context import Application, get_app
from archon.cli.version import render_version, version
from archon.errors import ArchonError
from archon.runtime import Runtime

__all__ = ["app", "main", "run"]

EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="archon",
    help="Run AI coding workflows. Telemetry is opt-in: see `archon telemetry --help`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value:
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
app.command("setup")(setup_cmd.setup)
app.add_typer(workflow_cmd.app, name="workflow")
app.add_typer(telemetry_cmd.app, name="telemetry")


def _report_error(message: str) -> None:
    typer.echo(f"archon: error: {message}", err=True)


def run(args: Sequence[str], *, runtime: Runtime) -> int:
    """Run archon with ``args`` and return the exit code. Every exception ends here."""
    application = Application(runtime=runtime)
    try:
        result = app(args=list(args), prog_name="archon", standalone_mode=False, obj=application)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors, bad parameters, "no command given" help
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _report_error(exc.format_message())
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except ArchonError as exc:
        _report_error(exc.message)
        return exc.exit_code
    except Exception as exc:
        if runtime.debug:
            traceback.print_exc()
        else:
            _report_error(f"unexpected internal error ({type(exc).__name__}). Re-run with ARCHON_DEBUG=1 for details.")
        return 1
    return result if isinstance(result, int) else 0


def main() -> NoReturn:
    sys.exit(run(sys.argv[1:], runtime=Runtime.from_os()))
