"""The real claude (pinned) against the fake Messages API, driven as archon drives it:
``claude -p --output-format stream-json --verbose [flags] -- PROMPT``. What each test shows is what archon's
provider module may rely on; /work/notes/cli-facts.md has the prose."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.assistants.conftest import ScenarioResults
from tests.support.model_api import Failure
from tests.support.scenarios.base import GREETING, STREAMED

pytestmark = pytest.mark.slow

GOODBYE = "print('goodbye')\n"


def _result(events: list[dict[str, Any]]) -> dict[str, Any]:
    (result,) = [e for e in events if e.get("type") == "result"]
    return result


def test_a_text_answer_reports_session_usage_and_cost(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("claude", "text")
    run = outcome.run
    assert run.exit_code == 0, run.describe()
    kinds = [e["type"] for e in run.events]
    assert kinds == ["system", "assistant", "result"], kinds
    init, answer, result = run.events
    assert init["subtype"] == "init"
    assert init["permissionMode"] == "default"
    assert answer["message"]["content"] == [{"type": "text", "text": "Hello from the fake model."}]
    assert result["subtype"] == "success"
    assert result["is_error"] is False
    assert result["result"] == "Hello from the fake model."
    assert result["session_id"] == init["session_id"] == answer["session_id"]
    assert result["usage"]["input_tokens"] == 120
    assert result["usage"]["output_tokens"] == 12
    assert result["total_cost_usd"] > 0
    assert result["permission_denials"] == []
    assert result["api_error_status"] is None
    (request,) = outcome.api_requests()
    assert request.path == "/v1/messages?beta=true"
    assert request.json["stream"] is True
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["x-claude-code-session-id"] == init["session_id"]


def test_the_prompt_can_come_on_stdin(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("claude", "text_stdin")
    assert outcome.run.exit_code == 0, outcome.run.describe()
    assert _result(outcome.run.events)["result"] == "Read the prompt from stdin."
    (request,) = outcome.api_requests()
    texts = [block["text"] for block in request.json["messages"][0]["content"] if block.get("type") == "text"]
    assert texts[-1].strip() == "STDIN: the prompt comes on stdin"


def test_partial_messages_reach_stdout_as_the_model_streams_them(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("claude", "streamed")
    run = outcome.run
    assert run.exit_code == 0, run.describe()
    (request,) = outcome.api_requests()
    sent = [at for at, name in request.events if name == "content_block_delta"]
    printed = [
        line.at
        for line in run.lines
        if (e := line.event) and e.get("type") == "stream_event" and e["event"].get("type") == "content_block_delta"
    ]
    assert len(sent) == len(printed) == len(STREAMED)
    # each delta is on stdout before the model sends the next one (0.4 s later): claude does not buffer them
    for printed_at, next_sent in zip(printed, sent[1:], strict=False):
        assert printed_at < next_sent
    assert _result(run.events)["result"] == "".join(chunk.text for chunk in STREAMED)


@pytest.mark.parametrize(
    ("scenario", "denial"),
    [
        ("edit_default", "you haven't granted it yet"),
        ("edit_dont_ask", "don't ask mode"),
        ("edit_plan", "while in plan mode"),
    ],
)
def test_an_edit_without_permission_is_denied_and_reported(
    scenarios: ScenarioResults, scenario: str, denial: str
) -> None:
    outcome = scenarios.get("claude", scenario)
    run = outcome.run
    assert run.exit_code == 0, run.describe()  # a denial is not a failure to claude
    assert outcome.files["greet.py"] == GREETING
    (denied,) = [e for e in run.events if e.get("type") == "system" and e.get("subtype") == "permission_denied"]
    assert denied["tool_name"] == "Edit"
    assert denial in denied["message"]
    result = _result(run.events)
    assert result["is_error"] is False
    (recorded,) = result["permission_denials"]
    assert recorded["tool_name"] == "Edit"
    assert recorded["tool_use_id"] == denied["tool_use_id"]
    assert recorded["tool_input"]["new_string"] == "print('goodbye')"
    tool_results = [
        block
        for e in run.events
        if e.get("type") == "user"
        for block in e["message"]["content"]
        if block.get("tool_use_id") == denied["tool_use_id"]
    ]
    assert tool_results
    assert tool_results[0]["is_error"] is True


@pytest.mark.parametrize("scenario", ["edit_accept_edits", "edit_allowed_tools"])
def test_an_edit_with_permission_changes_the_file(scenarios: ScenarioResults, scenario: str) -> None:
    outcome = scenarios.get("claude", scenario)
    assert outcome.run.exit_code == 0, outcome.run.describe()
    assert outcome.files["greet.py"] == GOODBYE
    assert _result(outcome.run.events)["permission_denials"] == []
    assert len(outcome.api_requests()) == 3  # Read, Edit, answer


def test_a_writing_shell_command_is_denied_by_default(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("claude", "bash_default")
    assert outcome.run.exit_code == 0, outcome.run.describe()
    assert "ran.txt" not in outcome.files
    (recorded,) = _result(outcome.run.events)["permission_denials"]
    assert recorded["tool_name"] == "Bash"
    assert recorded["tool_input"]["command"] == "echo ran > ran.txt && cat ran.txt"


@pytest.mark.parametrize("scenario", ["bash_allowed", "bash_accept_edits"])
def test_a_permitted_shell_command_runs(scenarios: ScenarioResults, scenario: str) -> None:
    outcome = scenarios.get("claude", scenario)
    assert outcome.run.exit_code == 0, outcome.run.describe()
    assert outcome.files["ran.txt"] == "ran\n"
    assert _result(outcome.run.events)["permission_denials"] == []


def test_resume_sends_the_earlier_conversation_again(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("claude", "resume")
    first, second = outcome.runs
    assert first.exit_code == second.exit_code == 0, second.describe()
    session = _result(first.events)["session_id"]
    assert _result(second.events)["session_id"] == session
    _, again = outcome.api_requests()
    conversation = again.json["messages"]
    said = [
        block.get("text", "")
        for message in conversation
        for block in (message["content"] if isinstance(message["content"], list) else [])
    ]
    assert any("RESUME-ONE: remember this" in text for text in said)
    assert {"type": "text", "text": "First answer."} in [
        block for message in conversation if message["role"] == "assistant" for block in message["content"]
    ]
    assert any("RESUME-TWO: what did I say?" in text for text in said)
    assert again.headers["x-claude-code-session-id"] == session


def test_the_model_flag_reaches_the_request(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("claude", "model")
    assert outcome.run.exit_code == 0, outcome.run.describe()
    (request,) = outcome.api_requests()
    assert request.json["model"] == "claude-sonnet-4-5"
    assert outcome.run.events[0]["model"] == "claude-sonnet-4-5"


# status, the `error` claude puts on its synthetic assistant message; exit code 1 for all
ERRORS: dict[Failure, tuple[int, str]] = {
    Failure.INVALID_REQUEST: (400, "unknown"),
    Failure.CREDIT_BALANCE: (400, "billing_error"),
    Failure.AUTHENTICATION: (401, "authentication_failed"),
    Failure.PERMISSION: (403, "authentication_failed"),
    Failure.NOT_FOUND: (404, "model_not_found"),
    Failure.TOO_LARGE: (413, "invalid_request"),
    Failure.RATE_LIMIT: (429, "rate_limit"),
    Failure.QUOTA: (400, "billing_error"),
    Failure.SERVER_ERROR: (500, "server_error"),
    Failure.OVERLOADED: (529, "server_error"),
}


@pytest.mark.parametrize("failure", list(Failure), ids=lambda f: f.value)
def test_an_api_error_ends_the_run_with_its_status(scenarios: ScenarioResults, failure: Failure) -> None:
    outcome = scenarios.get("claude", f"error_{failure.value}")
    run = outcome.run
    status, error = ERRORS[failure]
    assert run.exit_code == 1, run.describe()
    assert run.seconds < 30, run.describe()
    (message,) = [e for e in run.events if e.get("type") == "assistant"]
    assert message["error"] == error
    assert message["api_error_status"] == status
    assert message["message"]["model"] == "<synthetic>"
    result = _result(run.events)
    assert result["is_error"] is True
    assert result["api_error_status"] == status
    assert result["terminal_reason"] in ("api_error", "image_error")
    assert result["result"] == message["message"]["content"][0]["text"]
    if failure in (Failure.CREDIT_BALANCE, Failure.QUOTA):
        assert result["result"] == "Credit balance is too low"


def test_an_error_in_the_middle_of_a_stream_is_retried_then_reported(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("claude", "midstream_error")
    run = outcome.run
    assert run.exit_code == 1, run.describe()
    assert len(outcome.api_requests()) == 4  # claude asks the model to go on three times, even with no retries
    last = [e for e in run.events if e.get("type") == "assistant"][-1]
    assert last["error"] == "server_error"
    assert last["message"]["model"] == "<synthetic>"
    result = _result(run.events)
    assert result["is_error"] is True
    assert result["api_error_status"] is None
    assert result["result"].startswith("API Error: Server error mid-response")
