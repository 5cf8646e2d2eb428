"""Every sentence archon says about telemetry: consent, the first-run notice, why nothing is sent.

The library (``archon.telemetry``) returns values (``Consent``, ``TelemetryStatus``); this module words them, so a
message changes here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable

from archon.buildinfo import BuildInfo
from archon.config import ConfigState
from archon.telemetry.consent import ConfigSetting, Consent, ConsentProblem, ConsentSource, config_setting
from archon.telemetry.first_run import POLICY_URL

__all__ = [
    "DISABLE_HINT",
    "INSPECT_HINT",
    "KEY_EMBEDDED",
    "KEY_NONE",
    "NOT_SENDING",
    "consent_explanation",
    "consent_problem",
    "consent_reason",
    "first_run_notice",
]

DISABLE_HINT = "archon telemetry off (or set DO_NOT_TRACK=1, which always wins)"
INSPECT_HINT = "archon telemetry inspect"
KEY_EMBEDDED = "embedded at build time"
KEY_NONE = "none: development build"
NOT_SENDING = {
    "off": "telemetry is off",
    "no-key": "this is a development build with no telemetry key embedded, so nothing can be sent",
    "debug-preview": "ARCHON_TELEMETRY_DEBUG is set: events are printed to stderr instead of being sent",
}

_CONFIG_NOTE = {
    ConfigSetting.ON: "config.yaml (enabled)",
    ConfigSetting.OFF: "config.yaml (disabled)",
    ConfigSetting.UNSET: "config.yaml (not set)",
    ConfigSetting.INVALID: "config.yaml (unreadable or invalid)",
}


def consent_explanation(consent: Consent, config: ConfigState) -> str:
    """One line: on or off, and which rule decided (``config`` is what config.yaml says now)."""
    return f"{'on' if consent.enabled else 'off'}: {consent_reason(consent, config)}"


def consent_reason(consent: Consent, config: ConfigState) -> str:  # noqa: PLR0911 - one sentence per rule
    """Which rule decided, and what it overrides."""
    overrides = f"which overrides {_CONFIG_NOTE[config_setting(config)]}"
    match consent.source:
        case ConsentSource.DO_NOT_TRACK:
            return f"DO_NOT_TRACK is set, {overrides}"
        case ConsentSource.ARCHON_TELEMETRY_DISABLED:
            return f"ARCHON_TELEMETRY_DISABLED is set, {overrides}"
        case ConsentSource.ARCHON_TELEMETRY if consent.problem is not None:
            return "ARCHON_TELEMETRY has a value that was not understood"
        case ConsentSource.ARCHON_TELEMETRY:
            return f"ARCHON_TELEMETRY={(consent.value or '').strip().lower()}, {overrides}"
        case ConsentSource.CONFIG if consent.problem is not None:
            return "config.yaml could not be understood, so telemetry stays off"
        case ConsentSource.CONFIG:
            return f"telemetry.enabled is {str(consent.enabled).lower()} in config.yaml"
        case ConsentSource.ARCHON_HOME:
            return "the archon home is not yours alone, so archon never uses it for telemetry"
        case _:
            return "telemetry is off by default; `archon telemetry on` opts in"


def consent_problem(consent: Consent) -> str | None:
    """What was not understood, and what archon did about it; None when everything was understood."""
    match consent.problem:
        case None:
            return None
        case ConsentProblem.UNTRUSTED_HOME:
            where = consent.untrusted.describe() if consent.untrusted is not None else "the archon home is not yours"
            return (
                f"{where}: archon neither reads telemetry files there nor writes any (set ARCHON_HOME to a "
                "directory of your own, or fix the owner and mode)"
            )
        case ConsentProblem.CONFIG_UNUSABLE:
            described = consent.config.describe_problem() if consent.config is not None else None
            return f"config.yaml could not be read: {described or 'unknown problem'}"
        case ConsentProblem.VALUE_NOT_UNDERSTOOD if consent.source is ConsentSource.ARCHON_TELEMETRY_DISABLED:
            return (
                f"ARCHON_TELEMETRY_DISABLED={consent.value!r} was not understood (use 1 to disable); "
                "treated as disabled"
            )
        case ConsentProblem.VALUE_NOT_UNDERSTOOD if consent.source is ConsentSource.ARCHON_TELEMETRY:
            return f"ARCHON_TELEMETRY={consent.value!r} was not understood (use on or off); treated as off"
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
