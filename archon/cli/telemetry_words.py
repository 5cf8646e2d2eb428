"""Every sentence archon says about telemetry: consent, the first-run notice, why nothing is sent.

The library (``archon.telemetry``) returns values (``Consent``, ``TelemetryStatus``); this module words them, so a
message changes here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from archon.buildinfo import BuildInfo
from archon.config import ConfigState
from archon.telemetry.consent import Consent, config_setting
from archon.telemetry.first_run import POLICY_URL

if TYPE_CHECKING:  # loaded only by the commands and runs that word them
    from archon.telemetry.consent_record import ConsentRecord, RecordState
    from archon.telemetry.consented_policy import Addition
    from archon.telemetry.recorder import PolicyNotice
    from archon.telemetry.reset import ResetReport

__all__ = [
    "DISABLE_HINT",
    "INSPECT_HINT",
    "KEY_EMBEDDED",
    "KEY_NONE",
    "NOT_SENDING",
    "RULE_MEANINGS",
    "addition_text",
    "consent_explanation",
    "consent_problem",
    "consent_reason",
    "consent_record_line",
    "deletion_request_lines",
    "first_run_notice",
    "policy_notice",
]

DELETION_URL = f"{POLICY_URL}#deleting-what-was-sent"

DISABLE_HINT = "archon telemetry off (or set DO_NOT_TRACK=1, which always wins)"
INSPECT_HINT = "archon telemetry inspect"
KEY_EMBEDDED = "embedded at build time"
KEY_NONE = "none: development build"
NOT_SENDING = {
    "off": "telemetry is off",
    "local-only": "local-only mode: events are kept on this machine and never sent",
    "no-consent-record": (
        "telemetry is on in config.yaml, but there is no consent record, so nothing is recorded; "
        "`archon telemetry on` records your consent to this version's policy"
    ),
    "no-key": "this is a development build with no telemetry key embedded, so nothing can be sent",
    "debug-preview": "ARCHON_TELEMETRY_DEBUG is set: events are printed to stderr instead of being sent",
}

_CONFIG_NOTE = {
    "on": "config.yaml (enabled)",
    "off": "config.yaml (disabled)",
    "local": "config.yaml (local-only)",
    "unset": "config.yaml (not set)",
    "invalid": "config.yaml (unreadable or invalid)",
}


def consent_explanation(consent: Consent, config: ConfigState) -> str:
    """One line: on, off or local-only, and which rule decided (``config`` is what config.yaml says now)."""
    state = "local-only" if consent.local_only else "on" if consent.enabled else "off"
    return f"{state}: {consent_reason(consent, config)}"


def consent_reason(consent: Consent, config: ConfigState) -> str:  # noqa: PLR0911 - one sentence per rule
    """Which rule decided, and what it overrides."""
    overrides = f"which overrides {_CONFIG_NOTE[config_setting(config)]}"
    match consent.source:
        case "DO_NOT_TRACK":
            return f"DO_NOT_TRACK is set, {overrides}"
        case "ARCHON_TELEMETRY_DISABLED":
            return f"ARCHON_TELEMETRY_DISABLED is set, {overrides}"
        case "ARCHON_TELEMETRY" if consent.problem is not None:
            return "ARCHON_TELEMETRY has a value that was not understood"
        case "ARCHON_TELEMETRY":
            return f"ARCHON_TELEMETRY={(consent.value or '').strip().lower()}, {overrides}"
        case "config" if consent.local_only:
            return "telemetry.local_only is true in config.yaml: events are kept on this machine, never sent"
        case "config" if consent.problem is not None:
            return "config.yaml could not be understood, so telemetry stays off"
        case "config":
            return f"telemetry.enabled is {str(consent.enabled).lower()} in config.yaml"
        case "archon-home":
            return "the archon home is not yours alone, so archon never uses it for telemetry"
        case _:
            return "telemetry is off by default; `archon telemetry on` opts in"


def consent_problem(consent: Consent) -> str | None:  # noqa: PLR0911 - one sentence per problem
    """What was not understood, and what archon did about it; None when everything was understood."""
    match consent.problem:
        case None:
            return None
        case "untrusted-home":
            where = consent.untrusted.describe() if consent.untrusted is not None else "the archon home is not yours"
            return (
                f"{where}: archon neither reads telemetry files there nor writes any (set ARCHON_HOME to a "
                "directory of your own, or fix the owner and mode)"
            )
        case "config-unusable":
            described = consent.config.describe_problem() if consent.config is not None else None
            return f"config.yaml could not be read: {described or 'unknown problem'}"
        case "value-not-understood" if consent.source == "ARCHON_TELEMETRY_DISABLED":
            return (
                f"ARCHON_TELEMETRY_DISABLED={consent.value!r} was not understood (use 1 to disable); "
                "treated as disabled"
            )
        case "value-not-understood" if consent.source == "ARCHON_TELEMETRY":
            return f"ARCHON_TELEMETRY={consent.value!r} was not understood (use on or off); treated as off"
        case "local-only-wins":
            return (
                "telemetry.enabled is true but so is telemetry.local_only (an older archon's `telemetry on`?): "
                "local-only, which never sends, wins; `archon telemetry on` turns sending on"
            )
        case "local-only-not-understood":
            path = consent.config.path if consent.config is not None else "config.yaml"
            return f"telemetry.local_only in {path} must be true or false, not {consent.value}; treated as off"
        case _:
            path = consent.config.path if consent.config is not None else "config.yaml"
            return f"telemetry.enabled in {path} must be true or false, not {consent.value}"


def first_run_notice(*, consent: Consent, config: Callable[[], ConfigState], build: BuildInfo) -> str:
    """The notice for this user's situation: always says whether anything is being sent, and how to change it.

    ``config`` is read only to say what telemetry that is on overrides: an opt-out never opens config.yaml.
    """
    if consent.enabled and build.key_embedded:
        state = f"Anonymous usage telemetry is ON ({consent_reason(consent, config())})."
    elif consent.enabled:
        state = "Anonymous usage telemetry is on, but this development build has no telemetry key: nothing is sent."
    elif consent.local_only and build.key_embedded:
        state = "Telemetry is LOCAL-ONLY: events are recorded on this machine (`archon telemetry inspect`), never sent."
    else:
        state = "archon can send anonymous usage telemetry. It is OFF: nothing is recorded or sent."
    lines = [
        f"archon: {state}",
        "  Turn it on:       archon telemetry on",
        "  Turn it off:      archon telemetry off   (or DO_NOT_TRACK=1, which always wins)",
        "  See what is sent: archon telemetry inspect, or ARCHON_TELEMETRY_DEBUG=1 to preview without sending",
        f"  What and why:     {POLICY_URL}",
        "This notice is shown once.",
    ]
    return "\n".join(lines)


RULE_MEANINGS = {
    "archon-command-name": "the name of one of archon's own commands or subcommands",
    "archon-bundled-workflow-name": "the name of a workflow shipped with this archon",
    "archon-error-class-name": "the name of an error class archon itself defines",
    "archon-function-name": "the bare name of a function in archon's own code (never a path or a line)",
    "archon-build-version": "this archon's version",
    "archon-build-commit": "the first 8 characters of the commit this archon was built from",
}
"""What each value rule of the policy admits (``archon telemetry policy``, docs/telemetry.md)."""


def addition_text(addition: Addition) -> str:
    """One thing this version would send beyond the consent, as a phrase."""
    place = f"`{addition.event}`" if addition.event else "every event"
    match addition.kind:
        case "event":
            return f"the event `{addition.event}`"
        case "property":
            return f"the property `{addition.prop}` on {place}"
        case "values":
            values = ", ".join(f"`{value}`" for value in addition.values)
            return f"the value(s) {values} of `{addition.prop}` on {place}"
        case "changed":
            return f"a new type or set of values for `{addition.prop}` on {place}"
        case "fixed":
            return f"a change to the privacy flag `{addition.prop}` on every event"
        case _:
            return "a policy format your consent record does not have"


def consent_record_line(record: ConsentRecord) -> str:
    """The consent record in one line (``status``)."""
    how = "with `archon telemetry on`" if record.how == "command" else "through ARCHON_TELEMETRY=on"
    checked = "" if record.hash_matches() else "; the hash no longer matches the policy in it (edited by hand?)"
    return f"given {record.consented_at} {how}, archon {record.archon_version}, policy {record.policy_hash}{checked}"


def _record_trouble(state: RecordState) -> str:
    if state.problem is None:
        return "there is no consent record"
    return f"the consent record could not be {'read' if state.problem == 'unreadable' else 'understood'}"


def policy_notice(notice: PolicyNotice, consent_path: object) -> str:
    """The one-time notice (stderr) that some of what this version would send is not recorded, and why."""
    record = notice.record.record
    if record is None:
        lines = [
            f"archon: telemetry is on in config.yaml, but {_record_trouble(notice.record)} ({consent_path}),",
            "  so nothing is recorded or sent. `archon telemetry on` records your consent to this version's policy",
            "  (`archon telemetry policy` shows it first).",
        ]
    else:
        lines = [
            f"archon: this version would also send what you have not consented to "
            f"(your consent of {record.consented_at} was to archon {record.archon_version}'s policy):",
            *(f"  - {addition_text(addition)}" for addition in notice.additions),
            "  None of it is recorded or sent. `archon telemetry on` accepts it; "
            "`archon telemetry policy` shows everything this version can send.",
        ]
    return "\n".join([*lines, "This notice is shown once."])


def deletion_request_lines(report: ResetReport) -> list[str]:
    """What ``clear --all`` says about the removed id and what was already sent under it."""
    if report.distinct_id is None:
        return ["There was no anonymous id to remove."]
    return [
        f"Removed the anonymous id {report.distinct_id}.",
        "Events already sent under it stay on the server for as long as the project's PostHog plan keeps them. To",
        f"have them deleted sooner, ask the project with that id (nothing else is needed): {DELETION_URL}",
    ]
