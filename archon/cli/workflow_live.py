"""What a run shows while it runs, on stderr: each node as it starts and ends, and in between what its assistant
writes, the tools it calls, what was denied, and the lines a bash node prints, each line prefixed with the node's
id (nodes may run at the same time). Every line is written as soon as it is complete (stderr is flushed per line).

Shown whether or not stderr is a terminal (long work without a word is what users complain about); on a terminal
the node prefixes are bold. ``workflow run --quiet`` shows only the summary.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from archon.workflows.model import Node, Workflow
from archon.workflows.node_events import (
    AssistantText,
    CliRetrying,
    Denial,
    NodeEvent,
    Notice,
    OutputLine,
    Retrying,
    SessionStarted,
    ToolCall,
    ToolResult,
    Usage,
)
from archon.workflows.providers import ProviderName
from archon.workflows.results import NodeResult, RunResult

__all__ = ["CAPABILITY_WORDS", "LiveDisplay", "usage_words"]

CAPABILITY_WORDS = {"read": "read-only", "edit": "may edit files", "run": "may edit files and run commands"}


def usage_words(usage: Usage) -> str:
    words = f"{usage.input_tokens:,} tokens in"
    if usage.cache_read_tokens:
        words += f" (+{usage.cache_read_tokens:,} cached)"
    words += f", {usage.output_tokens:,} out"
    if usage.cost_usd is not None:
        words += f", ${usage.cost_usd:.4f}"
    return words


class LiveDisplay:
    """A :class:`~archon.workflows.observer.RunObserver` that writes each event as a line on stderr."""

    def __init__(self, *, bold: bool, write: Callable[[str], None] | None = None) -> None:
        self._bold = bold
        self._write = write or (lambda line: typer.echo(line, err=True))
        self._partial: dict[str, str] = {}

    def _say(self, node: Node, text: str) -> None:
        prefix = f"[{node.id}]"
        self._write(f"{typer.style(prefix, bold=True) if self._bold else prefix} {text}")

    def run_started(self, workflow: Workflow, provider: ProviderName | None) -> None:
        via = f", {provider}" if provider else ""
        self._write(f"Running {workflow.name} ({len(workflow.nodes)} nodes{via})")

    def node_started(self, node: Node) -> None:
        what = f"command {node.command}" if node.command else node.kind
        self._say(node, f"started: {what}")

    def node_event(self, node: Node, event: NodeEvent) -> None:
        if isinstance(event, AssistantText):
            self._text(node, event)
            return
        self._flush(node)
        line = _line(event)
        if line is not None:
            self._say(node, line)

    def _text(self, node: Node, event: AssistantText) -> None:
        pending = self._partial.get(node.id, "") + event.text
        *lines, rest = pending.split("\n")
        for line in lines:
            if line.strip():
                self._say(node, f"(thinking) {line}" if event.reasoning else line)
        self._partial[node.id] = rest

    def _flush(self, node: Node) -> None:
        rest = self._partial.pop(node.id, "")
        if rest.strip():
            self._say(node, rest)

    def node_finished(self, result: NodeResult) -> None:
        node = result.node
        self._flush(node)
        if result.status == "skipped":
            self._say(
                node, f"skipped: {result.skipped_because!r} did not succeed" if result.skipped_because else "skipped"
            )
            return
        details = [f"{result.duration_seconds:.1f}s"]
        if result.usage is not None:
            details.append(usage_words(result.usage))
        if result.status == "succeeded":
            self._say(node, f"ok ({'; '.join(details)})")
            return
        if result.failure_kind == "interrupted":
            self._say(node, f"STOPPED (the run was interrupted; {'; '.join(details)})")
            return
        failure = result.failure
        why = f"{failure.classification}: {failure.reason}" if failure is not None else "failed"
        self._say(node, f"FAILED ({why}; {'; '.join(details)})")

    def run_finished(self, result: RunResult) -> None:
        return None


def _line(event: NodeEvent) -> str | None:  # noqa: PLR0911 - one line per kind of event
    if isinstance(event, ToolCall):
        return f"> {event.tool}: {event.detail}" if event.detail else f"> {event.tool}"
    if isinstance(event, ToolResult):
        return None if event.ok else f"! {event.tool} failed: {event.detail}"
    if isinstance(event, Denial):
        return f"DENIED {event.tool}: {event.detail}"
    if isinstance(event, Notice):
        return f"note: {event.text}" if event.text.strip() else None
    if isinstance(event, CliRetrying):
        what = f"HTTP {event.status}" if event.status is not None else event.error or "error"
        return (
            f"note: API {what}; {event.cli} retries ({event.attempt}/{event.max_retries}) in {event.delay_seconds:.1f}s"
        )
    if isinstance(event, OutputLine):
        return f"| {event.text}"
    if isinstance(event, Retrying):
        return f"retrying in {event.delay_seconds:g}s (attempt {event.attempt}): {event.reason}"
    if isinstance(event, SessionStarted):
        return None
    return None
