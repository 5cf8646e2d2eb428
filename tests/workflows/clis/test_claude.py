"""claude: the command line archon builds, and what archon reads from runs of the real claude 2.1.332."""

from __future__ import annotations

import pytest

from archon.workflows.capability import Capability
from archon.workflows.classify import Classification
from archon.workflows.clis.claude import CLAUDE, ClaudeStream
from archon.workflows.clis.contract import AssistantRequest
from archon.workflows.node_events import AssistantText, Denial, Notice, SessionStarted, ToolCall, ToolResult
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


def test_the_recorded_argv_is_what_archon_builds_today() -> None:
    """The transcripts were recorded with archon's own argv; if it changes, they must be recorded again."""
    cases: list[tuple[str, Capability]] = [
        ("claude/text", "read"),
        ("claude/edit_write", "edit"),
        ("claude/run_bash", "run"),
    ]
    for key, capability in cases:
        assert transcript(key)["argv"] == CLAUDE.command(_request(capability), env={}).argv[1:]


def test_a_text_answer_streams_and_is_the_output() -> None:
    events, outcome = replay("claude/text")
    assert isinstance(events[0], SessionStarted)
    streamed = "".join(e.text for e in events if isinstance(e, AssistantText))
    assert streamed == "The build hook embeds the key.\nSee build_tools/hatch_hook.py.\n"
    assert outcome.answer == "The build hook embeds the key.\nSee build_tools/hatch_hook.py."
    assert outcome.failure is None
    assert outcome.session_id == events[0].session_id
    assert outcome.usage is not None
    assert (outcome.usage.input_tokens, outcome.usage.output_tokens, outcome.usage.cost_usd) == (100, 20, 0.0008)


def test_an_accepted_edit_is_tool_activity_not_a_denial() -> None:
    events, outcome = replay("claude/edit_write")
    assert ToolCall("Write", "/tmp/asst/work/notes.txt") in events
    assert ToolResult("Write", ok=True, detail="/tmp/asst/work/notes.txt") in events
    assert outcome.denials == ()
    assert outcome.tools_used == 1
    assert transcript("claude/edit_write")["files_created"] == ["notes.txt"]


@pytest.mark.parametrize("key", ["claude/read_bash_denied", "claude/edit_bash_denied"])
def test_a_denied_command_is_a_denial_even_though_claude_exits_0(key: str) -> None:
    events, outcome = replay(key)
    command = "python3 -c \"open('made.txt', 'w')\""
    assert Denial("Bash", command) in events
    assert outcome.denials == (Denial("Bash", command),)
    assert outcome.failure is None  # claude itself reports success: archon decides (node_runner)
    assert transcript(key)["returncode"] == 0
    assert transcript(key)["files_created"] == []


def test_a_tool_the_capability_withholds_is_a_denial() -> None:
    events, outcome = replay("claude/read_write_withheld")
    (denial,) = outcome.denials
    assert denial.tool == "Write"
    assert denial in events


@pytest.mark.parametrize(
    ("key", "classification", "reason", "status", "message", "retried"),
    [
        ("claude/api_401", "fatal", "HTTP 401", 401, "Invalid API key", True),
        ("claude/api_403", "fatal", "HTTP 403", 403, "does not have permission", False),
        ("claude/api_400", "fatal", "HTTP 400", 400, "field required", False),
        ("claude/credit_400", "credit_exhausted", "billing error", 400, "Credit balance is too low", False),
        ("claude/api_429", "transient", "HTTP 429", 429, "Request rejected (429)", True),
        ("claude/api_500", "transient", "HTTP 500", 500, "Internal server error", True),
        ("claude/api_529", "transient", "HTTP 529", 529, "Overloaded", True),
    ],
)
def test_api_failures_are_classified_from_the_status_and_keep_claudes_words(  # noqa: PLR0917 - the parameters
    key: str, classification: Classification, reason: str, status: int, message: str, retried: bool
) -> None:
    events, outcome = replay(key)
    failure = outcome.failure
    assert failure is not None
    assert (failure.classification, failure.reason, failure.status) == (classification, reason, status)
    assert message in failure.message
    assert outcome.answer == ""
    retries = [e for e in events if isinstance(e, Notice) and "claude retries" in e.text]
    assert bool(retries) == retried


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


def test_lines_that_are_not_json_objects_are_ignored() -> None:
    stream = ClaudeStream()
    for line in ["", "not json", "[1, 2]", '{"type": "assistant", "message": 3}', '{"type": "result"']:
        assert stream.stdout_line(line) == []
    assert stream.result is None
