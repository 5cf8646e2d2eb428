"""The Anthropic Messages API as claude-code calls it: ``POST /v1/messages`` (streamed or not) and
``/v1/messages/count_tokens``, answered from the script.

A streamed answer has the real event sequence: ``message_start``, ``ping``, per content block
``content_block_start`` / ``content_block_delta`` (``text_delta`` or ``input_json_delta``) / ``content_block_stop``,
``message_delta`` (``stop_reason``, usage) and ``message_stop``. Errors are the documented JSON envelope with the
real status codes and headers (see failures.py); :class:`FailMidStream` sends an ``event: error`` after a 200.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tests.support.model_api.failures import anthropic_error
from tests.support.model_api.offered import OfferedTool, misfit
from tests.support.model_api.script import (
    CallTool,
    EditFile,
    Fail,
    FailMidStream,
    ReadFile,
    RunCommand,
    Say,
    Step,
    UserTurn,
    WriteFile,
)
from tests.support.model_api.sse import SseStream

if TYPE_CHECKING:
    from tests.support.model_api.server import Responder

__all__ = ["answer", "offered_tools", "tool_call", "user_turns"]

API = "anthropic"


def _texts(content: object) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text" and "text" in b]
    return []


def _has_tool_result(content: object) -> bool:
    return isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)


def user_turns(body: Mapping[str, Any]) -> list[UserTurn]:
    """The request's user messages, each with the number of tool-result messages that follow it."""
    turns: list[UserTurn] = []
    for message in body.get("messages") or ():
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if _has_tool_result(content):
            if turns:
                turns[-1] = UserTurn(turns[-1].text, turns[-1].tool_results_after + 1)
            continue
        turns.append(UserTurn("\n".join(_texts(content)), 0))
    return turns


def offered_tools(body: Mapping[str, Any]) -> dict[str, OfferedTool]:
    tools: dict[str, OfferedTool] = {}
    for tool in body.get("tools") or ():
        if isinstance(tool, dict) and isinstance(tool.get("name"), str):
            tools[tool["name"]] = OfferedTool(tool["name"], "function", tool.get("input_schema") or {})
    return tools


def tool_call(step: Step) -> tuple[str, dict[str, object]] | None:
    """The Claude Code tool (name, input) a scripted action means; None for actions that are not tool calls."""
    if isinstance(step, ReadFile):
        return "Read", {"file_path": step.path}
    if isinstance(step, EditFile):
        return "Edit", {"file_path": step.path, "old_string": step.old, "new_string": step.new}
    if isinstance(step, WriteFile):
        return "Write", {"file_path": step.path, "content": step.content}
    if isinstance(step, RunCommand):
        return "Bash", {"command": step.command, "description": "Run the scripted command"}
    if isinstance(step, CallTool):
        return step.name, dict(step.arguments)
    return None


def _usage(input_tokens: int, output_tokens: int) -> dict[str, object]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _split(text: str, parts: int = 3) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _response_headers() -> list[tuple[str, str]]:
    return [("request-id", "req_011" + secrets.token_hex(10)), ("anthropic-organization-id", "org-fake")]


class _Message:
    """One assistant message being streamed: content blocks in order, then the stop reason."""

    def __init__(self, stream: SseStream, model: str, input_tokens: int) -> None:
        self.stream = stream
        self.index = 0
        self.ok = stream.send(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_01" + secrets.token_hex(11),
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": _usage(input_tokens, 1),
                },
            },
        )
        self.ok = self.ok and stream.send("ping", {"type": "ping"})

    def _event(self, name: str, data: dict[str, object], delay: float = 0.0) -> None:
        self.ok = self.ok and self.stream.send(name, {"type": name, **data}, delay=delay)

    def text(self, pieces: Sequence[tuple[str, float]]) -> None:
        self._event("content_block_start", {"index": self.index, "content_block": {"type": "text", "text": ""}})
        for text, delay in pieces:
            delta = {"type": "text_delta", "text": text}
            self._event("content_block_delta", {"index": self.index, "delta": delta}, delay)
        self._event("content_block_stop", {"index": self.index})
        self.index += 1

    def tool_use(self, name: str, arguments: Mapping[str, object]) -> None:
        block = {"type": "tool_use", "id": "toolu_01" + secrets.token_hex(11), "name": name, "input": {}}
        self._event("content_block_start", {"index": self.index, "content_block": block})
        for part in _split(json.dumps(arguments)):
            delta = {"type": "input_json_delta", "partial_json": part}
            self._event("content_block_delta", {"index": self.index, "delta": delta})
        self._event("content_block_stop", {"index": self.index})
        self.index += 1

    def stop(self, reason: str, output_tokens: int) -> None:
        self._event(
            "message_delta",
            {"delta": {"stop_reason": reason, "stop_sequence": None}, "usage": {"output_tokens": output_tokens}},
        )
        self._event("message_stop", {})
        self.stream.end()


def _non_streamed(responder: Responder, model: str, step: Step, call: tuple[str, dict[str, object]] | None) -> None:
    content: list[dict[str, object]] = []
    preface = getattr(step, "preface", "")
    if isinstance(step, Say):
        content.append({"type": "text", "text": step.full_text})
    elif preface:
        content.append({"type": "text", "text": preface})
    if call is not None:
        content.append(
            {"type": "tool_use", "id": "toolu_01" + secrets.token_hex(11), "name": call[0], "input": call[1]}
        )
    body = {
        "id": "msg_01" + secrets.token_hex(11),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if call is not None else "end_turn",
        "stop_sequence": None,
        "usage": _usage(120, 12),
    }
    responder.send_json(200, body, _response_headers())


def _checked_call(responder: Responder, step: Step, tools: Mapping[str, OfferedTool]) -> tuple[Step, Any]:
    call = tool_call(step)
    if call is None:
        return step, None
    tool = tools.get(call[0])
    problem = f"tool {call[0]!r} is not offered (offered: {sorted(tools)})" if tool is None else misfit(tool, call[1])
    if problem is not None:
        responder.script.report(API, problem)
        return Say(f"(fake model: {problem})"), None
    return step, call


def answer(responder: Responder, path: str) -> None:
    body = responder.record.body if isinstance(responder.record.body, dict) else {}
    if path == "/v1/messages/count_tokens":
        responder.record.label = "count_tokens"
        responder.send_json(200, {"input_tokens": 120}, _response_headers())
        return
    if path != "/v1/messages" or responder.record.method != "POST":
        responder.record.label = "unknown path"
        not_found = {"type": "error", "error": {"type": "not_found_error", "message": "Not Found"}}
        responder.send_json(404, not_found, _response_headers())
        return
    step, label = responder.script.step(API, user_turns(body))
    responder.record.label = label
    if isinstance(step, Fail):
        error = anthropic_error(step.failure)
        responder.send_json(error.status, error.body(), error.headers)
        return
    step, call = _checked_call(responder, step, offered_tools(body))
    model = str(body.get("model", "claude-fake"))
    if not body.get("stream"):
        _non_streamed(responder, model, step, call)
        return
    message = _Message(responder.open_stream(_response_headers()), model, getattr(step, "input_tokens", 120))
    if isinstance(step, FailMidStream):
        message.text([(piece, 0.0) for piece in _split(step.text, 2)])
        message.stream.send("error", anthropic_error(step.failure).stream_event())
        message.stream.end()
        return
    if isinstance(step, Say):
        message.text([(chunk.text, chunk.delay) for chunk in step.pieces()])
        message.stop("end_turn", step.output_tokens)
        return
    preface = getattr(step, "preface", "")
    if preface:
        message.text([(preface, 0.0)])
    assert call is not None
    message.tool_use(call[0], call[1])
    message.stop("tool_use", 40)
