"""``archon workflow``: list, run, validate."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="List, validate and run workflows.", no_args_is_help=True)
