from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archon.cli.app import app, run
from archon.cli.version import INSTALL_PS1_URL, INSTALL_SH_URL, upgrade_hint
from archon.install_channel import INSTALL_CHANNELS, Installation
from archon.runtime import Runtime


def test_version_reports_a_development_build() -> None:
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "archon dev"
    assert "Build: source" in lines
    assert "Git commit: unknown" in lines
    assert "Telemetry key: none (development build)" in lines
    assert any(line.startswith("Platform: ") and "-" in line for line in lines)


def test_version_flag_matches_version_command() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).output == runner.invoke(app, ["version"]).output


@pytest.mark.parametrize("args", [["no-such-command"], ["version", "--no-such-flag"]])
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(args, runtime=Runtime.from_os()) == 2
    assert "Error" in capsys.readouterr().err


def test_python_dash_m_archon_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "archon", "version"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("archon dev\n")


def test_version_says_how_it_was_installed_and_how_to_upgrade() -> None:
    lines = CliRunner().invoke(app, ["version"]).output.splitlines()
    assert "Install method: source" in lines
    assert "Upgrade: this is a development build: update your checkout (git pull)" in lines


@pytest.mark.parametrize(
    ("installation", "platform", "hint"),
    [
        (Installation(channel="pip"), "linux", "pip install --upgrade archon-cli"),
        (Installation(channel="pipx", tool_environment=True), "linux", "pipx upgrade archon-cli"),
        (Installation(channel="uv", tool_environment=True), "darwin", "uv tool upgrade archon-cli"),
        (Installation(channel="uv"), "linux", "uv pip install --upgrade archon-cli"),
        (Installation(channel="homebrew"), "darwin", "brew upgrade archon"),
        (Installation(channel="curl"), "linux", f"re-run the installer: curl -fsSL {INSTALL_SH_URL} | sh"),
        (
            Installation(channel="curl"),
            "win32",
            f're-run the installer: powershell -ExecutionPolicy ByPass -c "irm {INSTALL_PS1_URL} | iex"',
        ),
        (Installation(channel="source"), "linux", "this is a development build: update your checkout (git pull)"),
    ],
)
def test_each_channel_has_its_upgrade_command(installation: Installation, platform: str, hint: str) -> None:
    assert upgrade_hint(installation, platform) == hint


def test_every_channel_has_an_upgrade_hint() -> None:
    for channel in INSTALL_CHANNELS:
        assert upgrade_hint(Installation(channel=channel), "linux")


def test_the_installer_urls_are_the_release_assets_release_yml_attaches() -> None:
    assert INSTALL_SH_URL == "https://github.com/archon-cli/archon/releases/latest/download/install.sh"
    assert INSTALL_PS1_URL == "https://github.com/archon-cli/archon/releases/latest/download/install.ps1"
