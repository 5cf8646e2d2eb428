"""``archon telemetry``: on, off, status, inspect, clear, policy. See docs/telemetry.md."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from archon.cli.context import Application, get_app
from archon.cli.telemetry_words import (
    DISABLE_HINT,
    INSPECT_HINT,
    KEY_EMBEDDED,
    KEY_NONE,
    NOT_SENDING,
    consent_explanation,
    consent_problem,
)
from archon.config import read_config, set_config_value
from archon.errors import ConfigError
from archon.private_files import untrusted_home
from archon.telemetry.consent import CONFIG_ENABLED_KEY, Consent, resolve_consent
from archon.telemetry.first_run import POLICY_URL

if TYPE_CHECKING:
    from archon.telemetry.outbox.event_file import StoredEvent
    from archon.telemetry.status import TelemetryStatus

# The outbox, identity and status modules are imported inside the commands that use them: this module is loaded by
# every archon command (Typer needs the signatures below), and most commands never look at telemetry.

__all__ = ["INSPECT_LIMIT", "app"]

INSPECT_LIMIT = 10

app = typer.Typer(help="Opt-in, anonymous usage telemetry: turn it on or off, see what is sent.", no_args_is_help=True)


def _warn(message: str) -> None:
    typer.echo(f"archon: warning: {message}", err=True)


def _consent(application: Application) -> tuple[Consent, str]:
    """The decision now, and its explanation."""
    config = read_config(application.paths.config)
    paths = application.paths
    consent = resolve_consent(application.runtime.env, lambda: config, home_trust=lambda: untrusted_home(paths))
    return consent, consent_explanation(consent, config)


def _leave_untrusted_home_alone(application: Application, *, command: str) -> bool:
    """In a home that is not the user's own, say so and touch nothing there (True); else False."""
    untrusted = untrusted_home(application.paths)
    if untrusted is None:
        return False
    typer.echo(f"Telemetry is off: {untrusted.describe()}, so archon never uses it for telemetry.")
    typer.echo(f"`archon telemetry {command}` changed nothing there: archon writes and deletes nothing in it.")
    return True


def _overridden(application: Application, *, wanted: bool) -> str | None:
    """Why the setting just written does not decide, if something outranks config.yaml."""
    consent, explanation = _consent(application)
    return explanation if consent.enabled != wanted else None


@app.command("on")
def on(ctx: typer.Context) -> None:
    """Turn telemetry on: write telemetry.enabled: true to config.yaml and create the anonymous id."""
    from archon.telemetry.identity import ensure_identity  # startup time: see the top of this module

    application = get_app(ctx)
    untrusted = untrusted_home(application.paths)
    if untrusted is not None:  # nothing may be written there, the choice included
        raise ConfigError(f"{untrusted.describe()}, so archon writes nothing there (set ARCHON_HOME to your own)")
    set_config_value(application.paths.config, CONFIG_ENABLED_KEY, True)
    consent, explanation = _consent(application)
    if not consent.enabled:  # stored for later, but something outranks it: no id while telemetry is off
        _warn(f"config.yaml now says on, but telemetry stays {explanation}; no anonymous id was created")
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
    if not application.build.key_embedded:
        _warn("this is a development build with no telemetry key embedded, so nothing will be sent")


@app.command("off")
def off(ctx: typer.Context) -> None:
    """Turn telemetry off: write telemetry.enabled: false and delete events not yet sent. Keeps the id."""
    from archon.telemetry.identity import read_identity  # startup time: see the top of this module
    from archon.telemetry.outbox.store import Outbox

    application = get_app(ctx)
    if _leave_untrusted_home_alone(application, command="off"):
        return
    try:
        set_config_value(application.paths.config, CONFIG_ENABLED_KEY, False)
    finally:
        deleted = Outbox(application.paths).clear()
    typer.echo(f"Telemetry is off. Deleted {deleted} pending event(s) that had not been sent.")
    if read_identity(application.paths) is not None:
        typer.echo("Your anonymous id was kept; `archon telemetry clear` deletes it.")
    reason = _overridden(application, wanted=False)
    if reason is not None:
        _warn(f"config.yaml now says off, but telemetry stays {reason}")


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "unknown"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return f"{seconds} second{'s' if seconds != 1 else ''} ago"


def _age_seconds(event: StoredEvent, now: datetime) -> int | None:
    from archon.timestamps import parse_utc  # startup time: see the top of this module

    moment = parse_utc(event["timestamp"])
    return None if moment is None else max(0, math.floor((now - moment).total_seconds()))


def _last_event_line(status: TelemetryStatus, now: datetime) -> str:
    last = status.last_event
    if last is None:
        return "none"
    return f"{last['event']} at {last['timestamp']} ({_age(_age_seconds(last, now))})"


def _when(moment: datetime, now: datetime) -> str:
    from archon.timestamps import format_utc  # startup time: see the top of this module

    seconds = math.floor((now - moment).total_seconds())
    later = f"in {_age(-seconds).removesuffix(' ago')}" if seconds < 0 else _age(seconds)
    return f"{format_utc(moment)} ({later})"


def _delivery_lines(status: TelemetryStatus, now: datetime) -> list[str]:
    """The last delivery attempt: when, how it ended, what most likely caused a hold, and when the next may be."""
    from archon.cli.status_words import last_attempt_outcome, likely_cause  # startup time: see the top

    counters = status.counters
    outcome = last_attempt_outcome(counters)
    if counters.last_attempt_at is None or outcome is None:
        return ["Last attempt: none yet"]
    lines = [f"Last attempt: {_when(counters.last_attempt_at, now)}: {outcome}"]
    cause = likely_cause(counters)
    if cause is not None:
        lines.append(f"Likely cause: {cause}")
    if counters.next_attempt_at is not None and counters.next_attempt_at > now and status.pending:
        lines.append(f"Next attempt: not before {_when(counters.next_attempt_at, now)}")
    return lines


def _delivery_json(status: TelemetryStatus) -> dict[str, object]:
    from archon.cli.status_words import last_attempt_outcome, likely_cause  # startup time: see the top
    from archon.timestamps import format_utc

    counters = status.counters
    at, next_at = counters.last_attempt_at, counters.next_attempt_at
    return {
        "at": None if at is None else format_utc(at),
        "outcome": None if counters.last_outcome is None else str(counters.last_outcome),
        "http_status": counters.last_status,
        "error": counters.last_error,
        "dropped_invalid": counters.last_invalid,
        "described": last_attempt_outcome(counters),
        "likely_cause": likely_cause(counters),
        "next_attempt_at": None if next_at is None else format_utc(next_at),
    }


def _render_status(status: TelemetryStatus, now: datetime) -> list[str]:
    key = f"{status.build.key_prefix}... ({KEY_EMBEDDED})" if status.build.key_embedded else KEY_NONE
    identity = status.identity
    not_sending = status.not_sending_because
    lines = [
        f"Telemetry:    {consent_explanation(status.consent, status.config)}",
        f"Decided by:   {status.consent.source}",
    ]
    problem = consent_problem(status.consent)
    if problem:
        lines.append(f"Problem:      {problem}")
    lines += [
        f"Sending:      {'yes' if not_sending is None else f'no ({NOT_SENDING[not_sending]})'}",
        "Anonymous id: "
        + (f"{identity.distinct_id} (created {identity.created.date().isoformat()})" if identity else "none"),
        f"Host:         {status.build.posthog_host}",
        f"Key:          {key}",
        f"Last event:   {_last_event_line(status, now)}",
        *_delivery_lines(status, now),
        f"Pending:      {status.pending} event(s) held, not yet sent",
        f"Dropped:      {status.counters.dropped} event(s) (outbox full, or refused by the server as invalid)",
        f"Turn off:     {DISABLE_HINT}",
        f"Inspect:      {INSPECT_HINT}",
        f"Policy:       {POLICY_URL}",
    ]
    return lines


def _status_json(status: TelemetryStatus, now: datetime) -> dict[str, object]:
    """The ``--json`` shape (a contract test pins its keys)."""
    last = status.last_event
    not_sending = status.not_sending_because
    return {
        "enabled": status.consent.enabled,
        "sending": status.sending,
        "source": str(status.consent.source),
        "explanation": consent_explanation(status.consent, status.config),
        "problem": consent_problem(status.consent),
        "not_sending_because": None if not_sending is None else NOT_SENDING[not_sending],
        "anonymous_id": status.identity.distinct_id if status.identity else None,
        "anonymous_id_created": status.identity.created.isoformat(timespec="seconds") if status.identity else None,
        "host": status.build.posthog_host,
        "key": status.build.key_prefix or None,
        "key_status": KEY_EMBEDDED if status.build.key_embedded else KEY_NONE,
        "last_event": (
            {
                "event": last["event"],
                "timestamp": last["timestamp"],
                "age_seconds": _age_seconds(last, now),
            }
            if last
            else None
        ),
        "last_attempt": _delivery_json(status),
        "pending_events": status.pending,
        "dropped_events": status.counters.dropped,
        "debug_preview": status.debug,
        "disable": DISABLE_HINT,
        "inspect": INSPECT_HINT,
        "policy": POLICY_URL,
    }


@app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show whether telemetry is on and why, the anonymous id, the last event and what is waiting to be sent."""
    import json  # startup time: see the top of this module

    from archon.telemetry.status import telemetry_status

    application = get_app(ctx)
    result = telemetry_status(runtime=application.runtime, paths=application.paths, build=application.build)
    now = application.runtime.now()
    if as_json:
        typer.echo(json.dumps(_status_json(result, now), indent=2))
        return
    typer.echo("\n".join(_render_status(result, now)))


@app.command("inspect")
def inspect(ctx: typer.Context) -> None:
    """Print the last 10 events exactly as sent or queued, as JSON. Sends nothing."""
    import json  # startup time: see the top of this module

    from archon.telemetry.status import recent_events

    events = recent_events(get_app(ctx).paths, limit=INSPECT_LIMIT)
    typer.echo(json.dumps({"events": events}, indent=2))


@app.command("clear")
def clear(ctx: typer.Context) -> None:
    """Delete the anonymous id and the events not yet sent under it. Consent is unchanged; if telemetry is on,
    the next event gets a new random id."""
    from archon.telemetry.identity import delete_identity  # startup time: see the top of this module
    from archon.telemetry.outbox.store import Outbox

    application = get_app(ctx)
    if _leave_untrusted_home_alone(application, command="clear"):
        return
    # Pending events carry the old id: sent later, they would arrive next to (often in one request with) events
    # under the new id and link the two. The id goes first, so a run still going (which checks the id file before
    # each event) records under a new id from now on, and whatever it queued before is deleted here.
    try:
        had_identity = delete_identity(application.paths)
    finally:
        deleted = Outbox(application.paths).clear()
    if had_identity:
        typer.echo(
            "Deleted the anonymous id. Events recorded from now on use a new random id, unlinked to the old one."
        )
    else:
        typer.echo("There was no anonymous id to delete.")
    typer.echo(f"Deleted {deleted} pending event(s) that had not been sent.")
    typer.echo(f"Telemetry itself is unchanged ({_consent(application)[1]}).")


@app.command("policy")
def policy() -> None:
    """Print the link to the telemetry policy (what is sent, why, and how to turn it off)."""
    typer.echo(POLICY_URL)
