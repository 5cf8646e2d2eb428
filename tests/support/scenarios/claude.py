"""claude scenarios, driven as archon drives it: ``claude -p --output-format stream-json --verbose``."""

from __future__ import annotations

from collections.abc import Sequence

from tests.support.assistant_lab import AssistantLab
from tests.support.cli_process import CliRun
from tests.support.model_api import Exchange, Fail, FailMidStream, Failure, ModelScript, RunCommand, Say
from tests.support.model_api.script import Step
from tests.support.scenarios.base import Scenario, edit_steps, greeting_file, streamed_answer

__all__ = ["CLAUDE_SCENARIOS", "STREAM_JSON"]

STREAM_JSON = ("-p", "--output-format", "stream-json", "--verbose")
BOUNDED = {"CLAUDE_CODE_MAX_RETRIES": "0"}
"""claude retries 5xx, 529 and 429 itself (10 times by default); the error scenarios turn that off."""


def _once(lab: AssistantLab, marker: str, steps: Sequence[Step], *args: str, **extra: str) -> list[CliRun]:
    lab.script = ModelScript([Exchange(marker, tuple(steps))])
    prompt = f"{marker}: please do the scripted thing"
    return [lab.run(lab.claude(*STREAM_JSON, *args, "--", prompt), env=lab.env("claude", extra))]


def text(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "TEXT", (Say("Hello from the fake model."),))


def text_stdin(lab: AssistantLab) -> list[CliRun]:
    lab.script = ModelScript([Exchange("STDIN", (Say("Read the prompt from stdin."),))])
    return [lab.run(lab.claude(*STREAM_JSON), env=lab.env("claude"), stdin="STDIN: the prompt comes on stdin\n")]


def streamed(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "STREAM", (streamed_answer(),), "--include-partial-messages")


def _edit(lab: AssistantLab, marker: str, *args: str) -> list[CliRun]:
    return _once(lab, marker, edit_steps(greeting_file(lab), read_first=True), *args)


def edit_default(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-DEFAULT")


def edit_accept_edits(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-ACCEPT", "--permission-mode", "acceptEdits")


def edit_allowed_tools(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-ALLOWED", "--allowedTools", "Edit")


def edit_dont_ask(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-DONTASK", "--permission-mode", "dontAsk")


def edit_plan(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-PLAN", "--permission-mode", "plan")


def _bash(lab: AssistantLab, marker: str, *args: str) -> list[CliRun]:
    steps = (RunCommand("echo ran > ran.txt && cat ran.txt"), Say("Ran the command."))
    return _once(lab, marker, steps, *args)


def bash_default(lab: AssistantLab) -> list[CliRun]:
    return _bash(lab, "BASH-DEFAULT")


def bash_allowed(lab: AssistantLab) -> list[CliRun]:
    return _bash(lab, "BASH-ALLOWED", "--allowedTools", "Bash")


def bash_accept_edits(lab: AssistantLab) -> list[CliRun]:
    return _bash(lab, "BASH-ACCEPT", "--permission-mode", "acceptEdits")


def resume(lab: AssistantLab) -> list[CliRun]:
    lab.script = ModelScript(
        [Exchange("RESUME-ONE", (Say("First answer."),)), Exchange("RESUME-TWO", (Say("Second answer."),))]
    )
    env = lab.env("claude")
    first = lab.run(lab.claude(*STREAM_JSON, "RESUME-ONE: remember this"), env=env)
    session = next(e["session_id"] for e in first.events if e.get("type") == "result")
    second = lab.run(lab.claude(*STREAM_JSON, "--resume", session, "RESUME-TWO: what did I say?"), env=env)
    return [first, second]


def model(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "MODEL", (Say("Answered by the chosen model."),), "--model", "claude-sonnet-4-5")


def midstream_error(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "MIDSTREAM", (FailMidStream(Failure.OVERLOADED),), **BOUNDED)


def _error(failure: Failure) -> Scenario:
    def run(lab: AssistantLab) -> list[CliRun]:
        return _once(lab, f"ERROR-{failure.value}", (Fail(failure),), **BOUNDED)

    return Scenario(f"error_{failure.value}", "claude", f"the API answers {failure.value}; no retries", run)


CLAUDE_SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in [
        Scenario("text", "claude", "a text answer", text),
        Scenario("text_stdin", "claude", "the prompt on stdin, no prompt argument", text_stdin),
        Scenario("streamed", "claude", "four deltas 0.4 s apart, --include-partial-messages", streamed),
        Scenario("edit_default", "claude", "Read, then Edit in the default permission mode", edit_default),
        Scenario("edit_accept_edits", "claude", "Read, then Edit with acceptEdits", edit_accept_edits),
        Scenario("edit_allowed_tools", "claude", "Read, then Edit with --allowedTools Edit", edit_allowed_tools),
        Scenario("edit_dont_ask", "claude", "Read, then Edit with dontAsk", edit_dont_ask),
        Scenario("edit_plan", "claude", "Read, then Edit in plan mode", edit_plan),
        Scenario("bash_default", "claude", "a writing Bash command, default mode", bash_default),
        Scenario("bash_allowed", "claude", "the same with --allowedTools Bash", bash_allowed),
        Scenario("bash_accept_edits", "claude", "the same with acceptEdits", bash_accept_edits),
        Scenario("resume", "claude", "a second run with --resume SESSION", resume),
        Scenario("model", "claude", "--model claude-sonnet-4-5", model),
        Scenario("midstream_error", "claude", "a 200 stream that ends in an overloaded error event", midstream_error),
        *(_error(failure) for failure in Failure),
    ]
}
