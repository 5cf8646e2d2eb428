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
NO_SLASH_TMP = ["-c", "sandbox_workspace_write.exclude_slash_tmp=true"]
TEMP = "/home/u/.archon/tmp/run-1/ask-2"


def _request(capability: Capability = "read", **extra: str) -> AssistantRequest:
    return AssistantRequest(binary="/bin/codex", prompt="-", capability=capability, temp_dir=TEMP, **extra)


@pytest.mark.parametrize(
    ("capability", "flags"),
    [
        ("read", ["--sandbox", "read-only"]),
        ("edit", ["--sandbox", "workspace-write", *NO_SLASH_TMP]),
        ("run", ["--sandbox", "workspace-write", *NO_SLASH_TMP, "-c", "sandbox_workspace_write.network_access=true"]),
    ],
)
def test_each_capability_maps_to_a_sandbox_and_never_waits_for_approval(
    capability: Capability, flags: list[str]
) -> None:
    command = CODEX.command(_request(capability), env={})
    assert command.argv == ["/bin/codex", "exec", "--json", *flags, *NEVER_ASK, "-"]
    assert not any(arg.startswith("--dangerously") for arg in command.argv)


@pytest.mark.parametrize("capability", ["read", "edit", "run"])
def test_codex_writes_its_temporary_files_in_the_nodes_private_directory_never_in_slash_tmp(
    capability: Capability,
) -> None:
    """Its workspace-write sandbox would make /tmp writable and put mount points there (`/tmp/.git`, left behind
    when codex is killed); the node's own temp dir (TMPDIR) stays writable for the tools it runs."""
    command = CODEX.command(_request(capability), env={"TMPDIR": "/tmp"})
    assert command.env == {"TMPDIR": TEMP}
    assert "sandbox_workspace_write.exclude_tmpdir_env_var=true" not in command.argv


def test_without_a_private_directory_no_temp_dir_is_writable() -> None:
    request = AssistantRequest(binary="/bin/codex", prompt="p", capability="edit")
    command = CODEX.command(request, env={"TMPDIR": "/tmp"})
    assert command.env == {}
    assert command.argv[3:9] == [
        "--sandbox",
        "workspace-write",
        *NO_SLASH_TMP,
        "-c",
        "sandbox_workspace_write.exclude_tmpdir_env_var=true",
    ]


def test_the_prompt_goes_to_stdin_even_when_it_is_a_dash() -> None:
    """codex reads stdin when the prompt argument is exactly `-`: archon always says `-` and writes the prompt."""
    command = CODEX.command(_request(), env={})
    assert (command.argv[-1], command.stdin) == ("-", "-")


def test_model_and_a_forked_session() -> None:
    command = CODEX.command(_request(model="gpt-5.1-codex", resume_session="t-1"), env={})
    assert command.argv[-4:] == ["--model=gpt-5.1-codex", "fork", "t-1", "-"]


def test_a_text_answer() -> None:
    events, outcome = replay("codex/text")
    assert events[0] == SessionStarted("<UUID>")
    assert AssistantText("Hello from the fake model.\n") in events
    assert outcome.answer == "Hello from the fake model."
    assert outcome.failure is None
    assert outcome.usage is not None
    assert outcome.usage.cost_usd is None  # codex reports none
    assert outcome.usage.input_tokens > 0


@pytest.mark.parametrize("key", ["codex/edit_workspace_write", "codex/edit_flat_tools"])
def test_an_applied_patch_is_tool_activity(key: str) -> None:
    events, outcome = replay(key, "edit")
    assert ToolCall("edit", "update <LAB>/work/greet.py") in events
    assert ToolResult("edit", ok=True, detail="update <LAB>/work/greet.py") in events
    assert outcome.denials == ()


def test_a_command_is_tool_activity() -> None:
    events, _ = replay("codex/shell_workspace_write", "edit")
    assert ToolCall("command", "echo ran > ran.txt && cat ran.txt") in events
    assert ToolResult("command", ok=True, detail="echo ran > ran.txt && cat ran.txt") in events


@pytest.mark.parametrize("key", ["codex/edit_read_only", "codex/edit_flat_tools_read_only"])
def test_a_rejected_patch_is_a_denial_read_from_codexs_log(key: str) -> None:
    events, outcome = replay(key)
    (denial,) = outcome.denials
    assert denial.tool == "apply_patch"
    assert denial.detail.startswith("writing is blocked by read-only sandbox")
    assert denial in events
    assert transcript(key).meta["exit_code"] == 0


def test_a_command_its_sandbox_blocked_is_at_most_a_failed_command() -> None:
    """codex says nothing more than "exit 1", or nothing at all (documented): archon cannot call it a denial."""
    events, outcome = replay("codex/shell_read_only")
    assert ToolResult("command", ok=False, detail="echo ran > ran.txt && cat ran.txt") in events
    assert outcome.denials == ()
    _, silent = replay("codex/shell_flat_tools_read_only")
    assert (silent.denials, silent.tools_used, silent.failure) == ((), 0, None)


@pytest.mark.parametrize(
    ("key", "classification", "reason", "status"),
    [
        ("codex/error_authentication", "fatal", "HTTP 401", 401),
        ("codex/error_permission", "fatal", "HTTP 403", 403),
        ("codex/error_invalid_request", "fatal", "codex error", None),
        ("codex/error_not_found", "fatal", "codex error", None),
        ("codex/error_too_large", "fatal", "HTTP 413", 413),
        ("codex/error_quota", "credit_exhausted", "quota or usage limit", None),
        ("codex/error_credit_balance", "credit_exhausted", "quota or usage limit", None),
        ("codex/error_rate_limit", "transient", "HTTP 429", 429),
        ("codex/error_server_error", "transient", "server or network error", None),
        ("codex/error_overloaded", "transient", "HTTP 503", 503),
        ("codex/midstream_error", "transient", "server or network error", None),
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
    assert transcript(key).meta["exit_code"] == 1


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


def test_an_exit_with_nothing_said_has_no_message_of_codexs() -> None:
    failure = CodexStream().finish(1).failure
    assert failure is not None
    assert (failure.classification, failure.reason, failure.message) == ("fatal", "exit status 1", "")
