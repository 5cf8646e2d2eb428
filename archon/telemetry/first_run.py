"""The first-run marker: whether archon has told this user about telemetry yet.

Only the marker file lives here; the notice's words are ``archon.cli``'s, which prints them to stderr, once.
"""

from __future__ import annotations

from archon.paths import ArchonPaths
from archon.private_files import untrusted_directory, write_atomic

__all__ = ["POLICY_URL", "mark_first_run_done", "needs_first_run_notice"]

POLICY_URL = "https://github.com/archon-cli/archon/blob/main/docs/telemetry.md"
"""The telemetry policy (docs/telemetry.md); the same URL is ``[project.urls] Telemetry`` in pyproject.toml."""


def needs_first_run_notice(paths: ArchonPaths) -> bool:
    """True until the first-run marker exists. Any error reading it counts as "already shown"."""
    try:
        return not paths.first_run_marker.exists()
    except OSError:
        return False


def mark_first_run_done(paths: ArchonPaths) -> bool:
    """Write the first-run marker so the notice is never shown again. False (never raises) if it cannot, or if the
    home is not the user's own (archon writes nothing there: the notice is shown again next time)."""
    if untrusted_directory(paths.home, follow_symlink=True) is not None:
        return False
    try:
        write_atomic(paths.first_run_marker, b"")
    except OSError:
        return False
    return True
