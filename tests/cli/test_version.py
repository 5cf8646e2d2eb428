from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archon.cli.app import app, run
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
