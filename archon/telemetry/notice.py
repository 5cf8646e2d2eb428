"""The first-run notice: what archon tells a new user about telemetry, once, without asking anything.

This module returns text and writes the marker; the CLI decides where to print (stderr, never stdout).
"""

from __future__ import annotations

from archon.buildinfo import BuildInfo
from archon.paths import ArchonPaths
from archon.telemetry.consent import Consent

__all__ = ["POLICY_URL", "first_run_notice", "mark_first_run_done", "needs_first_run_notice"]

POLICY_URL = "https://github.com/archon-cli/archon/blob/main/docs/telemetry.md"
"""The telemetry policy (docs/telemetry.md); the same URL is ``[project.urls] Telemetry`` in pyproject.toml."""


def needs_first_run_notice(paths: ArchonPaths) -> bool:
    """True until the first-run marker exists. Any error reading it counts as "already shown"."""
    try:
        return not paths.first_run_marker.exists()
    except OSError:
        return False


def first_run_notice(*, consent: Consent, build: BuildInfo) -> str:
    """The notice for this user's situation: always says whether anything is being sent, and how to change it."""
    if consent.enabled and build.key_embedded:
        state = f"Anonymous usage telemetry is ON ({consent.explanation.removeprefix('on: ')})."
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


def mark_first_run_done(paths: ArchonPaths) -> bool:
    """Write the first-run marker so the notice is never shown again. False (never raises) if it cannot."""
    from archon.atomic import write_atomic  # startup time: tempfile, needed on the first run only

    try:
        write_atomic(paths.first_run_marker, b"")
    except OSError:
        return False
    return True
