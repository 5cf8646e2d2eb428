"""The shape of a scenario, and the small pieces every scenario uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.assistant_clis import CliName
from tests.support.assistant_lab import AssistantLab
from tests.support.cli_process import CliRun
from tests.support.model_api import Chunk, EditFile, ReadFile, Say

__all__ = ["GREETING", "STREAMED", "Scenario", "edit_steps", "greeting_file", "streamed_answer"]

GREETING = "print('hello')\n"
"""The file edit scenarios start from (``greet.py`` in the lab's work tree); the edit turns hello into goodbye."""

STREAMED = (Chunk("Streaming "), Chunk("one ", 0.4), Chunk("piece ", 0.4), Chunk("at a time.", 0.4))
"""An answer in four deltas, 0.4 s apart, so a test can see each reach the CLI's stdout on its own."""


@dataclass(frozen=True)
class Scenario:
    name: str
    cli: CliName
    about: str
    run: Callable[[AssistantLab], list[CliRun]]
    unstable: frozenset[str] = frozenset()
    """Event kinds the CLI emits in some runs of this scenario and not in others (left out of shape comparisons)."""


def greeting_file(lab: AssistantLab) -> Path:
    path = lab.work / "greet.py"
    path.write_text(GREETING, encoding="utf-8")
    return path


def edit_steps(path: Path, *, read_first: bool) -> tuple[ReadFile | EditFile | Say, ...]:
    """Read (claude's Edit refuses a file it has not read), edit hello into goodbye, then say so."""
    edit = EditFile(str(path), "print('hello')", "print('goodbye')")
    return ((ReadFile(str(path)),) if read_first else ()) + (edit, Say("Changed hello to goodbye."))


def streamed_answer() -> Say:
    return Say(chunks=STREAMED)
