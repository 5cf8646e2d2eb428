"""The OpenAI Responses API as codex calls it: ``POST /v1/responses`` streamed as SSE, answered from the script.

A streamed answer has the real event sequence: ``response.created``, ``response.in_progress``, per output item
``response.output_item.added`` ... ``response.output_item.done`` (a ``message`` with ``content_part`` and
``output_text`` deltas, a ``function_call`` with argument deltas, or a ``custom_tool_call`` with input deltas),
then ``response.completed`` with usage. Errors are OpenAI's ``{"error": {...}}`` bodies with the real statuses;
:class:`FailMidStream` ends a started stream with ``response.failed``.

codex first tries the same URL as a WebSocket (``GET`` with ``Upgrade: websocket``). The fake answers that with
the server's ``websocket_status``: 426 Upgrade Required, on which codex falls back to HTTP at once and silently
(codex-rs core client: ``StatusCode::UPGRADE_REQUIRED => FallbackToHttp``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tests.support.model_api.failures import openai_error
from tests.support.model_api.openai_tools import ToolCall, plan_call
from tests.support.model_api.script import Fail, FailMidStream, Say, Step, UserTurn
from tests.support.model_api.sse import SseStream

if TYPE_CHECKING:
    from tests.support.model_api.server import Responder

__all__ = ["answer", "user_turns"]

API = "openai"
_TOOL_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output", "local_shell_call_output"})


def user_turns(body: Mapping[str, Any]) -> list[UserTurn]:
    """The request's user messages, each with the number of tool outputs that follow it."""
    turns: list[UserTurn] = []
    items = body.get("input")
    if isinstance(items, str):
        return [UserTurn(items, 0)]
    for item in items or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") in _TOOL_OUTPUTS:
            if turns:
                turns[-1] = UserTurn(turns[-1].text, turns[-1].tool_results_after + 1)
        elif item.get("type", "message") == "message" and item.get("role") == "user":
            content = item.get("content")
            texts = [content] if isinstance(content, str) else []
            if isinstance(content, list):
                texts = [c["text"] for c in content if isinstance(c, dict) and isinstance(c.get("text"), str)]
            turns.append(UserTurn("\n".join(texts), 0))
    return turns


def _usage(input_tokens: int, output_tokens: int) -> dict[str, object]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def _split(text: str, parts: int = 3) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class _Response:
    """One response being streamed: its output items in order, then ``response.completed`` (or failed)."""

    def __init__(self, stream: SseStream, model: str) -> None:
        self.stream = stream
        self.sequence = 0
        self.output: list[dict[str, object]] = []
        self.object: dict[str, object] = {
            "id": "resp_" + secrets.token_hex(24),
            "object": "response",
            "created_at": int(time.time()),
            "status": "in_progress",
            "error": None,
            "incomplete_details": None,
            "model": model,
            "output": [],
            "parallel_tool_calls": True,
            "store": False,
            "tool_choice": "auto",
            "usage": None,
        }
        self.ok = True
        self._event("response.created", {"response": dict(self.object)})
        self._event("response.in_progress", {"response": dict(self.object)})

    def _event(self, name: str, data: Mapping[str, object], delay: float = 0.0) -> None:
        payload = {"type": name, "sequence_number": self.sequence, **data}
        self.sequence += 1
        self.ok = self.ok and self.stream.send(name, payload, delay=delay)

    def _item(self, item: dict[str, object]) -> int:
        index = len(self.output)
        self._event("response.output_item.added", {"output_index": index, "item": {**item, "status": "in_progress"}})
        return index

    def _item_done(self, index: int, item: dict[str, object]) -> None:
        done = {**item, "status": "completed"}
        self.output.append(done)
        self._event("response.output_item.done", {"output_index": index, "item": done})

    def message(self, pieces: Sequence[tuple[str, float]]) -> None:
        item: dict[str, object] = {"id": "msg_" + secrets.token_hex(24), "type": "message", "role": "assistant"}
        index = self._item({**item, "content": []})
        where: dict[str, object] = {"item_id": item["id"], "output_index": index, "content_index": 0}
        empty = {"type": "output_text", "text": "", "annotations": []}
        self._event("response.content_part.added", {**where, "part": empty})
        for text, delay in pieces:
            self._event("response.output_text.delta", {**where, "delta": text, "logprobs": []}, delay)
        text = "".join(piece for piece, _ in pieces)
        self._event("response.output_text.done", {**where, "text": text, "logprobs": []})
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        self._event("response.content_part.done", {**where, "part": part})
        self._item_done(index, {**item, "content": [part]})

    def tool_call(self, call: ToolCall) -> None:
        custom = call.kind == "custom"
        item: dict[str, object] = {
            "id": ("ctc_" if custom else "fc_") + secrets.token_hex(24),
            "type": "custom_tool_call" if custom else "function_call",
            "call_id": "call_" + secrets.token_hex(12),
            "name": call.name,
        }
        if call.namespace is not None:
            item["namespace"] = call.namespace
        field = "input" if custom else "arguments"
        text = call.payload if isinstance(call.payload, str) else json.dumps(call.payload)
        index = self._item({**item, field: ""})
        events = "response.custom_tool_call_input" if custom else "response.function_call_arguments"
        where: dict[str, object] = {"item_id": item["id"], "output_index": index}
        for part in _split(text):
            self._event(f"{events}.delta", {**where, "delta": part})
        self._event(f"{events}.done", {**where, field: text})
        self._item_done(index, {**item, field: text})

    def complete(self, input_tokens: int, output_tokens: int) -> None:
        final = {
            **self.object,
            "status": "completed",
            "output": self.output,
            "usage": _usage(input_tokens, output_tokens),
        }
        self._event("response.completed", {"response": final})
        self.stream.end()

    def fail(self, code: str | None, message: str) -> None:
        final = {**self.object, "status": "failed", "output": self.output, "error": {"code": code, "message": message}}
        self._event("response.failed", {"response": final})
        self.stream.end()


def _checked_call(responder: Responder, step: Step, body: Mapping[str, Any]) -> tuple[Step, ToolCall | None]:
    call = plan_call(step, body)
    if isinstance(call, str):
        responder.script.report(API, call)
        return Say(f"(fake model: {call})"), None
    return step, call


def _not_found(responder: Responder) -> None:
    body = {"error": {"message": "Invalid URL", "type": "invalid_request_error", "param": None, "code": None}}
    responder.send_json(404, body, [("x-request-id", "req_" + secrets.token_hex(16))])


def answer(responder: Responder, path: str, *, upgrade: str, websocket_status: int) -> None:
    record = responder.record
    if path == "/v1/responses" and record.method == "GET" and upgrade.lower() == "websocket":
        record.label = "websocket"
        responder.send_empty(websocket_status)
        return
    if path == "/v1/models" and record.method == "GET":
        record.label = "models"
        responder.send_json(200, {"object": "list", "data": []})
        return
    if path != "/v1/responses" or record.method != "POST" or not isinstance(record.body, dict):
        record.label = "unknown path"
        _not_found(responder)
        return
    body = record.body
    step, label = responder.script.step(API, user_turns(body))
    record.label = label
    if isinstance(step, Fail):
        error = openai_error(step.failure)
        responder.send_json(error.status, error.body(), error.headers)
        return
    step, call = _checked_call(responder, step, body)
    headers = [("x-request-id", "req_" + secrets.token_hex(16)), ("openai-version", "2020-10-01")]
    response = _Response(responder.open_stream(headers), str(body.get("model", "gpt-fake")))
    if isinstance(step, FailMidStream):
        error = openai_error(step.failure)
        response.message([(piece, 0.0) for piece in _split(step.text, 2)])
        response.fail(error.code or error.error_type, error.message)
        return
    if isinstance(step, Say):
        response.message([(chunk.text, chunk.delay) for chunk in step.pieces()])
        response.complete(step.input_tokens, step.output_tokens)
        return
    preface = getattr(step, "preface", "")
    if preface:
        response.message([(preface, 0.0)])
    assert call is not None
    response.tool_call(call)
    response.complete(120, 40)
