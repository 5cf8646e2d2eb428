"""codex: the command line archon builds, and what archon reads from runs of the real codex 0.171.0."""

from __future__ import annotations

import pytest

from archon.workflows.capability import Capability
from archon.workflows.classify import Classification
from archon.workflows.clis.codex import CODEX, CodexStream, classify_message
from archon.workflows.clis.contract import AssistantRequest
from archon.workflows.node_events import AssistantText, SessionStarted, ToolCall, ToolResult
from tests.support.workflow_fakes import replay, transcript

NEVER_ASK = ["-c", 'approval_policy="never"']


def _request(capability: Capability = "read", **extra: str) -> AssistantRequest:
    return AssistantRequest(binary="/bin/codex", prompt="-", capability=capability, **extra)


@pytest.mark.parametrize(
    ("capability", "flags"),
    [
        ("read", ["--sandbox", "read-only"]),
        ("edit", ["--sandbox", "workspace-write"]),
        ("run", ["--sandbox", "workspace-write", "-c", "sandbox_workspace_write.network_access=true"]),
    ],
)
def test_each_capability_maps_to_a_sandbox_and_never_waits_for_approval(
    capability: Capability, flags: list[str]
) -> None:
    command = CODEX.command(_request(capability), env={})
    assert command.argv == ["/bin/codex", "exec", "--json", *flags, *NEVER_ASK, "-"]
    assert not any(arg.startswith("--dangerously") for arg in command.argv)


def test_the_prompt_goes_to_stdin_even_when_it_is_a_dash() -> None:
    """codex reads stdin when the prompt argument is exactly `-`: archon always says `-` and writes the prompt."""
    command = CODEX.command(_request(), env={})
    assert (command.argv[-1], command.stdin) == ("-", "-")


def test_model_and_a_forked_session() -> None:
    command = CODEX.command(_request(model="gpt-5.1-codex", resume_session="t-1"), env={})
    assert command.argv[-4:] == ["--model=gpt-5.1-codex", "fork", "t-1", "-"]


def test_the_recorded_argv_is_what_archon_builds_today() -> None:
    cases: list[tuple[str, Capability]] = [
        ("codex/text", "read"),
        ("codex/edit_patch", "edit"),
        ("codex/run_command", "run"),
    ]
    for key, capability in cases:
        assert transcript(key)["argv"] == CODEX.command(_request(capability), env={}).argv[1:]


def test_a_text_answer() -> None:
    events, outcome = replay("codex/text")
    assert isinstance(events[0], SessionStarted)
    assert AssistantText("The build hook embeds the key.\n") in events
    assert outcome.answer == "The build hook embeds the key."
    assert outcome.failure is None
    assert outcome.usage is not None
    assert (outcome.usage.input_tokens, outcome.usage.output_tokens, outcome.usage.cost_usd) == (50, 7, None)


def test_an_applied_patch_and_a_command_are_tool_activity() -> None:
    events, outcome = replay("codex/edit_patch")
    assert ToolCall("edit", "add /tmp/asst/work/notes.txt") in events
    assert ToolResult("edit", ok=True, detail="add /tmp/asst/work/notes.txt") in events
    assert outcome.denials == ()
    events, _ = replay("codex/run_command")
    assert ToolCall("command", "touch made.txt") in events
    assert ToolResult("command", ok=True, detail="touch made.txt") in events


def test_a_rejected_patch_is_a_denial_read_from_codexs_log() -> None:
    events, outcome = replay("codex/read_patch_rejected")
    (denial,) = outcome.denials
    assert denial.tool == "apply_patch"
    assert denial.detail.startswith("writing is blocked by read-only sandbox")
    assert denial in events
    assert transcript("codex/read_patch_rejected")["files_created"] == []


def test_a_command_its_sandbox_blocked_is_only_a_failed_command() -> None:
    """codex says nothing more than "exit 1" (documented): archon cannot call it a denial."""
    events, outcome = replay("codex/read_command_blocked")
    assert ToolResult("command", ok=False, detail="touch made.txt") in events
    assert outcome.denials == ()
    assert outcome.failure is None


@pytest.mark.parametrize(
    ("key", "classification", "reason", "status"),
    [
        ("codex/api_401", "fatal", "HTTP 401", 401),
        ("codex/api_403", "fatal", "codex error", None),
        ("codex/api_400", "fatal", "codex error", None),
        ("codex/quota_429", "credit_exhausted", "quota or usage limit", None),
        ("codex/rate_429", "transient", "HTTP 429", 429),
        ("codex/api_500", "transient", "server or network error", None),
        ("codex/api_503", "transient", "HTTP 503", 503),
    ],
)
def test_api_failures_are_classified_from_codexs_own_message(
    key: str, classification: Classification, reason: str, status: int | None
) -> None:
    _, outcome = replay(key)
    failure = outcome.failure
    assert failure is not None
    assert (failure.classification, failure.reason, failure.status) == (classification, reason, status)
    assert failure.message
    assert transcript(key)["returncode"] == 1


def test_the_prompts_words_never_classify() -> None:
    """The prompt never reaches codex's messages; and a message about billing in a 401 stays a 401."""
    failure = classify_message("unexpected status 401 Unauthorized: why does the billing code time out?")
    assert (failure.classification, failure.status) == ("fatal", 401)


def test_an_exit_without_any_event_falls_back_to_codexs_error_output() -> None:
    stream = CodexStream()
    stream.stderr_line("Error loading config.toml: invalid type: string, expected a boolean")
    failure = stream.finish(1).failure
    assert failure is not None
    assert failure.classification == "fatal"
    assert "Error loading config.toml" in failure.message
