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
from tests.support.shared_tmp import SHARED_TMP, cli_traces
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


@pytest.fixture(scope="session", autouse=True)
def shared_tmp_left_as_found() -> Iterator[None]:
    """The whole session of real-CLI tests leaves /tmp as it found it: none of the entries the CLIs are known to make
    there (:mod:`tests.support.shared_tmp`) is new at the end. The lab's own codex runs keep out of /tmp by their
    configuration, archon's runs by what archon tells codex; both run with a TMPDIR of their own. Fails the session
    (an error at the last test's teardown) and names what was left."""
    before = cli_traces()
    yield
    left = sorted(name for name, _ in cli_traces() - before)
    assert not left, f"the real CLIs left these in {SHARED_TMP} during this session: {left}"
