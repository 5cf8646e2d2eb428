"""The consent side of ``archon telemetry``: writing the mode, recording and withdrawing consent, the full reset,
and how ``status`` shows the consent record. Loaded by every run (through ``archon.cli.telemetry``), so what only
some commands need is imported inside them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from archon.cli.context import Application
from archon.cli.telemetry_words import addition_text, consent_explanation, consent_record_line, deletion_request_lines
from archon.config import REMOVE, read_config, set_config_values
from archon.errors import ConfigError
from archon.private_files import untrusted_home
from archon.telemetry.consent import CONFIG_ENABLED_KEY, CONFIG_LOCAL_ONLY_KEY, Consent, resolve_consent

if TYPE_CHECKING:
    from archon.telemetry.consent_record import ConsentRecord
    from archon.telemetry.consented_policy import Addition
    from archon.telemetry.status import TelemetryStatus

__all__ = [
    "clear_all",
    "clear_local",
    "consent_lines",
    "current_consent",
    "leave_untrusted_home_alone",
    "record_consent",
    "record_json",
    "report_consent",
    "warn",
    "withdraw",
    "write_mode",
]


def warn(message: str) -> None:
    typer.echo(f"archon: warning: {message}", err=True)


def current_consent(application: Application) -> tuple[Consent, str]:
    """The decision now, and its explanation."""
    paths = application.paths
    config = read_config(paths.config)
    consent = resolve_consent(application.runtime.env, lambda: config, home_trust=lambda: untrusted_home(paths))
    return consent, consent_explanation(consent, config)


def leave_untrusted_home_alone(application: Application, *, command: str) -> bool:
    """In a home that is not the user's own, say so and touch nothing there (True); else False."""
    untrusted = untrusted_home(application.paths)
    if untrusted is None:
        return False
    typer.echo(f"Telemetry is off: {untrusted.describe()}, so archon never uses it for telemetry.")
    typer.echo(f"`archon telemetry {command}` changed nothing there: archon writes and deletes nothing in it.")
    return True


def write_mode(application: Application, *, enabled: bool, local_only: bool) -> None:
    """``telemetry.enabled`` and ``telemetry.local_only`` in one atomic write (``local_only`` is written only when
    true, and removed otherwise: an archon without local mode reads ``enabled`` alone)."""
    set_config_values(
        application.paths.config,
        {CONFIG_ENABLED_KEY: enabled, CONFIG_LOCAL_ONLY_KEY: True if local_only else REMOVE},
    )


def withdraw(application: Application) -> tuple[int, int, bool]:
    """Delete what consent allowed to wait for sending, and the consent itself: pending events, local-only
    events, the consent record. Returns their counts (and whether there was a record)."""
    from archon.telemetry.consent_record import delete_consent_record  # startup time: see the top of this module
    from archon.telemetry.outbox.local_events import LocalEvents
    from archon.telemetry.outbox.store import Outbox
    from archon.telemetry.prepared import forget_prepared

    paths = application.paths
    try:
        had_record = delete_consent_record(paths)
        forget_prepared(paths)  # made for recording with this consent, and holding the anonymous id
    finally:
        pending = Outbox(paths).clear()
        local = LocalEvents(paths).clear()
    return pending, local, had_record


def record_consent(application: Application) -> tuple[list[Addition], ConsentRecord]:
    """Write the consent record for this build's policy; what it accepts beyond the previous record."""
    from archon.telemetry.consent_record import (  # startup time: see the top of this module
        new_consent_record,
        read_consent_record,
        write_consent_record,
    )
    from archon.telemetry.consented_policy import ConsentedPolicy
    from archon.telemetry.policy import build_policy

    paths = application.paths
    policy = build_policy()
    previous = read_consent_record(paths).record
    accepted = ConsentedPolicy(build=policy, consented=previous.policy).additions if previous else []
    record = new_consent_record(policy=policy, build=application.build, now=application.runtime.now(), how="command")
    try:
        write_consent_record(paths, record)
    except OSError as exc:
        raise ConfigError(f"cannot write {paths.consent_record}: {exc.strerror or exc}") from exc
    return accepted, record


def report_consent(application: Application, record: ConsentRecord, accepted: list[Addition], local: int) -> None:
    """What ``on`` says about the record it wrote, and about the ``local`` local-only events it deleted."""
    typer.echo(
        f"Consent recorded in {application.paths.consent_record}: this version's policy, {record.policy_hash} "
        "(`archon telemetry policy` shows it). A later version sends nothing more until you run this again."
    )
    for addition in accepted:
        typer.echo(f"  This accepts what this version adds: {addition_text(addition)}")
    if local:
        typer.echo(f"Deleted {local} event(s) kept in local-only mode; they were never sent, and never will be.")


def clear_local(application: Application) -> int:
    from archon.telemetry.outbox.local_events import LocalEvents  # startup time: see the top of this module

    return LocalEvents(application.paths).clear()


def consent_lines(status: TelemetryStatus) -> list[str]:
    record = status.record.record
    if status.consent.enabled and status.consent.source == "ARCHON_TELEMETRY":
        covers = "this version's policy, for each process ARCHON_TELEMETRY=on is set in (nothing is written)"
        lines = [f"Consent:      through ARCHON_TELEMETRY=on: {covers}"]
    elif record is not None:
        lines = [f"Consent:      {consent_record_line(record)}"]
    elif status.record.problem is not None:
        lines = [f"Consent:      the consent record is {status.record.problem}, so it counts as none"]
    else:
        lines = ["Consent:      no consent record"]
    lines.append(f"Policy hash:  {status.policy_hash} (this version: `archon telemetry policy`)")
    lines += [f"Not consented: {addition_text(addition)}, which is not recorded" for addition in status.additions]
    return lines


def record_json(status: TelemetryStatus) -> dict[str, object] | None:
    record = status.record.record
    if record is None:
        return None
    return {
        "consented_at": record.consented_at,
        "how": str(record.how),
        "archon_version": record.archon_version,
        "policy_hash": record.policy_hash,
        "hash_matches_policy": record.hash_matches(),
    }


def clear_all(application: Application) -> None:
    from archon.telemetry.reset import reset_telemetry  # startup time: see the top of this module

    report = reset_telemetry(application.paths)
    for line in deletion_request_lines(report):
        typer.echo(line)
    typer.echo(
        f"Deleted {report.pending} pending event(s), {report.local} local-only event(s), "
        f"{'the consent record, ' if report.had_record else ''}the sent log and the delivery counters: "
        f"no telemetry file is left but {application.paths.config.name}."
    )
    consent, explanation = current_consent(application)
    if consent.enabled and consent.source == "config":
        typer.echo(
            "config.yaml still says on, but with the consent record gone nothing is recorded until you run "
            "`archon telemetry on` again; `archon telemetry off` turns it off."
        )
    else:
        typer.echo(f"Telemetry itself is unchanged ({explanation}).")
    if report.sender_was_running:
        warn("a sender was still running; run `archon telemetry clear --all` again once it has finished")
