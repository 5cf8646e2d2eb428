"""codex scenarios, driven as archon drives it: ``codex exec --json`` with stdin closed.

codex's config is the lab's (the built-in OpenAI provider at the fake's URL: a WebSocket attempt answered 426,
then HTTP). The error scenarios add a provider of their own with ``request_max_retries = 0`` and
``stream_max_retries = 0``: the built-in provider cannot be changed ("Built-in providers cannot be overridden"),
and with it a 500 costs 5 reconnects of 5 requests each.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.support.assistant_lab import AssistantLab
from tests.support.cli_process import CliRun
from tests.support.model_api import Exchange, Fail, FailMidStream, Failure, ModelScript, RunCommand, Say
from tests.support.model_api.script import Step
from tests.support.scenarios.base import Scenario, edit_steps, greeting_file, streamed_answer

__all__ = ["CODEX_SCENARIOS", "FLAT_TOOLS_MODEL", "bounded_provider"]

SANDBOX_DENIED_COMMAND = frozenset({"item.started/command_execution", "item.completed/command_execution"})
"""codex 0.171 reports a command whose write the read-only sandbox refused in about half of the runs only."""

FLAT_TOOLS_MODEL = "gpt-5.5"
"""A model codex offers its tools to as top-level function/custom tools; its default model gets "code mode"."""


def bounded_provider(lab: AssistantLab) -> list[str]:
    """``-c`` options for a provider at the fake with codex's own retries off (and so no WebSocket either)."""
    settings = {
        "name": '"fake-openai"',
        "base_url": f'"{lab.api.url}/v1"',
        "env_key": '"CODEX_API_KEY"',
        "request_max_retries": "0",
        "stream_max_retries": "0",
    }
    options = ["-c", 'model_provider="fake-openai"']
    for key, value in settings.items():
        options += ["-c", f"model_providers.fake-openai.{key}={value}"]
    return options


def _once(lab: AssistantLab, marker: str, steps: Sequence[Step], *args: str) -> list[CliRun]:
    lab.script = ModelScript([Exchange(marker, tuple(steps))])
    prompt = f"{marker}: please do the scripted thing"
    return [lab.run(lab.codex("exec", "--json", *args, "--", prompt), env=lab.env("codex"))]


def text(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "TEXT", (Say("Hello from the fake model."),))


def text_stdin(lab: AssistantLab) -> list[CliRun]:
    lab.script = ModelScript([Exchange("STDIN", (Say("Read the prompt from stdin."),))])
    argv = lab.codex("exec", "--json", "-")
    return [lab.run(argv, env=lab.env("codex"), stdin="STDIN: the prompt comes on stdin\n")]


def streamed(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "STREAM", (streamed_answer(),))


def _edit(lab: AssistantLab, marker: str, *args: str) -> list[CliRun]:
    return _once(lab, marker, edit_steps(greeting_file(lab), read_first=False), *args)


def edit_read_only(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-READONLY")


def edit_workspace_write(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-WRITE", "--sandbox", "workspace-write")


def edit_flat_tools(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-FLAT", "--sandbox", "workspace-write", "-m", FLAT_TOOLS_MODEL)


def edit_flat_tools_read_only(lab: AssistantLab) -> list[CliRun]:
    return _edit(lab, "EDIT-FLAT-RO", "-m", FLAT_TOOLS_MODEL)


def _shell(lab: AssistantLab, marker: str, *args: str) -> list[CliRun]:
    steps = (RunCommand("echo ran > ran.txt && cat ran.txt"), Say("Ran the command."))
    return _once(lab, marker, steps, *args)


def shell_read_only(lab: AssistantLab) -> list[CliRun]:
    return _shell(lab, "SHELL-READONLY")


def shell_flat_tools_read_only(lab: AssistantLab) -> list[CliRun]:
    return _shell(lab, "SHELL-FLAT-RO", "-m", FLAT_TOOLS_MODEL)


def shell_workspace_write(lab: AssistantLab) -> list[CliRun]:
    return _shell(lab, "SHELL-WRITE", "--sandbox", "workspace-write")


def resume(lab: AssistantLab) -> list[CliRun]:
    lab.script = ModelScript(
        [Exchange("RESUME-ONE", (Say("First answer."),)), Exchange("RESUME-TWO", (Say("Second answer."),))]
    )
    env = lab.env("codex")
    first = lab.run(lab.codex("exec", "--json", "RESUME-ONE: remember this"), env=env)
    thread = next(e["thread_id"] for e in first.events if e.get("type") == "thread.started")
    second = lab.run(lab.codex("exec", "--json", "resume", thread, "RESUME-TWO: what did I say?"), env=env)
    return [first, second]


def model(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "MODEL", (Say("Answered by the chosen model."),), "-m", FLAT_TOOLS_MODEL)


def midstream_error(lab: AssistantLab) -> list[CliRun]:
    return _once(lab, "MIDSTREAM", (FailMidStream(Failure.SERVER_ERROR),), *bounded_provider(lab))


def _error(failure: Failure) -> Scenario:
    def run(lab: AssistantLab) -> list[CliRun]:
        return _once(lab, f"ERROR-{failure.value}", (Fail(failure),), *bounded_provider(lab))

    return Scenario(f"error_{failure.value}", "codex", f"the API answers {failure.value}; no retries", run)


CODEX_SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in [
        Scenario("text", "codex", "a text answer", text),
        Scenario("text_stdin", "codex", "the prompt `-`: read from stdin", text_stdin),
        Scenario("streamed", "codex", "four deltas 0.4 s apart", streamed),
        Scenario("edit_read_only", "codex", "apply_patch in the default (read-only) sandbox", edit_read_only),
        Scenario("edit_workspace_write", "codex", "apply_patch with --sandbox workspace-write", edit_workspace_write),
        Scenario("edit_flat_tools", "codex", "the same with -m gpt-5.5 (top-level tools)", edit_flat_tools),
        Scenario("edit_flat_tools_read_only", "codex", "-m gpt-5.5, read-only", edit_flat_tools_read_only),
        Scenario(
            "shell_read_only",
            "codex",
            "a writing command, read-only sandbox",
            shell_read_only,
            SANDBOX_DENIED_COMMAND,
        ),
        Scenario(
            "shell_flat_tools_read_only",
            "codex",
            "-m gpt-5.5, read-only",
            shell_flat_tools_read_only,
            SANDBOX_DENIED_COMMAND,
        ),
        Scenario("shell_workspace_write", "codex", "the same with workspace-write", shell_workspace_write),
        Scenario("resume", "codex", "`codex exec resume THREAD PROMPT`", resume),
        Scenario("model", "codex", "-m gpt-5.5", model),
        Scenario("midstream_error", "codex", "a 200 stream that ends in response.failed", midstream_error),
        *(_error(failure) for failure in Failure),
    ]
}
