"""``archon setup``: choose the default assistant CLI and write it to ``config.yaml``.

Detects the installed provider CLIs, asks on a terminal, never asks otherwise: without ``--assistant`` and without
a terminal (or with ``--yes``) it takes the detected CLI (the first in ``claude, codex`` order if both are
installed) or fails with a message saying what to pass.
"""

from __future__ import annotations

from typing import Annotated

import typer

from archon.cli.context import NullSink, get_app
from archon.config import set_config_value
from archon.errors import UsageError
from archon.workflows.providers import PROVIDER_NAMES, ProviderName, detect_providers

__all__ = ["app", "setup"]


def _as_provider(value: str) -> ProviderName:
    for name in PROVIDER_NAMES:
        if value == name:
            return name
    raise UsageError(f"unknown assistant {value!r}; choose one of: {', '.join(PROVIDER_NAMES)}")


def _answer(value: str) -> ProviderName:
    """The typed answer to the question; anything else is asked again (the prompt shows why)."""
    try:
        return _as_provider(value)
    except UsageError as exc:
        raise typer.BadParameter(exc.message) from None


def _choose(assistant: str | None, *, detected: dict[ProviderName, str], interactive: bool) -> tuple[ProviderName, str]:
    """The chosen assistant and how it was chosen (for the message)."""
    if assistant is not None:
        return _as_provider(assistant), "as given by --assistant"
    if interactive:
        default = next(iter(detected), PROVIDER_NAMES[0])
        # Our own check of the answer (value_proc), not Typer's type conversion: typer 0.29 converts a Literal
        # type with pydantic, which typer<0.29 cannot do (see the typer pin in pyproject.toml).
        question = f"Default assistant ({', '.join(PROVIDER_NAMES)})"
        answer: ProviderName = typer.prompt(question, default=default, err=True, value_proc=_answer)
        return answer, "as chosen"
    if not detected:
        raise UsageError(
            f"no assistant CLI found on PATH (looked for {', '.join(PROVIDER_NAMES)}); install one, "
            "or pass --assistant claude|codex"
        )
    chosen = next(iter(detected))
    how = "the only one installed" if len(detected) == 1 else f"the first installed of {', '.join(detected)}"
    return chosen, how


def setup(
    ctx: typer.Context,
    assistant: Annotated[
        ProviderName | None,
        typer.Option(
            "--assistant",
            help="The assistant CLI workflows use when they do not name one. Skips the question.",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Never ask: take --assistant, or the detected CLI.")] = False,
) -> None:
    """Detect the assistant CLIs (claude, codex) and save the default one in ~/.archon/config.yaml."""
    from archon.workflows.assistant import DEFAULT_ASSISTANT_KEY  # startup time: this module loads for every command

    application = get_app(ctx)
    runtime = application.runtime
    detected = detect_providers(env=runtime.env)
    for name in PROVIDER_NAMES:
        typer.echo(f"{name}: {detected.get(name, 'not found')}", err=True)
    interactive = runtime.stdin_is_tty and not yes
    chosen, how = _choose(assistant, detected=detected, interactive=interactive)
    if chosen not in detected:
        typer.echo(f"warning: the {chosen} CLI is not installed; prompt nodes will fail until it is on PATH", err=True)
    config_path = application.paths.config
    set_config_value(config_path, (DEFAULT_ASSISTANT_KEY,), chosen)
    typer.echo(f"Default assistant: {chosen} ({how}), saved to {config_path}")
    if not isinstance(application.telemetry, NullSink):  # detect the channel only for a run that records
        from archon.install_channel import current_installation  # only a run that records needs it
        from archon.telemetry.schema import SetupCompleted  # startup time: the event schema, see archon.cli.app

        install_method = current_installation(application.build).channel  # its name only, never a path
        application.telemetry.record(SetupCompleted(install_method=install_method, default_assistant=chosen))


app = typer.Typer(add_completion=False)
"""A one-command app, so the root can load it on use (:mod:`archon.cli.lazy_group`)."""
app.command("setup")(setup)
