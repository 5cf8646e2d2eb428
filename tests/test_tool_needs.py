"""tests/support/tools.py, the way the suite uses it, in small pytest sessions of their own: a declared tool that is
missing skips (laptop) or fails (CI) before the test runs, unless the test is skipped anyway; require_tool fails a
test that does not declare its tool; fixtures and parameters declare too; --without-tools deselects;
--tool-needs-report says what a selection needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.artefacts import REPO_ROOT

CONFTEST = """
from tests.support.tools import (
    pytest_addoption, pytest_collection_finish, pytest_collection_modifyitems, pytest_configure,
    pytest_runtest_setup, pytest_runtest_teardown,
)
"""

TESTS = """
import sys
import pytest
from tests.support.tools import needs_tools, require_tool

@pytest.mark.needs_tool("no-such-tool-here")
def test_declares_a_missing_tool():
    raise AssertionError("never runs")

@pytest.mark.needs_tool("sh")
def test_declares_and_uses_sh():
    assert require_tool("sh").endswith("sh")

def test_uses_sh_without_declaring_it():
    require_tool("sh")

@pytest.mark.skipif(True, reason="not this platform")
@pytest.mark.needs_tool("no-such-tool-here")
def test_skipped_anyway():
    raise AssertionError("never runs")

@pytest.fixture
@needs_tools("sh")
def shell():
    return require_tool("sh")

def test_through_a_fixture(shell):
    assert shell

@pytest.mark.parametrize("tool", [pytest.param("sh", marks=pytest.mark.needs_tool("sh")), "plain"])
def test_parameters(tool):
    pass
"""


def session(tmp_path: Path, *args: str, ci: bool) -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    """Run the small suite; each test's outcome by name (``passed``, ``failed``, ``skipped``, ``error``)."""
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_it.py").write_text(TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    if ci:
        env["CI"] = "true"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *args, "test_it.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    outcomes: dict[str, str] = {}
    for line in result.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "SKIPPED", "ERROR") and "::" in rest:
            outcomes[rest.split("::", 1)[1].split(" ")[0]] = word.lower()
        elif word == "SKIPPED" and "test_it.py" in rest:  # SKIPPED [1] test_it.py:12: reason
            outcomes.setdefault(f"skipped-{len(outcomes)}", "skipped")
    return outcomes, result


def test_on_a_laptop_a_missing_declared_tool_skips_and_an_undeclared_use_fails(tmp_path: Path) -> None:
    outcomes, result = session(tmp_path, ci=False)
    assert outcomes["test_declares_and_uses_sh"] == "passed"
    assert outcomes["test_uses_sh_without_declaring_it"] == "failed"
    assert "uses 'sh' without declaring it: add @pytest.mark.needs_tool('sh')" in result.stdout
    assert outcomes["test_through_a_fixture"] == "passed"
    assert outcomes["test_parameters[sh]"] == outcomes["test_parameters[plain]"] == "passed"
    assert "2 skipped" in result.stdout  # the missing tool, and the test skipped anyway
    assert "no-such-tool-here is not installed" in result.stdout


def test_in_ci_a_missing_declared_tool_fails_but_a_skipped_test_stays_skipped(tmp_path: Path) -> None:
    outcomes, result = session(tmp_path, ci=True)
    assert outcomes["test_declares_a_missing_tool"] == "error"  # at setup, before the test body
    assert "no-such-tool-here is not installed" in result.stdout
    assert "never runs" not in result.stdout
    assert "1 skipped" in result.stdout  # test_skipped_anyway: its skipif wins, in CI too
    assert outcomes["test_declares_and_uses_sh"] == "passed"


def test_without_tools_deselects_every_test_that_needs_one(tmp_path: Path) -> None:
    outcomes, result = session(tmp_path, "--without-tools", "sh,no-such-tool-here", ci=True)
    assert result.returncode == 1  # only the undeclared use fails
    assert "5 deselected" in result.stdout
    assert set(outcomes) == {"test_uses_sh_without_declaring_it", "test_parameters[plain]"}


def test_the_report_lists_each_selected_tests_needs(tmp_path: Path) -> None:
    report = tmp_path / "needs.json"
    _, result = session(tmp_path, "--collect-only", "--tool-needs-report", str(report), ci=True)
    assert result.returncode == 0, result.stdout + result.stderr
    needs = json.loads(report.read_text(encoding="utf-8"))["tests"]
    assert needs["test_it.py::test_through_a_fixture"] == ["sh"]  # from the fixture's @needs_tools
    assert needs["test_it.py::test_parameters[sh]"] == ["sh"]
    assert needs["test_it.py::test_parameters[plain]"] == []
    assert needs["test_it.py::test_skipped_anyway"] == ["no-such-tool-here"]  # the check over-counts, never under


def test_a_name_that_is_not_a_tool_name_is_a_usage_error(tmp_path: Path) -> None:
    _, result = session(tmp_path, "--without-tools", "Caddy Server!", ci=False)
    assert result.returncode == 4
    assert "not a tool name" in result.stderr
