"""``archon telemetry``: on, off, local, status, inspect, clear, policy. See docs/telemetry.md."""

from __future__ import annotations

from typing import Annotated

import typer

from archon.cli import telemetry_consent
from archon.cli.context import Application, get_app
from archon.cli.telemetry_words import DISABLE_HINT, INSPECT_HINT
from archon.errors import ConfigError
from archon.private_files import untrusted_home
from archon.telemetry.first_run import POLICY_URL

# The outbox, identity and status modules are imported inside the commands that use them: this module is loaded
# when any `archon telemetry` command runs (Typer needs the signatures below), and each needs only some of them.

__all__ = ["INSPECT_LIMIT", "app"]

INSPECT_LIMIT = 10

app = typer.Typer(
    help="Opt-in, anonymous usage telemetry: turn it on or off, see what is sent.",
    no_args_is_help=True,
    add_completion=False,
)


def _overridden(application: Application, *, wanted: str) -> str | None:
    """Why the setting just written (``on``, ``off`` or ``local``) does not decide, if something outranks it."""
    consent, explanation = telemetry_consent.current_consent(application)
    mode = "local" if consent.local_only else "on" if consent.enabled else "off"
    return explanation if mode != wanted else None


@app.command("on")
def on(ctx: typer.Context) -> None:
    """Turn telemetry on: record your consent to this version's policy (telemetry/consent.json), write
    telemetry.enabled: true to config.yaml and create the anonymous id."""
    from archon.telemetry.identity import ensure_identity  # startup time: see the top of this module

    application = get_app(ctx)
    untrusted = untrusted_home(application.paths)
    if untrusted is not None:  # nothing may be written there, the choice included
        raise ConfigError(f"{untrusted.describe()}, so archon writes nothing there (set ARCHON_HOME to your own)")
    accepted, record = telemetry_consent.record_consent(application)
    telemetry_consent.write_mode(application, enabled=True, local_only=False)
    local = telemetry_consent.clear_local(application)  # never sent, and never to be, now that sending is on
    consent, explanation = telemetry_consent.current_consent(application)
    if not consent.enabled:  # stored for later, but something outranks it: no id while telemetry is off
        telemetry_consent.report_consent(application, record, accepted, local)
        telemetry_consent.warn(
            f"config.yaml now says on, but telemetry stays {explanation}; no anonymous id was created"
        )
        return
    identity = ensure_identity(application.paths)
    typer.echo("Telemetry is on. Thank you: it tells us which commands and bundled workflows are used and fail.")
    typer.echo(f"Anonymous id: {identity.distinct_id} (random; delete it any time with `archon telemetry clear`)")
    typer.echo(
        "Sent: archon's own command and workflow names, exit codes, durations, error class names, and archon's "
        "version, OS, CPU architecture and Python version. Never paths, arguments, your workflow names, prompts, "
        "output, error messages, environment values or hostnames."
    )
    typer.echo(f"See exactly what is sent: {INSPECT_HINT}")
    typer.echo(f"Turn it off:              {DISABLE_HINT}")
    typer.echo(f"Policy:                   {POLICY_URL}")
    telemetry_consent.report_consent(application, record, accepted, local)
    if not application.build.key_embedded:
        telemetry_consent.warn("this is a development build with no telemetry key embedded, so nothing will be sent")


@app.command("off")
def off(ctx: typer.Context) -> None:
    """Turn telemetry off: write telemetry.enabled: false, delete the consent record and the events not yet sent.
    Keeps the id."""
    from archon.telemetry.identity import read_identity  # startup time: see the top of this module

    application = get_app(ctx)
    if telemetry_consent.leave_untrusted_home_alone(application, command="off"):
        return
    try:
        telemetry_consent.write_mode(application, enabled=False, local_only=False)
    finally:
        deleted, local, had_record = telemetry_consent.withdraw(application)
    typer.echo(f"Telemetry is off. Deleted {deleted} pending event(s) that had not been sent.")
    if had_record:
        typer.echo("Deleted the consent record: nothing is recorded again until `archon telemetry on`.")
    if local:
        typer.echo(f"Deleted {local} event(s) kept in local-only mode; they were never sent.")
    if read_identity(application.paths) is not None:
        typer.echo("Your anonymous id was kept; `archon telemetry clear` deletes it.")
    reason = _overridden(application, wanted="off")
    if reason is not None:
        telemetry_consent.warn(f"config.yaml now says off, but telemetry stays {reason}")


@app.command("local")
def local(ctx: typer.Context) -> None:
    """Local-only mode: record events on this machine, where `archon telemetry inspect` shows them, and never send
    them. Deletes the consent record and the events not yet sent."""
    application = get_app(ctx)
    if telemetry_consent.leave_untrusted_home_alone(application, command="local"):
        return
    try:
        telemetry_consent.write_mode(application, enabled=False, local_only=True)
    finally:
        deleted, _, had_record = telemetry_consent.withdraw(application)
    typer.echo(
        f"Telemetry is local-only: events are kept in {application.paths.local_events} and never sent, not even "
        "after `archon telemetry on`. No sender is started; nothing touches the network."
    )
    typer.echo(f"See what would be collected: {INSPECT_HINT}")
    typer.echo(f"Deleted {deleted} pending event(s) that had not been sent.")
    if had_record:
        typer.echo("Deleted the consent record; `archon telemetry on` records consent again, to its version's policy.")
    reason = _overridden(application, wanted="local")
    if reason is not None:
        telemetry_consent.warn(f"config.yaml now says local-only, but telemetry stays {reason}")


@app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show whether telemetry is on and why, the anonymous id, the last event and what is waiting to be sent."""
    import json  # startup time: see the top of this module

    from archon.cli.telemetry_status import status_json, status_lines
    from archon.telemetry.status import telemetry_status

    application = get_app(ctx)
    result = telemetry_status(runtime=application.runtime, paths=application.paths, build=application.build)
    now = application.runtime.now()
    if as_json:
        typer.echo(json.dumps(status_json(result, now), indent=2))
        return
    typer.echo("\n".join(status_lines(result, now)))


@app.command("inspect")
def inspect(ctx: typer.Context) -> None:
    """Print the last 10 events exactly as sent or queued, as JSON. Sends nothing."""
    import json  # startup time: see the top of this module

    from archon.telemetry.status import recent_events

    events = recent_events(get_app(ctx).paths, limit=INSPECT_LIMIT)
    typer.echo(json.dumps({"events": events}, indent=2))


@app.command("clear")
def clear(
    ctx: typer.Context,
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also remove the consent record, the sent log, the counters and every other telemetry file "
            "(config.yaml stays), and print the removed id.",
        ),
    ] = False,
) -> None:
    """Delete the anonymous id and the events not yet sent under it. Consent is unchanged; if telemetry is on,
    the next event gets a new random id. With --all: every telemetry file but config.yaml."""
    from archon.telemetry.identity import delete_identity  # startup time: see the top of this module
    from archon.telemetry.outbox.store import Outbox
    from archon.telemetry.prepared import forget_prepared

    application = get_app(ctx)
    if telemetry_consent.leave_untrusted_home_alone(application, command="clear"):
        return
    if everything:
        telemetry_consent.clear_all(application)
        return
    # Pending events carry the old id: sent later, they would arrive next to (often in one request with) events
    # under the new id and link the two. The id goes first, so a run still going (which checks the id file before
    # each event) records under a new id from now on, and whatever it queued before is deleted here.
    try:
        had_identity = delete_identity(application.paths)
        forget_prepared(application.paths)  # a run's own events, serialised ahead with the old id in them
    finally:
        deleted = Outbox(application.paths).clear()
    if had_identity:
        typer.echo(
            "Deleted the anonymous id. Events recorded from now on use a new random id, unlinked to the old one."
        )
    else:
        typer.echo("There was no anonymous id to delete.")
    typer.echo(f"Deleted {deleted} pending event(s) that had not been sent.")
    typer.echo(f"Telemetry itself is unchanged ({telemetry_consent.current_consent(application)[1]}).")


@app.command("policy")
def policy(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the policy as JSON, with its hash.")] = False,
) -> None:
    """Print everything this archon can send: each event and property, its type, its values and why, with the
    policy's hash and link. Offline; records nothing."""
    import json  # startup time: see the top of this module

    from archon.cli.telemetry_policy import policy_document, policy_text

    document = policy_document(ctx.find_root().command)
    typer.echo(json.dumps(document, indent=2) if as_json else policy_text(document))
