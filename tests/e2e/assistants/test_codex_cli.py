"""The real codex (pinned) against the fake Responses API, driven as archon drives it:
``codex exec --json [flags] -- PROMPT`` with stdin closed. What each test shows is what archon's provider module
may rely on; /work/notes/cli-facts.md has the prose."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.assistants.conftest import ScenarioResults
from tests.support.model_api import Failure
from tests.support.scenarios.base import GREETING, STREAMED

pytestmark = pytest.mark.slow

GOODBYE = "print('goodbye')\n"
PATCH_REJECTED = "patch rejected: writing is blocked by read-only sandbox; rejected by user approval settings"


def _kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] + (f"/{e['item']['type']}" if "item" in e else "") for e in events]


def test_a_text_answer_after_the_websocket_is_refused(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "text")
    run = outcome.run
    assert run.exit_code == 0, run.describe()
    assert _kinds(run.events) == ["thread.started", "turn.started", "item.completed/agent_message", "turn.completed"]
    assert run.events[2]["item"]["text"] == "Hello from the fake model."
    assert run.events[3]["usage"] == {
        "input_tokens": 120,
        "cached_input_tokens": 0,
        "cache_write_input_tokens": 0,
        "output_tokens": 12,
        "reasoning_output_tokens": 0,
    }
    websocket, post = (r for r in outcome.requests if r.api == "openai")
    assert (websocket.method, websocket.headers["upgrade"], websocket.status) == ("GET", "websocket", 426)
    assert post.method == "POST"
    assert post.path == "/v1/responses"
    assert post.headers["authorization"].startswith("<Bearer ")
    assert post.headers["session-id"] == run.events[0]["thread_id"]
    assert post.received_at - websocket.received_at < 2.0  # 426: straight to HTTP, no reconnect rounds


def test_the_prompt_dash_is_read_from_stdin(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "text_stdin")
    assert outcome.run.exit_code == 0, outcome.run.describe()
    (request,) = outcome.api_requests()
    user = [i for i in request.json["input"] if i.get("role") == "user"]
    assert user[-1]["content"][0]["text"].strip() == "STDIN: the prompt comes on stdin"


def test_the_answer_arrives_whole_not_as_deltas(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "streamed")
    run = outcome.run
    assert run.exit_code == 0, run.describe()
    (request,) = outcome.api_requests()
    last_delta = max(at for at, name in request.events if name == "response.output_text.delta")
    (message,) = [line for line in run.lines if (e := line.event) and e.get("item", {}).get("type") == "agent_message"]
    assert message.event is not None
    assert message.event["item"]["text"] == "".join(chunk.text for chunk in STREAMED)
    assert message.at > last_delta  # `exec --json` has no delta events: the text comes when the item is done


@pytest.mark.parametrize("scenario", ["edit_read_only", "edit_flat_tools_read_only"])
def test_an_edit_in_the_read_only_sandbox_is_rejected_without_an_event(
    scenarios: ScenarioResults, scenario: str
) -> None:
    outcome = scenarios.get("codex", scenario)
    run = outcome.run
    assert run.exit_code == 0, run.describe()
    assert outcome.files["greet.py"] == GREETING
    assert _kinds(run.events) == ["thread.started", "turn.started", "item.completed/agent_message", "turn.completed"]
    assert PATCH_REJECTED in run.stderr  # the only trace of the denial outside the model's own context
    _, after = outcome.api_requests()
    outputs = [i for i in after.json["input"] if i.get("type") == "custom_tool_call_output"]
    assert PATCH_REJECTED in str(outputs[-1]["output"])


@pytest.mark.parametrize("scenario", ["edit_workspace_write", "edit_flat_tools"])
def test_an_edit_in_the_workspace_write_sandbox_changes_the_file(scenarios: ScenarioResults, scenario: str) -> None:
    outcome = scenarios.get("codex", scenario)
    run = outcome.run
    assert run.exit_code == 0, run.describe()
    assert outcome.files["greet.py"] == GOODBYE
    changes = [e for e in run.events if e.get("item", {}).get("type") == "file_change"]
    assert [e["type"] for e in changes] == ["item.started", "item.completed"]
    assert changes[-1]["item"]["status"] == "completed"
    assert changes[-1]["item"]["changes"][0]["kind"] == "update"
    assert changes[-1]["item"]["changes"][0]["path"].endswith("/work/greet.py")


def test_the_default_model_gets_code_mode_and_gpt_5_5_flat_tools(scenarios: ScenarioResults) -> None:
    code_mode = scenarios.get("codex", "edit_workspace_write").api_requests()[0].json
    flat = scenarios.get("codex", "edit_flat_tools").api_requests()[0].json
    assert "tools" not in code_mode
    (extra,) = [i for i in code_mode["input"] if i.get("type") == "additional_tools"]
    assert next(t["name"] for t in extra["tools"][0]["tools"]) == "exec"
    assert flat["model"] == "gpt-5.5"
    offered = {t.get("name"): t["type"] for t in flat["tools"]}
    assert offered["apply_patch"] == "custom"
    assert offered["exec_command"] == "function"


def test_a_writing_command_in_the_read_only_sandbox_fails_inside_it(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "shell_read_only")
    assert outcome.run.exit_code == 0, outcome.run.describe()
    assert "ran.txt" not in outcome.files
    _, after = outcome.api_requests()
    assert "Read-only file system" in str(after.json["input"][-1])


def test_a_command_in_the_workspace_write_sandbox_runs(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "shell_workspace_write")
    run = outcome.run
    assert run.exit_code == 0, run.describe()
    assert outcome.files["ran.txt"] == "ran\n"
    (done,) = [e for e in run.events if e["type"] == "item.completed" and e["item"]["type"] == "command_execution"]
    assert done["item"]["exit_code"] == 0
    assert done["item"]["aggregated_output"] == "ran\n"
    assert done["item"]["command"] == "/bin/bash -lc 'echo ran > ran.txt && cat ran.txt'"


def test_resume_sends_the_earlier_conversation_again(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "resume")
    first, second = outcome.runs
    assert first.exit_code == second.exit_code == 0, second.describe()
    thread = first.events[0]["thread_id"]
    assert second.events[0] == {"type": "thread.started", "thread_id": thread}
    _, again = outcome.api_requests()
    said = [
        part.get("text")
        for item in again.json["input"]
        if item.get("type") == "message"
        for part in item.get("content", [])
    ]
    assert "RESUME-ONE: remember this" in said
    assert "First answer." in said
    assert "RESUME-TWO: what did I say?" in said
    assert again.headers["session-id"] == thread


def test_the_model_flag_reaches_the_request(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "model")
    assert outcome.run.exit_code == 0, outcome.run.describe()
    (request,) = outcome.api_requests()
    assert request.json["model"] == "gpt-5.5"


# What codex prints as the turn's error message (no status field anywhere in its events)
ERRORS: dict[Failure, str] = {
    Failure.INVALID_REQUEST: '"type": "invalid_request_error"',
    Failure.CREDIT_BALANCE: "Quota exceeded. Check your plan and billing details.",
    Failure.AUTHENTICATION: "unexpected status 401 Unauthorized: Incorrect API key provided",
    Failure.PERMISSION: "unexpected status 403 Forbidden",
    Failure.NOT_FOUND: "The model `gpt-fake-missing` does not exist",
    Failure.TOO_LARGE: "unexpected status 413 Payload Too Large",
    Failure.RATE_LIMIT: "exceeded retry limit, last status: 429 Too Many Requests",
    Failure.QUOTA: "Quota exceeded. Check your plan and billing details.",
    Failure.SERVER_ERROR: "We\u2019re currently experiencing high demand",
    Failure.OVERLOADED: "unexpected status 503 Service Unavailable",
}


@pytest.mark.parametrize("failure", list(Failure), ids=lambda f: f.value)
def test_an_api_error_fails_the_turn_with_a_message(scenarios: ScenarioResults, failure: Failure) -> None:
    outcome = scenarios.get("codex", f"error_{failure.value}")
    run = outcome.run
    assert run.exit_code == 1, run.describe()
    assert run.seconds < 30, run.describe()
    assert _kinds(run.events) == ["thread.started", "turn.started", "error", "turn.failed"]
    error, failed = run.events[2:]
    assert ERRORS[failure] in error["message"]
    assert failed["error"]["message"] == error["message"]
    assert len(outcome.api_requests()) == 1  # the scenario's provider has retries off


def test_an_error_in_the_middle_of_a_stream_fails_the_turn(scenarios: ScenarioResults) -> None:
    outcome = scenarios.get("codex", "midstream_error")
    run = outcome.run
    assert run.exit_code == 1, run.describe()
    assert _kinds(run.events)[-2:] == ["error", "turn.failed"]
    assert run.events[-1]["error"]["message"].startswith("stream disconnected before completion: The server had")
