"""Run one scenario in a lab of its own and keep everything a test may look at once the lab is gone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.assistant_clis import pinned_version
from tests.support.assistant_lab import assistant_lab
from tests.support.cli_process import CliRun
from tests.support.model_api import RecordedRequest, ScriptProblem
from tests.support.scenarios.base import Scenario
from tests.support.transcripts import Transcript, capture

__all__ = ["ScenarioResult", "run_scenario"]

_MAX_FILE = 64 * 1024


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    runs: tuple[CliRun, ...]
    requests: tuple[RecordedRequest, ...]
    problems: tuple[ScriptProblem, ...]
    files: dict[str, str]
    """The work tree's files after the runs (``.git`` left out), by path relative to it."""
    dns_questions: tuple[tuple[str, str], ...]
    transcripts: tuple[Transcript, ...]

    @property
    def run(self) -> CliRun:
        """The only run (most scenarios have one)."""
        (only,) = self.runs
        return only

    def api_requests(self) -> list[RecordedRequest]:
        """What the CLI sent to its model API (not the WebSocket attempt)."""
        return [r for r in self.requests if r.api in ("anthropic", "openai") and r.method == "POST"]


def _files(work: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(work.rglob("*")):
        relative = path.relative_to(work)
        if relative.parts[0] == ".git" or not path.is_file() or path.is_symlink() or path.stat().st_size > _MAX_FILE:
            continue
        out[relative.as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return out


def run_scenario(scenario: Scenario, root: Path) -> ScenarioResult:
    """Run ``scenario`` in a fresh lab under ``root`` (an empty directory)."""
    with assistant_lab(root) as lab:
        runs = tuple(scenario.run(lab))
        transcripts = capture(lab, scenario.cli, scenario.name, runs, pinned_version(scenario.cli))
        return ScenarioResult(
            scenario=scenario,
            runs=runs,
            requests=tuple(lab.requests()),
            problems=tuple(lab.problems()),
            files=_files(lab.work),
            dns_questions=tuple(lab.dns.questions()),
            transcripts=tuple(transcripts),
        )
