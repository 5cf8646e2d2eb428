"""The committed transcripts (tests/workflows/transcripts/, read by the unit tests of archon's stream parsers) still
describe what the pinned CLIs do: every scenario is run again and its events must have the committed shape (the
same event kinds in the same order, each with the same keys). A CLI upgrade that changes its protocol fails here;
rerun ``python -m tests.support.record_transcripts`` and review the diff."""

from __future__ import annotations

import pytest

from tests.e2e.assistants.conftest import ScenarioResults
from tests.support.assistant_clis import CliName, pinned_version
from tests.support.scenarios import ALL_SCENARIOS
from tests.support.transcripts import TRANSCRIPTS, read, shape

pytestmark = pytest.mark.slow

CASES = [(cli, name) for cli, scenarios in ALL_SCENARIOS.items() for name in scenarios]


@pytest.mark.parametrize(("cli", "scenario"), CASES, ids=[f"{cli}-{name}" for cli, name in CASES])
def test_a_fresh_run_has_the_committed_shape(scenarios: ScenarioResults, cli: CliName, scenario: str) -> None:
    outcome = scenarios.get(cli, scenario)
    unstable = outcome.scenario.unstable
    for fresh in outcome.transcripts:
        committed = read(TRANSCRIPTS / cli, fresh.name)
        assert committed.meta["version"] == pinned_version(cli), "recorded on another version: record again"
        assert committed.meta["exit_code"] == fresh.meta["exit_code"]
        assert committed.meta["argv"] == fresh.meta["argv"]
        assert shape(fresh.events(), unstable=unstable) == shape(committed.events(), unstable=unstable)


def test_every_committed_transcript_belongs_to_a_scenario() -> None:
    for cli, scenarios in ALL_SCENARIOS.items():
        for path in (TRANSCRIPTS / cli).glob("*.jsonl"):
            stem = path.name.removesuffix(".jsonl")
            assert stem in scenarios or stem.rsplit("-", 1)[0] in scenarios, f"{path} has no scenario"
        for name in scenarios:
            assert (TRANSCRIPTS / cli / f"{name}.jsonl").exists() or (TRANSCRIPTS / cli / f"{name}-1.jsonl").exists()
