"""Named runs of the real assistant CLIs against the scripted fake model: what the e2e tests assert on and what
``tests/support/record_transcripts.py`` records for the unit tests of archon's stream parsers.

A scenario sets up the lab (files, script), runs the pinned CLI one or more times (a resumed session is two runs)
and returns the runs; the caller inspects them, the lab's files and the requests the fake received.
"""

from __future__ import annotations

from tests.support.scenarios.base import Scenario
from tests.support.scenarios.claude import CLAUDE_SCENARIOS
from tests.support.scenarios.codex import CODEX_SCENARIOS
from tests.support.scenarios.result import ScenarioResult, run_scenario

__all__ = ["ALL_SCENARIOS", "CLAUDE_SCENARIOS", "CODEX_SCENARIOS", "Scenario", "ScenarioResult", "run_scenario"]

ALL_SCENARIOS: dict[str, dict[str, Scenario]] = {"claude": CLAUDE_SCENARIOS, "codex": CODEX_SCENARIOS}
