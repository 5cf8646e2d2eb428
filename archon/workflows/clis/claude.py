"""Claude Code (``claude``): command line, capability mapping, and its ``stream-json`` output.

Run as ``claude -p --output-format stream-json --verbose --include-partial-messages ...`` with the prompt on
stdin: the protocol the Claude Agent SDK speaks (``system`` init, ``stream_event`` deltas, ``assistant`` messages
with text and ``tool_use`` blocks, ``user`` messages with ``tool_result`` blocks, ``system`` ``api_retry`` and
``permission_denied`` notes, and one final ``result`` with ``is_error``, ``api_error_status``, ``usage``,
``total_cost_usd``, ``permission_denials`` and ``session_id``). claude exits 1 on an API error, and 0 even when
it denied actions: the ``result`` says what happened, not the exit status.

Capabilities (table in docs/workflows.md): ``read`` is ``dontAsk`` without the editing tools (read tools and the
shell commands claude counts as read-only run, anything else is denied), ``edit`` is ``acceptEdits``, ``run`` adds
``--allowedTools=Bash``; always ``--permission-prompts none``, so nothing ever waits for a permission prompt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archon.runtime import ENV_ARCHON_CLAUDE_BIN, ENV_CLAUDE_CODE_MAX_RETRIES
from archon.workflows.capability import Capability
from archon.workflows.classify import FailureClass, classify_status, classify_text
from archon.workflows.clis.contract import AssistantFailure, AssistantOutcome, AssistantRequest, CliCommand
from archon.workflows.clis.json_lines import as_int, as_mapping, as_text, json_object, shorten
from archon.workflows.node_events import (
    AssistantText,
    CliRetrying,
    Denial,
    NodeEvent,
    Notice,
    SessionStarted,
    ToolCall,
    ToolResult,
    Usage,
)

__all__ = ["CLAUDE", "CLI_RETRIES", "ClaudeCli", "ClaudeStream", "capability_flags"]

CLI_RETRIES = "2"
"""``CLAUDE_CODE_MAX_RETRIES`` unless the user set it: a bad key fails in seconds, not after minutes of retries."""

_BASE = ("-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages")
_EDIT_TOOLS = ("Edit", "Write", "NotebookEdit")
_WITHHELD: dict[Capability, frozenset[str]] = {"read": frozenset(_EDIT_TOOLS), "edit": frozenset(), "run": frozenset()}
"""Tools a capability takes away altogether: claude answers a call to one with "No such tool available", which
is a denial too."""
_FLAGS: dict[Capability, tuple[str, ...]] = {
    "read": ("--permission-mode", "dontAsk", f"--disallowedTools={','.join(_EDIT_TOOLS)}"),
    "edit": ("--permission-mode", "acceptEdits"),
    "run": ("--permission-mode", "acceptEdits", "--allowedTools=Bash"),
}
# claude's own kind of API error (the assistant message's ``error``), for failures without an HTTP status.
_KINDS: dict[str, FailureClass] = {
    "billing_error": FailureClass("credit_exhausted", "billing error"),
    "rate_limit": FailureClass("transient", "rate limited"),
    "server_error": FailureClass("transient", "server or network error"),
    "authentication_failed": FailureClass("fatal", "authentication failed"),
    "invalid_request": FailureClass("fatal", "invalid request"),
}
_TAIL = 65536


def capability_flags(capability: Capability) -> tuple[str, ...]:
    return (*_FLAGS[capability], "--permission-prompts", "none")


def _target(tool: str, tool_input: Mapping[str, Any]) -> str:
    for key in ("command", "file_path", "notebook_path", "path", "pattern", "url", "query"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return shorten(value)
    return shorten(str(dict(tool_input))) if tool_input else tool


@dataclass
class ClaudeStream:
    """Parses one ``claude -p --output-format stream-json`` run."""

    withheld: frozenset[str] = frozenset()
    session_id: str | None = None
    result: Mapping[str, Any] | None = None
    tools: dict[str, tuple[str, str]] = field(default_factory=dict)
    denied: dict[str, Denial] = field(default_factory=dict)
    api_error: tuple[str, str] | None = None
    """claude's kind of the last API error and its message."""
    text: list[str] = field(default_factory=list)
    streamed: bool = False
    stderr: str = ""

    def stdout_line(self, line: str) -> Sequence[NodeEvent]:
        data = json_object(line) or {}
        kind = data.get("type")
        if kind == "result":
            self.result = data
            self.session_id = as_text(data.get("session_id")) or self.session_id
        elif kind == "system":
            return self._system(data)
        elif kind == "stream_event":
            return self._delta(as_mapping(data.get("event")), top_level=data.get("parent_tool_use_id") is None)
        elif kind == "assistant":
            return self._assistant(data)
        elif kind == "user":
            return self._tool_results(as_mapping(data.get("message")).get("content"))
        return []

    def _system(self, data: Mapping[str, Any]) -> list[NodeEvent]:
        subtype = data.get("subtype")
        if subtype == "init":
            self.session_id = as_text(data.get("session_id")) or None
            return (
                [SessionStarted(self.session_id or "", as_text(data.get("model")) or None)] if self.session_id else []
            )
        if subtype == "api_retry":
            status = data.get("error_status")
            return [
                CliRetrying(
                    "claude",
                    as_int(data.get("attempt")),
                    as_int(data.get("max_retries")),
                    as_int(data.get("retry_delay_ms")) / 1000,
                    status if isinstance(status, int) and not isinstance(status, bool) else None,
                    as_text(data.get("error")),
                )
            ]
        if subtype == "permission_denied":
            tool_id = as_text(data.get("tool_use_id"))
            tool, target = self.tools.get(tool_id, (as_text(data.get("tool_name")) or "tool", ""))
            denial = Denial(tool, target or shorten(as_text(data.get("message"))))
            self.denied[tool_id] = denial
            return [denial]
        return []

    def _delta(self, event: Mapping[str, Any], *, top_level: bool) -> list[NodeEvent]:
        if event.get("type") == "message_start":
            self.streamed = False
        delta = as_mapping(event.get("delta"))
        if top_level and event.get("type") == "content_block_delta" and delta.get("type") == "text_delta":
            self.streamed = True
            return [AssistantText(as_text(delta.get("text")))]
        return []

    def _assistant(self, data: Mapping[str, Any]) -> list[NodeEvent]:
        message = as_mapping(data.get("message"))
        blocks = [as_mapping(block) for block in message.get("content") or [] if isinstance(block, dict)]
        if data.get("error"):
            words = " ".join(as_text(b.get("text")) for b in blocks if b.get("type") == "text")
            self.api_error = (as_text(data.get("error")), words)
            return []
        events: list[NodeEvent] = []
        for block in blocks:
            if block.get("type") == "text" and data.get("parent_tool_use_id") is None:
                self.text.append(as_text(block.get("text")))
                if not self.streamed:
                    events.append(AssistantText(as_text(block.get("text")) + "\n"))
            elif block.get("type") == "tool_use":
                tool = as_text(block.get("name")) or "tool"
                target = _target(tool, as_mapping(block.get("input")))
                self.tools[as_text(block.get("id"))] = (tool, target)
                events.append(ToolCall(tool, target))
                if tool in self.withheld:
                    denial = Denial(tool, f"{target} (not available to this capability)")
                    self.denied[as_text(block.get("id"))] = denial
                    events.append(denial)
        if self.streamed and any(b.get("type") == "text" for b in blocks):
            events.append(AssistantText("\n"))  # the streamed text block is complete
        return events

    def _tool_results(self, content: object) -> list[NodeEvent]:
        events: list[NodeEvent] = []
        for raw in content if isinstance(content, list) else []:
            block = as_mapping(raw)
            tool_id = as_text(block.get("tool_use_id"))
            if block.get("type") == "tool_result" and tool_id in self.tools and tool_id not in self.denied:
                tool, target = self.tools[tool_id]
                events.append(ToolResult(tool, ok=block.get("is_error") is not True, detail=target))
        return events

    def stderr_line(self, line: str) -> Sequence[NodeEvent]:
        """claude writes warnings here (an ignored permission rule, a setting it could not read): shown as notes."""
        self.stderr = (self.stderr + line + "\n")[-_TAIL:]
        return [Notice(line)] if line.strip() else []

    def finish(self, returncode: int) -> AssistantOutcome:
        result = self.result
        if result is None:
            return AssistantOutcome(answer="", session_id=self.session_id, failure=self._no_result(returncode))
        for raw in result.get("permission_denials") or []:
            item = as_mapping(raw)
            tool_id = as_text(item.get("tool_use_id"))
            tool = as_text(item.get("tool_name")) or "tool"
            self.denied.setdefault(tool_id, Denial(tool, _target(tool, as_mapping(item.get("tool_input")))))
        failure = self._failure(result) if result.get("is_error") is True else None
        return AssistantOutcome(
            answer="" if failure else as_text(result.get("result")) or "".join(self.text),
            session_id=self.session_id,
            usage=_usage(result),
            denials=tuple(self.denied.values()),
            failure=failure,
            tools_used=len(self.tools),
        )

    def _failure(self, result: Mapping[str, Any]) -> AssistantFailure:
        kind, words = self.api_error or ("", "")
        message = as_text(result.get("result")) or words or "; ".join(map(str, result.get("errors") or []))
        status = result.get("api_error_status")
        if kind == "billing_error":
            return AssistantFailure(
                "credit_exhausted", "billing error", message, status if isinstance(status, int) else None
            )
        if isinstance(status, int) and not isinstance(status, bool):
            return AssistantFailure(classify_status(status), f"HTTP {status}", message, status)
        found = _KINDS.get(kind) or FailureClass("fatal", as_text(result.get("subtype")) or "error")
        return AssistantFailure(found.classification, found.reason, message or found.reason)

    def _no_result(self, returncode: int) -> AssistantFailure:
        message = self.stderr.strip()  # claude's own words, if it had any
        found = classify_text(self.stderr) if returncode != 0 else None
        if found is not None:
            return AssistantFailure(found.classification, found.reason, message)
        return AssistantFailure("fatal", f"no result (exit status {returncode})", message)


def _usage(result: Mapping[str, Any]) -> Usage:
    usage = as_mapping(result.get("usage"))
    cost = result.get("total_cost_usd")
    return Usage(
        input_tokens=as_int(usage.get("input_tokens")),
        output_tokens=as_int(usage.get("output_tokens")),
        cache_read_tokens=as_int(usage.get("cache_read_input_tokens")),
        cache_write_tokens=as_int(usage.get("cache_creation_input_tokens")),
        cost_usd=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
    )


@dataclass(frozen=True)
class ClaudeCli:
    name: str = "claude"
    default_binary: str = "claude"
    env_override: str = ENV_ARCHON_CLAUDE_BIN
    install_hint: str = "npm install -g @anthropic-ai/claude-code"

    def command(self, request: AssistantRequest, *, env: Mapping[str, str]) -> CliCommand:
        argv = [request.binary, *_BASE, *capability_flags(request.capability)]
        if request.model:
            argv.append(f"--model={request.model}")
        if request.resume_session:
            argv += [f"--resume={request.resume_session}", "--fork-session"]
        extra = {} if env.get(ENV_CLAUDE_CODE_MAX_RETRIES) else {ENV_CLAUDE_CODE_MAX_RETRIES: CLI_RETRIES}
        if request.temp_dir:  # claude's own per-user state and its Bash tool's commands' temporary files
            extra["TMPDIR"] = request.temp_dir
        return CliCommand(argv, extra, request.prompt)

    def parser(self, request: AssistantRequest) -> ClaudeStream:
        return ClaudeStream(withheld=_WITHHELD[request.capability])


CLAUDE = ClaudeCli()
