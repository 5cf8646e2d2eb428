"""``archon version``: what this build is. Never prints the telemetry key."""

from __future__ import annotations

import typer

from archon.buildinfo import BuildInfo
from archon.cli.context import get_app

__all__ = ["render_version", "version"]


def render_version(build: BuildInfo) -> str:
    key = "embedded" if build.key_embedded else "none (development build)"
    return "\n".join(
        [
            f"archon {build.version}",
            f"Platform: {build.platform}-{build.arch}",
            f"Build: {'binary' if build.is_binary else 'source'}",
            f"Install method: {build.install_method}",
            f"Git commit: {build.git_commit}",
            f"Python: {build.python_version}",
            f"Telemetry key: {key}",
        ]
    )


def version(ctx: typer.Context) -> None:
    """Show the archon version, platform, build kind and commit, and whether a telemetry key is embedded."""
    typer.echo(render_version(get_app(ctx).build))
