"""Codex (``codex``): command line, capability mapping, and its ``exec --json`` events.

Run as ``codex exec --json ... -`` with the prompt on stdin (``-`` tells codex to read it there), the events
``@openai/codex-sdk`` reads: ``thread.started`` (the thread id), ``turn.started``, ``item.started`` /
``item.updated`` / ``item.completed`` for ``agent_message``, ``reasoning``, ``command_execution``,
``file_change``, ``mcp_tool_call``, ``web_search``, ``todo_list`` and ``error`` items, ``turn.completed`` (token
usage; codex reports no cost), ``turn.failed`` and top-level ``error`` events (its retries, "Reconnecting...").

codex reports failures as messages only, no status field: archon reads the HTTP status codex puts in its own
messages (``unexpected status 401 ...``, ``exceeded retry limit, last status: 429 ...``) and codex's fixed words
for quota and server trouble. codex 0.171.0 does not put rejected patches in its event stream: it logs them on
stderr (``ERROR codex_core::tools::router: error=patch rejected: ...``), which archon reads as a denial. A shell
command its sandbox blocked shows up nowhere; archon cannot see it.

Capabilities (``-c approval_policy="never"`` always: codex never waits for an approval nobody can give):

========  ==========================================================================================
``read``  ``--sandbox read-only``: commands run, but can write nothing
``edit``  ``--sandbox workspace-write -c sandbox_workspace_write.exclude_slash_tmp=true``: edits and
          commands may write inside the working tree and the node's private ``TMPDIR``, never ``/tmp``,
          without network; codex cannot let an assistant edit files without running commands
``run``   ``edit`` plus ``-c sandbox_workspace_write.network_access=true``: commands may use the network
========  ==========================================================================================

``TMPDIR`` is the node's private temporary directory (:mod:`archon.workflows.temp_dirs`): codex makes its sandbox's
mount points there instead of in ``/tmp``. Without one, ``$TMPDIR`` is not writable either
(``exclude_tmpdir_env_var``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archon.runtime import ENV_ARCHON_CODEX_BIN
from archon.workflows.capability import Capability
from archon.workflows.classify import classify_status, classify_text
from archon.workflows.clis.contract import AssistantFailure, AssistantOutcome, AssistantRequest, CliCommand
from archon.workflows.clis.json_lines import as_int, as_mapping, as_text, json_object, shorten
from archon.workflows.node_events import (
    AssistantText,
    Denial,
    NodeEvent,
    Notice,
    SessionStarted,
    ToolCall,
    ToolResult,
    Usage,
)

__all__ = ["CODEX", "CodexCli", "CodexStream", "capability_flags"]

_SANDBOX: dict[Capability, str] = {"read": "read-only", "edit": "workspace-write", "run": "workspace-write"}
_NO_SLASH_TMP = ("-c", "sandbox_workspace_write.exclude_slash_tmp=true")
_NO_TMPDIR = ("-c", "sandbox_workspace_write.exclude_tmpdir_env_var=true")
_NETWORK = ("-c", "sandbox_workspace_write.network_access=true")
_STATUS = re.compile(r"(?:unexpected status|last status:) (\d{3})\b")
_CREDIT = re.compile(r"^Quota exceeded\b|hit your usage limit|^To use Codex with your ChatGPT plan|insufficient_quota")
_TRANSIENT = re.compile(
    r"experiencing high demand|^stream disconnected before completion|^Connection failed|"
    r"^Error while reading the server response|timed out|timeout"
)
_PATCH_REJECTED = re.compile(r"\bERROR codex_core::tools::router: error=patch rejected: (.*)$")
_TAIL = 65536


def capability_flags(capability: Capability, *, private_tmp: bool = True) -> tuple[str, ...]:
    """``private_tmp``: the node has a private ``TMPDIR`` of its own, which stays writable; without one, no
    temporary directory is."""
    flags = ["--sandbox", _SANDBOX[capability]]
    if capability != "read":
        flags += _NO_SLASH_TMP if private_tmp else (*_NO_SLASH_TMP, *_NO_TMPDIR)
    if capability == "run":
        flags += _NETWORK
    return (*flags, "-c", 'approval_policy="never"')


def _command_text(command: str) -> str:
    """``/bin/bash -lc 'make test'`` as ``make test``."""
    try:
        words = shlex.split(command)
    except ValueError:
        return shorten(command)
    if len(words) == 3 and words[0].endswith("sh") and words[1] in ("-lc", "-c"):
        return shorten(words[2])
    return shorten(command)


def classify_message(message: str) -> AssistantFailure:
    """codex's own error message (never the prompt: codex reports the API's or its own words) as a failure."""
    if _CREDIT.search(message):
        return AssistantFailure("credit_exhausted", "quota or usage limit", message)
    status = _STATUS.search(message)
    if status is not None:
        code = int(status.group(1))
        return AssistantFailure(classify_status(code), f"HTTP {code}", message, code)
    if _TRANSIENT.search(message):
        return AssistantFailure("transient", "server or network error", message)
    return AssistantFailure("fatal", "codex error", message)


@dataclass
class CodexStream:
    """Parses one ``codex exec --json`` run."""

    thread_id: str | None = None
    answer: str = ""
    usage: Usage | None = None
    failed: str | None = None
    last_error: str | None = None
    started: set[str] = field(default_factory=set)
    denials: list[Denial] = field(default_factory=list)
    tools_used: int = 0
    stderr: str = ""

    def stdout_line(self, line: str) -> Sequence[NodeEvent]:
        data = json_object(line)
        if data is None:
            return []
        kind = data.get("type")
        if kind == "thread.started":
            self.thread_id = as_text(data.get("thread_id")) or None
            return [SessionStarted(self.thread_id)] if self.thread_id else []
        if kind == "turn.completed":
            usage = as_mapping(data.get("usage"))
            turn = Usage(
                input_tokens=as_int(usage.get("input_tokens")),
                output_tokens=as_int(usage.get("output_tokens")),
                cache_read_tokens=as_int(usage.get("cached_input_tokens")),
                cache_write_tokens=as_int(usage.get("cache_write_input_tokens")),
            )
            self.usage = turn if self.usage is None else self.usage + turn
        elif kind == "turn.failed":
            self.failed = as_text(as_mapping(data.get("error")).get("message")) or "turn failed"
        elif kind == "error":
            self.last_error = as_text(data.get("message"))
            return [Notice(self.last_error)] if self.last_error else []
        elif kind in ("item.started", "item.completed"):
            return self._item(as_mapping(data.get("item")), done=kind == "item.completed")
        return []

    def _item(self, item: Mapping[str, Any], *, done: bool) -> list[NodeEvent]:
        kind, item_id = as_text(item.get("type")), as_text(item.get("id"))
        if kind == "agent_message" and done:
            self.answer = as_text(item.get("text"))
            return [AssistantText(self.answer + "\n")]
        if kind == "reasoning" and done:
            return [AssistantText(as_text(item.get("text")) + "\n", reasoning=True)]
        if kind == "error" and done:
            return [Notice(as_text(item.get("message")))]
        tool = _tool(kind, item)
        if tool is None:
            return []
        events: list[NodeEvent] = []
        if item_id not in self.started:
            self.started.add(item_id)
            self.tools_used += 1
            events.append(ToolCall(*tool))
        if done:
            status = item.get("status")
            ok = status == "completed" and as_int(item.get("exit_code")) == 0
            events.append(ToolResult(tool[0], ok=ok, detail=tool[1]))
        return events

    def stderr_line(self, line: str) -> Sequence[NodeEvent]:
        self.stderr = (self.stderr + line + "\n")[-_TAIL:]
        rejected = _PATCH_REJECTED.search(line)
        if rejected is None:
            return [Notice(line)] if line.strip() else []
        denial = Denial("apply_patch", shorten(rejected.group(1)))
        self.denials.append(denial)
        return [denial]

    def finish(self, returncode: int) -> AssistantOutcome:
        failure: AssistantFailure | None = None
        if self.failed is not None:
            failure = classify_message(self.failed)
        elif returncode != 0:
            message = self.last_error or self.stderr.strip()  # codex's own words, if it had any
            found = classify_text(self.last_error or self.stderr)
            failure = (
                AssistantFailure(found.classification, found.reason, message)
                if found is not None
                else AssistantFailure("fatal", f"exit status {returncode}", message)
            )
        return AssistantOutcome(
            answer="" if failure else self.answer,
            session_id=self.thread_id,
            usage=self.usage,
            denials=tuple(self.denials),
            failure=failure,
            tools_used=self.tools_used,
        )


def _tool(kind: str, item: Mapping[str, Any]) -> tuple[str, str] | None:
    if kind == "command_execution":
        return "command", _command_text(as_text(item.get("command")))
    if kind == "file_change":
        changes = [as_mapping(change) for change in item.get("changes") or []]
        return "edit", shorten(", ".join(f"{c.get('kind', '?')} {as_text(c.get('path'))}" for c in changes))
    if kind == "mcp_tool_call":
        return f"{as_text(item.get('server'))}/{as_text(item.get('tool'))}", ""
    if kind == "web_search":
        return "web_search", shorten(as_text(item.get("query")))
    return None


@dataclass(frozen=True)
class CodexCli:
    name: str = "codex"
    default_binary: str = "codex"
    env_override: str = ENV_ARCHON_CODEX_BIN
    install_hint: str = "npm install -g @openai/codex"

    def command(self, request: AssistantRequest, *, env: Mapping[str, str]) -> CliCommand:
        private_tmp = request.temp_dir is not None
        argv = [request.binary, "exec", "--json", *capability_flags(request.capability, private_tmp=private_tmp)]
        if request.model:
            argv.append(f"--model={request.model}")
        if request.resume_session:
            argv += ["fork", request.resume_session]
        argv.append("-")  # the prompt is on stdin
        return CliCommand(argv, {"TMPDIR": request.temp_dir} if request.temp_dir else {}, request.prompt)

    def parser(self, request: AssistantRequest) -> CodexStream:
        return CodexStream()


CODEX = CodexCli()
