"""``archon workflow``: list, validate and run workflows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archon import exit_codes
from archon.cli.context import get_app

if TYPE_CHECKING:
    from archon.config import ConfigState
    from archon.workflows.assistant import AssistantChoice
    from archon.workflows.capability import Capability
    from archon.workflows.results import RunResult

# The workflow engine (YAML loader, executor, threads, subprocesses) is imported inside the command bodies, not
# here: this module is loaded by every archon command, since Typer needs the signatures below to parse any of them.

__all__ = ["app"]

app = typer.Typer(help="List, validate and run workflows.", no_args_is_help=True, add_completion=False)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def _echo_json(data: object) -> None:
    import json  # startup time: only --json output needs it

    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _notify(lines: list[str]) -> None:
    """Notices and warnings go to stderr, never into stdout or ``--json`` output."""
    for line in lines:
        typer.echo(line, err=True)


@app.command("list")
def list_workflows(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the workflows you can run: bundled ones, ~/.archon/workflows and the repository's .archon/workflows."""
    from archon.cli.workflow_render import catalog_json  # startup time: see the top of this module
    from archon.cli.workflow_trust_words import skipped_warnings
    from archon.workflows.catalog import load_catalog

    application = get_app(ctx)
    runtime = application.runtime
    catalog = load_catalog(paths=application.paths, cwd=runtime.cwd, user_home=runtime.user_home)
    _notify(skipped_warnings(catalog))
    if as_json:
        _echo_json(catalog_json(catalog))
    else:
        width = max((len(name) for name in catalog.workflows), default=0)
        for name in sorted(catalog.workflows):
            workflow = catalog.workflows[name]
            summary = " ".join(workflow.description.split())
            if len(summary) > 100:
                summary = summary[:97] + "..."
            origin = f"[{workflow.origin}]"
            typer.echo(f"{name:<{width}}  {origin:<9}  {summary}")
    for broken in catalog.broken:
        typer.echo(f"archon: error: {broken.error.message}", err=True)
    if catalog.broken:
        raise typer.Exit(exit_codes.USAGE)


@app.command("validate")
def validate(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The workflow file to check.")],
) -> None:
    """Check a workflow file (YAML, fields, dependencies, commands) without running it."""
    from archon.workflows.catalog import load_workflow_file  # startup time: see the top of this module

    application = get_app(ctx)
    runtime = application.runtime
    workflow = load_workflow_file(path, paths=application.paths, cwd=runtime.cwd, user_home=runtime.user_home)
    levels = len(workflow.levels())
    typer.echo(f"{path}: ok: workflow {workflow.name!r}, {len(workflow.nodes)} nodes in {levels} levels")


def _failure_message(result: RunResult) -> str:
    failed = [r for r in result.nodes if r.status == "failed"]
    skipped = sum(1 for r in result.nodes if r.status == "skipped")
    parts = [
        f"node {r.node.id!r} failed ({r.failure.classification}: {r.failure.reason})"
        for r in failed
        if r.failure is not None
    ]
    tail = f"; {skipped} dependent node(s) skipped" if skipped else ""
    return f"workflow {result.workflow.name!r} failed: {'; '.join(parts)}{tail}"


def _fallback_warning(choice: AssistantChoice, config: ConfigState) -> str:
    """Why the configuration could not name the assistant, and which one is used instead."""
    from archon.workflows.assistant import DEFAULT_ASSISTANT_KEY  # startup time: see the top of this module
    from archon.workflows.providers import PROVIDER_NAMES

    if choice.fallback == "unreadable-config":
        return f"{config.describe_problem()}; using {choice.provider} as the assistant"
    names = ", ".join(PROVIDER_NAMES)
    return f"{config.path}: {DEFAULT_ASSISTANT_KEY} must be one of {names}; using {choice.provider}"


def _capability_option(value: str | None) -> Capability | None:
    from archon.errors import UsageError  # startup time: see the top of this module
    from archon.workflows.capability import CAPABILITIES, parse_capability

    if value is None:
        return None
    capability = parse_capability(value)
    if capability is None:
        raise UsageError(f"--max-capability {value!r}: choose one of: {', '.join(CAPABILITIES)}")
    return capability


def _show_result(result: RunResult, *, as_json: bool) -> None:
    """The final outputs on stdout and the summary on stderr (or the JSON object), then the exit status."""
    from archon.cli.signals import Terminated  # startup time: see the top of this module
    from archon.cli.workflow_render import final_outputs, interrupted_line, run_json, run_summary
    from archon.workflows.errors import ProviderNotFoundError, WorkflowFailedError

    if as_json:
        _echo_json(run_json(result))
    else:
        outputs = final_outputs(result)
        for node_id, output in outputs:
            if len(outputs) > 1:
                typer.echo(f"== {node_id} ==")
            typer.echo(output, nl=not output.endswith("\n"))
        typer.echo("\n".join(run_summary(result)), err=True)
    interrupt = result.interrupted_by
    if interrupt is not None:
        typer.echo(interrupted_line(result, interrupt), err=True)
        raise typer.Exit(exit_codes.TERMINATED if isinstance(interrupt, Terminated) else exit_codes.INTERRUPTED)
    if isinstance(result.error, ProviderNotFoundError):
        raise result.error
    if not result.ok:
        if not as_json:  # the summary on stderr has just said which node failed and why: say it once
            raise typer.Exit(WorkflowFailedError.exit_code)
        raise WorkflowFailedError(_failure_message(result))


@app.command("run")
def run(
    ctx: typer.Context,
    *,
    name: Annotated[str, typer.Argument(help="The workflow to run (see `archon workflow list`).")],
    arguments: Annotated[
        list[str] | None, typer.Argument(help="Text for $ARGUMENTS (joined with spaces).", show_default=False)
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="NAME=VALUE for $NAME / ${NAME}; repeatable.", show_default=False),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would run, run nothing.")] = False,
    max_capability: Annotated[
        str | None,
        typer.Option(
            "--max-capability",
            metavar="read|edit|run",
            help="The most any node may do in this run: read (read-only), edit (edit files), run (also run "
            "commands). A node gets the lower of this and what it declares.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No live progress on stderr, only the summary at the end.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run a workflow. Exit status: 0 success, 1 a node failed (or the assistant CLI is missing), 2 invalid,
    130 Ctrl-C, 143 SIGTERM."""
    # startup time: see the top of this module
    from archon.cli.signals import Terminated
    from archon.cli.workflow_events import WorkflowTelemetry
    from archon.cli.workflow_live import LiveDisplay
    from archon.cli.workflow_plan import plan_json, plan_text
    from archon.cli.workflow_trust_words import override_notices, skipped_warnings
    from archon.config import read_config
    from archon.workflows.assistant import choose_assistant
    from archon.workflows.bash_values import refuse_values_in_code
    from archon.workflows.catalog import load_catalog
    from archon.workflows.executor import run_workflow
    from archon.workflows.observer import Observers, RunObserver
    from archon.workflows.plan import plan_run
    from archon.workflows.template import parse_inputs

    cap = _capability_option(max_capability)
    application = get_app(ctx)
    runtime = application.runtime
    catalog = load_catalog(paths=application.paths, cwd=runtime.cwd, user_home=runtime.user_home)
    _notify(skipped_warnings(catalog))
    workflow = catalog.get(name)
    _notify(override_notices(catalog, workflow))
    values = parse_inputs(inputs or [])
    refuse_values_in_code(workflow, input_names=values)
    args = arguments or []
    config = read_config(application.paths.config)
    choice = choose_assistant(workflow.provider, config)
    if choice.fallback is not None and workflow.uses_provider:
        typer.echo(f"archon: warning: {_fallback_warning(choice, config)}", err=True)
    if dry_run:
        plan = plan_run(
            workflow, arguments=args, inputs=values, provider=choice.provider, env=runtime.env, max_capability=cap
        )
        if as_json:
            _echo_json(plan_json(plan))
        else:
            typer.echo("\n".join(plan_text(plan)))
        return
    observers: list[RunObserver] = [WorkflowTelemetry(application.telemetry, is_cli_invoked=True)]
    if not quiet:
        observers.append(LiveDisplay(bold=runtime.stderr_is_tty))
    result = run_workflow(
        workflow,
        arguments=args,
        inputs=values,
        provider=choice.provider,
        env=runtime.env,
        cwd=runtime.cwd,
        observer=Observers(*observers),
        monotonic=runtime.monotonic,
        max_capability=cap,
        paths=application.paths,
        interrupts=(KeyboardInterrupt, Terminated),
    )
    _show_result(result, as_json=as_json)
