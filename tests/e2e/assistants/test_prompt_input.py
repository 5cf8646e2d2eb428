"""How each CLI takes its prompt: argument or stdin, and what it does with stdin when it also has an argument.
Both read a piped stdin into the prompt, so a program that drives them must give them /dev/null (archon does)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.assistant_lab import AssistantLab
from tests.support.model_api import Exchange, ModelScript, Say
from tests.support.scenarios.claude import STREAM_JSON

pytestmark = pytest.mark.slow


def _claude_prompt(body: dict[str, Any]) -> str:
    return str(body["messages"][0]["content"][-1]["text"])


def _codex_prompt(body: dict[str, Any]) -> str:
    users = [item for item in body["input"] if item.get("role") == "user"]
    return str(users[-1]["content"][0]["text"])


@pytest.mark.parametrize(
    ("prompt", "stdin", "sent"),
    [
        ("IN: from argv", "more from stdin\n", "IN: from argv\nmore from stdin\n"),
        ("-", "IN: from stdin\n", "-\nIN: from stdin\n"),
    ],
    ids=["argument-and-stdin", "dash"],
)
def test_claude_appends_a_piped_stdin_to_its_prompt(lab: AssistantLab, prompt: str, stdin: str, sent: str) -> None:
    lab.script = ModelScript([Exchange("IN", (Say("ok"),))])
    run = lab.run(lab.claude(*STREAM_JSON, "--", prompt), env=lab.env("claude"), stdin=stdin)
    assert run.exit_code == 0, run.describe()
    (request,) = lab.requests("anthropic")
    assert _claude_prompt(request.json) == sent


@pytest.mark.parametrize(
    ("args", "stdin", "sent", "says"),
    [
        (
            ["--", "IN: from argv"],
            "more from stdin\n",
            "IN: from argv\n\n<stdin>\nmore from stdin\n</stdin>",
            "Reading additional input from stdin...",
        ),
        (["--", "-"], "IN: from stdin\n", "IN: from stdin\n", None),
        ([], "IN: from stdin\n", "IN: from stdin\n", "Reading prompt from stdin..."),
    ],
    ids=["argument-and-stdin", "dash-after-double-dash", "no-argument"],
)
def test_codex_reads_stdin_for_a_dash_and_appends_it_to_a_prompt(
    lab: AssistantLab, args: list[str], stdin: str, sent: str, says: str | None
) -> None:
    lab.script = ModelScript([Exchange("IN", (Say("ok"),))])
    run = lab.run(lab.codex("exec", "--json", *args), env=lab.env("codex"), stdin=stdin)
    assert run.exit_code == 0, run.describe()
    (request,) = [r for r in lab.requests("openai") if r.method == "POST"]
    assert _codex_prompt(request.json) == sent
    assert "stdin..." not in run.stderr if says is None else says in run.stderr
