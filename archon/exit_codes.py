"""Every exit code archon uses, declared once. ``archon.errors`` and ``archon.cli`` take them from here."""

from __future__ import annotations

from typing import Final

__all__ = ["FAILURE", "INTERRUPTED", "OK", "TERMINATED", "USAGE"]

OK: Final = 0
FAILURE: Final = 1
"""The command failed (an ``ArchonError``, a failed workflow, an unexpected internal error)."""
USAGE: Final = 2
"""The command line or an input file was wrong: unknown option, bad value, invalid workflow."""
INTERRUPTED: Final = 130
"""Ctrl-C (128 + SIGINT)."""
TERMINATED: Final = 143
"""SIGTERM (128 + SIGTERM)."""
