"""claude: the command line archon builds, and what archon reads from runs of the real claude 2.1.332."""

from __future__ import annotations

import json

import pytest

from archon.workflows.capability import Capability
from archon.workflows.classify import Classification
from archon.workflows.clis.claude import CLAUDE, ClaudeStream
from archon.workflows.clis.contract import AssistantRequest
from archon.workflows.node_events import (
    AssistantText,
    CliRetrying,
    Denial,
    SessionStarted,
    ToolCall,
    ToolResult,
)
from tests.support.workflow_fakes import replay, transcript


def _request(capability: Capability = "read", **extra: str) -> AssistantRequest:
    return AssistantRequest(
        binary="/bin/claude", prompt="--dangerously-skip-permissions", capability=capability, **extra
    )


@pytest.mark.parametrize(
    ("capability", "flags"),
    [
        ("read", ["--permission-mode", "dontAsk", "--disallowedTools=Edit,Write,NotebookEdit"]),
        ("edit", ["--permission-mode", "acceptEdits"]),
        ("run", ["--permission-mode", "acceptEdits", "--allowedTools=Bash"]),
    ],
)
def test_each_capability_maps_to_claudes_own_controls(capability: Capability, flags: list[str]) -> None:
    command = CLAUDE.command(_request(capability), env={})
    assert command.argv == [
        "/bin/claude",
        *("-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages"),
        *flags,
        *("--permission-prompts", "none"),
    ]
    assert not any(arg.startswith("--dangerously") for arg in command.argv)


def test_the_prompt_goes_to_stdin_never_onto_the_command_line() -> None:
    command = CLAUDE.command(_request(), env={})
    assert command.stdin == "--dangerously-skip-permissions"
    assert "--dangerously-skip-permissions" not in command.argv


def test_model_and_a_resumed_session_are_passed_as_single_arguments() -> None:
    command = CLAUDE.command(_request(model="opus", resume_session="abc-123"), env={})
    assert command.argv[-3:] == ["--model=opus", "--resume=abc-123", "--fork-session"]


def test_claudes_own_retries_are_bounded_unless_the_user_chose() -> None:
    assert CLAUDE.command(_request(), env={}).env == {"CLAUDE_CODE_MAX_RETRIES": "2"}
    assert CLAUDE.command(_request(), env={"CLAUDE_CODE_MAX_RETRIES": "7"}).env == {}


def test_claude_keeps_its_temporary_files_in_the_nodes_private_directory() -> None:
    """Else claude keeps its per-user state in /tmp/claude-UID and its Bash tool's commands get /tmp."""
    temp = "/home/u/.archon/tmp/run-1/ask-2"
    command = CLAUDE.command(_request(temp_dir=temp), env={"TMPDIR": "/tmp", "CLAUDE_CODE_MAX_RETRIES": "1"})
    assert command.env == {"TMPDIR": temp}


def test_a_text_answer_streams_and_is_the_output() -> None:
    events, outcome = replay("claude/streamed")
    assert isinstance(events[0], SessionStarted)
    pieces = [e.text for e in events if isinstance(e, AssistantText)]
    assert pieces == ["Streaming ", "one ", "piece ", "at a time.", "\n"]  # the deltas, then the end of the block
    assert outcome.answer == "Streaming one piece at a time."
    assert outcome.failure is None
    assert outcome.session_id == "<UUID>"
    assert outcome.usage is not None
    assert outcome.usage.cost_usd is not None
    assert outcome.usage.input_tokens > 0


def test_a_text_block_without_deltas_is_shown_whole() -> None:
    events, outcome = replay("claude/text")
    assert "".join(e.text for e in events if isinstance(e, AssistantText)) == outcome.answer + "\n"


@pytest.mark.parametrize(("key", "capability"), [("claude/edit_accept_edits", "edit"), ("claude/bash_allowed", "run")])
def test_allowed_tools_are_activity_not_denials(key: str, capability: Capability) -> None:
    events, outcome = replay(key, capability)
    assert any(isinstance(e, ToolCall) for e in events)
    assert all(e.ok for e in events if isinstance(e, ToolResult))
    assert outcome.denials == ()
    assert outcome.tools_used == 1


@pytest.mark.parametrize(
    ("key", "tool", "detail"),
    [
        ("claude/edit_default", "Edit", "<LAB>/work/greet.py"),
        ("claude/edit_dont_ask", "Edit", "<LAB>/work/greet.py"),
        ("claude/edit_plan", "Edit", "<LAB>/work/greet.py"),
        ("claude/bash_default", "Bash", "echo ran > ran.txt && cat ran.txt"),
    ],
)
def test_a_denial_is_seen_even_though_claude_exits_0_and_claims_success(key: str, tool: str, detail: str) -> None:
    events, outcome = replay(key, "edit")
    assert Denial(tool, detail) in events
    assert outcome.denials == (Denial(tool, detail),)
    assert outcome.failure is None  # claude itself reports success: archon decides (node_runner)
    assert transcript(key).meta["exit_code"] == 0


def test_a_tool_the_capability_withholds_is_a_denial() -> None:
    """At ``read`` the editing tools are not offered; a call to one anyway is answered "No such tool available"."""
    stream = CLAUDE.parser(_request("read"))
    call = {"type": "tool_use", "id": "t1", "name": "Write", "input": {"file_path": "/w/x", "content": "x"}}
    events = stream.stdout_line(json.dumps({"type": "assistant", "message": {"content": [call]}}))
    assert events == [ToolCall("Write", "/w/x"), Denial("Write", "/w/x (not available to this capability)")]
    assert CLAUDE.parser(_request("edit")).stdout_line(
        json.dumps({"type": "assistant", "message": {"content": [call]}})
    ) == [ToolCall("Write", "/w/x")]


@pytest.mark.parametrize(
    ("key", "classification", "reason", "status", "message"),
    [
        ("claude/error_authentication", "fatal", "HTTP 401", 401, "Invalid API key"),
        ("claude/error_permission", "fatal", "HTTP 403", 403, "does not have permission"),
        ("claude/error_invalid_request", "fatal", "HTTP 400", 400, "text content blocks must be non-empty"),
        ("claude/error_not_found", "fatal", "HTTP 404", 404, "issue with the selected model"),
        ("claude/error_too_large", "fatal", "HTTP 413", 413, "Request too large"),
        ("claude/error_credit_balance", "credit_exhausted", "billing error", 400, "Credit balance is too low"),
        ("claude/error_rate_limit", "transient", "HTTP 429", 429, "Request rejected (429)"),
        ("claude/error_server_error", "transient", "HTTP 500", 500, "Internal server error"),
        ("claude/error_overloaded", "transient", "HTTP 529", 529, "Overloaded"),
        ("claude/midstream_error", "transient", "server or network error", None, "Server error mid-response"),
    ],
)
def test_api_failures_are_classified_from_the_status_and_keep_claudes_words(
    key: str, classification: Classification, reason: str, status: int | None, message: str
) -> None:
    _, outcome = replay(key)
    failure = outcome.failure
    assert failure is not None
    assert (failure.classification, failure.reason, failure.status) == (classification, reason, status)
    assert message in failure.message
    assert outcome.answer == ""


def test_claudes_own_retries_are_reported_as_data() -> None:
    stream = ClaudeStream()
    retry = {"type": "system", "subtype": "api_retry", "attempt": 1, "max_retries": 2, "retry_delay_ms": 509,
             "error_status": 500, "error": "server_error"}  # fmt: skip
    assert stream.stdout_line(json.dumps(retry)) == [CliRetrying("claude", 1, 2, 0.509, 500, "server_error")]


def test_a_run_without_a_result_falls_back_to_claudes_error_output() -> None:
    stream = ClaudeStream()
    stream.stderr_line("Error: connect ECONNREFUSED 127.0.0.1:443")
    failure = stream.finish(1).failure
    assert failure is not None
    assert (failure.classification, failure.reason) == ("transient", "network error")
    assert "ECONNREFUSED" in failure.message


def test_a_run_killed_before_its_result_is_fatal_and_says_so() -> None:
    failure = ClaudeStream().finish(-9).failure
    assert failure is not None
    assert (failure.classification, failure.reason) == ("fatal", "no result (exit status -9)")
    assert failure.message == ""  # claude said nothing: nothing may be shown as its words


def test_lines_that_are_not_json_objects_are_ignored() -> None:
    stream = ClaudeStream()
    for line in ["", "not json", "[1, 2]", '{"type": "assistant", "message": 3}', '{"type": "result"']:
        assert stream.stdout_line(line) == []
    assert stream.result is None
