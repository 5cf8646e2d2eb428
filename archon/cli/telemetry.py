"""``archon telemetry``: on, off, status, inspect, clear, policy."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="Opt-in, anonymous usage telemetry: turn it on or off, see what is sent.", no_args_is_help=True)
