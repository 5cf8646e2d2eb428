"""Fixtures for the tests of the real assistant CLIs: a lab (network namespace, fake model APIs, throwaway home)
per test, and every scenario's result, run once per session and shared by the tests that look at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support.assistant_clis import CliName, require_assistant
from tests.support.assistant_lab import AssistantLab, assistant_lab
from tests.support.netns import namespaces_unavailable
from tests.support.scenarios import ALL_SCENARIOS, ScenarioResult, run_scenario
from tests.support.tools import needs_tools

LAB_TOOLS = ("root", "ip", "claude", "codex")
"""What every test of the real CLIs needs: a network namespace (root, iproute2) and both pinned CLIs."""


def require_namespaces() -> None:
    """Network namespaces need root: a laptop skips, CI (root) must run."""
    reason = namespaces_unavailable()
    if reason is not None:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
@needs_tools(*LAB_TOOLS)
def lab(tmp_path: Path) -> Iterator[AssistantLab]:
    """A fresh lab; the test fails if the fake model met a step it could not answer as scripted."""
    require_namespaces()
    with assistant_lab(tmp_path / "lab") as made:
        yield made
        problems = made.problems()
    assert not problems, f"the scripted model could not follow its script: {problems}"


class ScenarioResults:
    """Each scenario runs at most once per session, in a lab of its own, on first use."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._done: dict[tuple[str, str], ScenarioResult] = {}

    def get(self, cli: CliName, name: str) -> ScenarioResult:
        key = (cli, name)
        if key not in self._done:
            require_namespaces()
            require_assistant(cli)
            self._done[key] = run_scenario(ALL_SCENARIOS[cli][name], self._root / f"{cli}-{name}")
        result = self._done[key]
        assert not result.problems, f"the scripted model could not follow its script: {result.problems}"
        return result


@pytest.fixture(scope="session")
@needs_tools(*LAB_TOOLS)
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> ScenarioResults:
    return ScenarioResults(tmp_path_factory.mktemp("scenarios"))
