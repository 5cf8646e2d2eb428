"""``archon version``: what this build is, how it was installed and how to upgrade it. Never prints the telemetry
key, and never looks for a newer version: archon does not call home for that."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from archon.buildinfo import BuildInfo
from archon.cli.context import get_app

if TYPE_CHECKING:  # archon.install_channel is loaded only by `version` and `--version` (see pyproject's TID253)
    from archon.install_channel import Installation, InstallChannel

__all__ = ["INSTALL_PS1_URL", "INSTALL_SH_URL", "render_version", "upgrade_hint", "version"]

RELEASES_URL = "https://github.com/archon-cli/archon/releases"
INSTALL_SH_URL = f"{RELEASES_URL}/latest/download/install.sh"
INSTALL_PS1_URL = f"{RELEASES_URL}/latest/download/install.ps1"


def _installer_command(platform: str) -> str:
    if platform == "win32":
        return f'powershell -ExecutionPolicy ByPass -c "irm {INSTALL_PS1_URL} | iex"'
    return f"curl -fsSL {INSTALL_SH_URL} | sh"


def upgrade_hint(installation: Installation, platform: str) -> str:
    """The command that upgrades this archon, for its install channel."""
    installer = _installer_command(platform)
    hints: dict[InstallChannel, str] = {
        "pip": "pip install --upgrade archon-cli",
        "pipx": "pipx upgrade archon-cli",
        "uv": "uv tool upgrade archon-cli" if installation.tool_environment else "uv pip install --upgrade archon-cli",
        "homebrew": "brew upgrade archon",
        "curl": f"re-run the installer: {installer}",
        "binary": f"download the new release from {RELEASES_URL}, or use the installer: {installer}",
        "source": "this is a development build: update your checkout (git pull)",
    }
    return hints[installation.channel]


def render_version(build: BuildInfo, installation: Installation | None = None) -> str:
    """The text of ``archon version`` (and ``archon --version``); ``installation`` defaults to this process's."""
    from archon.install_channel import current_installation

    installation = installation or current_installation(build)
    key = "embedded" if build.key_embedded else "none (development build)"
    return "\n".join(
        [
            f"archon {build.version}",
            f"Platform: {build.platform}-{build.arch}",
            f"Build: {'binary' if build.is_binary else 'source'}",
            f"Install method: {installation.channel}",
            f"Upgrade: {upgrade_hint(installation, build.platform)}",
            f"Git commit: {build.git_commit}",
            f"Python: {build.python_version}",
            f"Telemetry key: {key}",
        ]
    )


def version(ctx: typer.Context) -> None:
    """Show the archon version, platform, build kind, commit, how it was installed and how to upgrade it, and
    whether a telemetry key is embedded."""
    typer.echo(render_version(get_app(ctx).build))
