"""The fake APIs on the wire: event sequences, error envelopes and headers as the real APIs send them."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.model_api import Exchange, Fail, FailMidStream, Failure, ModelApiServer, ModelScript, Say, WriteFile


@pytest.fixture
def api() -> Iterator[ModelApiServer]:
    with ModelApiServer(ModelScript()) as server:
        yield server


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


def _send(api: ModelApiServer, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> _Answer:
    connection = http.client.HTTPConnection(urlsplit(api.url).netloc, timeout=10)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return _Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def _post(api: ModelApiServer, path: str, body: dict[str, Any], **headers: str) -> _Answer:
    return _send(api, "POST", path, json.dumps(body).encode(), {"content-type": "application/json", **headers})


def _events(response: _Answer) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for block in response.body.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            events.append((lines.get("event", ""), json.loads(lines["data"])))
    return events


def _claude(prompt: str, *, tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = {"model": "claude-x", "max_tokens": 10, "stream": True, "messages": [{"role": "user", "content": prompt}]}
    return body | ({"tools": tools} if tools else {})


ANTHROPIC = {"x-api-key": "sk-ant-secret-value", "anthropic-version": "2023-06-01"}


def test_a_streamed_message_has_the_real_event_sequence(api: ModelApiServer) -> None:
    api.script = ModelScript([Exchange("M1", (Say("Hello there"),))])
    response = _post(api, "/v1/messages?beta=true", _claude("M1 hi"), **ANTHROPIC)
    assert response.status == 200
    assert response.getheader("content-type") == "text/event-stream; charset=utf-8"
    assert (response.getheader("request-id") or "").startswith("req_011")
    events = _events(response)
    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(data["type"] == name for name, data in events)
    assert "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta") == "Hello there"
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"
    (request,) = api.log.all("anthropic")
    assert request.label == "M1#0"
    assert "secret" not in request.headers["x-api-key"]


def test_a_tool_call_streams_its_input_as_json_deltas(api: ModelApiServer) -> None:
    api.script = ModelScript([Exchange("M1", (WriteFile("/w/new.txt", "hi\n"),))])
    schema = {"type": "object", "properties": {"file_path": {}, "content": {}}, "required": ["file_path", "content"]}
    response = _post(api, "/v1/messages", _claude("M1", tools=[{"name": "Write", "input_schema": schema}]), **ANTHROPIC)
    events = _events(response)
    (start,) = [d for n, d in events if n == "content_block_start"]
    assert start["content_block"]["type"] == "tool_use"
    assert start["content_block"]["name"] == "Write"
    partial = "".join(d["delta"]["partial_json"] for n, d in events if n == "content_block_delta")
    assert json.loads(partial) == {"file_path": "/w/new.txt", "content": "hi\n"}
    assert next(d for n, d in events if n == "message_delta")["delta"]["stop_reason"] == "tool_use"


def test_a_tool_the_request_does_not_offer_is_answered_in_words_and_reported(api: ModelApiServer) -> None:
    api.script = ModelScript([Exchange("M1", (WriteFile("/w/new.txt", "hi\n"),))])
    events = _events(_post(api, "/v1/messages", _claude("M1", tools=[]), **ANTHROPIC))
    assert "not offered" in "".join(d["delta"].get("text", "") for n, d in events if n == "content_block_delta")
    (problem,) = api.script.problems()
    assert problem.message == "tool 'Write' is not offered (offered: [])"


@pytest.mark.parametrize("failure", list(Failure), ids=lambda f: f.value)
def test_anthropic_errors_have_the_documented_envelope(api: ModelApiServer, failure: Failure) -> None:
    api.script = ModelScript([Exchange("M1", (Fail(failure),))])
    response = _post(api, "/v1/messages", _claude("M1"), **ANTHROPIC)
    body = response.json()
    assert response.status in (400, 401, 403, 404, 413, 429, 500, 529)
    assert body["type"] == "error"
    assert set(body["error"]) == {"type", "message"}
    assert body["request_id"] == response.getheader("request-id")
    if response.status == 429:
        assert response.getheader("retry-after") == "1"
        assert response.getheader("anthropic-ratelimit-requests-remaining") == "0"


def test_an_anthropic_stream_can_fail_in_the_middle(api: ModelApiServer) -> None:
    api.script = ModelScript([Exchange("M1", (FailMidStream(Failure.OVERLOADED),))])
    events = _events(_post(api, "/v1/messages", _claude("M1"), **ANTHROPIC))
    assert events[-1] == ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})


def _codex(prompt: str) -> dict[str, Any]:
    return {"model": "gpt-x", "stream": True, "input": [{"type": "message", "role": "user", "content": prompt}]}


def test_a_streamed_response_has_the_real_event_sequence(api: ModelApiServer) -> None:
    api.script = ModelScript([Exchange("M1", (Say("Hello there", input_tokens=7, output_tokens=3),))])
    events = _events(_post(api, "/v1/responses", _codex("M1 hi"), authorization="Bearer sk-x"))
    names = [name for name, _ in events]
    assert names[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert names[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    completed = events[-1][1]["response"]
    assert completed["status"] == "completed"
    assert completed["usage"]["total_tokens"] == 10
    assert completed["output"][0]["content"][0]["text"] == "Hello there"


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (Failure.AUTHENTICATION, 401, "invalid_api_key"),
        (Failure.RATE_LIMIT, 429, "rate_limit_exceeded"),
        (Failure.QUOTA, 429, "insufficient_quota"),
        (Failure.SERVER_ERROR, 500, None),
        (Failure.OVERLOADED, 503, None),
    ],
)
def test_openai_errors_have_the_documented_envelope(
    api: ModelApiServer, failure: Failure, status: int, code: str | None
) -> None:
    api.script = ModelScript([Exchange("M1", (Fail(failure),))])
    response = _post(api, "/v1/responses", _codex("M1"), authorization="Bearer sk-x")
    body = response.json()
    assert response.status == status
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["code"] == code
    assert (response.getheader("x-request-id") or "").startswith("req_")
    assert (response.getheader("retry-after") is not None) == (code == "rate_limit_exceeded")


def test_a_websocket_upgrade_is_refused_with_426(api: ModelApiServer) -> None:
    answer = _send(api, "GET", "/v1/responses", None, {"Upgrade": "websocket", "Connection": "Upgrade"})
    assert answer.status == 426
    (request,) = api.log.all("openai")
    assert request.label == "websocket"


def test_a_failure_of_the_fake_itself_is_reported_as_a_problem(api: ModelApiServer) -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        _send(api, "POST", "/v1/messages", b"{}", {"content-length": "many"})
    (problem,) = api.script.problems()
    assert problem.api == "server"
    assert "invalid literal for int()" in problem.message
